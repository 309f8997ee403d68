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


def test_eval_retrieval_prints_misses_then_the_summary_line(tmp_path: Path) -> None:
    questions = tmp_path / "questions.yml"
    questions.write_text(
        "- text: gmn cr bkin ktp yg ilang\n  expected: ktp-el-hilang-rusak\n"
        "- text: syarat skck apa aja\n  expected: [skck]\n"
        "- text: resep rendang padang\n  expected: null\n"
        "- text: cara bikin sim a\n  expected: paspor-baru\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [LOKET, "eval", "retrieval", str(questions)],
        env={**os.environ, "LOKET_VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = result.stdout.strip().splitlines()

    assert lines[-1].startswith("top1=0.667 top3=0.667 mrr=0.667 abstain=1.000 p50_ms=")
    assert lines[-1].endswith(" n=4")
    assert any(line.startswith("MISS") and "cara bikin sim a" in line for line in lines[:-1])


def test_eval_nlu_prints_intent_accuracy_and_macro_f1(tmp_path: Path) -> None:
    test_data = tmp_path / "nlu.yml"
    test_data.write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - halo min selamat pagi\n'
        "- intent: bot_challenge\n  examples: |\n    - kamu robot ya?\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [LOKET, "eval", "nlu", str(test_data)], capture_output=True, text=True, timeout=300, check=True
    )

    assert result.stdout.strip().splitlines()[-1] == "intent_accuracy=1.000 macro_f1=1.000 n=2"


def test_catalog_import_names_every_bad_file_and_field_and_imports_nothing(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "rusak.yml").write_text("id: rusak\ntitle: Rusak\n", encoding="utf-8")
    result = subprocess.run(
        [LOKET, "catalog", "import", str(tmp_path / "content")],
        env={**os.environ, "LOKET_VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1
    assert "nothing imported" in result.stderr
    assert "rusak.yml: summary: Field required" in result.stderr
    assert "Traceback" not in result.stderr
