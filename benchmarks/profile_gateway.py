"""`make profile`: where one gateway worker's CPU goes under `make bench`'s SendEvents load.

Starts the sandbox, policy and a one-worker gateway as processes (as `make bench` does), drives
batches of 500 through it and records the gateway with py-spy (a sampling profiler: it reads the
process from outside, so the figures are the gateway's own, not the profiler's). Prints the
hottest functions by own time and by total time, and writes py-spy's raw collapsed stacks
(``--raw FILE``) for a flame graph. The load and the processes are those of ``benchmarks.run``.

With ``--unary``, the load is ``make bench``'s unary one instead: first closed loop (``--events``
SendEvent calls from 64 callers, beside the echo server's figure for the same calls), then the
recorded part, open loop at ``--offered-rate`` req/s for ``--offered-seconds`` (p50/p99 from each
call's slot); CPU is per unary call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

from signalmesh.cli.processes import ServiceProcess, start_service
from signalmesh.sandbox.client import SandboxControl

from benchmarks.run import (
    Figures,
    local_key,
    make_events,
    measure,
    open_loop,
    start_mesh,
    tree_cpu_seconds,
)

LINE_NUMBER = re.compile(r":\d+\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: `make profile` installs it (pip install py-spy)")
    return found


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds per thread name (``/proc/PID/task/*/comm``): the event loop, SQLite's
    thread and gRPC's own C threads, which a Python profiler cannot see."""
    seconds: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        seconds[name] = seconds.get(name, 0.0) + ticks / os.sysconf("SC_CLK_TCK")
    return seconds


