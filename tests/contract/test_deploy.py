"""The deploy/ files stay runnable: compose, Dockerfile, configs and Kubernetes manifests agree.

No container engine runs in the test environment, so these tests read the files the way Compose,
Docker, kustomize and SignalMesh itself would, and check that the names, ports, addresses and
secrets they share line up. Every config file is parsed by the real ``load_config``, with the
files its Secrets would mount. Every Kubernetes object is checked against the Kubernetes schemas
offline (kubernetes-validate); the rendered overlays (``kubectl kustomize``: those tests skip
where kubectl is not installed) are checked whole, down to who can reach whom through the
NetworkPolicies.
"""

from __future__ import annotations

import ast
import base64
import calendar
import fnmatch
import functools
import hashlib
import ipaddress
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from signalmesh.config import (
    ClientTls,
    Config,
    ConfigError,
    QualityConfig,
    ServerTls,
    StatsConfig,
    config_from_mapping,
    load_config,
)
from signalmesh.config.destinations import OWN_KEYS
from signalmesh.gateway.server import api_clients
from signalmesh.interceptors import hash_api_key
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.sandbox.app import build_app

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SIGNALMESH_SERVICES = ("gateway", "policy", "sandbox")
# gRPC services and the port each serves; the sandbox speaks HTTP.
GRPC_PORTS = {"gateway": 7400, "policy": 7401}
METRICS_PORT = 9464
SANDBOX_PORT = 7480
CONFIG_TARGET = "/etc/signalmesh/signalmesh.toml"
STATE_DIR = "/var/lib/signalmesh"
RUNTIME_UID = 10001
# The documented demo API key (deploy/README.md); configs store only its SHA-256.
DEMO_KEY = "sm_demo_key_change_me"


# ------------------------------------------------------------------------------------ helpers


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as Compose reads its .env file (comments and blank lines skipped)."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, value = line.partition("=")
        assert separator, f"{path.name}:{number}: not KEY=VALUE: {line!r}"
        values[name.strip()] = value.strip()
    return values


_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(value: Any, variables: Mapping[str, str]) -> Any:
    """Compose's ${NAME}, ${NAME:-default} and $$ substitution over a loaded YAML tree."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        if name in variables:
            return variables[name]
        assert default is not None, f"${{{name}}} is used in compose.yaml but not defined in deploy/.env"
        return default

    return _VARIABLE.sub(substitute, value)


def command_words(service: Mapping[str, Any]) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: str(value) for key, value in raw.items()}


def published_ports(service: Mapping[str, Any]) -> dict[int, int]:
    """host port → container port, from short ("7400:7400") or long port syntax."""
    ports = {}
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            ports[int(entry["published"])] = int(entry["target"])
        else:
            host, _, container = str(entry).rpartition(":")
            ports[int(host.rpartition(":")[2])] = int(container.split("/")[0])
    return ports


def address_port(address: str) -> int:
    return int(address.rpartition(":")[2])


def host_and_port(url_or_address: str) -> tuple[str, int]:
    parts = urlsplit(url_or_address if "//" in url_or_address else f"//{url_or_address}")
    assert parts.hostname and parts.port, f"{url_or_address!r} has no host:port"
    return parts.hostname, parts.port


def option(words: list[str], name: str) -> str:
    assert name in words, f"{name} missing from command {words}"
    return words[words.index(name) + 1]


# ------------------------------------------------------------------------------------ compose


@pytest.fixture(scope="module")
def dotenv() -> dict[str, str]:
    return read_dotenv(DEPLOY / ".env")


@pytest.fixture(scope="module")
def services(dotenv: dict[str, str]) -> dict[str, dict[str, Any]]:
    compose = interpolate(yaml.safe_load((DEPLOY / "compose.yaml").read_text()), dotenv)
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def test_compose_defines_every_service_of_the_mesh(services: dict[str, dict[str, Any]]) -> None:
    """jaeger, redis and the three SignalMesh services are all in compose.yaml."""
    assert {"jaeger", "redis", "sandbox", "policy", "gateway"} <= set(services)


def test_compose_takes_every_variable_from_dotenv(dotenv: dict[str, str]) -> None:
    """.env is the single list of ports and images: every ${NAME} in compose.yaml is defined there."""
    used = {
        match.group(1)
        for match in _VARIABLE.finditer((DEPLOY / "compose.yaml").read_text())
        if match.group(1)
    }
    assert used, "compose.yaml takes nothing from .env"
    assert used <= set(dotenv), f"not in deploy/.env: {sorted(used - set(dotenv))}"
    assert {"GATEWAY_PORT", "POLICY_PORT", "SANDBOX_PORT", "JAEGER_UI_PORT", "SIGNALMESH_IMAGE"} <= used


@pytest.mark.parametrize(
    ("service", "port"),
    [("gateway", 7400), ("policy", 7401), ("sandbox", 7480), ("jaeger", 16686), ("jaeger", 4317)],
)
def test_compose_publishes_each_port_on_the_same_host_port(
    services: dict[str, dict[str, Any]], service: str, port: int
) -> None:
    """The documented localhost ports reach the right container port."""
    assert published_ports(services[service]).get(port) == port


def test_jaeger_ingests_otlp(services: dict[str, dict[str, Any]]) -> None:
    """Jaeger all-in-one only opens its OTLP receiver with COLLECTOR_OTLP_ENABLED=true."""
    jaeger = services["jaeger"]
    assert jaeger["image"].startswith("jaegertracing/all-in-one:")
    assert environment(jaeger).get("COLLECTOR_OTLP_ENABLED") == "true"


@pytest.mark.parametrize("name", SIGNALMESH_SERVICES)
def test_every_signalmesh_service_exports_traces_to_jaeger_over_otlp_grpc(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    """Standard OTEL_* variables send each service's spans to the jaeger service's OTLP/gRPC port."""
    env = environment(services[name])
    endpoint = urlsplit(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    assert endpoint.scheme == "http"  # plaintext gRPC inside the compose network
    assert endpoint.hostname == "jaeger" and endpoint.hostname in services
    assert endpoint.port == 4317 and 4317 in published_ports(services["jaeger"]).values()
    assert env["OTEL_TRACES_EXPORTER"] == "otlp"
    assert env["OTEL_SERVICE_NAME"] == f"signalmesh-{name}"


def test_signalmesh_services_run_one_image_and_the_command_picks_the_service(
    services: dict[str, dict[str, Any]],
) -> None:
    """One image (one build from the repo root); the first word of each command is the service."""
    images = {services[name]["image"] for name in SIGNALMESH_SERVICES}
    builds = {json.dumps(services[name]["build"], sort_keys=True) for name in SIGNALMESH_SERVICES}
    assert len(images) == 1 and len(builds) == 1
    build = services["gateway"]["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert context == REPO
    assert (context / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    for name in SIGNALMESH_SERVICES:
        assert command_words(services[name])[0] == name
    others = {name for name, service in services.items() if service.get("image") in images}
    assert others == set(SIGNALMESH_SERVICES)


def test_sandbox_listens_on_all_interfaces_on_its_published_port(services: dict[str, dict[str, Any]]) -> None:
    """Inside a container the sandbox must bind 0.0.0.0, on the port compose publishes."""
    listen = option(command_words(services["sandbox"]), "--listen")
    assert listen == f"0.0.0.0:{SANDBOX_PORT}"
    assert SANDBOX_PORT in published_ports(services["sandbox"]).values()


def test_gateway_starts_after_policy_sandbox_and_redis(services: dict[str, dict[str, Any]]) -> None:
    """The gateway's dependencies are up (policy healthy over gRPC) before it starts."""
    depends_on = services["gateway"]["depends_on"]
    assert {"policy", "sandbox", "redis"} <= set(depends_on)
    assert depends_on["policy"]["condition"] == "service_healthy"
    assert "healthcheck" in services["policy"]


