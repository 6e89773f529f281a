"""`make bench`: events per second end to end (client → gateway → policy → outbox → sandbox) and
ingest latency, beside the same figures for a bare grpc.aio echo server (the floor), in one run;
then what keeping history costs: the same SendEvents load through a gateway with ``[stats]`` on
and one with it off, alternated, with each gateway's CPU time per event read from /proc; then
what tracing costs, the same way: a gateway exporting nothing, and gateways exporting over real
OTLP/gRPC (to ``benchmarks/otlp_sink.py``, a receiver process) with 10 % and all traces sampled;
then one gateway worker against ``[gateway] workers = N`` (one per core); the ingest latency at a
fixed offered load of unary calls (open loop: each call is due at its slot, so a slow answer
delays no later call and the latency counts from the slot, not from when the client got round
to it); the CPU each process spent per delivered event; with ``--soak``, the gateway's RSS before
and after a million events. ``--json FILE`` writes every figure for tracking over time.

Every process is real and on loopback: sandbox, policy and gateway as `signalmesh` processes on
SQLite, the echo server as its own process, and the load generator here. Figures are printed;
nothing is asserted about them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2
from rich.console import Console
from rich.table import Table
from signalmesh.cli.processes import ServiceProcess, start_service
from signalmesh.sandbox.client import SandboxControl
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc

PIXEL = "1234567890"
CONFIG = """\
state_dir = "{state_dir}"
[dispatcher]
linger = "20ms"
poll_interval = "20ms"
[destinations.meta]
connector = "meta"
pixel_id = "{pixel}"
access_token = "sandbox-token"
base_url = "http://{sandbox}"
[gateway]
workers = {workers}
"""


@dataclass(frozen=True, slots=True)
class Figures:
    name: str
    events: int
    seconds: float
    latencies_ms: list[float]

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


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
            order_id=f"{prefix}-{index}",
            user_data=event_pb2.UserData(
                emails=[f"customer{index}@example.com"],
                phones=[f"+1650555{index % 10000:04d}"],
                first_name="Alex",
                last_name="Doe",
                client_ip_address="203.0.113.10",
                client_user_agent="Mozilla/5.0 (bench)",
            ),
            click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(now * 1000)}.bench{index}"),
        )
        for index in range(count)
    ]


async def drive(
    calls: list[Callable[[list[event_pb2.ConversionEvent]], Awaitable[object]]],
    events: list[event_pb2.ConversionEvent],
    batch_size: int,
    concurrency: int,
) -> tuple[float, list[float]]:
    """Send ``events`` in batches from ``concurrency`` callers, caller I through ``calls[I % len]``
    (one per connection); return (seconds, per-call ms)."""
    batches = [events[start : start + batch_size] for start in range(0, len(events), batch_size)]
    queue: asyncio.Queue[list[event_pb2.ConversionEvent]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    latencies: list[float] = []

    async def caller(call: Callable[[list[event_pb2.ConversionEvent]], Awaitable[object]]) -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            started = time.perf_counter()
            await call(batch)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(caller(calls[index % len(calls)]) for index in range(concurrency)))
    return time.perf_counter() - started, latencies


# Calls are spread over this many connections: the kernel spreads connections (not calls) over
# a gateway's workers, as it would spread many clients.
CONNECTIONS = 8


def own_connection(address: str) -> grpc.aio.Channel:
    """A channel with a TCP connection of its own. gRPC shares one connection among channels to
    the same address by default, so eight plain channels were one connection, and a gateway's
    second worker (SO_REUSEPORT spreads connections) was never sent a call."""
    return grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])


# What the gateway answers when it accepted nothing and asks for the batch again.
RETRY_LATER = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)


def caller_for(
    stub: gateway_pb2_grpc.GatewayStub,
    metadata: tuple[tuple[str, str], ...],
    batch_size: int,
    retried: Counter[str] | None = None,
) -> Callable[[list[event_pb2.ConversionEvent]], Awaitable[object]]:
    """One caller's call; with ``retried``, a batch answered "nothing accepted, retry" is sent
    again after 100 ms, as a client would (the soak runs long enough to meet such moments on a
    shared machine), and counted there by status code."""
    if batch_size == 1:

        async def unary(batch: list[event_pb2.ConversionEvent]) -> object:
            return await stub.SendEvent(
                gateway_pb2.SendEventRequest(event=batch[0]), metadata=metadata, timeout=60
            )

        return unary

    async def batched(batch: list[event_pb2.ConversionEvent]) -> object:
        while True:
            try:
                response = await stub.SendEvents(
                    gateway_pb2.SendEventsRequest(events=batch), metadata=metadata, timeout=60
                )
                break
            except grpc.aio.AioRpcError as error:
                if retried is None or error.code() not in RETRY_LATER:
                    raise
                retried[error.code().name] += 1
                await asyncio.sleep(0.1)
        # A refused event would never be delivered, and the wait below would never end.
        for result in response.results:
            if result.violations:
                raise RuntimeError(f"{result.event_id} was refused: {result.violations[0]}")
        return response

    return batched


async def measure(
    address: str,
    key: str,
    name: str,
    events: list[event_pb2.ConversionEvent],
    batch_size: int,
    concurrency: int,
    delivered: Callable[[], Awaitable[int]] | None,
    retried: Counter[str] | None = None,
) -> Figures:
    metadata = (("authorization", f"Bearer {key}"),)
    channels = [own_connection(address) for _ in range(min(CONNECTIONS, concurrency))]
    try:
        calls = [
            caller_for(gateway_pb2_grpc.GatewayStub(channel), metadata, batch_size, retried)
            for channel in channels
        ]
        started = time.perf_counter()
        _, latencies = await drive(calls, events, batch_size, concurrency)
        if delivered is not None:
            while await delivered() < len(events):
                await asyncio.sleep(0.05)
        return Figures(name, len(events), time.perf_counter() - started, latencies)
    finally:
        for channel in channels:
            await channel.close()


async def open_loop(address: str, key: str, rate: float, seconds: float, prefix: str) -> Figures:
    """Unary calls at a fixed offered ``rate`` for ``seconds``: call I is due at start + I/rate
    whatever happened to the others, and its latency counts from then (no coordinated omission)."""
    metadata = (("authorization", f"Bearer {key}"),)
    events = make_events(int(rate * seconds), prefix)
    channels = [own_connection(address) for _ in range(CONNECTIONS)]
    try:
        stubs = [gateway_pb2_grpc.GatewayStub(channel) for channel in channels]
        loop = asyncio.get_running_loop()
        latencies: list[float] = []
        failures: Counter[str] = Counter()

        async def one(index: int, event: event_pb2.ConversionEvent, due: float) -> None:
            await asyncio.sleep(max(0.0, due - loop.time()))
            try:
                await stubs[index % len(stubs)].SendEvent(
                    gateway_pb2.SendEventRequest(event=event), metadata=metadata, timeout=60
                )
            except grpc.aio.AioRpcError as error:
                failures[f"{error.code().name}: {error.details()}"] += 1
                return
            latencies.append((loop.time() - due) * 1000)

        start = loop.time() + 0.2
        await asyncio.gather(*(one(index, event, start + index / rate) for index, event in enumerate(events)))
        if failures:
            print(f"open loop: {sum(failures.values())} calls failed: {dict(failures)}", file=sys.stderr)
        return Figures(f"mesh {rate:,.0f} req/s offered", len(events), loop.time() - start, latencies)
    finally:
        for channel in channels:
            await channel.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat), immune to the shared
    machine's wall-clock noise."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (a gateway's supervisor and its workers)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            pids.extend(process_tree(int(child)))
    return pids


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(each) for each in process_tree(pid))


def tree_rss_mb(pid: int) -> float:
    """Resident set of ``pid`` and its descendants, MB (/proc/PID/status VmRSS)."""
    total_kb = 0
    for each in process_tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass(frozen=True, slots=True)
class GatewayCost:
    label: str
    events: int
    seconds: float
    gateway_cpu_seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_us_per_event(self) -> float:
        return self.gateway_cpu_seconds / self.events * 1e6


async def alternated_cost(
    gateways: dict[str, ServiceProcess],
    key: str,
    recorded: Callable[[], Awaitable[int]],
    args: argparse.Namespace,
    *,
    events_per_round: int,
    rounds: int,
    prefix: str,
) -> dict[str, GatewayCost]:
    """Alternate the gateways ``rounds`` times (so the shared machine's noise falls on each
    alike) and add up each one's figures."""
    totals: dict[str, list[float]] = {label: [0, 0.0, 0.0] for label in gateways}
    for round_number in range(rounds):
        for number, (label, gateway) in enumerate(gateways.items()):
            before = await recorded()

            async def delivered_since(before: int = before) -> int:
                return await recorded() - before

            # Event ids are printable ASCII without spaces: the gateway's number, not its label.
            events = make_events(events_per_round, f"{prefix}-{number}-{round_number}")
            cpu_before = tree_cpu_seconds(gateway.process.pid)
            figures = await measure(
                gateway.address, key, label, events, args.batch_size, args.concurrency, delivered_since
            )
            totals[label][0] += figures.events
            totals[label][1] += figures.seconds
            totals[label][2] += tree_cpu_seconds(gateway.process.pid) - cpu_before
    return {
        label: GatewayCost(label, int(events), seconds, cpu)
        for label, (events, seconds, cpu) in totals.items()
    }


