"""DVC stage `generate`: the synthetic train, validation, test, shifted and text sets, and
the promotion gate's reference set (the default world's test split, fixed in params.yaml)."""

from pathlib import Path

from backclf.pipeline.params import params_or_exit
from backclf.synth.sampler import write_parquet

SPLITS = ("train", "validation", "test", "shifted", "text_heldout", "reference")


def main() -> None:
    params = params_or_exit()
    sizes = []
    for split in SPLITS:
        config = params.generation_config(split)
        family = getattr(params.generate, split).family
        write_parquet(config, Path("data") / f"{split}.parquet", text_family=family)
        sizes.append(f"{split} {config.n:,}")
    print(f"generate: {', '.join(sizes)} vignettes -> data/")


if __name__ == "__main__":
    main()
