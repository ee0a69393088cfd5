"""DVC stage `choose`: the pipeline's model (`params.yaml` `train.model`) among the fitted
candidates, copied to `models/champion.json` for the stages that evaluate and register it.

A cheap stage of its own, so `dvc exp run -S train.model=tree` refits nothing: it reruns this
copy and the evaluations of the chosen model. (Whether the pipeline's model becomes the
champion is the `publish` stage's gate.)
"""

import shutil
from pathlib import Path

from backclf.pipeline.params import params_or_exit

MODELS = Path("models")


def main() -> None:
    kind = params_or_exit().train.model
    shutil.copyfile(MODELS / f"{kind}.json", MODELS / "champion.json")
    print(f"choose: the pipeline's model is {kind} -> {MODELS / 'champion.json'}")


if __name__ == "__main__":
    main()
