"""The deployment files, checked offline (no Docker engine, no cluster).

yamllint over ``deploy/``; both compose files against the compose spec; the names and
environment variables compose and Kubernetes give each service against the code
(``ServiceSettings``, the ``shegong.services`` entry points); every kustomize overlay
rendered and validated against Kubernetes 1.32's strict schemas; the containers' probes,
resources and security context; a one-shot migrate step (compose service, Kubernetes Job)
before every service; no literal Secret outside the dev overlay; the Dockerfile.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml

from shegong.console.settings import ConsoleSettings
from shegong.kernel.ops.settings import ServiceSettings
from shegong.matching.settings import MatchingSettings
from shegong.registry.main import RegistrySettings
from shegong.training.main import TrainingSettings

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILES = ["compose.yaml", "compose.department.yaml"]
OVERLAYS = sorted(p.name for p in (DEPLOY / "k8s" / "overlays").iterdir() if p.is_dir())
K8S_VERSION = "1.32"
# FastStream's default graceful timeout for a broker (the kernel does not change it).
BROKER_GRACEFUL_TIMEOUT_S = 15
# Every variable a service reads is a ServiceSettings field, except OpenTelemetry's
# standard ones (read by kernel/tracing.py and the OTel SDK). Add a name here (with where
# it is read) if a service ever reads another one outside the settings.
DOCUMENTED_EXTRAS: frozenset[str] = frozenset(
    {
        "OTEL_TRACES_EXPORTER",
        "OTEL_SERVICE_NAME",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_TRACES_SAMPLER",
        "OTEL_TRACES_SAMPLER_ARG",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
    }
)
# Every service's settings: the shared ones and each service's own (REGISTRY_CENSUS …).
KNOWN_ENV = (
    frozenset(
        name.upper()
        for settings in (ServiceSettings, RegistrySettings, TrainingSettings, MatchingSettings)
        for name in settings.model_fields
    )
    | DOCUMENTED_EXTRAS
)
# Set for every service in compose and Kubernetes (the rest have working defaults).
REQUIRED_ENV = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "PII_HASH_KEY",
        "HOST",
        "PORT",
        "DEPARTMENT",
        "CONSUMER_NAME",
        "API_KEYS",  # a service on 0.0.0.0 without keys refuses to start
    }
)
SECRET_ENV = frozenset({"DATABASE_URL", "REDIS_URL", "PII_HASH_KEY", "API_KEYS"})
SECRET_NAME = "shegong-secrets"
SERVICES = frozenset(ep.name for ep in entry_points(group="shegong.services"))
# Web front-ends (the console) read the services over HTTP: no database, no Redis, no
# hashing key; their own settings, a session secret from the Secret.
WEB = frozenset(
    ep.name for ep in entry_points(group="shegong.services") if ep.load().extras.get("web")
)
WEB_KNOWN_ENV = frozenset(name.upper() for name in ConsoleSettings.model_fields)
WEB_REQUIRED_ENV = frozenset({"HOST", "PORT"})
WEB_SECRET_ENV = frozenset({"SESSION_SECRET"})
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
RUN_TO_COMPLETION = {"Job", "CronJob"}
MIGRATE_SUFFIX = "-migrate"


def _tool(name: str) -> str:
    """A validator from the workspace venv (or PATH); skip when it is not installed."""
    venv_bin = str(Path(sys.executable).parent)
    found = shutil.which(name, path=os.pathsep.join([venv_bin, os.environ.get("PATH", "")]))
    if found is None:
        pytest.skip(f"{name} is not installed (it is a dev dependency: uv sync)")
    return found


def _run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def _compose(name: str) -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / name).read_text())


def _shegong_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services that run a shegong service (not Redis, PostgreSQL or the
    one-shot migrate steps)."""
    return {
        name: svc
        for name, svc in compose["services"].items()
        if "build" in svc and not name.endswith(MIGRATE_SUFFIX)
    }


