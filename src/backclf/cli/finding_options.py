"""The ``predict`` command's finding options: one per finding of the contract (``--age 40``,
``--fever/--no-fever``), added to the command's own signature so that Typer lists and parses
them like any other option."""

import inspect
from typing import Any, Optional

import typer

from backclf.contract.fields import FIELDS


def finding_parameters() -> list[inspect.Parameter]:
    """One option per finding of the contract (``--age 40``, ``--fever/--no-fever``)."""
    params = []
    for name, spec in FIELDS.items():
        dashed = name.replace("_", "-")
        words = spec.description or spec.label
        if spec.kind == "bool":
            option = typer.Option(
                None,
                f"--{dashed}/--no-{dashed}",
                help=words,
                rich_help_panel="Findings",
                show_default=False,
            )
            annotation: Any = Optional[bool]
        elif spec.kind == "enum":
            option = typer.Option(
                None,
                f"--{dashed}",
                help=" | ".join(spec.values),
                rich_help_panel="Findings",
                show_default=False,
            )
            annotation = Optional[str]
        else:
            option = typer.Option(
                None, f"--{dashed}", help=words, rich_help_panel="Findings", show_default=False
            )
            annotation = Optional[int] if spec.kind == "int" else Optional[float]
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation
            )
        )
    return params


def with_finding_options(func):
    """``func`` (whose ``**findings`` take the finding options) with one keyword option per
    finding in its signature."""
    signature = inspect.signature(func, eval_str=True)
    fixed = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    fixed = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in fixed]

    def wrapper(**kwargs: Any) -> None:
        own = {p.name: kwargs.pop(p.name) for p in fixed}
        return func(**own, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=fixed + finding_parameters())
    wrapper.__doc__ = func.__doc__
    wrapper.__name__ = func.__name__
    return wrapper