# The tracing variants: OTel's own variables only, as a deployment would set them. The span
# queue is made deep enough that nothing is dropped, so the figure is the whole cost of export.
TRACING_VARIANTS: dict[str, dict[str, str]] = {
    "tracing off": {"OTEL_TRACES_EXPORTER": "none"},
    "OTLP, 10 % sampled": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
    "OTLP, all sampled": {
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
    },
}


def tracing_environment(label: str, sink: ServiceProcess) -> dict[str, str]:
    variables = {"OTEL_SERVICE_NAME": f"bench {label}", **TRACING_VARIANTS[label]}
    if variables.get("OTEL_TRACES_EXPORTER") != "none":
        variables |= {
            "OTEL_TRACES_EXPORTER": "otlp",
            # Traces only: the sink is no metrics receiver, and metrics are not measured here.
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://{sink.address}",
            "OTEL_BSP_MAX_QUEUE_SIZE": "200000",
        }
    return variables


def start_gateway(
    name: str,
    config: Path,
    policy: ServiceProcess,
    run_dir: Path,
    environment: dict[str, str] | None = None,
) -> ServiceProcess:
    """A gateway process (with ``[gateway] workers`` > 1 in ``config``, a supervisor and its
    workers: their CPU is read from the whole process tree)."""
    return start_service(
        name,
        ["gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy", policy.address],
        run_dir,
        environment=environment,
    )


