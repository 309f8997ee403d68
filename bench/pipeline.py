"""Benchmark of the message pipeline: warm start, turn latency through Loket vs straight to Rasa, memory.

Starts `loket run` on free ports with its own var/ (the trained model in models/ is reused),
then sends N sequential turns through POST /api/v1/chat and the same turns straight to Rasa's
REST channel, and prints one line per measurement.

    .venv/bin/python bench/pipeline.py [--turns 200]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
TURNS = [
    "halo min",
    "makasih ya",
    "kamu robot bukan?",
    "resep rendang dong",
    "menu",
    "gmn cara bikin ktp yg ilang",
    "mau lapor jalan rusak",
    "cek status laporan saya",
    "dadah",
    "iya",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_turns(send, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    latencies = []
    for n in range(count):
        started = time.perf_counter()
        send(n, TURNS[n % len(TURNS)])
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def turn_histogram(client: httpx.Client, app_url: str) -> tuple[float, float]:
    """(sum, count) of loket_turn_latency_seconds: inbox row stored -> replies queued."""
    values = {}
    for line in client.get(f"{app_url}/metrics").text.splitlines():
        if line.startswith(("loket_turn_latency_seconds_sum", "loket_turn_latency_seconds_count")):
            name, value = line.split()
            values[name] = float(value)
    return values["loket_turn_latency_seconds_sum"], values["loket_turn_latency_seconds_count"]


def wait_until_ready(process: subprocess.Popen[Any], app_url: str) -> None:
    """Wait until ``loket run`` answers and reaches Rasa (exits if the process died)."""
    while True:
        try:
            if httpx.get(f"{app_url}/healthz", timeout=2).json().get("rasa") == "ok":
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise SystemExit("loket run exited before it was ready")
        time.sleep(0.2)


@dataclass(frozen=True)
class Running:
    """A `loket run` that answers: its process, its URLs and var dir, and how long it took to be ready."""

    process: subprocess.Popen[Any]
    app_url: str
    rasa_url: str
    var_dir: Path
    ready_seconds: float


@contextmanager
def running_loket(port: int, environment: dict[str, str] | None = None) -> Iterator[Running]:
    """`loket run` on ``port`` in a new var dir (the trained model in models/ is reused), from the
    moment it is ready until the block ends."""
    var_dir = Path(tempfile.mkdtemp(prefix="loket-bench-"))
    rasa_port = free_port()
    settings = {
        **os.environ,
        **(environment or {}),
        "LOKET_VAR_DIR": str(var_dir),
        "LOKET_PORT": str(port),
        "LOKET_RASA_PORT": str(rasa_port),
        "LOKET_LOG_LEVEL": "WARNING",
    }
    subprocess.run([str(ROOT / ".venv/bin/loket"), "train"], check=True, env=settings, cwd=ROOT)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/loket"), "run"],
        env=settings,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        app_url = f"http://127.0.0.1:{port}"
        wait_until_ready(process, app_url)
        ready = time.perf_counter() - started
        yield Running(process, app_url, f"http://127.0.0.1:{rasa_port}", var_dir, ready)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()

    with running_loket(free_port()) as loket_run:
        process, app_url, rasa_url = loket_run.process, loket_run.app_url, loket_run.rasa_url
        warm_start = loket_run.ready_seconds
        token = (loket_run.var_dir / "api-token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=60) as client:

            def through_loket(n: int, text: str) -> None:
                response = client.post(
                    f"{app_url}/api/v1/chat",
                    json={"sender": f"bench-{n % 20}", "text": text},
                    headers=headers,
                )
                assert response.status_code == 200 and response.json()["replies"], response.text

            def straight_to_rasa(n: int, text: str) -> None:
                response = client.post(
                    f"{rasa_url}/webhooks/rest/webhook",
                    json={"sender": f"c{900_000 + n % 20}", "message": text},  # Loket's conversation ids
                )
                assert response.status_code == 200 and response.json(), response.text

            timed_turns(through_loket, 10)  # warm-up, not measured
            timed_turns(straight_to_rasa, 10)
            before = turn_histogram(client, app_url)
            loket = timed_turns(through_loket, args.turns)
            after = turn_histogram(client, app_url)
            rasa = timed_turns(straight_to_rasa, args.turns)
        rasa_pids = children(process.pid)
        app_rss = rss_mb(process.pid)
        rasa_rss = sum(rss_mb(pid) for pid in rasa_pids)

    print(f"warm_start_s={warm_start:.1f}")
    for name, values in (("loket", loket), ("rasa_rest", rasa)):
        print(
            f"{name}_turn_ms p50={percentile(values, 0.5):.1f} p95={percentile(values, 0.95):.1f} "
            f"mean={statistics.mean(values):.1f} n={len(values)}"
        )
    stored_to_queued = (after[0] - before[0]) / (after[1] - before[1]) * 1000
    print(f"loket_stored_to_replies_queued_ms mean={stored_to_queued:.1f}")
    ratio_p50 = percentile(loket, 0.5) / percentile(rasa, 0.5)
    ratio_p95 = percentile(loket, 0.95) / percentile(rasa, 0.95)
    print(f"overhead_ratio p50={ratio_p50:.2f} p95={ratio_p95:.2f}")
    print(f"rss_mb app={app_rss:.0f} rasa={rasa_rss:.0f}")


if __name__ == "__main__":
    main()
