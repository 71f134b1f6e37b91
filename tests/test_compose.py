"""Deployment files: compose.yaml against the Compose specification, the Dockerfile against the Makefile.

No Docker engine runs here, so the image is never built in tests. Instead: compose.yaml is validated
against the Compose specification's JSON schema (tests/data/compose-spec.json, from the PyPI wheel of
docker-compose 1.29.2, Apache License 2.0; see its "$comment") and checked for what the deployment
promises; the Dockerfile's install steps are held equal to the Makefile's, which CI runs; and the
Dockerfile's model check and health check commands are run here against this virtualenv.
"""

from __future__ import annotations

import ast
import configparser
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from rag.settings import Settings

from .conftest import REPO

VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?(?P<op>[-?])(?P<argument>[^}]*))?\})")
CHROMA_TOKEN = "compose-test-token"


class MissingVariable(ValueError):
    """What compose does for ${NAME:?message} when NAME is unset or empty: refuse, with the message."""


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def interpolate(value: Any, environment: dict[str, str]) -> Any:
    """Compose's ${NAME}, ${NAME:-default}, ${NAME:?error} and $$ interpolation, over every string of a document."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            found = environment.get(match.group("name"))
            if not found and match.group("op") == "?":
                raise MissingVariable(f"{match.group('name')}: {match.group('argument')}")
            return found if found else (match.group("argument") or "")

        return VARIABLE.sub(substitute, value)
    if isinstance(value, list):
        return [interpolate(item, environment) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, environment) for key, item in value.items()}
    return value


def compose_variables(text: str) -> dict[str, str | None]:
    """Each ${NAME:-default} of a file with its default; None for the required ones, ${NAME:?error}."""
    return {
        m.group("name"): None if m.group("op") == "?" else m.group("argument") or ""
        for m in VARIABLE.finditer(text)
        if m.group("name")
    }


@pytest.fixture(scope="module")
def compose_text() -> str:
    return (REPO / "compose.yaml").read_text("utf-8")


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    """compose.yaml as Compose would run it with only the required token set: every default applies."""
    loaded: dict[str, Any] = yaml.safe_load(compose_text)
    resolved: dict[str, Any] = interpolate(loaded, {"ENCLAVE_CHROMA_TOKEN": CHROMA_TOKEN})
    return resolved


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def volume_mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    """Long-syntax view of a service's volumes."""
    mounts = []
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            parts = volume.split(":")
            mounts.append(
                {
                    "type": "bind" if parts[0].startswith((".", "/")) else "volume",
                    "source": parts[0],
                    "target": parts[1],
                    "read_only": len(parts) > 2 and "ro" in parts[2].split(","),
                }
            )
        else:
            mounts.append({"read_only": False, **volume})
    return mounts


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in (REPO / "Dockerfile").read_text("utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in logical]


def dockerfile_stages() -> dict[str, list[tuple[str, str]]]:
    stages: dict[str, list[tuple[str, str]]] = {}
    name = ""
    for instruction, arguments in dockerfile_instructions():
        if instruction == "FROM":
            name = arguments.split()[-1]
            stages[name] = []
        elif name:
            stages[name].append((instruction, arguments))
    return stages


def dockerfile_args() -> dict[str, str]:
    values = {}
    for instruction, arguments in dockerfile_instructions():
        if instruction == "ARG" and "=" in arguments:
            key, value = arguments.split("=", 1)
            values[key] = value.strip('"')
    return values


def run_commands(stage: list[tuple[str, str]]) -> list[str]:
    """The shell commands of a stage's RUN instructions (BuildKit --mount flags dropped)."""
    commands = []
    for instruction, arguments in stage:
        if instruction == "RUN":
            commands.append(re.sub(r"^(--\w+=\S+\s+)+", "", arguments))
    return commands


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form instruction (after its --options)."""
    parsed: list[str] = json.loads(arguments[arguments.index("[") :])
    return parsed


def readme_settings_rows() -> dict[str, str]:
    """Variable name -> default cell, from the settings reference's tables (docs/settings.md)."""
    rows = {}
    for line in (REPO / "docs" / "settings.md").read_text("utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
                rows[name] = cells[1]
    return rows


# ------------------------------------------------------------------------------------------------
# compose.yaml
# ------------------------------------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification(compose_text: str, compose: dict[str, Any]) -> None:
    schema = json.loads((REPO / "tests" / "data" / "compose-spec.json").read_text("utf-8"))
    validator = jsonschema.Draft201909Validator(schema)
    for document in (yaml.safe_load(compose_text), compose):
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_the_schema_rejects_what_compose_would_reject(compose: dict[str, Any]) -> None:
    """The validation above has teeth: a misspelt key or a wrong type is an error."""
    validator = jsonschema.Draft201909Validator(
        json.loads((REPO / "tests" / "data" / "compose-spec.json").read_text("utf-8"))
    )
    misspelt = json.loads(json.dumps(compose))
    misspelt["services"]["api"]["port"] = misspelt["services"]["api"].pop("ports")
    assert list(validator.iter_errors(misspelt))
    wrong_type = json.loads(json.dumps(compose))
    wrong_type["networks"]["backend"]["internal"] = "yes"
    assert list(validator.iter_errors(wrong_type))


def test_three_services_and_the_ingest_job_is_a_one_shot_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    # Three services as the deployment describes them, plus the token check in front of Chroma.
    assert set(services) == {"chroma", "chroma-auth", "api", "ingest"}
    assert not any("profiles" in services[name] for name in ("api", "chroma", "chroma-auth"))
    ingest = services["ingest"]
    assert ingest["profiles"] == ["ingest"]
    assert ingest["restart"] == "no"
    command = ingest["command"]
    assert command[:3] == ["enclave", "ingest", "--prune"]
    # What it ingests is the shared drive, mounted read-only.
    mounts = {mount["target"]: mount for mount in volume_mounts(ingest)}
    shared = mounts[command[-1]]
    assert shared["type"] == "bind" and shared["read_only"] is True
    assert command[command.index("--collection") + 1] == "default"


def test_only_the_api_publishes_a_port_and_on_loopback(compose: dict[str, Any]) -> None:
    published = {name: service.get("ports", []) for name, service in compose["services"].items()}
    assert published["chroma"] == published["chroma-auth"] == published["ingest"] == []
    assert published["api"] == ["127.0.0.1:8000:8000"]
    # The container port is the one the image listens on and checks its health on.
    stages = dockerfile_stages()
    runtime = stages["runtime"]
    assert ("EXPOSE", "8000") in runtime
    assert compose["services"]["api"]["command"][:2] == ["enclave", "serve"]
    assert compose["services"]["api"]["command"][-2:] == ["--port", "8000"]


def test_networks_have_no_route_out(compose: dict[str, Any]) -> None:
    networks = compose["networks"]
    internal = {name for name, network in networks.items() if (network or {}).get("internal") is True}
    assert internal == {"store", "backend"}
    services = compose["services"]
    # Only the token-checking gateway shares a network with Chroma's server.
    assert services["chroma"]["networks"] == ["store"]
    assert {name for name, service in services.items() if "store" in service["networks"]} == {"chroma", "chroma-auth"}
    assert set(services["chroma-auth"]["networks"]) == {"store", "backend"}
    assert services["ingest"]["networks"] == ["backend"]
    # The API's other network exists only to publish its port, without masquerading (no NAT out).
    assert set(services["api"]["networks"]) == {"backend", "edge"}
    assert networks["edge"]["driver_opts"]["com.docker.network.bridge.enable_ip_masquerade"] == "false"


def test_chroma_server_is_persistent_private_and_matches_the_client(compose: dict[str, Any]) -> None:
    chroma = compose["services"]["chroma"]
    image, _, tag = chroma["image"].rpartition(":")
    assert image == "chromadb/chroma"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag), "pin the Chroma server's version"
    assert tag.split(".")[0] == version("chromadb").split(".")[0], "server and client major versions differ"
    mounts = volume_mounts(chroma)
    assert [(m["type"], m["source"], m["target"]) for m in mounts] == [("volume", "chroma-data", "/data")]
    assert "chroma-data" in compose["volumes"]
    assert "/api/v2/heartbeat" in " ".join(chroma["healthcheck"]["test"])


def test_api_and_ingest_use_the_chroma_server_and_share_the_data_dir(compose: dict[str, Any]) -> None:
    services = compose["services"]
    data_dir = dict(
        arguments.split("=", 1)
        for instruction, line in dockerfile_stages()["runtime"]
        if instruction == "ENV"
        for arguments in shlex.split(line)
    )["ENCLAVE_DATA_DIR"]
    for name in ("api", "ingest"):
        service = services[name]
        env = environment_of(service)
        assert env["ENCLAVE_CHROMA_URL"] == "http://chroma-auth:8000"
        assert env["ENCLAVE_CHROMA_TOKEN"] == CHROMA_TOKEN
        assert env["ENCLAVE_DATA_DIR"] == data_dir == "/data"
        assert {"type": "volume", "source": "enclave-data", "target": data_dir, "read_only": False} in volume_mounts(
            service
        )
        assert service["depends_on"] == {"chroma-auth": {"condition": "service_healthy"}}
        assert service["cap_drop"] == ["ALL"]


def test_chroma_is_reached_only_through_the_token_gateway(compose: dict[str, Any]) -> None:
    gateway = compose["services"]["chroma-auth"]
    assert gateway["command"][:2] == ["enclave", "chroma-gateway"]
    assert gateway["command"][-2:] == ["--port", "8000"]
    env = environment_of(gateway)
    assert env["ENCLAVE_CHROMA_URL"] == "http://chroma:8000"
    assert env["ENCLAVE_CHROMA_TOKEN"] == CHROMA_TOKEN
    assert gateway["depends_on"] == {"chroma": {"condition": "service_healthy"}}
    assert "/api/v2/heartbeat" in " ".join(gateway["healthcheck"]["test"])


def test_compose_refuses_to_run_without_the_chroma_token(compose_text: str) -> None:
    with pytest.raises(MissingVariable, match="ENCLAVE_CHROMA_TOKEN"):
        interpolate(yaml.safe_load(compose_text), {})


def test_compose_environment_names_real_settings(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A misspelt ENCLAVE_ variable would be ignored silently: each one must be a setting."""
    for name, chroma_url in (
        ("api", "http://chroma-auth:8000"),
        ("ingest", "http://chroma-auth:8000"),
        ("chroma-auth", "http://chroma:8000"),
    ):
        env = environment_of(compose["services"][name])
        for key in env:
            assert key.startswith("ENCLAVE_") and key.removeprefix("ENCLAVE_").lower() in Settings.model_fields, key
        for key in list(os.environ):
            if key.startswith("ENCLAVE_"):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        assert settings.chroma_url == chroma_url
        assert settings.chroma_token == CHROMA_TOKEN


def test_every_deployment_variable_is_documented_with_its_default(compose_text: str) -> None:
    rows = readme_settings_rows()
    variables = compose_variables(compose_text)
    assert variables, "compose.yaml has no variables?"
    for name, default in variables.items():
        assert name in rows, f"{name} is not documented in docs/settings.md"
        if default is None:
            assert "required" in rows[name], rows[name]
        elif default:
            assert default in rows[name], (
                f"docs/settings.md gives {name} the default {rows[name]!r}, compose {default!r}"
            )
        else:
            assert "unset" in rows[name] or "empty" in rows[name], rows[name]
    for name, default in dockerfile_args().items():
        assert name in rows, f"build argument {name} is not documented in docs/settings.md"
        assert default in rows[name], (
            f"docs/settings.md gives {name} the default {rows[name]!r}, Dockerfile {default!r}"
        )


# ------------------------------------------------------------------------------------------------
# Dockerfile
# ------------------------------------------------------------------------------------------------


def _normalized(command: str, venv: str) -> list[str]:
    """The words of a command, with the venv's own path written VENV."""
    return ["VENV" + word[len(venv) :] if word.startswith(venv) else word for word in shlex.split(command)]


def makefile_install_steps() -> list[list[str]]:
    """The recipes that create the venv and install into it, make variables expanded."""
    text = (REPO / "Makefile").read_text("utf-8")
    make_vars = dict(re.findall(r"^(\w+)\s*\?=\s*(\S+)\s*$", text, re.MULTILINE))
    steps = []
    for target in (r"\$\(BIN\)/python:", r"\$\(VENV\)/\.installed:"):
        recipe = re.search(rf"^{target}[^\n]*\n((?:\t[^\n]*\n)+)", text, re.MULTILINE)
        assert recipe, f"no recipe for {target} in the Makefile"
        for line in recipe.group(1).splitlines():
            line = line.strip()
            if line.startswith("touch "):
                continue
            line = line.replace("$(BIN)", "$(VENV)/bin").replace("$(PYTHON)", "python")
            line = line.replace("$(VENV)", make_vars["VENV"])
            steps.append(_normalized(line, make_vars["VENV"]))
    return steps


def dockerfile_install_steps() -> list[list[str]]:
    commands = run_commands(dockerfile_stages()["build"])
    venv = next(shlex.split(c)[-1] for c in commands if " -m venv " in c)
    installs = ("-m venv", "-m pip", "install_llama_cpp.sh")
    return [_normalized(c, venv) for c in commands if any(step in c for step in installs)]


def test_dockerfile_install_steps_are_the_makefile_steps() -> None:
    make_steps = makefile_install_steps()
    docker_steps = dockerfile_install_steps()
    assert make_steps[0] == ["python", "-m", "venv", "VENV"]
    # The image installs the same way, minus the editable flag and the dev extras.
    expected = [["." if word == ".[dev]" else word for word in step if word != "-e"] for step in make_steps]
    assert docker_steps == expected
    assert ["VENV/bin/python", "-m", "pip", "install", "."] in docker_steps
    # The llama-cpp-python step runs a script of the repository: the image must be given it.
    script = "scripts/install_llama_cpp.sh"
    assert any(script in step for step in make_steps)
    copied = {c for i, a in dockerfile_stages()["build"] if i == "COPY" for c in a.split()[:-1]}
    assert script in copied
    assert f"!{script}" in (REPO / ".dockerignore").read_text("utf-8").splitlines()


def test_dockerfile_python_is_the_project_python() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    wanted = pyproject["tool"]["mypy"]["python_version"]
    assert pyproject["project"]["requires-python"] == f">={wanted}"
    image = dockerfile_args()["PYTHON_IMAGE"]
    assert re.fullmatch(rf"python:{re.escape(wanted)}-slim(-\w+)?", image), image
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == wanted


def test_dockerfile_runs_as_a_user_with_the_data_dir_on_a_volume() -> None:
    runtime = dockerfile_stages()["runtime"]
    users = [arguments for instruction, arguments in runtime if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert ("VOLUME", '["/data"]') in runtime
    assert exec_form(dict(runtime)["CMD"]) == ["enclave", "serve", "--host", "0.0.0.0"]
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    assert "enclave" in pyproject["project"]["scripts"]
    copied = {c for i, a in dockerfile_stages()["build"] if i == "COPY" for c in a.split()[:-1]}
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"pyproject.toml", pyproject["project"]["readme"]} <= copied
    ignored = (REPO / ".dockerignore").read_text("utf-8").splitlines()
    for name in packages | {"pyproject.toml", pyproject["project"]["readme"]}:
        assert f"!{name}" in ignored or f"!{name}/" in ignored, f".dockerignore keeps {name} out of the build"


def bundled_model_modules() -> set[str]:
    """The Python packages the default settings load models from."""
    tree = ast.parse((REPO / "rag" / "models.py").read_text("utf-8"))
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.split(".")[0] not in sys.stdlib_module_names
    }
    return modules | set(Settings.model_fields["spacy_models"].default.values())


def test_dockerfile_checks_every_bundled_model_and_the_check_passes() -> None:
    runtime = run_commands(dockerfile_stages()["runtime"])
    check = next(command for command in runtime if "import " in command and "python -c" in command)
    imported = re.search(r'python -c "import ([^"]+)"', check)
    assert imported
    assert {name.strip() for name in imported.group(1).split(",")} == bundled_model_modules()
    venv_bin = str(Path(sys.executable).parent)
    result = subprocess.run(
        ["bash", "-c", check],
        env={**os.environ, "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture
def healthcheck() -> Iterator[list[str]]:
    runtime = dockerfile_stages()["runtime"]
    arguments = dict(runtime)["HEALTHCHECK"]
    assert arguments.split("CMD", 1)[0].count("--start-period=") == 1
    command = exec_form(arguments.split("CMD", 1)[1])
    assert command[0] == "python"
    yield [sys.executable, *command[1:]]


def test_dockerfile_healthcheck_passes_on_a_live_server(healthcheck: list[str], live_server: str) -> None:
    port = live_server.rsplit(":", 1)[1]
    ok = subprocess.run(healthcheck, env={**os.environ, "ENCLAVE_PORT": port}, capture_output=True, timeout=30)
    assert ok.returncode == 0, ok.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = str(probe.getsockname()[1])
    down = subprocess.run(healthcheck, env={**os.environ, "ENCLAVE_PORT": closed}, capture_output=True, timeout=30)
    assert down.returncode != 0


# ------------------------------------------------------------------------------------------------
# deploy/: scheduled ingestion
# ------------------------------------------------------------------------------------------------


def test_systemd_units_run_the_compose_ingest_job(compose: dict[str, Any]) -> None:
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.optionxform = str  # type: ignore[assignment,method-assign]
    service.read(REPO / "deploy" / "systemd" / "enclave-ingest.service")
    command = shlex.split(service["Service"]["ExecStart"])
    assert command[1:3] == ["compose", "--profile"]
    profile = command[3]
    assert command[4:6] == ["run", "--rm"]
    name = command[-1]
    assert compose["services"][name]["profiles"] == [profile]
    assert service["Service"]["Type"] == "oneshot"
    # The share must be mounted: --prune on an empty folder would forget every document.
    mount = service["Unit"]["RequiresMountsFor"]
    assert service["Service"]["ExecStartPre"].endswith(f"mountpoint -q {mount}")

    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.optionxform = str  # type: ignore[assignment,method-assign]
    timer.read(REPO / "deploy" / "systemd" / "enclave-ingest.timer")
    assert timer["Timer"]["Unit"] == "enclave-ingest.service"
    assert timer["Timer"]["Persistent"] == "true"

    cron = [
        line
        for line in (REPO / "deploy" / "cron.example").read_text("utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(cron) == 1 and f"--profile {profile} run --rm" in cron[0] and cron[0].count("mountpoint -q") == 1
