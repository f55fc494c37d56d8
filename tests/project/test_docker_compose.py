"""docker-compose.yml and the Dockerfile name code that exists: no Docker needed to check that."""

import ast
import importlib
import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import get_commands
from django.urls import resolve

ROOT = Path(__file__).resolve().parent.parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = ["migrate", "web", "worker", "beat"]
READY = {
    "postgres": "service_healthy",
    "redis": "service_healthy",
    "migrate": "service_completed_successfully",
}
WSGI_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def command(service: str) -> list[str]:
    return argv(SERVICES[service]["command"])


def option(args: list[str], *names: str) -> str:
    """The value given to the first of `names` in `args`, as `-A config` or `--app=config`."""
    for index, arg in enumerate(args):
        if arg in names:
            return args[index + 1]
        name, _, value = arg.partition("=")
        if name in names and value:
            return value
    raise AssertionError(f"none of {names} in {args}")


def source(module: str) -> str:
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    assert spec is not None and spec.origin, f"no module {module}"
    return Path(spec.origin).read_text()


def defines(module: str, name: str) -> bool:
    """Whether `module` assigns or defines `name` at top level, read without importing it."""
    for node in ast.parse(source(module)).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return True
    return False


def assert_wsgi_target(args: list[str]) -> None:
    assert args[0] == "gunicorn", args
    targets = [arg for arg in args[1:] if WSGI_TARGET.match(arg)]
    assert len(targets) == 1, f"one module:attribute in {args}"
    module, attribute = targets[0].split(":")
    assert defines(module, attribute), f"{module} defines no {attribute}"


def assert_celery_app(args: list[str]) -> None:
    assert args[0] == "celery", args
    package = option(args, "-A", "--app")
    assert defines(f"{package}.celery", "app"), f"{package}/celery.py defines no app"


def dockerfile_instruction(name: str) -> list[str] | None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    found = [line.split(maxsplit=1)[1] for line in lines if line.startswith(f"{name} ")]
    return json.loads(found[-1]) if found else None


def test_it_defines_the_services() -> None:
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= SERVICES.keys()


@pytest.mark.parametrize("service", APP_SERVICES)
def test_it_starts_app_services_only_once_what_they_need_is_ready(service: str) -> None:
    needs = ["postgres"] if service == "migrate" else ["postgres", "redis", "migrate"]
    depends_on = SERVICES[service]["depends_on"]
    assert {name: depends_on[name]["condition"] for name in depends_on} == {
        name: READY[name] for name in needs
    }


def test_it_checks_the_health_of_every_service_waited_on() -> None:
    for name in ("postgres", "redis"):
        assert "healthcheck" in SERVICES[name], name
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"]
    assert "ping" in SERVICES["redis"]["healthcheck"]["test"]


def test_it_runs_migrate_once() -> None:
    args = command("migrate")
    assert args[:3] == ["python", "manage.py", "migrate"]
    assert (ROOT / "manage.py").is_file()
    assert "migrate" in get_commands()
    assert SERVICES["migrate"]["restart"] == "no"


def test_it_serves_a_wsgi_application_that_exists() -> None:
    args = command("web")
    assert_wsgi_target(args)
    assert option(args, "--bind", "-b") == "0.0.0.0:8000"