def start_mesh(
    run_dir: Path, workers: int, processes: list[ServiceProcess]
) -> tuple[ServiceProcess, ServiceProcess, ServiceProcess, Path]:
    """The sandbox, policy and a gateway of ``workers`` as processes in ``run_dir`` (SQLite, one
    Meta destination): (sandbox, policy, gateway, config file). Each is appended to
    ``processes`` as it starts, so the caller stops whatever did start if a later one fails."""
    sandbox = start_service("sandbox", ["sandbox", "--listen", "127.0.0.1:0"], run_dir)
    processes.append(sandbox)
    config = run_dir / "signalmesh.toml"
    config.write_text(
        CONFIG.format(state_dir=run_dir / "state", pixel=PIXEL, sandbox=sandbox.address, workers=workers)
    )
    policy = start_service("policy", ["policy", "--config", str(config), "--listen", "127.0.0.1:0"], run_dir)
    processes.append(policy)
    gateway = start_gateway("gateway", config, policy, run_dir)
    processes.append(gateway)
    return sandbox, policy, gateway, config


def local_key(run_dir: Path) -> str:
    """The API key the gateway wrote for local callers into ``start_mesh``'s state directory."""
    return (run_dir / "state" / "local-api-key").read_text().strip()


def variant_config(config: Path, name: str, extra: str) -> Path:
    """``config`` plus ``extra`` TOML, written beside it as ``signalmesh-<name>.toml``."""
    variant = config.with_name(f"signalmesh-{name}.toml")
    variant.write_text(config.read_text() + extra)
    return variant


