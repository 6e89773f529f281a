"""`make fairness`: does one client's flood still hurt another client? The victim's latency
unloaded, then under a hammer, with the per-client limits on and (for comparison) off.

Every process is real and on loopback: the sandbox, one policy and two gateways (one with the
hammer limited by its ``[[clients]]`` entry, one with every client limit off), each on its own
SQLite file. The *hammer* is a separate process (so its client-side work does not slow the
victim's measuring loop) keeping ``--streams`` concurrent ``StreamEvents`` streams over several
connections, each sending as fast as the gateway reads; a stream refused ``RESOURCE_EXHAUSTED``
waits the ``RetryInfo`` delay and reopens, as a well-behaved client would. The *victim* sends
unary ``SendEvent`` calls at a modest rate. Per gateway: the victim's p50/p99 unloaded, then
under the hammer, and the ratio of the two p50s; the hammer's accepted events/s and refusals.
Figures only, no assertion (the machine may be shared and noisy: compare ratios of one run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from rich.console import Console
from rich.table import Table
from signalmesh.cli.processes import ServiceProcess, start_service
from signalmesh.interceptors import generate_api_key, hash_api_key
from signalmesh.v1 import event_pb2, gateway_pb2, gateway_pb2_grpc

PIXEL = "1234567890"
CONFIG = """\
state_dir = "{state_dir}"
[gateway]
{gateway}
[dispatcher]
linger = "20ms"
poll_interval = "20ms"
[store]
path = "{database}"
[destinations.meta]
connector = "meta"
pixel_id = "{pixel}"
access_token = "sandbox-token"
base_url = "http://{sandbox}"
[[clients]]
name = "hammer"
key_sha256 = "{hammer_sha256}"
{hammer_limits}
[[clients]]
name = "victim"
key_sha256 = "{victim_sha256}"
"""
# The variants compared: the limits on (the hammer held to its quota), and every limit off.
LIMITED = "events_per_second = {rate}\nmax_concurrent_streams = {streams}"
VARIANTS = {
    "limits on": ("client_max_concurrent_streams = 64", LIMITED),
    "limits off": (
        "client_events_per_second = 0\nclient_max_concurrent_streams = 0\n"
        "max_streams_per_connection = 100000",
        "",
    ),
}
HAMMER_CONNECTIONS = 4


def event(event_id: str) -> event_pb2.ConversionEvent:
    now = time.time()
    return event_pb2.ConversionEvent(
        event_id=event_id,
        event_name="Purchase",
        event_time=timestamp_pb2.Timestamp(seconds=int(now - 30)),
        action_source=event_pb2.ACTION_SOURCE_WEBSITE,
        event_source_url="https://shop.example.com/thanks",
        value="49.90",
        currency="EUR",
        order_id=event_id,
        user_data=event_pb2.UserData(
            emails=[f"{event_id}@example.com"],
            client_ip_address="203.0.113.10",
            client_user_agent="Mozilla/5.0 (bench)",
        ),
        click_ids=event_pb2.ClickIds(fbc=f"fb.1.{int(now * 1000)}.{event_id}"),
    )


def retry_delay(error: grpc.aio.AioRpcError, default: float = 1.0) -> float:
    """The refusal's RetryInfo delay in seconds (``default`` when it has none)."""
    status = rpc_status.from_call(error)
    retry = error_details_pb2.RetryInfo()
    for detail in status.details if status is not None else ():
        if detail.Unpack(retry):
            return retry.retry_delay.ToTimedelta().total_seconds()
    return default


# ---- the hammer (run as its own process: `python -m benchmarks.fairness --hammer ...`) ----


@dataclass(slots=True)
class HammerCounts:
    accepted: int = 0
    refused: int = 0
    refused_seen_as_internal: int = 0
    failed: int = 0


