"""Each service's OpenAPI document, as published in ``services/<service>/openapi.json``.

``python -m shegong.kernel.web.openapi matching > services/matching/openapi.json`` writes one
(a test fails when a published one differs from the code, as for the AsyncAPI document).
The app is built with throwaway settings in a temporary folder and never started: the
document depends on the code only.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys
import tempfile
from typing import Any

SERVICES = ("registry", "training", "matching")


def openapi_document(service: str) -> dict[str, Any]:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}: one of {', '.join(SERVICES)}")
    from shegong.kernel.ops.settings import ServiceSettings

    main = importlib.import_module(f"shegong.{service}.main")
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(io.StringIO()):
        settings = ServiceSettings(
            database_url=f"sqlite:///{folder}/openapi.db",
            data_dir=folder,
            pii_hash_key="0" * 32,  # type: ignore[arg-type]
        )
        app = main.build(settings)
        return app.openapi()


def render(service: str) -> str:
    return (
        json.dumps(openapi_document(service), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.exit(f"usage: python -m shegong.kernel.web.openapi {{{'|'.join(SERVICES)}}}")
    sys.stdout.write(render(args[0]))


if __name__ == "__main__":
    main()