async def run(args: argparse.Namespace, console: Console) -> dict[str, object]:
    workers = args.workers
    with tempfile.TemporaryDirectory(prefix="signalmesh-bench-") as directory:
        run_dir = Path(directory)
        processes: list[ServiceProcess] = []
        try:
            sandbox, policy, gateway, config = start_mesh(run_dir, workers, processes)
            # For the cost of history: two more gateways, with [stats] on and off, each on its
            # own SQLite file (neither shares the policy's), same state dir (one key).
            history_gateways = {}
            for label, stats in (("[stats] on", "true"), ("[stats] off", "false")):
                variant = variant_config(
                    config,
                    f"stats-{stats}",
                    f'[store]\npath = "stats-{stats}.db"\n[stats]\nenabled = {stats}\n',
                )
                history_gateways[label] = start_gateway(f"gateway-stats-{stats}", variant, policy, run_dir)
                processes.append(history_gateways[label])
            # For the cost of tracing: an OTLP receiver, then one gateway per variant, each on its
            # own SQLite file; the sink stops after them (it is started first), so it counts
            # every span their shutdown flushes.
            span_counts = run_dir / "otlp-spans.json"
            sink = start_service(
                "otlp-sink", ["--counts-file", str(span_counts)], run_dir, module="benchmarks.otlp_sink"
            )
            processes.append(sink)
            tracing_gateways = {}
            for number, label in enumerate(TRACING_VARIANTS):
                variant = variant_config(
                    config, f"tracing-{number}", f'[store]\npath = "tracing-{number}.db"\n'
                )
                tracing_gateways[label] = start_gateway(
                    f"gateway-tracing-{number}", variant, policy, run_dir, tracing_environment(label, sink)
                )
                processes.append(tracing_gateways[label])
            # For what the workers bring: one worker against N, each on its own SQLite file.
            worker_gateways = {}
            for count in sorted({1, args.max_workers}):
                variant = variant_config(
                    config,
                    f"workers-{count}",
                    f'[store]\npath = "workers-{count}.db"\n',
                ).read_text()
                path = run_dir / f"signalmesh-workers-{count}.toml"
                path.write_text(variant.replace(f"workers = {workers}\n", f"workers = {count}\n", 1))
                label = f"{count} worker" + ("s" if count > 1 else "")
                worker_gateways[label] = start_gateway(f"gateway-workers-{count}", path, policy, run_dir)
                processes.append(worker_gateways[label])
            echo = start_service("echo", [], run_dir, module="benchmarks.echo_server")
            processes.append(echo)
            key = local_key(run_dir)
            control = SandboxControl(f"http://{sandbox.address}")

            async def recorded() -> int:
                return int((await control.stats())["meta"]["accepted_events"])

            rows: list[tuple[Figures, Figures]] = []
            process_cpu: dict[str, float] = {}
            for label, count, batch, concurrency in (
                ("SendEvents", args.events, args.batch_size, args.concurrency),
                ("SendEvent (unary)", args.unary_events, 1, args.unary_concurrency),
            ):
                floor = await measure(
                    echo.address,
                    key,
                    f"echo {label}",
                    make_events(count, f"echo-{batch}"),
                    batch,
                    concurrency,
                    None,
                )
                before = await recorded()
                mesh_events = make_events(count, f"mesh-{batch}")

                async def delivered_since(before: int = before) -> int:
                    return await recorded() - before

                cpu_before = cpu_by_process(gateway, policy, sandbox)
                mesh = await measure(
                    gateway.address, key, f"mesh {label}", mesh_events, batch, concurrency, delivered_since
                )
                if batch > 1:
                    cpu_after = cpu_by_process(gateway, policy, sandbox)
                    process_cpu = {
                        name: (cpu_after[name] - cpu_before[name]) / mesh.events * 1e6 for name in cpu_after
                    }
                rows.append((mesh, floor))
            latency = await open_loop(
                gateway.address, key, args.offered_rate, args.offered_seconds, "open-loop"
            )
            # The same offered load on one worker: on a machine whose cores the gateway shares
            # (here with policy, the sandbox and this load generator), a second worker halves
            # each micro-batch and adds a process to schedule; the figure tells which to choose.
            one_worker_latency = await open_loop(
                worker_gateways["1 worker"].address,
                key,
                args.offered_rate,
                args.offered_seconds,
                "open-loop-1",
            )
            costs = await alternated_cost(
                history_gateways,
                key,
                recorded,
                args,
                events_per_round=args.history_events,
                rounds=args.history_rounds,
                prefix="history",
            )
            tracing_costs = await alternated_cost(
                tracing_gateways,
                key,
                recorded,
                args,
                events_per_round=args.tracing_events,
                rounds=args.tracing_rounds,
                prefix="tracing",
            )
            worker_costs = await alternated_cost(
                worker_gateways,
                key,
                recorded,
                args,
                events_per_round=args.workers_events,
                rounds=args.workers_rounds,
                prefix="workers",
            )
            soak = await run_soak(gateway, key, recorded, args) if args.soak else None
            await control.close()
        finally:
            for process in reversed(processes):
                process.stop()
        exported = json.loads(span_counts.read_text()) if span_counts.exists() else {}
    print_throughput(console, rows, args, workers)
    print_latency(console, latency, args, f"{workers} worker" + ("s" if workers > 1 else ""))
    if workers != 1:
        print_latency(console, one_worker_latency, args, "1 worker")
    print_process_cpu(console, process_cpu, args)
    on, off = costs["[stats] on"], costs["[stats] off"]
    print_costs(
        console,
        f"keeping history: SendEvents ({args.batch_size} per call) end to end, the two gateways "
        f"alternated {args.history_rounds}× in this run",
        costs,
    )
    console.print(
        f"with ÷ without history: events/s {on.events_per_second / off.events_per_second:.2f}×, "
        f"gateway CPU per event {on.cpu_us_per_event / off.cpu_us_per_event:.2f}×"
    )
    print_tracing_cost(console, tracing_costs, exported, args)
    print_costs(
        console,
        f"gateway workers: SendEvents ({args.batch_size} per call, {CONNECTIONS} connections) end to end, "
        f"alternated {args.workers_rounds}×; CPU is the supervisor's and all its workers'",
        worker_costs,
    )
    single, *multiple = worker_costs.values()
    for cost in multiple:
        console.print(
            f"{cost.label} ÷ 1 worker: events/s {cost.events_per_second / single.events_per_second:.2f}×, "
            f"≈ {cost.events_per_second / args.max_workers:,.0f} events/s per worker"
        )
    if soak is not None:
        console.print(
            f"soak: {soak['events']:,} events in {soak['seconds']:.0f} s; gateway RSS "
            f"{soak['rss_before_mb']:.1f} MB before, {soak['rss_after_mb']:.1f} MB after "
            f"({soak['rss_after_mb'] - soak['rss_before_mb']:+.1f} MB)"
        )
    prepare = run_prepare_bench(console)
    return {
        "gateway_workers": workers,
        "throughput": [
            {
                "workload": mesh.name.split(" ", 1)[1],
                "mesh_events_per_second": mesh.events_per_second,
                "echo_events_per_second": floor.events_per_second,
                "mesh_over_echo": mesh.events_per_second / floor.events_per_second,
                "mesh_p50_ms": mesh.percentile(0.5),
                "mesh_p99_ms": mesh.percentile(0.99),
            }
            for mesh, floor in rows
        ],
        "open_loop": open_loop_json(latency, args),
        "open_loop_1_worker": open_loop_json(one_worker_latency, args),
        "cpu_us_per_delivered_event": process_cpu,
        "history": {label: cost_json(cost) for label, cost in costs.items()},
        "tracing": {
            label: {**cost_json(cost), "spans_per_event": exported.get(f"bench {label}", 0) / cost.events}
            for label, cost in tracing_costs.items()
        },
        "workers": {label: cost_json(cost) for label, cost in worker_costs.items()},
        "soak": soak,
        "prepare": prepare,
    }


