"""The `loket` command as a person uses it: `run` brings everything up, `chat` talks to it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from bot.settings import PROJECT_ROOT
from tests.e2e.conftest import READY_SECONDS, Stack, free_port

pytestmark = pytest.mark.e2e

LOKET = str(PROJECT_ROOT / ".venv" / "bin" / "loket")


def test_chat_talks_to_a_running_loket_in_the_terminal(stack: Stack) -> None:
    environment = {
        **os.environ,
        "LOKET_VAR_DIR": str(stack.settings.var_dir),
        "LOKET_PORT": str(stack.settings.port),
    }
    result = subprocess.run(
        [LOKET, "chat", "--sender", "terminal-test"],
        input="halo\nkamu bot ya?\n",
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert "loket: Halo, saya Loket" in result.stdout
    assert "[4] Bicara dengan petugas  (/talk_to_human)" in result.stdout
    assert "bukan manusia" in result.stdout


def test_chat_says_clearly_when_loket_is_not_running(tmp_path: Path) -> None:
    environment = {**os.environ, "LOKET_VAR_DIR": str(tmp_path), "LOKET_PORT": str(free_port())}
    result = subprocess.run(
        [LOKET, "chat"],
        input="halo\n",
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "Loket is not reachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_starts_rasa_and_the_app_and_prints_where_to_go(tmp_path: Path) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "LOKET_VAR_DIR": str(tmp_path / "var"),
        "LOKET_PORT": str(port),
        "LOKET_RASA_PORT": str(free_port()),
    }
    process = subprocess.Popen(
        [LOKET, "run"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # blocks until `run` prints; it prints only when both are healthy
            lines.append(line)
            if "Stop with Ctrl-C" in line:
                break
        output = "".join(lines)
        assert "Loket is ready." in output
        assert f"Simulator: http://127.0.0.1:{port}/simulator" in output
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {
            "status": "ok",
            "database": "ok",
            "rasa": "ok",
        }
        assert rasa_processes(environment["LOKET_RASA_PORT"]) != []
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(READY_SECONDS)
    assert rasa_processes(environment["LOKET_RASA_PORT"]) == []  # stopping `run` stops its Rasa too


def rasa_processes(port: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", "--", f"rasa run .*--port {port}"], capture_output=True, text=True)
    assert found.returncode in (0, 1), found.stderr  # 1 = none found; anything else is a broken check
    return found.stdout.split()