def test_it_checks_the_web_health_endpoint_with_python() -> None:
    test = SERVICES["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    compile(test[3], "healthcheck", "exec")
    url = re.search(r"http://127\.0\.0\.1:8000(/\S*?/)\"", test[3])
    assert url is not None
    assert resolve(url.group(1)).url_name == "health"


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_it_runs_celery_on_an_app_that_exists(service: str) -> None:
    assert_celery_app(command(service))
    assert service in command(service)


def test_workers_run_without_the_features_that_stop_them_after_a_redis_restart() -> None:
    # celery/celery#8030, #9054: with heartbeats, gossip or mingle, a worker may reconnect to
    # a restarted Redis and never consume again. bin/serve and the fault tests' site run them
    # the same way.
    for flag in ("--without-heartbeat", "--without-gossip", "--without-mingle"):
        assert flag in command("worker")
        assert flag in (ROOT / "bin" / "serve").read_text()
        assert flag in (ROOT / "tests" / "support" / "site.py").read_text()


def test_it_checks_the_worker_with_celery() -> None:
    assert_celery_app(argv(SERVICES["worker"]["healthcheck"]["test"][1]))


def test_it_schedules_beat_with_a_scheduler_that_exists() -> None:
    module, attribute = option(command("beat"), "--scheduler", "-S").split(":")
    assert hasattr(importlib.import_module(module), attribute)


@pytest.mark.parametrize("service", APP_SERVICES)
def test_it_configures_app_services_for_production(service: str) -> None:
    environment = SERVICES[service]["environment"]
    assert importlib.util.find_spec(environment["DJANGO_SETTINGS_MODULE"]) is not None
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= environment.keys()
    assert SERVICES[service]["build"] == "."


def test_it_declares_every_named_volume() -> None:
    used = {
        mount.split(":")[0]
        for service in SERVICES.values()
        for mount in service.get("volumes", [])
        if not mount.startswith(("/", ".", "~"))
    }
    assert used <= set(COMPOSE["volumes"])


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_no_container_keeps_files_of_its_own(service: str) -> None:
    # Files are kept in the database (FILE_STORAGE), so any web or worker container serves
    # any request, and the database's backup holds them.
    assert SERVICES[service]["environment"]["FILE_STORAGE"] == "${FILE_STORAGE:-database}"
    assert not [m for m in SERVICES[service].get("volumes", []) if "media" in m]


def test_it_builds_an_image_whose_default_command_exists() -> None:
    entrypoint = dockerfile_instruction("ENTRYPOINT") or []
    assert_wsgi_target(entrypoint + (dockerfile_instruction("CMD") or []))


def test_only_migrate_connects_as_the_owner_and_the_rest_as_the_application_role() -> None:
    def user(url: str) -> str:
        return url.split("://", 1)[1].split(":", 1)[0]

    migrate = SERVICES["migrate"]["environment"]
    assert user(migrate["MIGRATE_DATABASE_URL"]) == "supervision_owner"
    for service in APP_SERVICES:
        environment = SERVICES[service]["environment"]
        assert user(environment["DATABASE_URL"]) == "supervision_app"
        if service != "migrate":
            assert "MIGRATE_DATABASE_URL" not in environment


def test_the_database_is_created_with_both_roles_when_its_volume_is_new() -> None:
    mounts = SERVICES["postgres"]["volumes"]
    assert "./docker/postgres-init:/docker-entrypoint-initdb.d:ro" in mounts
    script = (ROOT / "docker" / "postgres-init" / "10-roles.sh").read_text()
    assert "CREATE ROLE supervision_owner LOGIN CREATEDB NOSUPERUSER" in script
    assert "CREATE ROLE supervision_app LOGIN NOSUPERUSER NOCREATEDB" in script
    assert "CREATE DATABASE supervision OWNER supervision_owner" in script


def test_checkpoints_are_kept_in_a_volume_of_their_own_with_the_key_from_the_environment() -> None:
    for service in ("worker", "web"):
        environment = SERVICES[service]["environment"]
        assert environment["AUDIT_CHECKPOINT_LOG"] == "/app/audit/checkpoints.log"
        assert environment["AUDIT_CHECKPOINT_KEY"].startswith("${AUDIT_CHECKPOINT_KEY:?")
        assert "audit-checkpoints:/app/audit" in SERVICES[service]["volumes"]


def test_beat_is_checked_by_the_scheduler_health_command() -> None:
    test = SERVICES["beat"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "manage.py"]
    assert test[3] in get_commands()
    assert test[3:] == ["health", "--only", "scheduler"]