def cpu_by_process(
    gateway: ServiceProcess, policy: ServiceProcess, sandbox: ServiceProcess
) -> dict[str, float]:
    """CPU seconds so far of this load generator and of each service (a gateway: all its workers)."""
    return {
        "client": own_cpu_seconds(),
        "gateway": tree_cpu_seconds(gateway.process.pid),
        "policy": cpu_seconds(policy.process.pid),
        "sandbox": cpu_seconds(sandbox.process.pid),
    }


def cost_json(cost: GatewayCost) -> dict[str, float]:
    return {
        "events": cost.events,
        "events_per_second": cost.events_per_second,
        "gateway_cpu_us_per_event": cost.cpu_us_per_event,
    }


async def run_soak(
    gateway: ServiceProcess, key: str, recorded: Callable[[], Awaitable[int]], args: argparse.Namespace
) -> dict[str, float]:
    """``args.soak_events`` through the main gateway in chunks (each delivered before the next);
    the gateway's RSS (all workers) after the earlier workloads warmed it, and at the end."""
    rss_before = tree_rss_mb(gateway.process.pid)
    started = time.perf_counter()
    chunk = 100_000
    sent = 0
    while sent < args.soak_events:
        count = min(chunk, args.soak_events - sent)
        before = await recorded()

        async def delivered_since(before: int = before) -> int:
            return await recorded() - before

        await measure(
            gateway.address,
            key,
            "mesh soak",
            make_events(count, f"soak-{sent}"),
            args.batch_size,
            args.concurrency,
            delivered_since,
        )
        sent += count
    return {
        "events": sent,
        "seconds": time.perf_counter() - started,
        "rss_before_mb": rss_before,
        "rss_after_mb": tree_rss_mb(gateway.process.pid),
    }