@pytest.mark.parametrize("name", sorted(GRPC_PORTS))
def test_grpc_healthchecks_probe_the_service_own_port(services: dict[str, dict[str, Any]], name: str) -> None:
    """The compose healthcheck asks grpc.health.v1 on the port this service listens on."""
    test = services[name]["healthcheck"]["test"]
    assert test[0] == "CMD" and "grpc_health.v1" in test[3]
    compile(test[3], "healthcheck", "exec")
    assert address_port(test[-1]) == GRPC_PORTS[name]


def load_with_secret_files(
    config: Path, files: Mapping[str, Path], environ: Mapping[str, str], copy: Path
) -> Config:
    """``config`` loaded as the container would, its ``file:PATH`` secrets read from ``files``
    (container path → the file on this machine that is mounted there). A reference to a path
    nothing is mounted at fails, as it would in the container."""
    text = config.read_text()
    referenced = set(re.findall(r'"file:(/[^"]+)"', text))
    missing = referenced - set(files)
    assert not missing, f"{config.name} reads {sorted(missing)}, but nothing is mounted there"
    for target in referenced:
        text = text.replace(f'"file:{target}"', f'"file:{files[target]}"')
    copy.write_text(text)
    return load_config(copy, environ=environ)


@pytest.fixture(scope="module")
def compose_secrets() -> dict[str, Path]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return {name: (DEPLOY / secret["file"]).resolve() for name, secret in compose["secrets"].items()}


@pytest.fixture(scope="module")
def compose_configs(
    services: dict[str, dict[str, Any]],
    compose_secrets: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Config]:
    """Each of gateway and policy loads its mounted config with its own environment and the
    Compose secrets it is given (mounted at /run/secrets/NAME)."""
    configs = {}
    for name in GRPC_PORTS:
        service = services[name]
        target = option(command_words(service), "--config")
        assert target == CONFIG_TARGET
        mounts = [
            volume for volume in service["volumes"] if isinstance(volume, dict) and volume["target"] == target
        ]
        assert len(mounts) == 1, f"{name}: nothing mounted at {target}"
        source = (DEPLOY / mounts[0]["source"]).resolve()
        assert source == DEPLOY / "signalmesh.compose.toml"
        assert mounts[0].get("read_only") is True
        files = {f"/run/secrets/{secret}": compose_secrets[secret] for secret in service.get("secrets", [])}
        copy = tmp_path_factory.mktemp(name) / "signalmesh.toml"
        configs[name] = load_with_secret_files(source, files, environment(service), copy)
    return configs


