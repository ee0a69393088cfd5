"""Benchmark: `backclf predict` on Parquet against a conventional pandas + scikit-learn peer.

Run: uv run python benchmarks/bench_peer.py [--rows 500000,1000000] [--train 100000] [--repeat 3]

The peer is what a competent data scientist would ship for the same table: a scikit-learn
``Pipeline`` (a ``ColumnTransformer``: categorical findings through ``SimpleImputer`` (a
"missing" category) and ``OneHotEncoder``; numbers and yes/no findings (read as 1/0) through
``SimpleImputer`` (mean, with missing-value indicators) and ``StandardScaler``; then a
multinomial ``LogisticRegression``), trained once here on generated vignettes and saved with
joblib. It is a benchmark-only peer: it never ships, and nothing `backclf predict` loads is
pickled. Scoring it is a fresh process that reads the Parquet file with pandas, loads the
pipeline with ``joblib.load``, calls ``predict_proba`` on the whole frame (no per-row Python),
and writes Parquet with the id, the most probable cause and one probability column per cause.

What the peer does not do that `backclf predict` does: check each value against the contract
(a bad cell makes its row an error with the reason, the other rows are still scored); the
red-flag rules (30 rules, most urgent first) and the triage level they override; abstaining
when the model is unsure; carrying the input's bookkeeping columns through; writing
atomically (a temporary file renamed when complete). It also reads its yes/no columns the
lenient way (object columns of True/False/None cast to float), where backclf reads them as
strictly as JSON values.

Both commands read the same Parquet file (the generator's vignettes without their labels,
row groups of 131,072 rows) and are timed as fresh processes, interleaved (backclf, peer,
backclf, peer, ...), each run's wall time, CPU time (user + system) and peak RSS taken from
``os.wait4`` for that process alone. Medians of ``--repeat`` runs; the load average is printed
beside them (the machine may be shared: CPU time is the steadier figure then).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BACKCLF = shutil.which("backclf") or str(Path(sys.executable).with_name("backclf"))
#: The generator's bookkeeping columns: the training set keeps ``label`` as the target; the
#: scored tables keep none of them.
GENERATED = ["label", "true_cause", "atypical", "red_flag_added"]


# -- the peer --------------------------------------------------------------------------------


def peer_frame(df):
    """The peer's features: yes/no findings (read by pandas as objects True/False/None) as
    1.0/0.0/NaN, categorical findings as strings (NaN for missing), numbers as floats. The
    same function prepares the training frame and the frames scored."""
    import pandas as pd

    out = {}
    for name in df.columns:
        column = df[name]
        if name == "id":
            continue
        if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object:
            if column.dtype == object and _is_yes_no(column):
                out[name] = column.astype("float64")
            else:
                out[name] = column.astype(object)
        else:  # numbers, and yes/no columns without a gap (pandas reads them as bool)
            out[name] = column.astype("float64")
    return pd.DataFrame(out, index=df.index)


def _is_yes_no(column) -> bool:
    values = column.dropna()
    return len(values) == 0 or isinstance(values.iloc[0], bool)


def train_peer(train_path: Path, model_path: Path) -> float:
    """Fit the peer on a labelled Parquet file and save it with joblib; the seconds taken."""
    import joblib
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    start = time.perf_counter()
    df = pd.read_parquet(train_path)
    target = df.pop("label").astype(str)
    features = peer_frame(df)
    categorical = [c for c in features.columns if features[c].dtype == object]
    numeric = [c for c in features.columns if c not in categorical]
    prepare = ColumnTransformer(
        [
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler()),
                numeric,
            ),
        ]
    )
    # lbfgs fits one multinomial model for more than two classes (scikit-learn >= 1.5
    # has no other behaviour for it; `multi_class` is gone).
    pipeline = Pipeline([("prepare", prepare), ("model", LogisticRegression(max_iter=500))])
    pipeline.fit(features, target)
    joblib.dump(pipeline, model_path)
    return time.perf_counter() - start


def score_peer(model_path: str, input_path: str, output_path: str) -> None:
    """The peer's scoring process: Parquet in, Parquet of class probabilities out."""
    import joblib
    import pandas as pd

    df = pd.read_parquet(input_path)
    pipeline = joblib.load(model_path)
    proba = pipeline.predict_proba(peer_frame(df))
    classes = pipeline.classes_
    out = pd.DataFrame(proba, columns=[f"p_{c}" for c in classes])
    out.insert(0, "cause", classes[proba.argmax(axis=1)])
    out.insert(0, "id", df["id"].to_numpy())
    out.to_parquet(output_path, index=False)


