"""`make chaos`: nothing lost, nothing doubled — the mesh under injected platform faults, process
kills and duplicate storms, audited event by event against what the sandbox recorded.

Every process is real: the sandbox (with its fault injection), policy and gateway run as
`signalmesh` processes on one SQLite file, configured by a signalmesh.toml in a temp dir, with
three destinations (two Meta pixels and a webhook, all `send_all`). The client retries every
batch until it is acknowledged, as an at-least-once producer would, and records what each
answer promised. Then the audit, per (event, destination):

- acknowledged: the gateway answered ACCEPTED with SEND (or DUPLICATE of an earlier SEND);
- delivered: the event id is in the sandbox's record for that destination (the record keeps
  the first copy of each event id, as the platform's own dedup does);
- redelivered: copies the sandbox received again and dropped by event id (its `duplicates`
  counter): the visible cost of at-least-once after an ambiguous failure (a timeout, a kill
  between send and commit). Allowed only where such a failure was injected;
- doubled: an event id recorded twice after that dedup (a retry that changed the event id or
  name): must be 0;
- dead-lettered: given up by the dispatcher, each with its reason (an empty reason fails);
- lost: acknowledged, neither delivered nor dead-lettered: must be 0.

Scenarios are small functions (platform faults, one platform down, gateway kills, policy kill,
duplicate storm, backpressure with every platform down, the platform killed); ``--short`` runs
all of them with fewer events and kills (what `tests/system/test_chaos.py` runs). The process
exits 1 when any scenario fails its audit.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import redis
from google.protobuf import timestamp_pb2
from rich.console import Console
from rich.table import Table
from signalmesh.cli.processes import ServiceProcess, start_service
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc, policy_pb2

PIXEL_A, PIXEL_B, WEBHOOK = "1111111111", "2222222222", "crm"
# destination → (sandbox platform, the destination's key in the sandbox's record)
DESTINATIONS = {"meta_a": ("meta", PIXEL_A), "meta_b": ("meta", PIXEL_B), "crm": ("webhook", WEBHOOK)}
CONFIG = """\
state_dir = "{state_dir}"
[gateway]
policy_timeout = "1s"
max_outbox_depth = {max_outbox_depth}
[policy]
default_strategy = "send_all"
[dispatcher]
linger = "10ms"
poll_interval = "20ms"
lease = "{lease}"
base_backoff = "20ms"
max_backoff = "500ms"
request_timeout = "{request_timeout}"
breaker_threshold = 5
breaker_cooldown = "300ms"
[destinations.meta_a]
connector = "meta"
pixel_id = "{pixel_a}"
access_token = "sandbox-token"
base_url = "http://{sandbox}"
[destinations.meta_b]
connector = "meta"
pixel_id = "{pixel_b}"
access_token = "sandbox-token"
base_url = "http://{sandbox}"
[destinations.crm]
connector = "webhook"
url = "http://{sandbox}/webhook/{webhook}"
secret = "chaos-webhook-secret"
{store}
"""
# Errors after which the same batch is sent again (the gateway promised nothing).
RETRIABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
}
FAULT_TIMEOUT_MS = 1_500  # above the dispatcher's request_timeout of 1 s: the call times out


def make_events(count: int, prefix: str) -> list[event_pb2.ConversionEvent]:
    now = time.time()
    stamp = timestamp_pb2.Timestamp(seconds=int(now - 30))
    return [
        event_pb2.ConversionEvent(
            event_id=f"{prefix}-{index}",
            event_name="Purchase",
            event_time=stamp,
            action_source=event_pb2.ACTION_SOURCE_WEBSITE,
            event_source_url="https://shop.example.com/thanks",
            value="49.90",
            currency="EUR",
            user_data=event_pb2.UserData(
                emails=[f"customer{index}@example.com"],
                client_ip_address="203.0.113.10",
                client_user_agent="Mozilla/5.0 (chaos)",
            ),
            click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(now * 1000)}.chaos{index}"),
        )
        for index in range(count)
    ]


# --- the mesh ---------------------------------------------------------------------------------


class Mesh:
    """Sandbox, policy and gateway as processes; gateway and policy restart on their own port."""

    def __init__(
        self,
        run_dir: Path,
        *,
        request_timeout: str = "10s",
        lease: str = "12s",
        max_outbox_depth: int = 1_000_000,
        redis_url: str | None = None,
    ) -> None:
        self.max_outbox_depth = max_outbox_depth
        # With a Redis URL the mesh runs on the scale-out backend, in a namespace of its own.
        self.redis_url = redis_url
        self.redis_namespace = f"chaos-{uuid.uuid4().hex[:12]}"
        # Only the platform-fault scenario times calls out at 1 s: elsewhere a slow answer under
        # full CPU load must not look like a timeout (an ambiguous failure, hence a redelivery).
        self.request_timeout, self.lease = request_timeout, lease
        self.run_dir = run_dir
        self.processes: dict[str, ServiceProcess] = {}
        self.restarts: Counter[str] = Counter()

    async def start(self) -> None:
        self.processes["sandbox"] = await self._launch("sandbox", ["sandbox", "--listen", "127.0.0.1:0"])
        self.config = self.run_dir / "signalmesh.toml"
        self.config.write_text(
            CONFIG.format(
                state_dir=self.run_dir / "state",
                sandbox=self.sandbox_address,
                pixel_a=PIXEL_A,
                pixel_b=PIXEL_B,
                webhook=WEBHOOK,
                request_timeout=self.request_timeout,
                lease=self.lease,
                max_outbox_depth=self.max_outbox_depth,
                store=(
                    f'[store]\nbackend = "redis"\nredis_url = "{self.redis_url}"\n'
                    f'redis_namespace = "{self.redis_namespace}"\n'
                    if self.redis_url
                    else ""
                ),
            )
        )
        await self.restart("policy", "127.0.0.1:0")
        await self.restart("gateway", "127.0.0.1:0")
        self.key = (self.run_dir / "state" / "local-api-key").read_text().strip()
        self.control = SandboxControl(f"http://{self.sandbox_address}", timeout_seconds=60)

    @property
    def sandbox_address(self) -> str:
        return self.processes["sandbox"].address

    @property
    def gateway_address(self) -> str:
        return self.processes["gateway"].address

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    async def restart(self, name: str, listen: str | None = None) -> None:
        """Start ``name`` again on the address it had (clients reconnect to the same port)."""
        listen = listen or self.processes[name].address
        arguments = [name, "--config", str(self.config), "--listen", listen]
        if name == "sandbox":  # the platform emulator takes no mesh config
            arguments = [name, "--listen", listen]
        if name == "gateway":
            arguments += ["--policy", self.processes["policy"].address]
        if name in self.processes:
            self.restarts[name] += 1
        self.processes[name] = await self._launch(f"{name}-{self.restarts[name]}", arguments)

    async def _launch(self, label: str, arguments: list[str]) -> ServiceProcess:
        return await asyncio.to_thread(start_service, label, arguments, self.run_dir)

    async def close(self) -> None:
        if hasattr(self, "control"):
            await self.control.close()
        for process in reversed(list(self.processes.values())):
            await asyncio.to_thread(process.stop, 10)
        if self.redis_url:
            client = redis.Redis.from_url(self.redis_url)
            try:
                keys = list(client.scan_iter(match=f"{self.redis_namespace}:*", count=1000))
                if keys:
                    client.delete(*keys)
            finally:
                client.close()


# --- the client and its ledger ----------------------------------------------------------------


@dataclass
class Ledger:
    """What the gateway promised: the (destination, event id) pairs it acknowledged, and when."""

    acknowledged: set[str] = field(default_factory=set)
    expected: set[tuple[str, str]] = field(default_factory=set)
    acknowledged_at: dict[str, float] = field(default_factory=dict)
    sends: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    # (started, ended) wall-clock of every call that was answered ACCEPTED.
    accepted_calls: list[tuple[float, float]] = field(default_factory=list)

    def record(self, response: gateway_pb2.SendEventsResponse, started: float, ended: float) -> None:
        self.accepted_calls.append((started, ended))
        for result in response.results:
            if result.disposition != gateway_pb2.DISPOSITION_ACCEPTED:
                self.skipped[f"rejected: {result.violations[0].field if result.violations else '?'}"] += 1
                continue
            self.acknowledged.add(result.event_id)
            self.acknowledged_at.setdefault(result.event_id, ended)
            for decision in result.decisions:
                if decision.decision == policy_pb2.DECISION_SEND:
                    self.sends += 1
                    self.expected.add((decision.destination, result.event_id))
                elif decision.reason == policy_pb2.REASON_DUPLICATE:
                    self.expected.add((decision.destination, result.event_id))
                else:
                    self.skipped[policy_pb2.Reason.Name(decision.reason)] += 1


class Client:
    """SendEvents over ``connections`` separate HTTP/2 connections, retrying until acknowledged."""

    def __init__(self, address: str, key: str, connections: int = 2) -> None:
        # A local subchannel pool per channel: separate TCP connections, not one shared one.
        self.channels = [
            grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
            for _ in range(connections)
        ]
        self.stubs = [gateway_pb2_grpc.GatewayStub(channel) for channel in self.channels]
        self.metadata = (("authorization", f"Bearer {key}"),)
        self.ledger = Ledger()

    async def send(self, events: list[event_pb2.ConversionEvent], connection: int = 0) -> None:
        request = gateway_pb2.SendEventsRequest(events=events)
        stub = self.stubs[connection % len(self.stubs)]
        for _ in range(600):
            started = time.time()
            try:
                response = await stub.SendEvents(
                    request, metadata=self.metadata, timeout=10, wait_for_ready=True
                )
            except grpc.aio.AioRpcError as error:
                if error.code() not in RETRIABLE:
                    raise
                self.ledger.refused[error.code().name] += 1
                await asyncio.sleep(0.1)
                continue
            self.ledger.record(response, started, time.time())
            return
        raise RuntimeError(f"a batch of {len(events)} was never acknowledged")

    async def send_all(
        self, events: list[event_pb2.ConversionEvent], batch_size: int, concurrency: int
    ) -> None:
        batches = [events[start : start + batch_size] for start in range(0, len(events), batch_size)]
        queue: asyncio.Queue[list[event_pb2.ConversionEvent]] = asyncio.Queue()
        for batch in batches:
            queue.put_nowait(batch)

        async def worker(connection: int) -> None:
            while not queue.empty():
                await self.send(queue.get_nowait(), connection)

        await asyncio.gather(*(worker(index) for index in range(concurrency)))

    async def statuses(self, event_ids: Iterable[str]) -> dict[str, gateway_pb2.GetEventStatusResponse]:
        answers = {}
        for event_id in event_ids:
            request = gateway_pb2.GetEventStatusRequest(event_id=event_id)
            try:
                answers[event_id] = await self.stubs[0].GetEventStatus(
                    request, metadata=self.metadata, timeout=10, wait_for_ready=True
                )
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                answers[event_id] = gateway_pb2.GetEventStatusResponse(event_id=event_id)  # no status at all
        return answers

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


# --- the audit --------------------------------------------------------------------------------


@dataclass
class Audit:
    scenario: str
    acknowledged: int
    expected: int
    delivered: int
    redelivered: int
    doubled: int
    dead_reasons: Counter[str]
    unexplained_dead: int
    lost: list[tuple[str, str]]
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.lost and not self.doubled and not self.unexplained_dead and not self.failures


async def audit(
    scenario: str, mesh: Mesh, client: Client, *, settle_seconds: float, redelivery_allowed: bool
) -> Audit:
    """Wait until every acknowledged pair is delivered or dead-lettered (or time runs out), then count."""
    ledger = client.ledger
    deadline = time.monotonic() + settle_seconds
    while True:
        recorded, redelivered, doubled = await _recorded(mesh.control)
        dead = await _dead_letters(client)
        lost = sorted(pair for pair in ledger.expected if pair not in recorded[pair[0]] and pair not in dead)
        if not lost or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    delivered = sum(1 for pair in ledger.expected if pair in recorded[pair[0]])
    reasons = Counter(_reason_class(reason) for reason in dead.values())
    result = Audit(
        scenario,
        len(ledger.acknowledged),
        len(ledger.expected),
        delivered,
        redelivered,
        doubled,
        reasons,
        sum(1 for reason in dead.values() if not reason.strip()),
        lost,
    )
    if redelivered and not redelivery_allowed:
        result.failures.append(f"{redelivered} redelivered although no ambiguous failure was injected")
    if ledger.skipped:
        result.notes.append(
            "skipped/rejected: " + ", ".join(f"{name} {count}" for name, count in ledger.skipped.items())
        )
    if lost:
        statuses = await client.statuses(sorted({event_id for _, event_id in lost[:5]}))
        for event_id, status in statuses.items():
            states = {
                item.destination: gateway_pb2.DeliveryState.Name(item.state) for item in status.destinations
            }
            result.notes.append(f"lost {event_id}: {states}")
    return result


async def _recorded(control: SandboxControl) -> tuple[dict[str, set[tuple[str, str]]], int, int]:
    """Per destination, the (destination, event id) pairs the sandbox kept; redelivered copies
    it dropped by event id; event ids it kept twice (doubled after its dedup)."""
    recorded: dict[str, set[tuple[str, str]]] = {}
    redelivered = doubled = 0
    for name, (platform, key) in DESTINATIONS.items():
        events = await control.events(platform, key)
        ids = [str(event["event_id"]) for event in events.events]
        recorded[name] = {(name, event_id) for event_id in ids}
        redelivered += events.duplicates
        doubled += len(ids) - len(set(ids))
    return recorded, redelivered, doubled


async def _dead_letters(client: Client) -> dict[tuple[str, str], str]:
    request = gateway_pb2.ListDeadLettersRequest(limit=1_000_000)
    answer = await client.stubs[0].ListDeadLetters(
        request, metadata=client.metadata, timeout=30, wait_for_ready=True
    )
    return {(letter.destination, letter.event_id): letter.reason for letter in answer.dead_letters}


def _reason_class(reason: str) -> str:
    """ "gave up after 3 attempts · retry · code 500 …" → "gave up after 3 attempts"."""
    return reason.split(" · ", 1)[0] or "(no reason)"


# --- scenarios --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sizes:
    faults: int = 5_000
    outage: int = 1_500
    kills_events: int = 20_000
    kills: int = 5
    policy_events: int = 3_000
    storm_events: int = 1_000
    storm_repeats: int = 50
    # Outbox entries (events x 3 destinations) before the gateway refuses; seconds of refusals.
    backpressure_depth: int = 3_000
    backpressure_seconds: float = 20.0
    platform_kill_events: int = 3_000

    @classmethod
    def short(cls) -> Sizes:
        return cls(
            faults=600,
            outage=400,
            kills_events=2_000,
            kills=2,
            policy_events=600,
            storm_events=200,
            storm_repeats=20,
            backpressure_depth=600,
            backpressure_seconds=4.0,
            platform_kill_events=600,
        )


Scenario = Callable[[Mesh, Client, Sizes, random.Random], Awaitable[Audit]]


async def paced(
    client: Client, events: list[event_pb2.ConversionEvent], *, batch: int, pause: float, connection: int = 0
) -> None:
    for start in range(0, len(events), batch):
        await client.send(events[start : start + batch], connection)
        await asyncio.sleep(pause)


async def platform_faults(mesh: Mesh, client: Client, sizes: Sizes, rng: random.Random) -> Audit:
    """30 % of platform calls answer 500, 10 % 429 with Retry-After, 5 % time out (every platform);
    1 % of events are refused by Meta for good (dead letters with the platform's reason)."""
    # Rules are drawn in order: the latency rule fires on its own; the first answering rule
    # that fires decides, so later rates are conditional on the earlier ones not firing.
    for platform in ("meta", "webhook"):
        await mesh.control.inject(platform=platform, latency_ms=FAULT_TIMEOUT_MS, rate=0.05)
        await mesh.control.inject(platform=platform, status=500, rate=0.30 / 0.95)
        await mesh.control.inject(
            platform=platform, status=429, retry_after=1, rate=0.10 / (0.95 * (1 - 0.30 / 0.95))
        )
    # Small batches at a steady pace: many platform calls, so the rates are drawn often.
    events = make_events(sizes.faults, "faults")
    # 1 % are Leads whose value came as text in custom_properties: valid at the gateway (custom
    # properties pass through), refused by Meta (custom_data.value must be a number, as the real
    # API says). Those pairs must end as explained dead letters while the events batched with them
    # are delivered, and the webhook copy of each is delivered too.
    for event in events[::100]:
        event.event_name = "Lead"
        event.value = ""
        event.custom_properties.update({"value": "49.90"})
    await asyncio.gather(
        *(paced(client, events[part::4], batch=10, pause=0.02, connection=part) for part in range(4))
    )
    result = await audit(
        "1 · 30 % 500, 10 % 429 + Retry-After, 5 % timeouts, 1 % refused",
        mesh,
        client,
        settle_seconds=120,
        redelivery_allowed=True,
    )
    await mesh.control.clear_faults()
    refused = {(name, event.event_id) for event in events[::100] for name in ("meta_a", "meta_b")}
    dead = await _dead_letters(client)
    if set(dead) != refused:
        result.failures.append(
            f"dead letters {sorted(set(dead) ^ refused)[:5]} differ from the {len(refused)} refused pairs"
        )
    for reason, count in Counter(dead.values()).most_common(2):
        result.notes.append(f"dead letter ×{count}: {reason[:140]}")
    stats = await mesh.control.stats()
    by_status: Counter[str] = Counter()
    requests = 0
    for platform in ("meta", "webhook"):
        by_status.update(stats[platform]["by_status"])
        requests += stats[platform]["requests"]
    # A timed-out call is answered late (200 or the drawn error), after the dispatcher gave up.
    shares = ", ".join(f"{code} {100 * count / requests:.0f} %" for code, count in sorted(by_status.items()))
    result.notes.append(
        f"{requests} platform calls answered {shares}; {FAULT_TIMEOUT_MS} ms delay (a timeout) drawn at 5 %"
    )
    return result


async def platform_outage(mesh: Mesh, client: Client, sizes: Sizes, rng: random.Random) -> Audit:
    """meta_a (pixel A) answers 503 to everything for a stretch, then recovers; meta_b and the
    webhook keep their delivery latency (same run: a baseline phase, then the outage phase)."""
    half = sizes.outage // 2
    baseline, during = make_events(half, "outage-base"), make_events(half, "outage-down")

    await paced(client, baseline, batch=20, pause=0.05)  # a steady trickle: latency, not throughput
    await mesh.control.inject(platform="meta", status=503, destination=PIXEL_A)
    await paced(client, during, batch=20, pause=0.05)
    await asyncio.sleep(1.0)  # the outage lasts a little past the last event
    faulted = (await mesh.control.stats())["meta"]["faults_injected"]
    await mesh.control.clear_faults()
    result = await audit(
        "2 · meta_a fully down, then back", mesh, client, settle_seconds=60, redelivery_allowed=False
    )
    statuses = await client.statuses(event.event_id for event in baseline + during)
    ratios = []
    for destination in ("meta_b", "crm"):
        before = _latencies(statuses, baseline, destination, client.ledger)
        down = _latencies(statuses, during, destination, client.ledger)
        if not before or not down:
            result.failures.append(f"no delivery latency for {destination}")
            continue
        ratio = statistics.median(down) / max(statistics.median(before), 1e-3)
        ratios.append(ratio)
        result.notes.append(
            f"{destination} ack→delivered p50 {statistics.median(before):.0f} ms → "
            f"{statistics.median(down):.0f} ms during the outage (ratio {ratio:.2f}), "
            f"p95 {_p95(before):.0f} → {_p95(down):.0f} ms"
        )
    result.notes.append(f"meta_a refused {faulted} calls while down")
    return result


def _latencies(
    statuses: dict[str, gateway_pb2.GetEventStatusResponse],
    events: list[event_pb2.ConversionEvent],
    destination: str,
    ledger: Ledger,
) -> list[float]:
    latencies = []
    for event in events:
        for item in statuses[event.event_id].destinations:
            if item.destination == destination and item.state == gateway_pb2.DELIVERY_STATE_DELIVERED:
                delivered_at = item.updated_at.seconds + item.updated_at.nanos / 1e9
                latencies.append(max(0.0, delivered_at - ledger.acknowledged_at[event.event_id]) * 1000)
    return latencies


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


async def gateway_kills(mesh: Mesh, client: Client, sizes: Sizes, rng: random.Random) -> Audit:
    """SIGKILL the gateway at random points of the run (acknowledgement, policy call, outbox
    write or delivery in flight), restart it on its port, and keep sending."""
    events = make_events(sizes.kills_events, "kills")
    thresholds = sorted(rng.uniform(0.05, 0.95) * len(events) for _ in range(sizes.kills))
    sending = asyncio.create_task(client.send_all(events, batch_size=250, concurrency=4))
    kills = 0
    for threshold in thresholds:
        while len(client.ledger.acknowledged) < threshold and not sending.done():
            await asyncio.sleep(0.005)
        await asyncio.sleep(rng.uniform(0, 0.05))
        mesh.kill("gateway")
        kills += 1
        await mesh.restart("gateway")
    await sending
    result = await audit(
        f"3 · gateway SIGKILL ×{kills} during {len(events):,} events",
        mesh,
        client,
        settle_seconds=120,
        redelivery_allowed=True,
    )
    result.notes.append(f"{kills} kills and restarts; refused while down: {dict(client.ledger.refused)}")
    return result


async def platform_kill(mesh: Mesh, client: Client, sizes: Sizes, rng: random.Random) -> Audit:
    """SIGKILL the platform itself (the sandbox) mid-run and bring it back on its port: calls in
    flight die with it, the gateway retries, and every acknowledged pair ends delivered.

    The killed sandbox's memory of what it received dies with it, so this audit reads the
    gateway's own status per pair (what the platform acknowledged), and the restarted sandbox's
    record for what arrived after the restart."""
    events = make_events(sizes.platform_kill_events, "platform-kill")
    sending = asyncio.create_task(client.send_all(events, batch_size=50, concurrency=4))
    while len(client.ledger.acknowledged) < len(events) // 3 and not sending.done():
        await asyncio.sleep(0.005)
    while not (await mesh.control.stats())["meta"]["accepted_events"]:  # some already delivered
        await asyncio.sleep(0.005)
    mesh.kill("sandbox")
    await asyncio.sleep(1.0)
    await mesh.restart("sandbox")
    await sending
    ledger = client.ledger
    ids = sorted(ledger.acknowledged)
    deadline = time.monotonic() + 60
    while True:
        statuses = await client.statuses(ids)
        state = {
            (item.destination, event_id): item.state
            for event_id, status in statuses.items()
            for item in status.destinations
        }
        final = {gateway_pb2.DELIVERY_STATE_DELIVERED, gateway_pb2.DELIVERY_STATE_DEAD_LETTERED}
        lost = sorted(pair for pair in ledger.expected if state.get(pair) not in final)
        if not lost or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    recorded, redelivered, doubled = await _recorded(mesh.control)
    dead = await _dead_letters(client)
    after_restart = sum(len(pairs) for pairs in recorded.values())
    result = Audit(
        "7 · platform (sandbox) SIGKILL, restart",
        len(ledger.acknowledged),
        len(ledger.expected),
        sum(1 for pair in ledger.expected if state.get(pair) == gateway_pb2.DELIVERY_STATE_DELIVERED),
        redelivered,
        doubled,
        Counter(_reason_class(reason) for reason in dead.values()),
        sum(1 for reason in dead.values() if not reason.strip()),
        lost,
    )
    if after_restart == 0:
        result.failures.append("nothing reached the restarted platform: the kill happened too late")
    result.notes.append(
        f"delivered = the gateway's status (the killed platform's record died with it); "
        f"{len(ledger.expected) - after_restart:,} pairs reached the platform before the kill, "
        f"{after_restart:,} the restarted one"
    )
    return result


async def policy_kill(mesh: Mesh, client: Client, sizes: Sizes, rng: random.Random) -> Audit:
    """SIGKILL policy mid-run: the gateway answers UNAVAILABLE and accepts nothing it cannot
    decide; it recovers by itself when policy is back on its port."""
    events = make_events(sizes.policy_events, "policy")
    sending = asyncio.create_task(client.send_all(events, batch_size=50, concurrency=4))
    while len(client.ledger.acknowledged) < len(events) // 3 and not sending.done():
        await asyncio.sleep(0.005)
    mesh.kill("policy")
    down_from = time.time()
    await asyncio.sleep(2.0)
    down_until = time.time()
    await mesh.restart("policy")
    await sending
    refusals = client.ledger.refused.get("UNAVAILABLE", 0)
    # A call that began after the kill and was answered before the restart began was decided by nobody.
    undecided = sum(
        1
        for started, ended in client.ledger.accepted_calls
        if started > down_from + 0.01 and ended < down_until
    )
    recovered = min(
        (ended for started, ended in client.ledger.accepted_calls if ended > down_until), default=None
    )
    result = await audit(
        "4 · policy SIGKILL, restart", mesh, client, settle_seconds=60, redelivery_allowed=False
    )
    if refusals == 0:
        result.failures.append("the gateway never answered UNAVAILABLE while policy was down")
    if undecided:
        result.failures.append(f"{undecided} calls were accepted while policy was down")
    if recovered is None:
        result.failures.append("the gateway never accepted again after policy returned")
    else:
        result.notes.append(
            f"while down: {refusals} × UNAVAILABLE, 0 accepted; "
            f"first acceptance {recovered - down_until:.1f} s after restart began"
        )
    return result


async def duplicate_storm(mesh: Mesh, client: Client, sizes: Sizes, rng: random.Random) -> Audit:
    """The same events sent many times at once over several connections: one SEND per
    (event, destination), one delivery, no redelivery."""
    events = make_events(sizes.storm_events, "storm")
    await asyncio.gather(*(client.send(events, connection=copy) for copy in range(sizes.storm_repeats)))
    result = await audit(
        f"5 · {sizes.storm_events:,} events × {sizes.storm_repeats} concurrent copies",
        mesh,
        client,
        settle_seconds=60,
        redelivery_allowed=False,
    )
    if client.ledger.sends != len(events) * len(DESTINATIONS):
        result.failures.append(
            f"{client.ledger.sends} SEND decisions for {len(events) * len(DESTINATIONS)} pairs"
        )
    result.notes.append(
        f"{client.ledger.sends} SEND decisions for {len(events) * len(DESTINATIONS)} (event, destination) "
        "pairs "
        f"over {len(client.channels)} connections"
    )
    return result


def rss_mib(process: ServiceProcess) -> float:
    """Resident memory of a service process and its children (a gateway's workers), from /proc
    (Linux)."""
    from benchmarks.run import tree_rss_mb

    return tree_rss_mb(process.process.pid)


async def backpressure(mesh: Mesh, client: Client, sizes: Sizes, rng: random.Random) -> Audit:
    """Every platform down while a producer keeps sending new events: past max_outbox_depth the
    gateway answers RESOURCE_EXHAUSTED with a retry hint, accepts nothing more, and its memory
    stays flat; when the platforms return, everything it did accept is delivered."""
    for platform in ("meta", "webhook"):
        await mesh.control.inject(platform=platform, status=503)
    gateway = mesh.processes["gateway"]
    stub, batch, sent = client.stubs[0], 50, 0
    exhausted, hinted, samples = 0, 0, []
    deadline = time.monotonic() + sizes.backpressure_seconds
    while time.monotonic() < deadline:
        events = make_events(batch, f"pressure-{sent}")
        sent += batch
        started = time.time()
        try:
            response = await stub.SendEvents(
                gateway_pb2.SendEventsRequest(events=events), metadata=client.metadata, timeout=10
            )
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise
            exhausted += 1
            hinted += "retry" in (error.details() or "")
            samples.append(rss_mib(gateway))
            continue
        client.ledger.record(response, started, time.time())
    accepted_while_down = len(client.ledger.acknowledged)
    await mesh.control.clear_faults()
    result = await audit(
        "6 · all platforms down, producer keeps sending (backpressure)",
        mesh,
        client,
        settle_seconds=60,
        redelivery_allowed=False,
    )
    # The depth is re-read every 250 ms: a few batches past the limit may get in before it is seen.
    allowed = sizes.backpressure_depth // len(DESTINATIONS) + 4 * batch
    if exhausted == 0:
        result.failures.append("the gateway never answered RESOURCE_EXHAUSTED")
    if accepted_while_down > allowed:
        result.failures.append(f"{accepted_while_down} events accepted past a limit of about {allowed}")
    if hinted < exhausted:
        result.failures.append(f"{exhausted - hinted} RESOURCE_EXHAUSTED answers gave no retry hint")
    if len(samples) >= 4:
        quarter = len(samples) // 4
        early, late = statistics.median(samples[:quarter]), statistics.median(samples[-quarter:])
        result.notes.append(
            f"{sent:,} events offered, {accepted_while_down:,} accepted, {exhausted:,} calls refused "
            f"with RESOURCE_EXHAUSTED; gateway RSS while refusing {early:.1f} → {late:.1f} MiB "
            f"({late - early:+.1f} MiB over {len(samples):,} refusals)"
        )
        if late - early > 25:
            result.failures.append(f"gateway memory grew {late - early:.1f} MiB while refusing")
    return result


SCENARIOS: dict[str, Scenario] = {
    "faults": platform_faults,
    "outage": platform_outage,
    "gateway-kill": gateway_kills,
    "policy-kill": policy_kill,
    "storm": duplicate_storm,
    "backpressure": backpressure,
    "platform-kill": platform_kill,
}


async def run_scenario(
    name: str, sizes: Sizes, seed: int = 0, console: Console | None = None, redis_url: str | None = None
) -> Audit:
    """One scenario against its own fresh mesh (so counts never mix), audited; on Redis when
    ``redis_url`` is given, else on the embedded SQLite store."""
    with tempfile.TemporaryDirectory(prefix=f"signalmesh-chaos-{name}-") as directory:
        settings: dict[str, Any] = {"request_timeout": "1s", "lease": "5s"} if name == "faults" else {}
        if name == "backpressure":
            settings["max_outbox_depth"] = sizes.backpressure_depth
        mesh = Mesh(Path(directory), redis_url=redis_url, **settings)
        started = time.monotonic()
        try:
            await mesh.start()
            client = Client(mesh.gateway_address, mesh.key, connections=5 if name == "storm" else 2)
            try:
                result = await SCENARIOS[name](mesh, client, sizes, random.Random(seed))
            finally:
                await client.close()
        finally:
            await mesh.close()
        result.seconds = time.monotonic() - started
        if redis_url:
            result.scenario += " · on Redis"
        if console is not None:
            console.print(f"{'ok  ' if result.ok else 'FAIL'} {result.scenario} ({result.seconds:.1f} s)")
        return result


def render(results: list[Audit], console: Console) -> None:
    table = Table(title="make chaos — lost and doubled must be 0; every dead letter must carry its reason")
    for column in (
        "scenario",
        "acknowledged",
        "pairs expected",
        "delivered",
        "redelivered (sandbox dedup)",
        "doubled",
        "dead-lettered (reasons)",
        "lost",
        "result",
    ):
        table.add_column(
            column, justify="left" if column in ("scenario", "dead-lettered (reasons)") else "right"
        )
    for result in results:
        dead = ", ".join(f"{count} {reason}" for reason, count in result.dead_reasons.items()) or "0"
        table.add_row(
            result.scenario,
            f"{result.acknowledged:,}",
            f"{result.expected:,}",
            f"{result.delivered:,}",
            f"{result.redelivered:,}",
            str(result.doubled),
            dead,
            str(len(result.lost)),
            "[green]ok[/]" if result.ok else "[red]FAIL[/]",
        )
    console.print(table)
    console.print(
        "pairs = (event, destination) over meta_a, meta_b (Meta pixels) and crm (webhook), all send_all. "
        "redelivered = copies the sandbox received again and dropped by event id (at-least-once after a "
        "timeout or a kill); doubled = event ids it kept twice after that dedup."
    )
    for result in results:
        for line in [*result.notes, *(f"[red]{failure}[/]" for failure in result.failures)]:
            console.print(f"  {result.scenario.split(' ', 1)[0]}  {line}")


async def run(
    names: list[str], sizes: Sizes, seed: int, console: Console, redis_url: str | None = None
) -> list[Audit]:
    return [await run_scenario(name, sizes, seed, console, redis_url) for name in names]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--short", action="store_true", help="fewer events and kills (the form `make test` runs)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the kill points")
    parser.add_argument(
        "--redis",
        metavar="URL",
        help="run on the Redis store at URL (e.g. redis://127.0.0.1:6379/0) instead of SQLite",
    )
    parser.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help=f"any of {', '.join(SCENARIOS)} (default: all)"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    console = Console(width=200)
    results = asyncio.run(
        run(
            args.scenarios or list(SCENARIOS),
            Sizes.short() if args.short else Sizes(),
            args.seed,
            console,
            args.redis,
        )
    )
    render(results, console)
    sys.exit(0 if all(result.ok for result in results) else 1)


if __name__ == "__main__":
    main()
