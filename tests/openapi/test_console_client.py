"""The console's typed client (``shegong.console.api``) is what the services' published
OpenAPI documents give for the routes the console reads: a service whose answer changes
shape fails here until the client is regenerated (and then the console's pages, type-checked
against the new models, show what the change breaks)."""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from shegong.console.api import generate
from shegong.console.api import registry as registry_api


@pytest.mark.parametrize("service", sorted(generate.READS))
def test_the_consoles_client_is_generated_from_the_published_documents(service: str) -> None:
    committed = (generate.HERE / f"{service}.py").read_text(encoding="utf-8")
    assert generate.render(service, generate.published(service)) == committed, (
        f"services/console/src/shegong/console/api/{service}.py is stale: regenerate it with "
        "`uv run python -m shegong.console.api.generate`"
    )


def _census_status_without_persons() -> dict[str, Any]:
    doc = copy.deepcopy(generate.published("registry"))
    schema = doc["components"]["schemas"]["CensusStatus"]
    del schema["properties"]["persons"]
    schema["required"].remove("persons")
    return doc


def test_a_field_the_console_reads_removed_from_a_service_fails_the_client_check() -> None:
    committed = (generate.HERE / "registry.py").read_text(encoding="utf-8")
    changed = generate.render("registry", _census_status_without_persons())
    assert changed != committed
    # The regenerated model no longer has it: the pages that read it fail to type-check.
    namespace: dict[str, Any] = {}
    exec(compile(changed, "registry_changed.py", "exec"), namespace)
    assert "persons" not in namespace["CensusStatus"].model_fields
    assert "persons" in registry_api.CensusStatus.model_fields


def test_the_client_reads_what_a_service_answers_and_refuses_another_shape() -> None:
    body = {
        "as_of": {"census_version": 3, "computed_at": "2026-01-01T00:00:00", "positions": {}},
        "in_review": 1,
        "persons": 2,
        "records": 3,
    }
    read = registry_api.GET_CENSUS_STATUS.validate(body)
    assert (read.persons, read.as_of.census_version) == (2, 3)
    # A key the console does not know yet (a service deployed before the console) is fine.
    assert registry_api.GET_CENSUS_STATUS.validate({**body, "new_figure": 9}).records == 3
    with pytest.raises(ValidationError):
        registry_api.GET_CENSUS_STATUS.validate({k: v for k, v in body.items() if k != "persons"})


def test_every_route_the_console_reads_answers_json_in_the_published_document() -> None:
    for service, reads in generate.READS.items():
        doc = generate.published(service)
        module = importlib.import_module(f"shegong.console.api.{service}")
        for read in reads:
            generate.answer_schema(doc, service, read)  # raises when not documented
            op = getattr(module, generate.constant(read))
            assert f"{op.method} {op.path}" == read
    missing = copy.deepcopy(generate.published("training"))
    del missing["paths"]["/exams"]
    with pytest.raises(generate.GenerationError, match="GET /exams"):
        generate.render("training", missing)


def test_the_console_loads_no_services_code() -> None:
    """The console reads the services over HTTP with models generated from their published
    documents: deployed alone, it needs none of their packages (nor the kernel's)."""
    probe = (
        "import json, sys; import shegong.console.main, shegong.console.api.registry, "
        "shegong.console.api.training, shegong.console.api.matching; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    services = ("shegong.registry", "shegong.training", "shegong.matching", "shegong.kernel")
    assert [m for m in json.loads(done.stdout) if m.startswith(services)] == []