# -- the run ---------------------------------------------------------------------------------


def vignettes(n: int, seed: int, path: Path, *, labelled: bool) -> None:
    """``n`` generated vignettes to Parquet: with the ``label`` column (training), or as
    cases to score (an ``id`` column, no labels), in row groups of 131,072 rows."""
    import pyarrow.parquet as pq

    from backclf.synth.sampler import GenerationConfig, sample_rows, sample_table

    table = sample_table(sample_rows(GenerationConfig(seed=seed), 0, n))
    if labelled:
        table = table.drop_columns(["case_id", *(c for c in GENERATED if c != "label")])
    else:
        table = table.drop_columns(GENERATED)
        table = table.rename_columns(["id" if c == "case_id" else c for c in table.column_names])
    pq.write_table(table, path, row_group_size=131_072)


def measured(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one fresh process,
    from ``os.wait4`` (this process alone, threads included). Started with ``posix_spawn``
    (no copy of this process's memory: a forked child's peak RSS would count the tables this
    script holds until it calls ``exec``)."""
    start = time.perf_counter()
    devnull = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    pid = os.posix_spawn(command[0], command, os.environ, file_actions=devnull)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:3]}... exited with {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _in_child(*args: str) -> str:
    result = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True)
    return result.stdout.decode().strip()


def compare(n: int, tmp: Path, model: Path, repeat: int) -> None:
    cases = tmp / f"cases{n}.parquet"
    _in_child("cases", str(n), str(cases))
    commands = {
        "backclf predict": [BACKCLF, "predict", "-i", str(cases), "-o", str(tmp / "b.parquet")],
        "peer (pandas + scikit-learn)": [
            sys.executable,
            __file__,
            "score",
            str(model),
            str(cases),
            str(tmp / "p.parquet"),
        ],
    }
    runs: dict[str, list[tuple[float, float, float]]] = {label: [] for label in commands}
    loads = [os.getloadavg()[0]]
    for _ in range(repeat):
        for label, command in commands.items():
            runs[label].append(measured(command))
        loads.append(os.getloadavg()[0])
    medians = {
        label: [statistics.median(r[k] for r in values) for k in range(3)]
        for label, values in runs.items()
    }
    for label, (wall, cpu, peak) in medians.items():
        print(
            f"{n:,} rows, {label}: wall {wall:.2f} s ({n / wall:,.0f} rows/s), CPU {cpu:.2f} s, "
            f"peak RSS {peak:,.0f} MiB (median of {repeat})"
        )
    (b_wall, b_cpu, b_peak), (p_wall, p_cpu, p_peak) = medians.values()
    print(
        f"  ratio peer / backclf at {n:,}: wall {p_wall / b_wall:.1f}x, CPU {p_cpu / b_cpu:.1f}x, "
        f"peak RSS {p_peak / b_peak:.1f}x (target >= 20x wall, issue 27); load average "
        f"{min(loads):.1f}-{max(loads):.1f}"
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "score":  # the peer's own process
        score_peer(*sys.argv[2:])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "cases":  # tables are made in a child process
        vignettes(int(sys.argv[2]), 1, Path(sys.argv[3]), labelled=False)
        return
    if len(sys.argv) == 5 and sys.argv[1] == "train":
        vignettes(int(sys.argv[2]), 2, Path(sys.argv[3]), labelled=True)
        print(f"{train_peer(Path(sys.argv[3]), Path(sys.argv[4])):.1f}")
        return
    import compileall
    from importlib.util import find_spec

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="500000,1000000", help="sizes, comma-separated")
    parser.add_argument("--train", type=int, default=100_000, help="vignettes to train the peer")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # As an installed wheel's would be (see bench_predict.py): no recompiling per process.
    compileall.compile_dir(Path(find_spec("backclf").origin).parent, quiet=1)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        # This process stays small: a spawned child's peak RSS counts its parent's memory
        # until it calls exec, so the tables are made and the peer trained in children.
        seconds = _in_child(
            "train", str(args.train), str(tmp / "train.parquet"), str(tmp / "peer.joblib")
        )
        print(f"peer trained on {args.train:,} vignettes in {seconds} s (not timed below)")
        for n in (int(size) for size in args.rows.split(",")):
            compare(n, tmp, tmp / "peer.joblib", args.repeat)


if __name__ == "__main__":
    main()
