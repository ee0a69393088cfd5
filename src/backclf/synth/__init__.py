"""The generator of synthetic vignettes: sampler, narrative text, exact posterior."""