def run_prepare_bench(console: Console) -> object:
    """The preparation microbenchmark (``benchmarks/prepare_bench.py``) in a process of its own,
    so the mesh runs' heap and caches cannot flatter or burden it: its output is printed and its
    ``--json`` figures (or its text) are kept."""
    with tempfile.TemporaryDirectory() as directory:
        figures = Path(directory) / "prepare.json"
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.prepare_bench", "--json", str(figures)],
            capture_output=True,
            text=True,
            check=False,
        )
        console.print(done.stdout + done.stderr)
        return json.loads(figures.read_text()) if figures.exists() else {"output": done.stdout}


def print_throughput(
    console: Console, rows: list[tuple[Figures, Figures]], args: argparse.Namespace, workers: int
) -> None:
    table = Table(
        title=(
            "make bench — one run, same machine (2 cores); "
            f"mesh = client → gateway ({workers} worker(s)) → policy → SQLite outbox → sandbox"
        )
    )
    for column in (
        "workload",
        "server",
        "events",
        "events/s",
        "p50 ms/call",
        "p99 ms/call",
        "mesh ÷ floor (events/s)",
    ):
        table.add_column(column, justify="right")
    for mesh, floor in rows:
        ratio = mesh.events_per_second / floor.events_per_second
        for figures, shown_ratio in ((mesh, f"{ratio:.2f}×"), (floor, "")):
            table.add_row(
                figures.name.split(" ", 1)[1],
                figures.name.split(" ", 1)[0],
                str(figures.events),
                f"{figures.events_per_second:,.0f}",
                f"{figures.percentile(0.5):.1f}",
                f"{figures.percentile(0.99):.1f}",
                shown_ratio,
            )
    console.print(table)
    console.print(
        "mesh events/s counts until the sandbox recorded every event (end to end); "
        "the echo floor only answers.\n"
        f"median mesh SendEvents call: {statistics.median(rows[0][0].latencies_ms):.1f} ms "
        f"for {args.batch_size} events"
    )


