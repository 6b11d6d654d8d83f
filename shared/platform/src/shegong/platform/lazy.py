"""Sub-commands from entry points, built only when they are named.

Each service contributes its own sub-commands (``shegong registry import-roster``, entry
point group ``shegong.cli``) and its reports (``shegong report workforce``, group
``shegong.reports``). Turning a typer app into click commands reads every function's
signature and evaluates its annotations; doing it for every service at every start was a
third of ``shegong auth whoami``'s CPU. Here a command is built when it is run (or its own
``--help`` is asked for); the list in ``shegong --help`` needs only the modules' help texts.

The modules behind these entry points are loaded at start for that list: they must be
clients (``shegong.platform.client``), importing nothing of their service, the kernel or
the database layer — ``tests/cli/test_fast_start.py`` fails when a command loads them.
"""

from __future__ import annotations

from difflib import get_close_matches
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import typer
from typer.core import TyperGroup

SERVICE_COMMANDS = "shegong.cli"
REPORTS = "shegong.reports"


@cache
def _entry_points(group: str) -> dict[str, EntryPoint]:
    found = entry_points(group=group)
    ordered = sorted(found, key=lambda e: e.name) if group == REPORTS else list(found)
    return {ep.name: ep for ep in ordered}


@cache
def _loaded(group: str, name: str) -> Any:
    return _entry_points(group)[name].load()


def _short_help(target: Any, limit: int) -> str:
    """The first paragraph of a help text, cut at a word to ``limit`` (as click does)."""
    text = target.info.help if isinstance(target, typer.Typer) else target.__doc__
    if not isinstance(text, str):
        return ""
    words = text.strip().split("\n\n")[0].split()
    line = " ".join(words)
    if len(line) <= limit:
        return line
    cut = ""
    for word in words:
        if len(cut) + len(word) + 4 > limit:
            break
        cut = f"{cut} {word}" if cut else word
    return cut + "..."


def _build(target: Any, name: str) -> Any:
    if isinstance(target, typer.Typer):
        return typer.main.get_group(target)
    single = typer.Typer(rich_markup_mode=None, add_completion=False)
    single.command(name)(target)
    return typer.main.get_command(single)


class _EntryPointGroup(TyperGroup):
    """A group whose commands beyond its own come from the entry points of ``group``."""

    group = ""

    def list_commands(self, ctx: Any) -> list[str]:
        own = list(self.commands)
        return own + [n for n in _entry_points(self.group) if n not in self.commands]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in _entry_points(self.group):
            self.commands[cmd_name] = _build(_loaded(self.group, cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except Exception as err:  # click's UsageError: suggest from every command, built or not
            message = getattr(err, "message", None)
            close = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if isinstance(message, str) and close and "Did you mean" not in message:
                suggestions = ", ".join(map(repr, close))
                err.message = f"{message.rstrip('.')}. Did you mean {suggestions}?"  # type: ignore[attr-defined]
            raise

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list of commands, without building the ones not asked for."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            built = self.commands.get(name)
            if built is not None and built.hidden:
                continue
            if built is not None:
                rows.append((name, built.get_short_help_str(limit)))
            else:
                rows.append((name, _short_help(_loaded(self.group, name), limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class ServiceCommands(_EntryPointGroup):
    """``shegong``: its own commands, then each service's (``shegong registry …``)."""

    group = SERVICE_COMMANDS


class ReportCommands(_EntryPointGroup):
    """``shegong report <what>``: the reports each service contributes."""

    group = REPORTS