def summarise(raw: Path, top: int) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """(samples, hottest by own time, hottest by total time) from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        samples += count
        # "function (file:line)" → "function (file)": one row per function, whatever the line.
        frames = [LINE_NUMBER.sub(")", frame) for frame in stack.split(";")]
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    return samples, own.most_common(top), total.most_common(top)


async def profile(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="signalmesh-profile-") as directory:
        run_dir = Path(directory)
        processes: list[ServiceProcess] = []
        try:
            sandbox, _, gateway, _ = start_mesh(run_dir, args.workers, processes)
            key = local_key(run_dir)
            control = SandboxControl(f"http://{sandbox.address}")

            async def delivered() -> int:
                return int((await control.stats())["meta"]["accepted_events"])

            if args.unary:
                figures, cpu, threads, raw, floor = await _unary(args, run_dir, gateway, key, delivered)
            else:
                figures, cpu, threads, raw = await _batches(args, gateway, key, delivered)
                floor = None
            await control.close()
        finally:
            for process in reversed(processes):
                process.stop()
    samples, own, total = summarise(raw, args.top)
    if floor is not None:
        closed, echo, closed_cpu = floor
        print(
            f"closed loop: {closed.events:,} unary calls, {closed.events_per_second:,.0f} req/s"
            f" (echo {echo.events_per_second:,.0f},"
            f" ratio {closed.events_per_second / echo.events_per_second:.2f}×);"
            f" p50 {closed.percentile(0.5):.1f} ms, p99 {closed.percentile(0.99):.1f} ms;"
            f" gateway CPU {closed_cpu / closed.events * 1e6:.0f} µs/call"
        )
        print(
            f"open loop: {figures.events:,} calls at {args.offered_rate:,.0f} req/s offered,"
            f" p50 {figures.percentile(0.5):.1f} ms, p99 {figures.percentile(0.99):.1f} ms,"
            f" max {max(figures.latencies_ms):.1f} ms ({len(figures.latencies_ms):,} answered)"
        )
    print(
        f"{figures.events:,} events in {figures.seconds:.2f} s"
        f" = {figures.events / figures.seconds:,.0f} events/s;"
        f" gateway CPU {cpu / figures.events * 1e6:.0f} µs/event; {samples:,} samples"
    )
    print("\nCPU by thread (from /proc):")
    for name, seconds in sorted(threads.items(), key=lambda item: -item[1]):
        print(f"  {seconds / figures.events * 1e6:6.0f} µs/event  {name}")
    for title, rows in (("own time", own), ("total time", total)):
        print(f"\nhottest by {title}:")
        for frame, count in rows:
            print(f"  {count / samples:6.1%}  {frame}")


def _record(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes]:
    command = [py_spy(), "record", "-p", str(pid), "-r", str(args.rate), "-f", "raw", "-o", args.raw]
    if args.workers > 1:
        command.append("--subprocesses")  # the supervisor's workers
    return subprocess.Popen(
        [*command, "--nonblocking", "-d", "600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _tree_threads(pid: int) -> Counter[str]:
    from benchmarks.run import process_tree

    seconds: Counter[str] = Counter()
    for each in process_tree(pid):
        seconds.update(thread_cpu_seconds(each))
    return seconds


async def _batches(
    args: argparse.Namespace, gateway: ServiceProcess, key: str, delivered: Callable[[], Awaitable[int]]
) -> tuple[Figures, float, Counter[str], Path]:
    # Warm up (imports, caches, the first connections), then record the measured load.
    await measure(gateway.address, key, "warm-up", make_events(5_000, "warm"), 500, 8, None)
    pid = gateway.process.pid
    recorder = _record(args, pid)
    cpu_before = tree_cpu_seconds(pid)
    threads_before = _tree_threads(pid)
    before = await delivered()
    figures = await measure(
        gateway.address,
        key,
        "profiled",
        make_events(args.events, "profiled"),
        500,
        args.concurrency,
        lambda: _since(delivered, before),
    )
    cpu = tree_cpu_seconds(pid) - cpu_before
    threads = _tree_threads(pid)
    threads.subtract(threads_before)
    recorder.send_signal(2)
    recorder.wait(timeout=60)
    return figures, cpu, threads, Path(args.raw)


async def _unary(
    args: argparse.Namespace,
    run_dir: Path,
    gateway: ServiceProcess,
    key: str,
    delivered: Callable[[], Awaitable[int]],
) -> tuple[Figures, float, Counter[str], Path, tuple[Figures, Figures, float]]:
    echo = start_service("echo", [], run_dir, module="benchmarks.echo_server")
    try:
        await measure(gateway.address, key, "warm-up", make_events(2_000, "warm"), 1, 64, None)
        pid = gateway.process.pid
        echo_figures = await measure(echo.address, key, "echo", make_events(args.events, "echo"), 1, 64, None)
    finally:
        echo.stop()
    cpu_before = tree_cpu_seconds(pid)
    before = await delivered()
    closed = await measure(
        gateway.address,
        key,
        "closed",
        make_events(args.events, "closed"),
        1,
        64,
        lambda: _since(delivered, before),
    )
    closed_cpu = tree_cpu_seconds(pid) - cpu_before
    recorder = _record(args, pid)
    cpu_before = tree_cpu_seconds(pid)
    threads_before = _tree_threads(pid)
    figures = await open_loop(gateway.address, key, args.offered_rate, args.offered_seconds, "open")
    cpu = tree_cpu_seconds(pid) - cpu_before
    threads = _tree_threads(pid)
    threads.subtract(threads_before)
    recorder.send_signal(2)
    recorder.wait(timeout=60)
    return figures, cpu, threads, Path(args.raw), (closed, echo_figures, closed_cpu)


async def _since(delivered, before: int) -> int:  # type: ignore[no-untyped-def]
    return await delivered() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--raw", default="gateway-profile.txt", help="py-spy's collapsed stacks")
    parser.add_argument("--unary", action="store_true", help="unary SendEvent load (closed, then open loop)")
    parser.add_argument("--offered-rate", type=float, default=1_000.0, help="--unary: req/s, open loop")
    parser.add_argument("--offered-seconds", type=float, default=10.0, help="--unary: open loop length")
    parser.add_argument("--workers", type=int, default=1, help="the gateway's workers")
    asyncio.run(profile(parser.parse_args()))


if __name__ == "__main__":
    main()
