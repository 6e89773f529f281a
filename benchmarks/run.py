"""`make bench`: events per second end to end (client → gateway → policy → outbox → sandbox) and
ingest latency, beside the same figures for a bare grpc.aio echo server (the floor), in one run;
then what keeping history costs: the same SendEvents load through a gateway with ``[stats]`` on
and one with it off, alternated, with each gateway's CPU time per event read from /proc; then
what tracing costs, the same way: a gateway exporting nothing, and gateways exporting over real
OTLP/gRPC (to ``benchmarks/otlp_sink.py``, a receiver process) with 10 % and all traces sampled.

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
import sys
import tempfile
import time
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

from benchmarks import prepare_bench

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
    call: Callable[[list[event_pb2.ConversionEvent]], Awaitable[object]],
    events: list[event_pb2.ConversionEvent],
    batch_size: int,
    concurrency: int,
) -> tuple[float, list[float]]:
    """Send ``events`` in batches from ``concurrency`` callers; return (seconds, per-call ms)."""
    batches = [events[start : start + batch_size] for start in range(0, len(events), batch_size)]
    queue: asyncio.Queue[list[event_pb2.ConversionEvent]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    latencies: list[float] = []

    async def caller() -> None:
        while not queue.empty():
            batch = queue.get_nowait()
            started = time.perf_counter()
            await call(batch)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


async def measure(
    address: str,
    key: str,
    name: str,
    events: list[event_pb2.ConversionEvent],
    batch_size: int,
    concurrency: int,
    delivered: Callable[[], Awaitable[int]] | None,
) -> Figures:
    metadata = (("authorization", f"Bearer {key}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_pb2_grpc.GatewayStub(channel)
        if batch_size == 1:

            async def call(batch: list[event_pb2.ConversionEvent]) -> object:
                return await stub.SendEvent(
                    gateway_pb2.SendEventRequest(event=batch[0]), metadata=metadata, timeout=60
                )
        else:

            async def call(batch: list[event_pb2.ConversionEvent]) -> object:
                response = await stub.SendEvents(
                    gateway_pb2.SendEventsRequest(events=batch), metadata=metadata, timeout=60
                )
                # A refused event would never be delivered, and the wait below would never end.
                for result in response.results:
                    if result.violations:
                        raise RuntimeError(f"{result.event_id} was refused: {result.violations[0]}")
                return response

        started = time.perf_counter()
        _, latencies = await drive(call, events, batch_size, concurrency)
        if delivered is not None:
            while await delivered() < len(events):
                await asyncio.sleep(0.05)
        return Figures(name, len(events), time.perf_counter() - started, latencies)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat), immune to the shared
    machine's wall-clock noise."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            cpu_before = cpu_seconds(gateway.process.pid)
            figures = await measure(
                gateway.address, key, label, events, args.batch_size, args.concurrency, delivered_since
            )
            totals[label][0] += figures.events
            totals[label][1] += figures.seconds
            totals[label][2] += cpu_seconds(gateway.process.pid) - cpu_before
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
    return start_service(
        name,
        ["gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy", policy.address],
        run_dir,
        environment=environment,
    )


async def run(args: argparse.Namespace, console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="signalmesh-bench-") as directory:
        run_dir = Path(directory)
        processes: list[ServiceProcess] = []
        try:
            sandbox = start_service("sandbox", ["sandbox", "--listen", "127.0.0.1:0"], run_dir)
            processes.append(sandbox)
            config = run_dir / "signalmesh.toml"
            config.write_text(
                CONFIG.format(state_dir=run_dir / "state", pixel=PIXEL, sandbox=sandbox.address)
            )
            policy = start_service(
                "policy", ["policy", "--config", str(config), "--listen", "127.0.0.1:0"], run_dir
            )
            processes.append(policy)
            gateway = start_gateway("gateway", config, policy, run_dir)
            processes.append(gateway)
            # For the cost of history: two more gateways, with [stats] on and off, each on its
            # own SQLite file (neither shares the policy's), same state dir (one key).
            history_gateways = {}
            for label, stats in (("[stats] on", "true"), ("[stats] off", "false")):
                variant = run_dir / f"signalmesh-stats-{stats}.toml"
                variant.write_text(
                    config.read_text() + f'[store]\npath = "stats-{stats}.db"\n[stats]\nenabled = {stats}\n'
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
                variant = run_dir / f"signalmesh-tracing-{number}.toml"
                variant.write_text(config.read_text() + f'[store]\npath = "tracing-{number}.db"\n')
                tracing_gateways[label] = start_gateway(
                    f"gateway-tracing-{number}", variant, policy, run_dir, tracing_environment(label, sink)
                )
                processes.append(tracing_gateways[label])
            echo = start_service("echo", [], run_dir, module="benchmarks.echo_server")
            processes.append(echo)
            key = (run_dir / "state" / "local-api-key").read_text().strip()
            control = SandboxControl(f"http://{sandbox.address}")

            async def recorded() -> int:
                return int((await control.stats())["meta"]["accepted_events"])

            rows: list[tuple[Figures, Figures]] = []
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

                mesh = await measure(
                    gateway.address, key, f"mesh {label}", mesh_events, batch, concurrency, delivered_since
                )
                rows.append((mesh, floor))
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
            await control.close()
        finally:
            for process in reversed(processes):
                process.stop()
        exported = json.loads(span_counts.read_text()) if span_counts.exists() else {}
    table = Table(
        title=(
            "make bench — one run, same machine (2 cores); "
            "mesh = client → gateway → policy → SQLite outbox → sandbox"
        )
    )
    for column in (
        "workload",
        "server",
        "events",
        "events/s",
        "p50 ms/call",
        "p99 ms/call",
        "floor ÷ mesh (events/s)",
    ):
        table.add_column(column, justify="right")
    for mesh, floor in rows:
        ratio = floor.events_per_second / mesh.events_per_second
        for figures, shown_ratio in ((mesh, f"{ratio:.1f}×"), (floor, "")):
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
    on, off = costs["[stats] on"], costs["[stats] off"]
    history_table = Table(
        title=(
            f"keeping history: SendEvents ({args.batch_size} per call) end to end, the two gateways "
            f"alternated {args.history_rounds}× in this run"
        )
    )
    for column in ("gateway", "events", "events/s", "gateway CPU µs/event"):
        history_table.add_column(column, justify="right")
    for cost in (on, off):
        history_table.add_row(
            cost.label, str(cost.events), f"{cost.events_per_second:,.0f}", f"{cost.cpu_us_per_event:,.0f}"
        )
    console.print(history_table)
    console.print(
        f"with ÷ without history: events/s {on.events_per_second / off.events_per_second:.2f}×, "
        f"gateway CPU per event {on.cpu_us_per_event / off.cpu_us_per_event:.2f}×"
    )
    print_tracing_cost(console, tracing_costs, exported, args)


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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--unary-events", type=int, default=2_000)
    parser.add_argument("--unary-concurrency", type=int, default=64)
    parser.add_argument("--history-events", type=int, default=10_000, help="per gateway and round")
    parser.add_argument("--history-rounds", type=int, default=2)
    parser.add_argument("--tracing-events", type=int, default=10_000, help="per gateway and round")
    parser.add_argument("--tracing-rounds", type=int, default=2)
    # Stopped from outside (a timeout, Ctrl-C in make), still stop every process it started.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    asyncio.run(run(parser.parse_args(), Console(width=160)))
    prepare_bench.main([])  # the preparation microbenchmark: our Meta prepare + build vs the SDK


if __name__ == "__main__":
    main()
