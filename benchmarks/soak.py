"""`make soak`: the gateway's memory over a million events, as a series, not two points.

Starts the sandbox, policy and a gateway (``--workers``, default 1) as processes, as `make
bench` does, warms the gateway with ``--warm-events``, then sends ``--events`` (1,000,000 by
default) in chunks of 100,000 (each delivered before the next) and prints the gateway's RSS
(supervisor and workers) after each chunk. Flat means: after the warm-up, RSS grows by less
than 50 MB over the whole soak (the issue's bound); the series shows whether what growth
there is levels off (caches filling) or keeps climbing (a leak). ``--json FILE`` writes it.
The sandbox keeps every event it receives, so its memory grows; only the gateway's is read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from signalmesh.cli.processes import ServiceProcess
from signalmesh.sandbox.client import SandboxControl

from benchmarks.run import local_key, make_events, measure, start_mesh, tree_cpu_seconds, tree_rss_mb

CHUNK = 100_000


async def soak(args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="signalmesh-soak-") as directory:
        run_dir = Path(directory)
        processes: list[ServiceProcess] = []
        try:
            sandbox, _, gateway, _ = start_mesh(run_dir, args.workers, processes)
            key = local_key(run_dir)
            control = SandboxControl(f"http://{sandbox.address}")

            retried: Counter[str] = Counter()

            async def send(count: int, prefix: str) -> float:
                before = int((await control.stats())["meta"]["accepted_events"])

                async def delivered() -> int:
                    return int((await control.stats())["meta"]["accepted_events"]) - before

                figures = await measure(
                    gateway.address, key, prefix, make_events(count, prefix), 500, 8, delivered, retried
                )
                return figures.events / figures.seconds

            await send(args.warm_events, "warm")
            pid = gateway.process.pid
            series = [{"events": 0, "rss_mb": tree_rss_mb(pid)}]
            print(f"after {args.warm_events:,} warm-up events: gateway RSS {series[0]['rss_mb']:.1f} MB")
            started, cpu_before = time.perf_counter(), tree_cpu_seconds(pid)
            sent = 0
            while sent < args.events:
                count = min(CHUNK, args.events - sent)
                rate = await send(count, f"soak-{sent}")
                sent += count
                series.append({"events": sent, "rss_mb": tree_rss_mb(pid)})
                print(f"{sent:>9,} events: RSS {series[-1]['rss_mb']:7.1f} MB  ({rate:,.0f} events/s)")
            seconds, cpu = time.perf_counter() - started, tree_cpu_seconds(pid) - cpu_before
            await control.close()
        finally:
            for process in reversed(processes):
                process.stop()
    growth = series[-1]["rss_mb"] - series[0]["rss_mb"]
    print(
        f"RSS {series[0]['rss_mb']:.1f} → {series[-1]['rss_mb']:.1f} MB over {sent:,} events"
        f" (growth {growth:+.1f} MB; bound 50 MB); {sent / seconds:,.0f} events/s,"
        f" gateway CPU {cpu / sent * 1e6:.0f} µs/event; batches sent again: {dict(retried) or 0}"
    )
    return {
        "workers": args.workers,
        "series": series,
        "growth_mb": growth,
        "seconds": seconds,
        "retried": dict(retried),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--warm-events", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", help="write the series here")
    args = parser.parse_args()
    result = asyncio.run(soak(args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