async def hammer(address: str, key: str, streams: int, seconds: float, ready: Path) -> HammerCounts:
    counts = HammerCounts()
    metadata = (("authorization", f"Bearer {key}"),)
    channels = [
        grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
        for _ in range(HAMMER_CONNECTIONS)
    ]
    stop_at = time.monotonic() + seconds

    async def flood(number: int) -> None:
        stub = gateway_pb2_grpc.GatewayStub(channels[number % len(channels)])
        sequence = 0

        async def requests() -> AsyncIterator[gateway_pb2.SendEventRequest]:
            nonlocal sequence
            while time.monotonic() < stop_at:
                sequence += 1
                yield gateway_pb2.SendEventRequest(event=event(f"hammer-{number}-{sequence}"))

        backoff = 1.0  # without a RetryInfo: exponential backoff, as a client's retry policy does
        while (remaining := stop_at - time.monotonic()) > 0:
            try:
                async for _answer in stub.StreamEvents(requests(), metadata=metadata, timeout=remaining + 5):
                    counts.accepted += 1
                    backoff = 1.0
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                    counts.refused += 1
                    delay = retry_delay(error)
                elif error.code() == grpc.StatusCode.INTERNAL and "from Core" in (error.details() or ""):
                    # grpc/grpc#36066: an aio client still writing when the server refuses the
                    # stream sees INTERNAL instead of the server's RESOURCE_EXHAUSTED (the
                    # gateway's log line says RESOURCE_EXHAUSTED); back off as for a refusal.
                    counts.refused_seen_as_internal += 1
                    delay, backoff = backoff, min(backoff * 2, 8.0)
                else:
                    counts.failed += 1
                    delay, backoff = backoff, min(backoff * 2, 8.0)
                await asyncio.sleep(min(delay, max(0.0, stop_at - time.monotonic())))

    ready.write_text("flooding\n")
    await asyncio.gather(*(flood(number) for number in range(streams)))
    for channel in channels:
        await channel.close()
    return counts


# ---- the victim and the run ----


@dataclass(frozen=True, slots=True)
class Latencies:
    milliseconds: list[float]
    failed: int = 0

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


async def victim(address: str, key: str, seconds: float, rate: float, prefix: str) -> Latencies:
    """Unary SendEvent at ``rate`` calls/s for ``seconds``, open loop (a call starts on time even
    while earlier ones wait), so a slow gateway cannot thin out the samples; each call's ms."""
    metadata = (("authorization", f"Bearer {key}"),)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = gateway_pb2_grpc.GatewayStub(channel)

        async def call(number: int) -> float | None:
            started = time.perf_counter()
            request = gateway_pb2.SendEventRequest(event=event(f"{prefix}-{number}"))
            try:
                await stub.SendEvent(request, metadata=metadata, timeout=120)
            except grpc.aio.AioRpcError:
                return None  # counted: a victim call that failed (e.g. the gateway died)
            return (time.perf_counter() - started) * 1000

        calls = []
        first = time.monotonic()
        for number in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, first + number / rate - time.monotonic()))
            calls.append(asyncio.ensure_future(call(number)))
        answers = await asyncio.gather(*calls)
    return Latencies([ms for ms in answers if ms is not None], sum(ms is None for ms in answers))


@dataclass(frozen=True, slots=True)
class VariantFigures:
    unloaded: Latencies
    loaded: Latencies
    hammer: dict[str, int]
    hammer_seconds: float
    # The gateway's exit status after the flood: None while it runs (e.g. -11: SIGSEGV).
    gateway_exit: int | None

    @property
    def ratio(self) -> float:
        return self.loaded.percentile(0.5) / self.unloaded.percentile(0.5)


def start_hammer(
    address: str, key: str, args: argparse.Namespace, run_dir: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    ready = run_dir / "hammer.ready"
    ready.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "benchmarks.fairness", "--hammer", address,
        "--hammer-key", key, "--streams", str(args.streams), "--loaded-seconds", str(args.loaded_seconds + 2),
        "--ready-file", str(ready),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, start_new_session=True)
    return process, ready


