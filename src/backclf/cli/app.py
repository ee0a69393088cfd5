"""The ``backclf`` command line: thin adapters over the library.

Results go to stdout (JSON, or the readable view at a terminal); diagnostics go to stderr.
Exit codes: 0 ok; 2 usage error; 65 invalid data (some case could not be assessed); 66
unreadable input (missing file, wrong file type, empty input, missing or broken model file);
73 the output cannot be written. Heavy imports happen inside the commands that need them.

Start-up matters (apps run ``backclf predict`` once per case), so the program builds only the
command it runs (:mod:`backclf.cli.on_demand`), and annotations here are plain objects, not
strings: Typer would otherwise ``eval`` each one on every start.
"""

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from backclf import __version__
from backclf.cli.finding_options import with_finding_options
from backclf.cli.on_demand import OnDemandCommands, on_demand

EXIT_USAGE, EXIT_NOINPUT = 2, 66


app = typer.Typer(
    name="backclf",
    cls=OnDemandCommands,
    help="What is causing this sudden lower back soreness, and what should the person do now? "
    "Information from a health article, not a diagnosis.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    json = "json"
    text = "text"


class OutputFormat(StrEnum):
    json = "json"
    pretty = "pretty"


def _fail(message: str, code: int) -> typer.Exit:
    print(f"backclf: error: {message}", file=sys.stderr)
    return typer.Exit(code)


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _version(value: bool) -> None:
    if value:
        print(f"backclf {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """The likely cause of sudden lower back soreness, red flags, and the article's advice."""


# -- causes, redflags, schema ----------------------------------------------------------------


@app.command()
def causes(fmt: Annotated[Format, typer.Option("--format")] = Format.text) -> None:
    """The article's five causes with their advice and medicines."""
    from backclf import knowledge

    article = knowledge.article()
    if fmt is Format.json:
        _print_json([c.model_dump() for c in article.causes])
        return
    for c in article.causes:
        print(f"{c.number}. {c.name} ({c.id}) - default triage: {c.default_triage}")
        print(f"   {c.mechanism}")
        for line in c.advice:
            print(f"   Advice: {line}")
        print()
    print(article.infection_rule)
    print(article.disclaimer)


@app.command()
def redflags(fmt: Annotated[Format, typer.Option("--format")] = Format.text) -> None:
    """The red-flag rules that override the model, with their sources."""
    from backclf import knowledge

    rules = knowledge.red_flag_rules().rules
    if fmt is Format.json:
        _print_json([r.model_dump() for r in rules])
        return
    for r in rules:
        print(f"{r.id} -> {r.level} ({r.suspect})")
        print(f"   when: {json.dumps(r.when)}")
        print(f"   {r.message}")
        print(f"   source: {r.source}")


@app.command()
def questions(fmt: Annotated[Format, typer.Option("--format")] = Format.text) -> None:
    """Every question's fixed wording: what `predict --lean` leaves out of each record."""
    from backclf.core.questions import question_wording

    wording = question_wording()
    if fmt is Format.json:
        _print_json(wording)
        return
    checklist = wording["checklist"]
    print(f"{checklist['question']} ({checklist['why']})")
    for group in checklist["groups"]:
        print(f"  {group['title']}")
        for finding in group["findings"]:
            print(f"    {finding}: {checklist['items'][finding]}")
    for finding, question in wording["questions"].items():
        print(f"{finding}: {question['question']}")


@app.command()
def schema(
    which: Annotated[str, typer.Argument(help="input, output or both")] = "both",
) -> None:
    """JSON Schema of the input contract (findings) and of the assessment output."""
    from backclf.contract.assessment import Assessment, ErrorRecord
    from backclf.contract.findings import Case

    schemas = {
        "input": Case.model_json_schema(),
        "output": Assessment.model_json_schema(),
        "error": ErrorRecord.model_json_schema(),
    }
    if which not in ("input", "output", "both"):
        raise _fail("schema takes input, output or both", EXIT_USAGE)
    _print_json(schemas if which == "both" else schemas[which])


# -- explain ---------------------------------------------------------------------------------


@app.command()
def explain(
    model_path: Annotated[
        Optional[Path], typer.Option("--model", help="Model file (default: the packaged champion).")
    ] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.text,
    top: Annotated[int, typer.Option(help="Findings shown per cause.")] = 6,
) -> None:
    """The model in words: each cause's strongest findings, the points table or the tree's rules."""
    from backclf.core.explain import describe
    from backclf.core.model import ModelFileError, load_model

    try:
        model = load_model(model_path)
    except ModelFileError as exc:
        raise _fail(str(exc), EXIT_NOINPUT) from None
    described = describe(model, top)
    if fmt is Format.json:
        _print_json(described)
    else:
        print("\n".join(described["text"]))


# -- generate --------------------------------------------------------------------------------

_KNOB = "Default: the generator's own, the same as params.yaml's generate.knobs."


@app.command()
def generate(
    n: Annotated[int, typer.Option(min=0, help="How many vignettes.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[Path, typer.Option(help="Parquet file to write.")] = Path("vignettes.parquet"),
    missing_rate: Annotated[Optional[float], typer.Option(min=0, max=0.99, help=_KNOB)] = None,
    atypical_rate: Annotated[Optional[float], typer.Option(min=0, max=0.99, help=_KNOB)] = None,
    red_flag_rate: Annotated[Optional[float], typer.Option(min=0, max=0.99, help=_KNOB)] = None,
    label_noise: Annotated[Optional[float], typer.Option(min=0, max=0.5, help=_KNOB)] = None,
    priors: Annotated[
        Optional[str],
        typer.Option(help="Class priors as JSON, e.g. '{\"pyelonephritis\": 0.3, ...}'"),
    ] = None,
    text: Annotated[
        Optional[str],
        typer.Option(help="Add narrative text from this template family: train or heldout."),
    ] = None,
    chunk_size: Annotated[int, typer.Option(min=1)] = 100_000,
) -> None:
    """Generate labelled synthetic vignettes (Parquet) and print a summary."""
    from backclf.cli.generate import run_generate

    try:
        prior_map = json.loads(priors) if priors else None
        knobs = {
            "missing_rate": missing_rate,
            "atypical_rate": atypical_rate,
            "red_flag_rate": red_flag_rate,
            "label_noise": label_noise,
            "priors": prior_map,
        }
        given = {name: value for name, value in knobs.items() if value is not None}
        run_generate(n=n, seed=seed, out=out, text=text, chunk_size=chunk_size, **given)
    except (ValueError, json.JSONDecodeError) as exc:
        raise _fail(str(exc), EXIT_USAGE) from None


# -- predict ---------------------------------------------------------------------------------


def predict(
    input_path: Annotated[
        Optional[str],
        typer.Option("--input", "-i", help="JSON, JSON Lines, CSV or Parquet file; - for stdin."),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write results here (.jsonl, .csv, .parquet)."),
    ] = None,
    fmt: Annotated[
        Optional[OutputFormat],
        typer.Option(
            "--format", help="json (one line per case) or pretty; default: pretty at a terminal."
        ),
    ] = None,
    text: Annotated[
        Optional[str], typer.Option("--text", help="The person's own words (needs the text extra).")
    ] = None,
    model_path: Annotated[
        Optional[Path], typer.Option("--model", help="Model file (default: the packaged champion).")
    ] = None,
    lean: Annotated[
        bool,
        typer.Option(
            "--lean",
            help="JSON Lines without the questions' fixed wording (see `backclf questions`).",
        ),
    ] = False,
    **findings: Any,
) -> None:
    """Assess cases: likely cause, differential, why, red flags, triage and the article's advice.

    Findings come from flags (one case), --input (JSON, JSON Lines, CSV, Parquet) or stdin.
    """
    from backclf.cli.predict import run_predict

    code = run_predict(
        input_path=input_path,
        output=output,
        fmt=fmt.value if fmt else None,
        text=text,
        model_path=model_path,
        flags={k: v for k, v in findings.items() if v is not None},
        lean=lean,
    )
    raise typer.Exit(code)


app.command("predict")(with_finding_options(predict))


# -- interview -------------------------------------------------------------------------------


@app.command()
def interview(
    text: Annotated[
        Optional[str], typer.Option("--text", help="Start from the person's own words.")
    ] = None,
    case: Annotated[
        Optional[str],
        typer.Option("--case", help="Start from a case: a JSON object of findings, or its file."),
    ] = None,
    transcript: Annotated[
        Optional[Path],
        typer.Option(help="Save the questions, answers and final assessment here (JSON)."),
    ] = None,
    model_path: Annotated[
        Optional[Path], typer.Option("--model", help="Model file (default: the packaged champion).")
    ] = None,
) -> None:
    """Ask the person at the terminal: red flags first, then what best settles the cause.

    Apps use `predict --format json` and answer each assessment's next_questions instead.
    """
    from backclf.cli.interview import run_interview

    raise typer.Exit(run_interview(text, case, transcript, model_path))


# -- serve -----------------------------------------------------------------------------------

EXIT_UNAVAILABLE = 69  # sysexits' EX_UNAVAILABLE: the serve extra is not installed


# Long on purpose: a Typer command declares its options in its signature; 13 options take
# 45 of its lines, the body 25.
@app.command()
def serve(
    # Plain annotations, options as defaults: Typer evaluates every command's annotations at
    # every start; these cost 1.4 ms of CPU there, Annotated[...] ones 3.1 ms (min of 60).
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on (loopback by default; 0.0.0.0 for all)."
    ),
    port: int = typer.Option(8000, min=0, max=65535),
    model_path: Optional[Path] = typer.Option(
        None, "--model", help="Model file (default: the packaged champion)."
    ),
    workers: int = typer.Option(1, min=1, help="Processes sharing the port."),
    max_body_bytes: Optional[int] = typer.Option(
        None, min=1, help="Largest request body accepted (default 16 MiB)."
    ),
    max_batch: Optional[int] = typer.Option(
        None, min=1, help="Most cases per batch request (default 10,000)."
    ),
    max_connections: Optional[int] = typer.Option(
        None, min=1, help="Open connections held per process (default 1,024)."
    ),
    max_requests: Optional[int] = typer.Option(
        None, min=1, help="Requests handled at once per process; more get 503 (default 512)."
    ),
    header_timeout: Optional[float] = typer.Option(
        None, min=0.1, help="Seconds a client may take to send a request's headers (default 10)."
    ),
    body_timeout: Optional[float] = typer.Option(
        None, min=0.1, help="Seconds a client may take to send a request's body (default 30)."
    ),
    keep_alive_timeout: Optional[float] = typer.Option(
        None, min=0.1, help="Seconds an idle connection is kept open (default 5)."
    ),
    allowed_host: Optional[list[str]] = typer.Option(
        None,
        help="Host header answered (repeat for more; '*.example.org', '*' for any). "
        "Default: loopback names only (127.0.0.1, localhost, ::1).",
    ),
    access_log: bool = typer.Option(
        False, help="Log each request: client address, method, path, status (off by default)."
    ),
) -> None:
    """Serve assessments over HTTP: POST /assess, POST /assess/batch (needs the serve extra).

    The same answers as `backclf predict`; OpenAPI at /docs. Stops gracefully on Ctrl-C or
    SIGTERM, letting requests in progress finish.
    """
    try:
        from backclf.serve.app import Settings
        from backclf.serve.server import run
    except ImportError as exc:
        if exc.name not in ("fastapi", "uvicorn", "starlette", "fastapi_offline"):
            raise
        raise _fail(
            "backclf serve needs the serve extra: pip install 'backclf[serve]'", EXIT_UNAVAILABLE
        ) from None
    given = {
        "max_body_bytes": max_body_bytes,
        "max_batch": max_batch,
        "max_connections": max_connections,
        "max_requests": max_requests,
        "header_timeout": header_timeout,
        "body_timeout": body_timeout,
        "keep_alive_timeout": keep_alive_timeout,
        "allowed_hosts": tuple(allowed_host) if allowed_host else None,
    }
    try:
        settings = Settings(model_path, **{k: v for k, v in given.items() if v is not None})
    except ValueError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    raise typer.Exit(run(settings, host, port, workers, access_log))


on_demand(app)  # last: every command above is built only when it is run or listed
