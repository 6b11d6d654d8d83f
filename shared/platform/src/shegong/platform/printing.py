"""What the ``shegong`` command prints, and how: rich consoles made on first use, text
printed as text (round 12), and the clear exit every refusal ends in."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich Console made on first use: ``shegong --help`` never loads rich's printing."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def lazy_console(**options: Any) -> Console:
    return cast("Console", _LazyConsole(**options))


# Piped or captured output is not cut to 80 columns (a reason in a table stays whole).
# No markup, no emoji codes (round 12): what is printed holds names any department typed,
# and rich read ``[link=https://…]陈建国[/link]`` in one as a hyperlink to anywhere shown as
# 陈建国 (OSC 8), and ``[/]王五`` ended ``shegong census review`` with a MarkupError.
_PLAIN = {"soft_wrap": True, "markup": False, "emoji": False}
out = lazy_console(**_PLAIN, width=None if sys.stdout.isatty() else 160)
err = lazy_console(stderr=True, **_PLAIN, width=None if sys.stderr.isatty() else 160)


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(message, style="bold red", markup=False, highlight=False)
    raise typer.Exit(code)