def test_compose_redis_requires_the_password_the_mesh_sends(
    services: dict[str, dict[str, Any]], compose_secrets: dict[str, Path], compose_configs: dict[str, Config]
) -> None:
    """Redis loads the redis.conf secret (requirepass); gateway and policy connect with that
    password in their redis_url; the healthcheck authenticates without putting it on a command line."""
    redis = services["redis"]
    assert command_words(redis) == ["redis-server", "/run/secrets/redis.conf"]
    assert redis["secrets"] == ["redis.conf"]
    settings = dict(
        line.split(" ", 1)
        for line in compose_secrets["redis.conf"].read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert settings["appendonly"] == "yes" and settings["requirepass"]
    for config in compose_configs.values():
        assert urlsplit(config.store.redis_url).password == settings["requirepass"]
    probe = redis["healthcheck"]["test"]
    assert probe[0] == "CMD-SHELL" and "REDISCLI_AUTH=" in probe[1] and "/run/secrets/redis.conf" in probe[1]
    for name in GRPC_PORTS:
        assert "POLICY_TOKEN" not in environment(services[name])


def test_compose_config_loads_in_gateway_and_policy(compose_configs: dict[str, Config]) -> None:
    """Both services resolve every env: secret the shared file references (META_TOKEN), and hold
    the same policy token, so the gateway's calls are the ones policy accepts."""
    for config in compose_configs.values():
        assert config.destinations["meta"].setting("access_token") == "sandbox-token"
    tokens = {config.policy.token for config in compose_configs.values()}
    assert len(tokens) == 1 and None not in tokens


def test_compose_config_addresses_compose_services(
    services: dict[str, dict[str, Any]], compose_configs: dict[str, Config]
) -> None:
    """Listen addresses, the policy address, Redis and the sandbox URL all name compose services."""
    config = compose_configs["gateway"]
    assert config.gateway.listen == "0.0.0.0:7400"
    assert config.policy.listen == "0.0.0.0:7401"
    assert address_port(config.gateway.listen) in published_ports(services["gateway"]).values()
    assert address_port(config.policy.listen) in published_ports(services["policy"]).values()
    assert host_and_port(config.gateway.policy_address) == ("policy", address_port(config.policy.listen))

    assert config.store.backend == "redis"
    redis_host, redis_port = host_and_port(config.store.redis_url)
    assert redis_host == "redis" and redis_host in services and redis_port == 6379

    meta = config.destinations["meta"]
    assert meta.connector == "meta"
    assert meta.setting("pixel_id") == "1234567890"
    assert host_and_port(meta.setting("base_url")) == ("sandbox", SANDBOX_PORT)
    assert config.state_dir == Path(STATE_DIR)


def test_compose_config_links_traces_to_the_published_jaeger_ui(
    services: dict[str, dict[str, Any]], compose_configs: dict[str, Config]
) -> None:
    """`signalmesh trace` on the host opens the Jaeger UI compose publishes there."""
    link = urlsplit(compose_configs["gateway"].telemetry.trace_link("0af7651916cd43dd8448eb211c80319c") or "")
    assert link.hostname == "localhost" and link.path == "/trace/0af7651916cd43dd8448eb211c80319c"
    assert published_ports(services["jaeger"]).get(link.port or 0) == 16686


def test_compose_config_demo_client_is_the_documented_demo_key(compose_configs: dict[str, Config]) -> None:
    """The [[clients]] hash is SHA-256 of the demo key deploy/README.md tells users to send."""
    assert DEMO_KEY in (DEPLOY / "README.md").read_text()
    digests = {client.key_sha256 for client in compose_configs["gateway"].clients}
    assert digests == {hashlib.sha256(DEMO_KEY.encode()).hexdigest()}


# ---------------------------------------------------------------------------------- Dockerfile


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """(INSTRUCTION, arguments) per build stage, continuation lines joined, ARGs in FROM resolved."""
    lines: list[str] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "Dockerfile ends inside a continued line"

    global_args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    for line in lines:
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG" and not stages:
            name, _, default = arguments.partition("=")
            global_args[name] = default
            continue
        if instruction == "FROM":
            arguments = re.sub(r"\$\{(\w+)\}", lambda match: global_args[match.group(1)], arguments)
            stages.append([])
        assert stages, f"{instruction} before the first FROM"
        stages[-1].append((instruction, arguments.strip()))
    return stages


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [arguments for instruction, arguments in stage if instruction == name]


def test_dockerfile_builds_in_a_builder_stage_on_python_311_slim() -> None:
    """A builder stage installs into a venv; the runtime stage copies only that venv."""
    stages = dockerfile_stages()
    assert len(stages) >= 2
    builder, runtime = stages[0], stages[-1]
    assert re.fullmatch(r"python:3\.11-slim\S* AS builder", instructions(builder, "FROM")[0], re.IGNORECASE)
    assert instructions(runtime, "FROM")[0].startswith("python:3.11-slim")
    install = " ".join(instructions(builder, "RUN"))
    assert re.search(r"pip install (--constraint \S+ )?\. ", install) and "plugins/*/" in install
    copies = instructions(runtime, "COPY")
    assert any(copy.startswith("--from=builder ") for copy in copies)
    assert not [copy for copy in copies if not copy.startswith("--from=")], "runtime stage copies sources"


def test_dockerfile_copies_what_pip_install_needs() -> None:
    """The builder copies pyproject.toml, its readme, the package folder and the connectors."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    package_root = project["tool"]["setuptools"]["packages"]["find"]["where"][0]
    copied = [
        source.rstrip("/")
        for arguments in instructions(dockerfile_stages()[0], "COPY")
        for source in arguments.split()[:-1]
    ]
    for needed in ("pyproject.toml", project["project"]["readme"], package_root, "plugins"):
        assert any(fnmatch.fnmatchcase(needed, source) for source in copied), f"{needed} is not copied"


def test_dockerfile_runs_signalmesh_as_a_non_root_user() -> None:
    """USER 10001, the state directory as WORKDIR, `signalmesh` as the entry point."""
    runtime = dockerfile_stages()[-1]
    users = instructions(runtime, "USER")
    assert users, "no USER in the runtime stage: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and int(user) == RUNTIME_UID
    assert instructions(runtime, "WORKDIR")[-1] == STATE_DIR
    assert json.loads(instructions(runtime, "ENTRYPOINT")[-1]) == ["signalmesh"]
    command = json.loads(instructions(runtime, "CMD")[-1])
    assert command[0] in SIGNALMESH_SERVICES
    exposed = {
        int(port.split("/")[0]) for arguments in instructions(runtime, "EXPOSE") for port in arguments.split()
    }
    assert {*GRPC_PORTS.values(), SANDBOX_PORT} <= exposed
    created = " ".join(instructions(runtime, "RUN"))
    assert f"--uid {RUNTIME_UID}" in created and STATE_DIR in created


def test_dockerfile_default_command_listens_where_a_container_is_reached() -> None:
    """The configs' defaults bind loopback (dev); the image's own command binds every interface,
    on the port it exposes."""
    command = json.loads(instructions(dockerfile_stages()[-1], "CMD")[-1])
    assert load_config(None, environ={}).gateway.listen.startswith("127.0.0.1:")
    listen = option(command, "--listen")
    assert listen == f"0.0.0.0:{GRPC_PORTS[command[0]]}"


def constraint_pins() -> dict[str, str]:
    """constraints.txt: normalised distribution name → the version it pins (only ``==`` lines)."""
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.!+_-]+)", line)
        assert match, f"constraints.txt: {line!r} is not NAME==VERSION"
        pins[normalise(match.group(1))] = match.group(2)
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9._-]+)", requirement)
    assert match, requirement
    return normalise(match.group(1))


def test_image_installs_from_the_constraints_file() -> None:
    """The builder copies constraints.txt and every pip install in it uses it."""
    builder = dockerfile_stages()[0]
    copied = [source for arguments in instructions(builder, "COPY") for source in arguments.split()[:-1]]
    assert "constraints.txt" in copied
    installs = [run for run in instructions(builder, "RUN") if "pip install" in run]
    assert installs
    for run in installs:
        assert re.search(r"(--constraint|-c) constraints\.txt", run), run


def test_every_dependency_of_the_core_and_the_connectors_is_pinned() -> None:
    """Every requirement (dev extras too) of pyproject.toml and of each connector has an exact
    version in constraints.txt; the SignalMesh distributions themselves never do.
    On failure: `make constraints`."""
    pins = constraint_pins()
    projects = [REPO / "pyproject.toml", *sorted(REPO.glob("plugins/*/pyproject.toml"))]
    projects = [path for path in projects if not path.parent.name.startswith("_")]
    names = set()
    own = set()
    for path in projects:
        project = tomllib.loads(path.read_text())["project"]
        own.add(normalise(project["name"]))
        names.update(requirement_name(item) for item in project.get("dependencies", []))
        for extra in project.get("optional-dependencies", {}).values():
            names.update(requirement_name(item) for item in extra)
    unpinned = sorted(names - own - set(pins))
    assert not unpinned, f"not pinned in constraints.txt (run `make constraints`): {unpinned}"
    assert not own & set(pins), "constraints.txt pins a SignalMesh distribution"
    assert "-c constraints.txt" in (REPO / "Makefile").read_text()


# ------------------------------------------------------------------------------ example config


EXAMPLE_ENVIRON = {
    "META_TOKEN": "token-main",
    "META_EU_TOKEN": "token-eu",
    "POLICY_TOKEN": "policy-secret",
    "SIGNALMESH_ALERT_SECRET": "alert-secret",
}


def test_example_config_parses_with_every_value() -> None:
    """deploy/signalmesh.example.toml loads, and each documented key lands where it should."""
    config = load_config(DEPLOY / "signalmesh.example.toml", environ=EXAMPLE_ENVIRON)
    assert config.state_dir == Path(STATE_DIR)
    assert (config.gateway.listen, config.gateway.policy_address) == ("0.0.0.0:7400", "policy:7401")
    assert config.gateway.policy_timeout_seconds == 2.0
    assert config.gateway.micro_batch_linger_ms == pytest.approx(5.0)
    assert config.gateway.max_batch_size == 500
    assert (config.gateway.generate_missing_event_id, config.gateway.max_outbox_depth) == (False, 500_000)
    assert (config.policy.listen, config.policy.default_strategy) == ("0.0.0.0:7401", "strict")
    assert config.policy.dedup_window_seconds == 48 * 3600
    assert config.policy.token == "policy-secret"
    tls_dir = "/etc/signalmesh/tls"
    server_tls = (f"{tls_dir}/server.pem", f"{tls_dir}/server-key.pem", f"{tls_dir}/ca.pem")
    assert config.gateway.tls == ServerTls(*server_tls, section="gateway")
    assert config.policy.tls == ServerTls(*server_tls, section="policy")
    client_tls = (f"{tls_dir}/ca.pem", f"{tls_dir}/client.pem", f"{tls_dir}/client-key.pem")
    assert config.gateway.policy_tls == ClientTls(*client_tls, keys="gateway.policy_tls_")
    assert config.client_tls == ClientTls(*client_tls, keys="client.tls_")
    assert (config.store.backend, config.store.redis_url) == ("sqlite", "redis://redis:6379/0")
    assert config.sqlite_path == Path(STATE_DIR) / "events.db"
    assert config.store.redis_namespace == "signalmesh"
    assert config.store.status_retention_seconds == 30 * 86400
    dispatcher = config.dispatcher
    assert (dispatcher.linger_ms, dispatcher.poll_interval_ms) == (25.0, 100.0)
    assert (dispatcher.lease_seconds, dispatcher.max_attempts) == (60.0, 10)
    assert (dispatcher.base_backoff_seconds, dispatcher.max_backoff_seconds) == (1.0, 600.0)
    assert dispatcher.request_timeout_seconds == 15.0
    assert (dispatcher.retry_horizon_seconds, dispatcher.concurrency) == (24 * 3600, 2)
    assert (dispatcher.breaker_threshold, dispatcher.breaker_cooldown_seconds) == (5, 30.0)
    purchase, lead = config.tracking_plan["Purchase"], config.tracking_plan["Lead"]
    assert purchase.required == ("order_id", "value", "currency")
    assert purchase.custom_properties == {"payment_status": "succeeded"}
    assert lead.required_one_of == ("user_data.emails", "user_data.phones")
    assert config.sandbox.listen == "127.0.0.1:7480"
    assert config.sandbox.tokens == ("sandbox-token", "local-dev-token")
    assert config.plugins_allow == ("meta",)
    assert config.stats == StatsConfig()  # the example shows the defaults
    assert config.quality == QualityConfig()  # the example shows the defaults
    assert config.alerts == replace(AlertSettings(), webhook_secret="alert-secret")
    assert config.telemetry.prometheus_listen == "0.0.0.0:9464"
    assert config.telemetry.trace_url == "http://localhost:16686/trace/{trace_id}"
    assert config.rotated_at == {"meta": calendar.timegm((2026, 9, 1, 0, 0, 0))}
    (client,) = config.clients
    assert client.key_sha256 == hashlib.sha256(DEMO_KEY.encode()).hexdigest()
    assert client.scopes == ("events:write", "events:read")

    assert set(config.destinations) == {"meta", "meta_eu"}
    meta, meta_eu = config.destinations["meta"], config.destinations["meta_eu"]
    assert {meta.connector, meta_eu.connector} == {"meta"}
    assert meta.strategy is None and config.strategy_for("meta") == "strict"
    assert meta.settings == {"pixel_id": "1234567890", "access_token": "token-main"}
    assert meta_eu.strategy == "send_all" and config.strategy_for("meta_eu") == "send_all"
    assert (meta.rollout_percent, meta_eu.rollout_percent) == (100.0, 10.0)
    assert meta_eu.settings == {
        "pixel_id": "9876543210",
        "access_token": "token-eu",
        "test_event_code": "TEST12345",
    }


def test_example_config_needs_its_secrets_from_the_environment() -> None:
    """Tokens are env: references, never literals: without the variables the file does not load."""
    with pytest.raises(ConfigError, match="META_TOKEN"):
        load_config(
            DEPLOY / "signalmesh.example.toml",
            environ={"META_EU_TOKEN": "token-eu", "POLICY_TOKEN": "policy-secret"},
        )


def known_keys(section: str | None) -> set[str]:
    """The keys config.py accepts in a section, read from its own unknown-key error."""
    probe = {"__probe__": 1}
    with pytest.raises(ConfigError) as error:
        config_from_mapping({section: probe} if section else probe, environ={}, source=None)
    listed = re.search(r"known: (\[.*\])$", str(error.value))
    assert listed, f"unexpected error for [{section}]: {error.value}"
    return set(ast.literal_eval(listed.group(1)))


@pytest.mark.parametrize(
    "section",
    [
        None,
        "gateway",
        "policy",
        "store",
        "dispatcher",
        "sandbox",
        "plugins",
        "stats",
        "alerts",
        "telemetry",
        "quality",
        "client",
    ],
)
def test_example_config_shows_every_key_config_accepts(section: str | None) -> None:
    """When config.py learns a key, the example must document it (and only keys config.py knows)."""
    example = tomllib.loads((DEPLOY / "signalmesh.example.toml").read_text())
    shown = set(example if section is None else example[section])
    assert shown == known_keys(section)


def test_example_destinations_show_every_key_a_destination_takes_itself() -> None:
    """The keys a [destinations.NAME] table holds besides its connector's settings each appear
    in some destination of the example."""
    example = tomllib.loads((DEPLOY / "signalmesh.example.toml").read_text())
    shown = {key for table in example["destinations"].values() for key in table}
    assert set(OWN_KEYS) <= shown


# ---------------------------------------------------------------------------------- kubernetes


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document is not None]


def kustomizations() -> list[Path]:
    found = sorted(KUBERNETES.rglob("kustomization.yaml"))
    assert found, "no kustomization.yaml under deploy/kubernetes"
    return found


def kustomization_references(path: Path) -> Iterator[tuple[str, Path]]:
    """(what, path) for every file or folder a kustomization names."""
    (kustomization,) = yaml_documents(path)
    for key in ("resources", "components"):
        for entry in kustomization.get(key, []):
            yield key, path.parent / entry
    for patch in kustomization.get("patches", []):
        if "path" in patch:
            yield "patches", path.parent / patch["path"]
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in kustomization.get(key, []):
            for entry in generator.get("files", []):
                yield key, path.parent / entry.rpartition("=")[2]


def patch_files() -> set[Path]:
    return {
        target.resolve()
        for path in kustomizations()
        for what, target in kustomization_references(path)
        if what == "patches"
    }


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    """Every Kubernetes object in deploy/kubernetes (not kustomizations, not patches)."""
    patches = patch_files()
    objects: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(KUBERNETES.rglob("*.yaml")):
        if path.name == "kustomization.yaml" or path.resolve() in patches:
            continue
        objects.extend((path, document) for document in yaml_documents(path))
    return objects


def deployments() -> dict[str, dict[str, Any]]:
    found = {
        document["metadata"]["name"]: document
        for _, document in manifests()
        if document["kind"] == "Deployment"
    }
    assert {"gateway", "policy", "redis", "jaeger", "sandbox"} <= set(found)
    return found


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return found


def test_every_kubernetes_file_parses_as_objects() -> None:
    """Every YAML file under deploy/kubernetes is valid YAML whose documents have apiVersion and kind."""
    paths = sorted(KUBERNETES.rglob("*.yaml"))
    assert len(paths) >= 8
    for path in paths:
        documents = yaml_documents(path)
        assert documents, f"{path} is empty"
        for document in documents:
            assert {"apiVersion", "kind"} <= set(document), f"{path}: {document}"


def test_every_kustomization_names_existing_paths() -> None:
    """resources, components, patches and generator files all exist, so `kubectl apply -k` finds them."""
    for path in kustomizations():
        references = list(kustomization_references(path))
        assert references, f"{path} names nothing"
        for what, target in references:
            assert target.exists(), f"{path.relative_to(REPO)}: {what} entry {target} does not exist"
            if what == "components":
                (component,) = yaml_documents(target / "kustomization.yaml")
                assert component["kind"] == "Component", f"{target} is not a kustomize Component"


def test_local_overlay_uses_base_and_the_opt_in_components() -> None:
    """overlays/local = base + redis + sandbox + jaeger, jaeger last so it patches the others."""
    (overlay,) = yaml_documents(KUBERNETES / "overlays/local/kustomization.yaml")
    assert [Path(entry).name for entry in overlay["resources"]] == ["base"]
    names = [Path(entry).name for entry in overlay["components"]]
    assert {"redis", "jaeger"} <= set(names)
    assert names[-1] == "jaeger"


@pytest.mark.parametrize("name", ["gateway", "policy", "redis", "jaeger", "sandbox"])
def test_every_pod_is_hardened(name: str) -> None:
    """Non-root, no privilege escalation, read-only root, no capabilities, RuntimeDefault seccomp, limits."""
    deployment = deployments()[name]
    pod = deployment["spec"]["template"]["spec"]
    pod_security = pod.get("securityContext", {})
    assert pod_security.get("seccompProfile", {}).get("type") == "RuntimeDefault"
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for container in containers(deployment):
        assert "envFrom" not in container, f"{name}: secrets belong in files, not the environment"
        security = {**pod_security, **container.get("securityContext", {})}
        assert security.get("runAsNonRoot") is True
        assert security.get("runAsUser", 0) != 0
        assert container["securityContext"].get("allowPrivilegeEscalation") is False
        assert container["securityContext"].get("readOnlyRootFilesystem") is True
        assert container["securityContext"].get("capabilities", {}).get("drop") == ["ALL"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container.get("resources", {}).get(kind, {})), f"{name}: {kind}"
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes, f"{name}: mount {mount['name']} has no volume"
        if container["image"].split(":")[0] == "signalmesh":
            assert security["runAsUser"] == RUNTIME_UID
            writable = {
                mount["mountPath"]
                for mount in container["volumeMounts"]
                if "emptyDir" in volumes[mount["name"]]
            }
            assert {STATE_DIR, "/tmp"} <= writable


@pytest.mark.parametrize(("name", "port"), sorted(GRPC_PORTS.items()))
def test_grpc_services_use_native_grpc_probes_on_their_port(name: str, port: int) -> None:
    """Liveness and readiness ask grpc.health.v1 on the port the container serves."""
    (container,) = containers(deployments()[name])
    assert [declared["containerPort"] for declared in container["ports"]] == [port, METRICS_PORT]
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["grpc"]["port"] == port, f"{name}.{probe}"
    words = container["args"]
    assert words[0] == name and option(words, "--config") == CONFIG_TARGET
    mounted = {mount["mountPath"] for mount in container["volumeMounts"]}
    assert str(Path(CONFIG_TARGET).parent) in mounted


def test_every_service_selects_a_deployment_and_a_named_port() -> None:
    """Each Service's selector matches one Deployment's pods and its targetPort is a declared port."""
    objects = [document for _, document in manifests()]
    found = deployments()
    service_names = set()
    for service in (document for document in objects if document["kind"] == "Service"):
        service_names.add(service["metadata"]["name"])
        selector = service["spec"]["selector"].items()
        matches = [
            deployment
            for deployment in found.values()
            if selector <= deployment["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matches) == 1, f"Service {service['metadata']['name']} selects {len(matches)} Deployments"
        declared = {port["name"] for container in containers(matches[0]) for port in container["ports"]}
        declared |= {
            port["containerPort"] for container in containers(matches[0]) for port in container["ports"]
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in declared
    assert {"gateway", "policy", "redis", "jaeger", "sandbox"} <= service_names


@pytest.mark.parametrize("name", sorted(GRPC_PORTS))
def test_prometheus_scrapes_the_port_signalmesh_serves_metrics_on(name: str, tmp_path: Path) -> None:
    """The pod's annotations, its named port, its Service and [telemetry] agree on one port."""
    deployment = deployments()[name]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert (annotations["prometheus.io/port"], annotations["prometheus.io/path"]) == (
        str(METRICS_PORT),
        "/metrics",
    )
    (container,) = containers(deployment)
    assert {"name": "metrics", "containerPort": METRICS_PORT} in container["ports"]
    for folder in CONFIG_FOLDERS:
        config = kubernetes_config(folder, name, tmp_path / folder)
        assert config.telemetry.prometheus_listen == f"0.0.0.0:{METRICS_PORT}", folder


def test_compose_publishes_the_metrics_endpoints(
    services: dict[str, dict[str, Any]], compose_configs: dict[str, Config]
) -> None:
    for name in GRPC_PORTS:
        assert METRICS_PORT in published_ports(services[name]).values(), name
    for config in compose_configs.values():
        assert config.telemetry.prometheus_listen == f"0.0.0.0:{METRICS_PORT}"


def service_port(name: str) -> int:
    for _, document in manifests():
        if document["kind"] == "Service" and document["metadata"]["name"] == name:
            return int(document["spec"]["ports"][0]["port"])
    raise AssertionError(f"no Service named {name}")


def generator_literals(kustomization: Path, name: str) -> dict[str, str]:
    (document,) = yaml_documents(kustomization)
    (generator,) = [item for item in document.get("secretGenerator", []) if item["name"] == name]
    return dict(literal.split("=", 1) for literal in generator["literals"])


CONFIG_FOLDERS = ("base", "overlays/local")
# What base/kustomization.yaml documents the operator's Secrets to hold (made-up values).
BASE_SECRETS = {
    "signalmesh-policy-token": {"token": "policy-token"},
    "signalmesh-redis": {"password": "pw", "url": "redis://:pw@redis:6379/0"},
    "signalmesh-platform-tokens": {"META_TOKEN": "token", "META_PIXEL_ID": "1234567890"},
}


def folder_secrets(folder: str) -> dict[str, dict[str, str]]:
    """Secret name → its data, as the folder's kustomization (or, for base, its documentation)
    provides them; signalmesh-config is the folder's signalmesh.toml."""
    secrets = {name: dict(data) for name, data in BASE_SECRETS.items()}
    if folder != "base":
        kustomization = KUBERNETES / folder / "kustomization.yaml"
        secrets = {name: generator_literals(kustomization, name) for name in BASE_SECRETS}
    secrets["signalmesh-config"] = {"signalmesh.toml": (KUBERNETES / folder / "signalmesh.toml").read_text()}
    return secrets


def mounted_secret_files(
    deployment: dict[str, Any], secrets: Mapping[str, Mapping[str, str]], where: Path
) -> dict[str, Path]:
    """Container path → a file holding what the pod's Secret volumes put there (``items`` honoured),
    written under ``where``; every Secret volume must be mounted read-only."""
    pod = deployment["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    (container,) = containers(deployment)
    files = {}
    for mount in container.get("volumeMounts", []):
        secret = volumes[mount["name"]].get("secret")
        if secret is None:
            continue
        assert mount.get("readOnly") is True, f"{mount['name']} is a Secret mounted writable"
        data = secrets[secret["secretName"]]
        items = secret.get("items") or [{"key": key, "path": key} for key in data]
        for item in items:
            host = where / secret["secretName"] / item["path"]
            host.parent.mkdir(parents=True, exist_ok=True)
            host.write_text(data[item["key"]])
            files[f"{mount['mountPath']}/{item['path']}"] = host
    return files


def pod_config(deployment: dict[str, Any], secrets: Mapping[str, Mapping[str, str]], where: Path) -> Config:
    """The Config this pod's container loads: --config read from its mounts, file: secrets too,
    with no environment (the manifests put no secret there)."""
    files = mounted_secret_files(deployment, secrets, where)
    (container,) = containers(deployment)
    target = option(container["args"], "--config")
    assert target in files, f"{deployment['metadata']['name']}: nothing mounted at {target}"
    return load_with_secret_files(files[target], files, {}, where / "loaded.toml")


def kubernetes_config(folder: str, name: str, where: Path) -> Config:
    return pod_config(deployments()[name], folder_secrets(folder), where / name)


@pytest.mark.parametrize("folder", CONFIG_FOLDERS)
def test_kubernetes_configs_load_and_address_cluster_services(folder: str, tmp_path: Path) -> None:
    """The config Secret's toml loads in gateway and policy with only what their Secret volumes
    mount, and its addresses are the Services the manifests define."""
    secrets = folder_secrets(folder)
    configs = {name: kubernetes_config(folder, name, tmp_path) for name in GRPC_PORTS}
    config = configs["gateway"]
    assert config.state_dir == Path(STATE_DIR)
    assert config.gateway.listen == f"0.0.0.0:{GRPC_PORTS['gateway']}"
    assert config.policy.listen == f"0.0.0.0:{GRPC_PORTS['policy']}"
    policy_host, policy_port = host_and_port(config.gateway.policy_address)
    assert policy_port == service_port(policy_host) == GRPC_PORTS["policy"]
    assert config.store.backend == "redis"
    redis_host, redis_port = host_and_port(config.store.redis_url)
    assert redis_port == service_port(redis_host)
    # Redis's password (the Secret the redis component passes to requirepass) is in the URL.
    assert urlsplit(config.store.redis_url).password == secrets["signalmesh-redis"]["password"]
    platform = secrets["signalmesh-platform-tokens"]
    assert config.destinations["meta"].setting("access_token") == platform["META_TOKEN"]
    assert config.destinations["meta"].setting("pixel_id") == platform["META_PIXEL_ID"]
    # Finding 7: policy listens beyond loopback, so both sides hold the policy token.
    token = secrets["signalmesh-policy-token"]["token"]
    assert {configs[name].policy.token for name in GRPC_PORTS} == {token}
    # API keys come from the config Secret: the gateway never makes up a per-pod key.
    clients, generated_key = api_clients(config)
    assert clients and generated_key is None
    if folder == "overlays/local":
        sandbox_host, sandbox_port = host_and_port(config.destinations["meta"].setting("base_url"))
        assert sandbox_port == service_port(sandbox_host) == SANDBOX_PORT
        assert [client.key_sha256 for client in config.clients] == [
            hashlib.sha256(DEMO_KEY.encode()).hexdigest()
        ]
        # The Jaeger UI through the port-forward deploy/README.md shows.
        assert config.telemetry.trace_url == "http://localhost:16686/trace/{trace_id}"
        assert "kubectl port-forward svc/jaeger 16686:16686" in (DEPLOY / "README.md").read_text()


def test_base_clients_admit_nobody_until_an_overlay_sets_them(tmp_path: Path) -> None:
    """The base's placeholder client is an all-zero hash no key produces (not a known demo key)."""
    config = kubernetes_config("base", "gateway", tmp_path)
    assert [client.key_sha256 for client in config.clients] == ["0" * 64]
    assert hash_api_key(DEMO_KEY) != "0" * 64


def test_redis_requires_the_password_of_the_redis_secret() -> None:
    """requirepass is the `password` key of signalmesh-redis, the Secret whose `url` the mesh uses;
    the probe authenticates with REDISCLI_AUTH from the same key."""
    (container,) = containers(deployments()["redis"])
    args = container["args"]
    assert option(args, "--requirepass") == "$(REDIS_PASSWORD)"
    references = {
        item["name"]: item["valueFrom"]["secretKeyRef"] for item in container["env"] if "valueFrom" in item
    }
    expected = {"name": "signalmesh-redis", "key": "password"}
    assert references == {"REDIS_PASSWORD": expected, "REDISCLI_AUTH": expected}
    assert container["readinessProbe"]["exec"]["command"] == ["redis-cli", "ping"]


def test_the_sandbox_is_probed_on_its_health_endpoint() -> None:
    """Readiness and liveness GET the sandbox's open health route (not a bare TCP connect)."""
    (container,) = containers(deployments()["sandbox"])
    app = build_app(tokens=["sandbox-token"])
    routes = {(route.method, route.resource.canonical) for route in app.router.routes() if route.resource}
    for probe in ("readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert ("GET", check["path"]) in routes
        assert check["port"] in {port["name"] for port in container["ports"]}


# ------------------------------------------------------------------ rendered manifests (kustomize)

# The Kubernetes version whose schemas every rendered object must satisfy (kubernetes-validate
# ships them: the check is offline).
KUBERNETES_VERSION = "1.32.0"
OVERLAYS = ("base", "overlays/local")


@functools.cache
def render(folder: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize FOLDER`: the objects `kubectl apply -k` would send."""
    # Never a skip: without kubectl the rendered manifests would go unchecked unnoticed.
    assert shutil.which("kubectl") is not None, (
        "kubectl (with its built-in kustomize) is not installed: `make test` installs it, "
        "or run `apt-get install -y kubectl` (with sudo when not root)"
    )
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES / folder)], capture_output=True, text=True, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    return tuple(document for document in yaml.safe_load_all(rendered.stdout) if document)


def of_kind(
    objects: tuple[dict[str, Any], ...] | list[dict[str, Any]], kind: str
) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in objects if document["kind"] == kind}


def validate_strictly(document: dict[str, Any]) -> None:
    """Schema-valid for KUBERNETES_VERSION, unknown fields refused (strict)."""
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_every_manifest_file_is_valid_against_the_kubernetes_schemas() -> None:
    """Without kustomize too: each object written in deploy/kubernetes (patches aside) is valid."""
    for path, document in manifests():
        try:
            validate_strictly(document)
        except kubernetes_validate.ValidationError as error:
            raise AssertionError(f"{path.relative_to(REPO)} {document['kind']}: {error.message}") from None


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    """The validation bites: a typo in a Deployment is an error, not ignored."""
    broken = json.loads(json.dumps(deployments()["gateway"]))
    broken["spec"]["template"]["spec"]["containers"][0]["securityContexts"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_strictly(broken)
    broken = json.loads(json.dumps(deployments()["gateway"]))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_strictly(broken)


@pytest.mark.parametrize("folder", OVERLAYS)
def test_every_rendered_object_is_valid_against_the_kubernetes_schemas(folder: str) -> None:
    for document in render(folder):
        try:
            validate_strictly(document)
        except kubernetes_validate.ValidationError as error:
            name = f"{document['kind']}/{document['metadata']['name']}"
            raise AssertionError(f"{folder}: {name}: {error.message}") from None


@pytest.mark.parametrize("folder", OVERLAYS)
def test_rendered_pods_take_secrets_only_as_files(folder: str) -> None:
    """No envFrom at all, no secretKeyRef in a SignalMesh container; every pod's container has a
    securityContext; the config comes from a Secret volume."""
    for name, deployment in of_kind(render(folder), "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            assert "envFrom" not in container, f"{folder}: {name} loads a whole object into its environment"
            assert container.get("securityContext", {}).get("readOnlyRootFilesystem") is True, name
            if container["name"] == "signalmesh":
                assert not [item for item in container.get("env", []) if "valueFrom" in item], name
        if name in GRPC_PORTS:
            volumes = {volume["name"]: volume for volume in pod["volumes"]}
            assert "secret" in volumes["config"] and "configMap" not in volumes["config"]


@pytest.mark.parametrize("folder", OVERLAYS)
@pytest.mark.parametrize("name", sorted(GRPC_PORTS))
def test_gateway_and_policy_scale_and_survive_a_drain(folder: str, name: str) -> None:
    """An autoscaling/v2 HPA scales the Deployment from two pods; a PDB selecting its pods keeps
    at least one through a voluntary disruption, and never blocks a drain (fewer than min)."""
    objects = render(folder)
    deployment = of_kind(objects, "Deployment")[name]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (autoscaler,) = [
        hpa
        for hpa in of_kind(objects, "HorizontalPodAutoscaler").values()
        if hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    ]
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert 2 <= autoscaler["spec"]["minReplicas"] < autoscaler["spec"]["maxReplicas"]
    (budget,) = [
        pdb
        for pdb in of_kind(objects, "PodDisruptionBudget").values()
        if pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    ]
    assert 1 <= budget["spec"]["minAvailable"] < autoscaler["spec"]["minReplicas"]
    # Before the autoscaler first acts (or without metrics-server) the budget must not block a drain.
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


@pytest.mark.parametrize("folder", OVERLAYS)
def test_rendered_configs_load_from_the_rendered_secrets(folder: str, tmp_path: Path) -> None:
    """The objects `kubectl apply -k` sends (hashed Secret names and all) give each pod what its
    config reads, and gateway and policy agree on the policy token."""
    objects = render(folder)
    secrets = {
        name: {key: base64.b64decode(value).decode() for key, value in secret.get("data", {}).items()}
        for name, secret in of_kind(objects, "Secret").items()
    }
    if folder == "base":  # the base only names the operator's Secrets
        secrets.update(BASE_SECRETS)
    configs = {
        name: pod_config(of_kind(objects, "Deployment")[name], secrets, tmp_path / name)
        for name in GRPC_PORTS
    }
    tokens = {config.policy.token for config in configs.values()}
    assert len(tokens) == 1 and None not in tokens


@pytest.mark.parametrize("name", SIGNALMESH_SERVICES)
def test_local_overlay_renders_with_tracing_on_every_signalmesh_deployment(name: str) -> None:
    """`kubectl kustomize` builds overlays/local; the jaeger component reached every SignalMesh pod."""
    found = of_kind(render("overlays/local"), "Deployment")
    assert {"gateway", "policy", "sandbox", "redis", "jaeger"} <= set(found)
    (container,) = containers(found[name])
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4317"
    assert env["OTEL_TRACES_EXPORTER"] == "otlp" and env["OTEL_SERVICE_NAME"] == f"signalmesh-{name}"
    assert container["image"] == "signalmesh:dev"


# -------------------------------------------------------------------------- network reachability

INTERNET = "203.0.113.7"  # an address outside the cluster
OUTSIDE: dict[str, str] = {}  # labels of a pod in another, unlabelled namespace
# An application pod of the namespace (not part of SignalMesh): the gateway's API caller.
CLIENT = "client"


def peer_matches(peer: Mapping[str, Any], labels: Mapping[str, str] | None, same_namespace: bool) -> bool:
    """Whether a NetworkPolicy peer admits a pod (``labels``; None: an address outside the cluster)."""
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        inside = labels is None and ipaddress.ip_address(INTERNET) in ipaddress.ip_network(block["cidr"])
        return inside and not any(
            ipaddress.ip_address(INTERNET) in ipaddress.ip_network(cidr) for cidr in block.get("except", [])
        )
    if labels is None:
        return False
    if "namespaceSelector" in peer:
        # Only an empty selector is known to select this (or an unlabelled) namespace.
        if peer["namespaceSelector"]:
            return False
    elif not same_namespace:
        return False
    return selector_matches(peer.get("podSelector", {}), labels)


def rule_admits(
    rule: Mapping[str, Any], peers_key: str, labels: Mapping[str, str] | None, same_namespace: bool, port: int
) -> bool:
    ports = rule.get("ports")
    if ports and not any(entry.get("port") == port for entry in ports):
        return False
    peers = rule.get(peers_key)
    return not peers or any(peer_matches(peer, labels, same_namespace) for peer in peers)


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A label selector: matchLabels, and matchExpressions with In / NotIn / Exists."""
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        matched = {
            "In": labels.get(key) in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def selected(policy: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    return selector_matches(policy["spec"]["podSelector"], labels)


def allowed(
    policies: list[dict[str, Any]],
    direction: str,
    pod: Mapping[str, str],
    peer: Mapping[str, str] | None,
    same_namespace: bool,
    port: int,
) -> bool:
    """Kubernetes' rule: a pod no policy of that direction selects is open; otherwise some
    selecting policy must admit the peer on the port."""
    relevant = [
        policy for policy in policies if selected(policy, pod) and direction in policy["spec"]["policyTypes"]
    ]
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return not relevant or any(
        rule_admits(rule, peers_key, peer, same_namespace, port)
        for policy in relevant
        for rule in policy["spec"].get(key, [])
    )


@pytest.fixture(scope="module")
def local_network() -> tuple[dict[str, dict[str, str]], list[dict[str, Any]]]:
    """overlays/local: Deployment → its pods' labels, and every NetworkPolicy."""
    objects = render("overlays/local")
    pods = {
        name: deployment["spec"]["template"]["metadata"]["labels"]
        for name, deployment in of_kind(objects, "Deployment").items()
    }
    pods[CLIENT] = {"app.kubernetes.io/name": "shop-backend"}
    return pods, list(of_kind(objects, "NetworkPolicy").values())


def reaches(
    network: tuple[dict[str, dict[str, str]], list[dict[str, Any]]], source: str, target: str, port: int
) -> bool:
    pods, policies = network
    if source == "outside":
        return allowed(policies, "Ingress", pods[target], OUTSIDE, False, port)
    return allowed(policies, "Egress", pods[source], pods[target], True, port) and allowed(
        policies, "Ingress", pods[target], pods[source], True, port
    )


@pytest.mark.parametrize(
    ("target", "port", "callers"),
    [
        ("policy", 7401, {"gateway"}),
        ("redis", 6379, {"gateway", "policy"}),
        ("sandbox", 7480, {"gateway"}),
        ("gateway", 7400, {CLIENT}),
        ("jaeger", 4317, {"gateway", "policy", "sandbox"}),
    ],
)
def test_network_policies_let_only_the_intended_callers_in(
    local_network: tuple[dict[str, dict[str, str]], list[dict[str, Any]]],
    target: str,
    port: int,
    callers: set[str],
) -> None:
    """Default deny, then exactly: only the gateway reaches policy (finding 7) and the sandbox;
    only gateway and policy reach Redis; the namespace's applications call the gateway (mesh pods
    have no reason to); the three SignalMesh services send spans to Jaeger. Nothing from another
    (unlabelled) namespace reaches any of them."""
    pods, _ = local_network
    reaching = {
        source for source in pods if source != target and reaches(local_network, source, target, port)
    }
    assert reaching == callers - {target}
    assert reaches(local_network, "outside", target, port) is False


def test_only_the_gateway_reaches_the_internet_and_only_over_https(
    local_network: tuple[dict[str, dict[str, str]], list[dict[str, Any]]],
) -> None:
    pods, policies = local_network
    mesh = {name: labels for name, labels in pods.items() if name != CLIENT}
    out = {name for name, labels in mesh.items() if allowed(policies, "Egress", labels, None, False, 443)}
    assert out == {"gateway"}
    assert not [name for name, labels in mesh.items() if allowed(policies, "Egress", labels, None, False, 80)]


def test_every_pod_is_denied_by_default_and_resolves_names(
    local_network: tuple[dict[str, dict[str, str]], list[dict[str, Any]]],
) -> None:
    """Each pod is isolated both ways (a port no rule opens is closed) and may still ask DNS."""
    pods, policies = local_network
    dns = {"k8s-app": "kube-dns"}
    for name, labels in pods.items():
        if name == CLIENT:
            continue
        assert not allowed(policies, "Ingress", labels, {}, True, 1234), name
        assert not allowed(policies, "Egress", labels, {}, True, 1234), name
        assert allowed(policies, "Egress", labels, dns, False, 53), f"{name} cannot resolve names"
        assert not allowed(policies, "Egress", labels, {}, False, 53), f"{name} may ask any pod on 53"
