"""Commands built on demand: start-up matters (apps run ``backclf predict`` once per case), so
the program builds only the command it runs, or those ``backclf --help`` lists."""

from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup
from typer.models import CommandInfo


class OnDemandCommands(TyperGroup):
    """The program's command group: each command (its options, their types) is built the
    first time it is looked up: to run it, or to list it in ``backclf --help``.

    Typer builds every registered command before running any; the commands registered with
    ``@app.command()`` in :mod:`backclf.cli.app` are handed to this group instead
    (:func:`on_demand`).
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands(_DEFERRED, built=self.commands)


class _Commands(MutableMapping[str, Any]):
    """Name -> command, built from its registration on first access, in registration order."""

    def __init__(self, deferred: dict[str, CommandInfo], built: MutableMapping[str, Any]):
        self._deferred = dict(deferred)
        self._built = dict(built)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            info = self._deferred[name]  # KeyError: no such command
            app = _APP[0]  # the program's Typer app, recorded by on_demand
            self._built[name] = typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._built.pop(name, None)
        self._deferred.pop(name)

    def __iter__(self) -> Iterator[str]:
        yield from self._deferred
        yield from (name for name in self._built if name not in self._deferred)

    def __len__(self) -> int:
        return len(self._deferred.keys() | self._built.keys())


#: Commands registered in the program, built on demand by :class:`OnDemandCommands`.
_DEFERRED: dict[str, CommandInfo] = {}
#: The program's app (its settings apply to every command built).
_APP: list[typer.Typer] = []


def on_demand(typer_app: typer.Typer) -> None:
    """Hand the commands registered so far over to the group, which builds them on demand."""
    _APP[:] = [typer_app]
    for info in typer_app.registered_commands:
        name = info.name or typer.main.get_command_name(info.callback.__name__)
        _DEFERRED[name] = info
    typer_app.registered_commands = []
