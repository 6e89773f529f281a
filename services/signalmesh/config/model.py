"""What signalmesh.toml means once validated: frozen, typed settings with safe defaults.

Every setting has a default, so the embedded mesh (SQLite + local sandbox) runs with no file at
all. These types belong to config; the services import them from here, never the other way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from signalmesh.connector import SEND_ALL, STRICT, Destination
from signalmesh.monitoring.alert_settings import AlertSettings
from signalmesh.monitoring.quality_bands import WARN_BELOW

STRATEGIES = (STRICT, SEND_ALL)
DEFAULT_SANDBOX_LISTEN = "127.0.0.1:7480"
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_PIXEL = "1234567890"
SCOPES = ("events:write", "events:read", "admin")


@dataclass(frozen=True, slots=True)
class ApiClient:
    name: str
    key_sha256: str
    scopes: tuple[str, ...] = SCOPES
    # The only destinations this key may send to (None: every configured one).
    destinations: tuple[str, ...] | None = None
    # Epoch seconds after which the key is refused (keys from `signalmesh keys new --expires`).
    expires_at: float | None = None
    # Fair sharing; None: the [gateway] client_* default. 0: no limit.
    events_per_second: float | None = None
    burst: float | None = None
    max_concurrent_streams: int | None = None


@dataclass(frozen=True, slots=True)
class ServerTls:
    """A server's certificate and key (PEM files). With ``client_ca``, every caller must present
    a certificate that CA signed (mutual TLS); the handshake refuses anyone else."""

    cert: str
    key: str
    client_ca: str | None = None
    # The table the paths came from, so an unreadable file is reported as e.g. "policy.tls_key".
    section: str = "tls"


@dataclass(frozen=True, slots=True)
class ClientTls:
    """How a client dials a TLS server: the CA it trusts (None: the system's roots) and, for a
    server that requires client certificates, its own certificate and key."""

    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    # How the keys are spelled in signalmesh.toml ("gateway.policy_tls_"), for error messages.
    keys: str = "tls_"


CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def default_workers(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The cores this process may run on: its CPU set, capped by a container's CPU limit
    (cgroup v2 ``cpu.max``, e.g. a pod's ``limits.cpu: 1`` → 1 worker, not the node's cores)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, cpu_limit_cores(cpu_max) or cores))


def cpu_limit_cores(cpu_max: Path) -> int | None:
    """Whole cores a cgroup v2 quota allows, rounded up ("150000 100000" → 2); None: no limit."""
    try:
        quota, period = cpu_max.read_text().split()[:2]
        return None if quota == "max" else max(1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    listen: str = "127.0.0.1:7400"
    policy_address: str = "127.0.0.1:7401"
    # Deadline for the policy hop; past it the gateway answers UNAVAILABLE (never guesses).
    policy_timeout_seconds: float = 5.0
    # Unary SendEvent calls wait at most this long to share one policy call.
    micro_batch_linger_ms: float = 2.0
    max_batch_size: int = 1000
    # An event without event_id is rejected unless this is set; a generated id comes with a
    # warning, because the browser pixel cannot share it and platforms cannot deduplicate.
    generate_missing_event_id: bool = False
    # Past this many undelivered entries the gateway answers RESOURCE_EXHAUSTED with a retry
    # hint instead of growing without bound (a platform outage must not exhaust the disk).
    max_outbox_depth: int = 1_000_000
    # Per-client fair sharing, for [[clients]] that set none of their own (0: no limit). Over
    # the limit a call is refused whole with RESOURCE_EXHAUSTED + RetryInfo.
    client_events_per_second: float = 0.0
    client_burst: float = 0.0  # 0: one second's worth of events
    client_max_concurrent_streams: int = 64
    # HTTP/2 transport hygiene for every connection: streams in flight on one connection
    # (more wait in the client), server keepalive pings to find dead peers, and the shortest
    # interval at which a client may ping (faster pingers are disconnected: too_many_pings).
    max_streams_per_connection: int = 0  # 0: gRPC's own (unbounded); see connection_options
    keepalive_time_seconds: float = 60.0
    keepalive_timeout_seconds: float = 20.0
    min_client_ping_interval_seconds: float = 10.0
    # [gateway] tls_cert/tls_key/tls_client_ca: None serves plaintext (loopback development).
    tls: ServerTls | None = None
    # [gateway] policy_tls_ca/policy_tls_cert/policy_tls_key: None dials policy in plaintext.
    policy_tls: ClientTls | None = None
    # Gateway processes sharing the listen port (SO_REUSEPORT), each with its own event loop:
    # one per core by default, 1 for a single process as before.
    workers: int = field(default_factory=lambda: default_workers())


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    listen: str = "127.0.0.1:7401"
    default_strategy: str = STRICT
    dedup_window_seconds: float = 48 * 3600
    # A shared secret the gateway presents to policy (``authorization: Bearer``). Without it,
    # anyone who reaches policy's port could claim dedup keys and make real events "duplicates".
    token: str | None = None
    # [policy] tls_cert/tls_key/tls_client_ca; with a client CA, only the gateway's certificate gets in.
    tls: ServerTls | None = None


@dataclass(frozen=True, slots=True)
class StoreConfig:
    backend: str = "sqlite"
    # Relative paths are relative to the state directory.
    path: str = "signalmesh.db"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prefix of every key: environments (or test runs) can share one Redis without mixing.
    redis_namespace: str = "signalmesh"
    # How long a delivered or skipped event's status is kept for `signalmesh status` (SQLite
    # prunes older rows; Redis expires the keys). Longer than any dedup window.
    status_retention_seconds: float = 30 * 86400


@dataclass(frozen=True, slots=True)
class DispatcherConfig:
    # How long a worker waits for a batch to fill before sending what it has.
    linger_ms: float = 20.0
    # How often an idle worker looks for due entries.
    poll_interval_ms: float = 50.0
    # An entry claimed by a worker that died is retried after this long.
    lease_seconds: float = 30.0
    # 0: no cap on attempts; the horizon (and the platform's age window) ends retrying.
    max_attempts: int = 0
    # Keep retrying this long after an entry was enqueued, then dead-letter it.
    retry_horizon_seconds: float = 24 * 3600
    base_backoff_seconds: float = 0.5
    max_backoff_seconds: float = 300.0
    request_timeout_seconds: float = 10.0
    # Batches in flight per destination (each worker claims its own batch).
    concurrency: int = 2
    # Consecutive failed requests that open a destination's circuit, and how long it stays open.
    breaker_threshold: int = 5
    breaker_cooldown_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class StatsConfig:
    """The history the mesh keeps of itself (DESIGN §11): hourly buckets, then daily roll-ups."""

    # Off only to measure what keeping history costs (`make bench`); alerts and reports need it.
    enabled: bool = True
    hourly_retention_seconds: float = 35 * 86400
    daily_retention_seconds: float = 400 * 86400


@dataclass(frozen=True, slots=True)
class TelemetryConfig:
    # host:port of a Prometheus scrape endpoint (``/metrics``) on each service; None: off.
    prometheus_listen: str | None = None
    # The trace viewer's address of one trace, with ``{trace_id}`` where the id goes (e.g. Jaeger's
    # "http://localhost:16686/trace/{trace_id}"); `signalmesh trace` prints the links. None: ids only.
    trace_url: str | None = None

    def trace_link(self, trace_id: str) -> str | None:
        """Where to open ``trace_id``, or None without a ``trace_url`` (or an id)."""
        return self.trace_url.replace("{trace_id}", trace_id) if self.trace_url and trace_id else None


@dataclass(frozen=True, slots=True)
class QualityConfig:
    """The lines an accepted event is warned against (it is still accepted and sent)."""

    # An event whose estimated match quality (0–10) at a destination is below this gets a
    # warning naming the destination and what to add; the practice's target band is 7.5–9.
    warn_below: float = WARN_BELOW
    # An event accepted more than this long after its event_time gets a warning naming the
    # delay, and is counted in the history (``stale``): platforms want events within seconds.
    stale_after_seconds: float = 3600.0


@dataclass(frozen=True, slots=True)
class PrivacyConfig:
    # Personal data in a free-form field (page URL, order id, properties): "strip" removes a
    # page URL's parameter holding it and refuses the rest; "reject" refuses every occurrence.
    free_text_pii: str = "strip"


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    listen: str = DEFAULT_SANDBOX_LISTEN
    tokens: tuple[str, ...] = (SANDBOX_TOKEN,)


@dataclass(frozen=True, slots=True)
class TrackingRule:
    """The business's own definition of a valid conversion for one event name (tracking plan),
    so "Purchase fired on a failed payment" is refused at the edge."""

    event_name: str
    # Field paths in ConversionEvent that must be present ("order_id", "user_data.emails").
    required: tuple[str, ...] = ()
    # At least one of these must be present.
    required_one_of: tuple[str, ...] = ()
    # custom_properties keys that must hold exactly this value (payment_status = "succeeded").
    custom_properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Config:
    state_dir: Path = Path(".signalmesh")
    gateway: GatewayConfig = field(default_factory=GatewayConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    dispatcher: DispatcherConfig = field(default_factory=DispatcherConfig)
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    stats: StatsConfig = field(default_factory=StatsConfig)
    telemetry: TelemetryConfig = field(default_factory=TelemetryConfig)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    quality: QualityConfig = field(default_factory=QualityConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    destinations: Mapping[str, Destination] = field(default_factory=dict)
    clients: tuple[ApiClient, ...] = ()
    # [client]: how the `signalmesh` commands dial the gateway (None: plaintext).
    client_tls: ClientTls | None = None
    # Event name → the business's own rules for that event (tracking plan).
    tracking_plan: Mapping[str, TrackingRule] = field(default_factory=dict)
    # Destination → when its credential was rotated (``rotated_at``), for the token-age alert.
    rotated_at: Mapping[str, float] = field(default_factory=dict)
    # Entry-point names to load; None loads every installed plugin.
    plugins_allow: tuple[str, ...] | None = None
    # Where the config came from (None: built-in defaults).
    source: Path | None = None

    @property
    def sqlite_path(self) -> Path:
        path = Path(self.store.path)
        return path if path.is_absolute() else self.state_dir / path

    def strategy_for(self, destination: str) -> str:
        configured = self.destinations.get(destination)
        return (configured.strategy if configured else None) or self.policy.default_strategy


def default_destinations(sandbox_listen: str = DEFAULT_SANDBOX_LISTEN) -> dict[str, Destination]:
    """With no destinations configured, send to Meta through the local sandbox."""
    return {
        "meta": Destination(
            name="meta",
            connector="meta",
            settings={
                "pixel_id": SANDBOX_PIXEL,
                "access_token": SANDBOX_TOKEN,
                "base_url": f"http://{sandbox_listen}",
            },
        )
    }