def open_loop_json(latency: Figures, args: argparse.Namespace) -> dict[str, float]:
    return {
        "offered_per_second": args.offered_rate,
        "calls": latency.events,
        "achieved_per_second": latency.events_per_second,
        "p50_ms": latency.percentile(0.5),
        "p99_ms": latency.percentile(0.99),
    }


def print_latency(console: Console, latency: Figures, args: argparse.Namespace, gateway: str) -> None:
    console.print(
        f"ingest latency ({gateway}), unary SendEvent at {args.offered_rate:,.0f} req/s offered (open loop, "
        f"{latency.events:,} calls over {CONNECTIONS} connections): p50 {latency.percentile(0.5):.1f} ms, "
        f"p99 {latency.percentile(0.99):.1f} ms; achieved {latency.events_per_second:,.0f} req/s"
    )


def print_process_cpu(console: Console, process_cpu: dict[str, float], args: argparse.Namespace) -> None:
    console.print(
        f"CPU µs per delivered event (SendEvents, {args.batch_size} per call): "
        + ", ".join(f"{name} {value:,.0f}" for name, value in process_cpu.items())
        + f"; the mesh's own (gateway + policy) {process_cpu['gateway'] + process_cpu['policy']:,.0f}"
    )


def print_costs(console: Console, title: str, costs: dict[str, GatewayCost]) -> None:
    table = Table(title=title)
    for column in ("gateway", "events", "events/s", "gateway CPU µs/event"):
        table.add_column(column, justify="right")
    for cost in costs.values():
        table.add_row(
            cost.label, str(cost.events), f"{cost.events_per_second:,.0f}", f"{cost.cpu_us_per_event:,.0f}"
        )
    console.print(table)


def print_tracing_cost(
    console: Console, costs: dict[str, GatewayCost], exported: dict[str, int], args: argparse.Namespace
) -> None:
    table = Table(
        title=(
            f"tracing: SendEvents ({args.batch_size} per call) end to end, one trace per event, the "
            f"gateways alternated {args.tracing_rounds}× in this run; OTLP/gRPC to a receiver process"
        )
    )
    for column in ("gateway", "events", "events/s", "gateway CPU µs/event", "spans exported/event"):
        table.add_column(column, justify="right")
    for cost in costs.values():
        spans = exported.get(f"bench {cost.label}", 0)
        table.add_row(
            cost.label,
            str(cost.events),
            f"{cost.events_per_second:,.0f}",
            f"{cost.cpu_us_per_event:,.0f}",
            f"{spans / cost.events:.2f}",
        )
    console.print(table)
    off = costs["tracing off"]
    console.print(
        "÷ tracing off: "
        + ", ".join(
            f"{cost.label}: events/s {cost.events_per_second / off.events_per_second:.2f}×, "
            f"CPU per event {cost.cpu_us_per_event / off.cpu_us_per_event:.2f}×"
            for label, cost in costs.items()
            if label != "tracing off"
        )
    )


def main() -> None:
    from signalmesh.config.model import default_workers

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--unary-events", type=int, default=4_000)
    parser.add_argument("--unary-concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=default_workers(), help="the main gateway's workers")
    parser.add_argument("--max-workers", type=int, default=default_workers(), help="compared with 1 worker")
    parser.add_argument("--workers-events", type=int, default=10_000, help="per gateway and round")
    parser.add_argument("--workers-rounds", type=int, default=2)
    parser.add_argument("--offered-rate", type=float, default=1_000.0, help="unary req/s, open loop")
    parser.add_argument("--offered-seconds", type=float, default=5.0)
    parser.add_argument("--history-events", type=int, default=10_000, help="per gateway and round")
    parser.add_argument("--history-rounds", type=int, default=2)
    parser.add_argument("--tracing-events", type=int, default=10_000, help="per gateway and round")
    parser.add_argument("--tracing-rounds", type=int, default=2)
    parser.add_argument("--soak", action="store_true", help="also the RSS soak (--soak-events)")
    parser.add_argument("--soak-events", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path, help="also write every figure to this file as JSON")
    args = parser.parse_args()
    # Stopped from outside (a timeout, Ctrl-C in make), still stop every process it started.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    figures = asyncio.run(run(args, Console(width=160)))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