def _migrate_steps(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``<service>-migrate`` one-shot services, by the service they migrate."""
    return {
        name.removesuffix(MIGRATE_SUFFIX): svc
        for name, svc in compose["services"].items()
        if name.endswith(MIGRATE_SUFFIX)
    }


@cache
def _rendered(target: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH: cannot render the kustomize overlays offline")
    path = DEPLOY / "k8s" / target
    result = _run([kubectl, "kustomize", str(path)])
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _render_text(target: str) -> str:
    return yaml.safe_dump_all(_rendered(target), sort_keys=False)


def _pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    specs = []
    for doc in docs:
        if doc["kind"] not in WORKLOAD_KINDS:
            continue
        template = doc["spec"]["template"]
        if doc["kind"] == "CronJob":
            template = doc["spec"]["jobTemplate"]["spec"]["template"]
        specs.append((f"{doc['kind']}/{doc['metadata']['name']}", template["spec"]))

    return specs


def _shegong_deployments(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        doc
        for doc in docs
        if doc["kind"] == "Deployment"
        and any("shegong" in c["image"] for c in doc["spec"]["template"]["spec"]["containers"])
    ]


# ---------------------------------------------------------------- YAML and compose


def test_yamllint_passes_over_deploy() -> None:
    result = _run([_tool("yamllint"), "-c", str(DEPLOY / ".yamllint"), "-s", str(DEPLOY)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_file_matches_the_compose_spec(name: str) -> None:
    args = [_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec"]
    result = _run([*args, str(DEPLOY / name)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_depends_on_names_defined_services(name: str) -> None:
    compose = _compose(name)
    defined = set(compose["services"])
    for service, spec in compose["services"].items():
        depends = spec.get("depends_on", {})
        names = set(depends)
        assert names <= defined, f"{name}: {service} depends on undefined {names - defined}"
        if isinstance(depends, dict):
            for dep, cond in depends.items():
                if dep.endswith(MIGRATE_SUFFIX):
                    want = "service_completed_successfully"
                    assert cond.get("condition") == want, f"{name}: {service} → {dep}: {cond}"
                    continue
                want = "service_healthy"
                assert cond.get("condition") == want, f"{name}: {service} → {dep}: {cond}"
                assert "healthcheck" in compose["services"][dep], (
                    f"{name}: {dep} has no healthcheck"
                )


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_services_exist_and_set_the_settings_they_read(name: str) -> None:
    services = _shegong_services(_compose(name))
    assert services, f"{name} runs no shegong service"
    for service, spec in services.items():
        assert service in SERVICES, f"{name}: {service} is not a shegong service ({SERVICES})"
        assert spec["build"]["args"]["SERVICE"] == service
        assert spec["build"]["dockerfile"] == "deploy/Dockerfile"
        env = spec["environment"]
        assert isinstance(env, dict), f"{name}: {service}: use the mapping form of environment"
        assert "healthcheck" in spec and "/health" in str(spec["healthcheck"]["test"])
        assert "stop_grace_period" in spec
        if service in WEB:
            assert not set(env) - WEB_KNOWN_ENV, f"{name}: {service} sets {set(env)}"
            assert not WEB_REQUIRED_ENV - set(env), f"{name}: {service} misses settings"
            continue
        unknown = set(env) - KNOWN_ENV
        assert not unknown, f"{name}: {service} sets {unknown}, which no setting reads"
        missing = REQUIRED_ENV - set(env)
        assert not missing, f"{name}: {service} does not set {missing}"
        assert "${PII_HASH_KEY:?" in str(env["PII_HASH_KEY"]), "PII_HASH_KEY needs a :? guard"
        assert "${API_KEYS:?" in str(env["API_KEYS"]), "API_KEYS needs a :? guard"
        assert env.get("SCHEMA_ON_START") == "check", f"{name}: {service} must not migrate"


@pytest.mark.parametrize("name", COMPOSE_FILES)
def test_compose_migrates_each_service_once_before_it_starts(name: str) -> None:
    compose = _compose(name)
    services, steps = _shegong_services(compose), _migrate_steps(compose)
    databased = {s for s in services if s not in WEB}
    assert set(steps) == databased, f"{name}: migrate steps {set(steps)} ≠ {databased}"
    for service, step in steps.items():
        where = f"{name}: {service}{MIGRATE_SUFFIX}"
        assert step["build"]["args"]["SERVICE"] == service, where
        assert step["image"] == services[service]["image"], f"{where}: not the service's image"
        assert step["command"] == ["python", "-m", f"shegong.{service}", "migrate"], where
        assert step["restart"] == "no", where
        env = step["environment"]
        assert not set(env) - KNOWN_ENV, f"{where} sets {set(env) - KNOWN_ENV}"
        assert env["DATABASE_URL"] == services[service]["environment"]["DATABASE_URL"], where
        depends = services[service]["depends_on"]
        wanted = {"condition": "service_completed_successfully"}
        assert depends[f"{service}{MIGRATE_SUFFIX}"] == wanted, where


def test_department_node_uses_its_own_department_and_the_city_redis() -> None:
    registry = _compose("compose.department.yaml")["services"]["registry"]
    env = registry["environment"]
    assert env["DEPARTMENT"] != "city"
    assert env["REDIS_URL"].startswith("${REDIS_URL:?"), "the city's Redis comes from the env"
    assert "@postgres:" in env["DATABASE_URL"], "the department keeps its own database"
    assert "redis" not in _compose("compose.department.yaml")["services"]


def test_every_service_has_its_database_in_both_init_scripts() -> None:
    compose_sql = (DEPLOY / "postgres" / "init.sql").read_text()
    dev_sql = (DEPLOY / "k8s" / "overlays" / "dev" / "postgres-init.sql").read_text()
    assert compose_sql == dev_sql, "deploy/postgres/init.sql and the dev overlay's copy differ"
    created = set(re.findall(r"CREATE DATABASE (\w+);", compose_sql))
    assert created >= SERVICES - WEB, f"no database for {SERVICES - WEB - created}"


# ---------------------------------------------------------------- Kubernetes


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_validates_strictly(overlay: str) -> None:
    manifest = _render_text(f"overlays/{overlay}")
    validate = [_tool("kubernetes-validate"), "--strict", "-k", K8S_VERSION, "-"]
    result = _run(validate, stdin=manifest)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("target", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_every_container_has_probes_resources_and_runs_as_non_root(target: str) -> None:
    specs = _pod_specs(_rendered(target))
    assert specs
    for workload, pod in specs:
        pod_sc = pod.get("securityContext", {})
        for c in pod["containers"]:
            where = f"{target}: {workload}/{c['name']}"
            if workload.split("/")[0] not in RUN_TO_COMPLETION:
                assert "livenessProbe" in c, f"{where}: no liveness probe"
                assert "readinessProbe" in c, f"{where}: no readiness probe"
            res = c.get("resources", {})
            assert res.get("requests") and res.get("limits", {}).get("memory"), where
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where


@pytest.mark.parametrize("target", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_service_deployments_match_the_code(target: str) -> None:
    docs = _rendered(target)
    deployments = _shegong_deployments(docs)
    assert deployments
    configmaps = {
        d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"
    }
    k8s_services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    for dep in deployments:
        name = dep["metadata"]["name"]
        assert name in SERVICES, f"{target}: Deployment {name} is not a shegong service"
        assert name in k8s_services, f"{target}: no Service for {name}"
        pod = dep["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > BROKER_GRACEFUL_TIMEOUT_S
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        (container,) = pod["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["startupProbe"]["httpGet"]["path"] == "/health"
        env = {e["name"]: e for e in container.get("env", [])}
        if name in WEB:
            assert not container.get("envFrom"), f"{target}: {name}: settings it reads only"
            assert not set(env) - WEB_KNOWN_ENV, f"{target}: {name} sets {set(env)}"
            assert not WEB_REQUIRED_ENV - set(env), f"{target}: {name} misses settings"
            for secret in WEB_SECRET_ENV:
                assert "secretKeyRef" in env[secret].get("valueFrom", {}), f"{name}: {secret}"
            continue
        from_maps = set()
        for source in container.get("envFrom", []):
            assert "configMapRef" in source, f"{target}: {name}: envFrom only from ConfigMaps"
            from_maps |= set(configmaps[source["configMapRef"]["name"]])
        names = set(env) | from_maps
        assert not names - KNOWN_ENV, f"{target}: {name} sets {names - KNOWN_ENV}"
        assert not REQUIRED_ENV - names, f"{target}: {name} does not set {REQUIRED_ENV - names}"
        consumer = env["CONSUMER_NAME"]["valueFrom"]["fieldRef"]["fieldPath"]
        assert consumer == "metadata.name"
        for secret in SECRET_ENV:
            assert "secretKeyRef" in env[secret].get("valueFrom", {}), f"{name}: {secret}"
            assert secret not in from_maps, f"{target}: {secret} is in a ConfigMap"


@pytest.mark.parametrize("target", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_each_service_has_a_migrate_job_with_its_image_and_database(target: str) -> None:
    docs = _rendered(target)
    jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
    configmaps = {
        d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"
    }
    for dep in _shegong_deployments(docs):
        name = dep["metadata"]["name"]
        if name in WEB:
            continue  # no database to migrate
        job = jobs.get(f"{name}{MIGRATE_SUFFIX}")
        assert job is not None, f"{target}: no Job {name}{MIGRATE_SUFFIX}"
        (app,) = dep["spec"]["template"]["spec"]["containers"]
        pod = job["spec"]["template"]["spec"]
        (step,) = pod["containers"]
        assert pod["restartPolicy"] in {"OnFailure", "Never"}
        assert step["image"] == app["image"], f"{target}: {name}: the Job runs another image"
        assert step["command"] == ["python", "-m", f"shegong.{name}", "migrate"]
        app_env = {e["name"]: e for e in app.get("env", [])}
        job_env = {e["name"]: e for e in step.get("env", [])}
        assert job_env["DATABASE_URL"] == app_env["DATABASE_URL"], f"{target}: {name}"
        settings = {
            k: v
            for source in app.get("envFrom", [])
            for k, v in configmaps[source["configMapRef"]["name"]].items()
        }
        schema = app_env.get("SCHEMA_ON_START", {}).get("value", settings.get("SCHEMA_ON_START"))
        assert schema == "check", f"{target}: {name} must wait for the Job, not migrate"


@pytest.mark.parametrize("target", ["base", "overlays/prod"])
def test_no_literal_secret_outside_dev(target: str) -> None:
    docs = _rendered(target)
    secrets = [d["metadata"]["name"] for d in docs if d["kind"] == "Secret"]
    assert not secrets, f"{target} holds Secret(s) {secrets}: create them outside the repo"
    for workload, pod in _pod_specs(docs):
        for c in pod["containers"]:
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("secretKeyRef")
                if e["name"] in SECRET_ENV | WEB_SECRET_ENV:
                    assert ref is not None, f"{target}: {workload}: {e['name']} is a literal"
                if ref is not None:
                    assert ref["name"] == SECRET_NAME, f"{target}: {workload}: {ref}"


def test_dev_secret_values_are_obviously_dev() -> None:
    (secret,) = [d for d in _rendered("overlays/dev") if d["kind"] == "Secret"]
    assert secret["metadata"]["name"].startswith(SECRET_NAME)
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    for key, value in values.items():
        assert "dev-only" in value, f"dev Secret {key} does not look like a dev value"
    databases = {f"{s}-database-url" for s in SERVICES - WEB}
    redis = {f"{s}-redis-url" for s in SERVICES - WEB}
    assert databases | redis | {"pii-hash-key", "api-keys"} <= set(values)
    assert {f"{s}-session-secret" for s in WEB} <= set(values)


def test_dev_runs_redis_and_postgres_in_the_cluster_prod_does_not() -> None:
    def statefulsets(target: str) -> set[str]:
        return {d["metadata"]["name"] for d in _rendered(target) if d["kind"] == "StatefulSet"}

    assert statefulsets("overlays/dev") == {"redis", "postgres"}
    assert statefulsets("overlays/prod") == set()
    dev = {d["kind"] + "/" + d["metadata"]["name"]: d for d in _rendered("overlays/dev")}
    for name in ("redis", "postgres"):
        assert dev[f"StatefulSet/{name}"]["spec"]["volumeClaimTemplates"], f"{name} has no PVC"


def test_prod_runs_replicas_behind_a_disruption_budget() -> None:
    docs = _rendered("overlays/prod")
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    for dep in _shegong_deployments(docs):
        assert dep["spec"]["replicas"] >= 2
        labels = dep["spec"]["template"]["metadata"]["labels"]
        covering = [
            p for p in pdbs if p["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert covering, f"no PodDisruptionBudget for {dep['metadata']['name']}"


# ---------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_builds_from_the_lock_and_runs_non_root_with_a_health_check() -> None:
    instructions = _dockerfile_instructions()
    stages = [rest for kw, rest in instructions if kw == "FROM"]
    assert len(stages) >= 2, "multi-stage: a builder and a slim runtime"
    runs = " ".join(rest for kw, rest in instructions if kw == "RUN")
    assert "uv sync --locked" in runs and "--no-dev" in runs
    assert '--package "shegong-${SERVICE}"' in runs
    assert any(kw == "COPY" and "--from=ghcr.io/astral-sh/uv:" in rest for kw, rest in instructions)
    assert any(kw == "ENV" and "UV_COMPILE_BYTECODE=1" in rest for kw, rest in instructions)
    # Everything after the last FROM is the runtime image.
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    runtime = instructions[last_from:]
    users = [rest for kw, rest in runtime if kw == "USER"]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, f"runs as {user}"
    assert any(kw == "HEALTHCHECK" and "/health" in rest for kw, rest in runtime)
    assert any(kw == "EXPOSE" for kw, _ in runtime)
    (cmd,) = [rest for kw, rest in runtime if kw == "CMD"]
    assert cmd.startswith("[") and "exec python -m" in cmd and "shegong.${SERVICE}" in cmd
