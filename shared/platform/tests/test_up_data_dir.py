"""``shegong up`` finds its data dir as every other command does: ``--data-dir``, else
``SHEGONG_DATA_DIR``, else ``./.shegong`` (``status`` and the CLI read it so; ``up`` used
to ignore the variable and start a second platform in ``./.shegong``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shegong.platform import cli


class Started(Exception):
    """Where ``up`` would have started the platform."""


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> None:
    def platform(data_dir: Path, log_level: str = "INFO") -> None:
        raise Started(data_dir)

    monkeypatch.setattr(cli, "_platform", platform)


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, Path(".shegong")),
        ([], {"SHEGONG_DATA_DIR": "/srv/city"}, Path("/srv/city")),
        (["--data-dir", "/tmp/here"], {"SHEGONG_DATA_DIR": "/srv/city"}, Path("/tmp/here")),
    ],
)
def test_up_takes_its_data_dir_as_the_other_commands_do(
    started: None, args: list[str], env: dict[str, str], expected: Path
) -> None:
    result = CliRunner().invoke(cli.app, ["up", *args], env={"SHEGONG_DATA_DIR": "", **env})
    assert isinstance(result.exception, Started), result.output
    assert result.exception.args == (expected,)
