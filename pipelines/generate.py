"""DVC stage `generate`: the synthetic train, validation, test, shifted and text sets."""

from pathlib import Path

from backclf.pipeline.params import generation_config, load_params
from backclf.synth.sampler import write_parquet

SPLITS = ("train", "validation", "test", "shifted", "text_heldout")


def main() -> None:
    params = load_params()
    for split in SPLITS:
        config = generation_config(params, split)
        family = params["generate"][split].get("family")
        out = write_parquet(config, Path("data") / f"{split}.parquet", text_family=family)
        print(f"{split}: {config.n} vignettes -> {out}")


if __name__ == "__main__":
    main()
