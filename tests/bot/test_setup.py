"""`bin/ensure-env` finds the interpreters, or says in one sentence what to install."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bot.settings import PROJECT_ROOT

ENSURE_ENV = str(PROJECT_ROOT / "bin" / "ensure-env")


def run(which: str, tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    # A machine without pyenv and without python3.10 on PATH.
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **environment}
    return subprocess.run(
        [ENSURE_ENV, which], env=bare, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_missing_python_3_10_is_reported_in_one_clear_sentence(tmp_path: Path) -> None:
    result = run("rasa", tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "Rasa Open Source 3.6 needs Python 3.10" in result.stderr
    assert "LOKET_PYTHON310" in result.stderr


def test_a_configured_interpreter_of_the_wrong_version_is_refused(tmp_path: Path) -> None:
    result = run("rasa", tmp_path, LOKET_PYTHON310="/bin/true")

    assert result.returncode == 1
    assert "is not a working Python 3.10 interpreter" in result.stderr


def test_an_up_to_date_environment_is_left_alone(tmp_path: Path) -> None:
    # This suite runs inside .venv, which `make test` has just ensured: a second call changes nothing.
    marker = PROJECT_ROOT / ".venv" / ".loket-env-hash"
    before = marker.stat().st_mtime_ns
    result = subprocess.run([ENSURE_ENV, "app"], capture_output=True, text=True, timeout=60, check=False)

    assert result.returncode == 0 and result.stderr == ""
    assert marker.stat().st_mtime_ns == before
