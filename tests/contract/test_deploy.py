"""The deploy/ files stay runnable: compose, Dockerfile, configs and Kubernetes manifests agree.

No container engine runs in the test environment, so these tests read the files the way Compose,
Docker, kustomize and SignalMesh itself would, and check that the names, ports, addresses and
secrets they share line up. Every config file is parsed by the real ``load_config``.
"""

from __future__ import annotations

import ast
import calendar
import fnmatch
import hashlib
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
from signalmesh.monitoring.alert_settings import AlertSettings

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


@pytest.fixture(scope="module")
def compose_configs(services: dict[str, dict[str, Any]]) -> dict[str, Config]:
    """Each of gateway and policy loads its mounted config with its own environment."""
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
        configs[name] = load_config(source, environ=environment(service))
    return configs


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
    assert "pip install ." in install and "plugins/*/" in install
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
    assert json.loads(instructions(runtime, "CMD")[-1])[0] in SIGNALMESH_SERVICES
    exposed = {
        int(port.split("/")[0]) for arguments in instructions(runtime, "EXPOSE") for port in arguments.split()
    }
    assert {*GRPC_PORTS.values(), SANDBOX_PORT} <= exposed
    created = " ".join(instructions(runtime, "RUN"))
    assert f"--uid {RUNTIME_UID}" in created and STATE_DIR in created


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
def test_prometheus_scrapes_the_port_signalmesh_serves_metrics_on(name: str) -> None:
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
    for path in (
        KUBERNETES / "base" / "signalmesh.toml",
        KUBERNETES / "overlays" / "local" / "signalmesh.toml",
    ):
        config = config_from_mapping(
            tomllib.loads(path.read_text()), {"META_PIXEL_ID": "1", "META_TOKEN": "t"}, None
        )
        assert config.telemetry.prometheus_listen == f"0.0.0.0:{METRICS_PORT}", path


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


@pytest.mark.parametrize("folder", ["base", "overlays/local"])
def test_kubernetes_configs_load_and_address_cluster_services(folder: str) -> None:
    """The ConfigMap's toml loads, and its addresses are the Services the manifests define."""
    secrets = {"META_TOKEN": "token", "META_PIXEL_ID": "1234567890"}
    if folder != "base":
        secrets = generator_literals(KUBERNETES / folder / "kustomization.yaml", "signalmesh-secrets")
    config = load_config(KUBERNETES / folder / "signalmesh.toml", environ=secrets)
    assert config.state_dir == Path(STATE_DIR)
    assert config.gateway.listen == f"0.0.0.0:{GRPC_PORTS['gateway']}"
    assert config.policy.listen == f"0.0.0.0:{GRPC_PORTS['policy']}"
    policy_host, policy_port = host_and_port(config.gateway.policy_address)
    assert policy_port == service_port(policy_host) == GRPC_PORTS["policy"]
    assert config.store.backend == "redis"
    redis_host, redis_port = host_and_port(config.store.redis_url)
    assert redis_port == service_port(redis_host)
    assert config.destinations["meta"].setting("access_token") == secrets["META_TOKEN"]
    if folder == "overlays/local":
        sandbox_host, sandbox_port = host_and_port(config.destinations["meta"].setting("base_url"))
        assert sandbox_port == service_port(sandbox_host) == SANDBOX_PORT
        assert [client.key_sha256 for client in config.clients] == [
            hashlib.sha256(DEMO_KEY.encode()).hexdigest()
        ]
        # The Jaeger UI through the port-forward deploy/README.md shows.
        assert config.telemetry.trace_url == "http://localhost:16686/trace/{trace_id}"
        assert "kubectl port-forward svc/jaeger 16686:16686" in (DEPLOY / "README.md").read_text()


@pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl (with built-in kustomize) is not installed"
)
def test_local_overlay_renders_with_tracing_on_every_signalmesh_deployment() -> None:
    """`kubectl kustomize` builds overlays/local; the jaeger component reached every SignalMesh pod."""
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(KUBERNETES / "overlays/local")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    objects = [document for document in yaml.safe_load_all(rendered.stdout) if document]
    names = {(document["kind"], document["metadata"]["name"]) for document in objects}
    found = {
        document["metadata"]["name"]: document for document in objects if document["kind"] == "Deployment"
    }
    assert {"gateway", "policy", "sandbox", "redis", "jaeger"} <= set(found)
    for name in SIGNALMESH_SERVICES:
        (container,) = containers(found[name])
        env = {item["name"]: item["value"] for item in container["env"]}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4317"
        assert env["OTEL_TRACES_EXPORTER"] == "otlp" and env["OTEL_SERVICE_NAME"] == f"signalmesh-{name}"
        assert container["image"] == "signalmesh:dev"
        pod = found[name]["spec"]["template"]["spec"]
        for volume in pod["volumes"]:
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names
        for source in container.get("envFrom", []):
            assert ("Secret", source["secretRef"]["name"]) in names