async def measure_variant(
    gateway: ServiceProcess, keys: dict[str, str], args: argparse.Namespace, run_dir: Path, label: str
) -> VariantFigures:
    address, label = gateway.address, label.replace(" ", "-")
    await victim(address, keys["victim"], 1.0, args.victim_rate, f"warm-{label}")
    unloaded = await victim(address, keys["victim"], args.unloaded_seconds, args.victim_rate, f"calm-{label}")
    process, ready = start_hammer(address, keys["hammer"], args, run_dir)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the hammer did not start")
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # let the hammer's streams open before measuring
        loaded = await victim(address, keys["victim"], args.loaded_seconds, args.victim_rate, f"load-{label}")
        output, _ = await asyncio.to_thread(process.communicate, None, args.loaded_seconds + 120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return VariantFigures(
        unloaded, loaded, json.loads(output), args.loaded_seconds + 2, gateway.process.poll()
    )


async def run(args: argparse.Namespace, console: Console) -> None:
    keys = {name: generate_api_key() for name in ("hammer", "victim")}
    with tempfile.TemporaryDirectory(prefix="signalmesh-fairness-") as directory:
        run_dir = Path(directory)
        processes: list[ServiceProcess] = []
        try:
            sandbox = start_service("sandbox", ["sandbox", "--listen", "127.0.0.1:0"], run_dir)
            processes.append(sandbox)
            configs = {}
            for number, (label, (gateway_settings, hammer_limits)) in enumerate(VARIANTS.items()):
                configs[label] = run_dir / f"signalmesh-{number}.toml"
                configs[label].write_text(
                    CONFIG.format(
                        state_dir=run_dir / "state",
                        gateway=gateway_settings,
                        database=f"fairness-{number}.db",
                        pixel=PIXEL,
                        sandbox=sandbox.address,
                        hammer_sha256=hash_api_key(keys["hammer"]),
                        hammer_limits=hammer_limits.format(
                            rate=args.hammer_rate, streams=args.hammer_streams
                        ),
                        victim_sha256=hash_api_key(keys["victim"]),
                    )
                )
            first_config = next(iter(configs.values()))
            policy = start_service(
                "policy", ["policy", "--config", str(first_config), "--listen", "127.0.0.1:0"], run_dir
            )
            processes.append(policy)
            figures = {}
            for number, (label, config) in enumerate(configs.items()):
                arguments = ["gateway", "--config", str(config), "--listen", "127.0.0.1:0", "--policy"]
                gateway = start_service(f"gateway-{number}", [*arguments, policy.address], run_dir)
                processes.append(gateway)
                console.print(f"[dim]{label}: victim unloaded, then under {args.streams} hammer streams…[/]")
                figures[label] = await measure_variant(gateway, keys, args, run_dir, label)
                gateway.stop()
            print_figures(figures, args, console)
        finally:
            for process in reversed(processes):
                process.stop()
            if args.keep_logs is not None:
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                for process in processes:
                    shutil.copy(process.log_path, args.keep_logs / process.log_path.name)


def print_figures(figures: dict[str, VariantFigures], args: argparse.Namespace, console: Console) -> None:
    table = Table(
        title=(
            f"victim: unary SendEvent at {args.victim_rate:g}/s; hammer: {args.streams} StreamEvents streams "
            f"(limited to {args.hammer_rate:g} events/s, {args.hammer_streams} streams when limits are on)"
        )
    )
    for column in (
        "gateway", "victim p50 unloaded", "p99 unloaded", "p50 under hammer", "p99 under hammer",
        "p50 ratio", "victim calls", "hammer accepted/s", "hammer refusals (+ seen as INTERNAL)",
        "hammer errors", "victim failed", "gateway after",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for label, item in figures.items():
        table.add_row(
            label,
            f"{item.unloaded.percentile(0.5):.1f} ms",
            f"{item.unloaded.percentile(0.99):.1f} ms",
            f"{item.loaded.percentile(0.5):.1f} ms",
            f"{item.loaded.percentile(0.99):.1f} ms",
            f"{item.ratio:.2f}×",
            str(len(item.loaded.milliseconds)),
            f"{item.hammer['accepted'] / item.hammer_seconds:.0f}",
            f"{item.hammer['refused']} + {item.hammer['refused_seen_as_internal']}",
            str(item.hammer["failed"]),
            str(item.loaded.failed),
            "running" if item.gateway_exit is None else f"exited {item.gateway_exit}",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--streams", type=int, default=200, help="the hammer's concurrent streams")
    parser.add_argument("--hammer-rate", type=float, default=100, help="its events/s when limited")
    parser.add_argument("--hammer-streams", type=int, default=8, help="its streams when limited")
    parser.add_argument("--victim-rate", type=float, default=20, help="the victim's calls per second")
    parser.add_argument("--unloaded-seconds", type=float, default=5)
    parser.add_argument("--loaded-seconds", type=float, default=10)
    parser.add_argument("--keep-logs", type=Path, help="copy every service's log into this folder")
    parser.add_argument("--hammer", metavar="ADDRESS", help=argparse.SUPPRESS)
    parser.add_argument("--hammer-key", help=argparse.SUPPRESS)
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    if args.hammer:
        flood = hammer(args.hammer, args.hammer_key, args.streams, args.loaded_seconds, args.ready_file)
        counts = asyncio.run(flood)
        print(json.dumps(asdict(counts)))
        return
    asyncio.run(run(args, Console(width=200)))


if __name__ == "__main__":
    main()
