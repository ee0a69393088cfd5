"""The assumption-sensitivity study (``dvc repro studies/dvc.yaml``; needs the ``pipeline``
extra): the champion in perturbed worlds of the generator, and which assumption rows matter.

Above :mod:`backclf.pipeline` (it uses its params, metrics, training and tracking); the
pipeline reaches back only through :mod:`backclf.study.card`, the model card's section."""
