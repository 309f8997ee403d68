"""Administrators' commands: the working-day calendar and console accounts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import select

from bot.db import Database
from bot.settings import PROJECT_ROOT
from complaints.accounts import check_password
from complaints.models import Officer

LOKET = str(PROJECT_ROOT / ".venv" / "bin" / "loket")


def loket(var_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "LOKET_VAR_DIR": str(var_dir)}
    environment.pop("LOKET_DATABASE_URL", None)
    return subprocess.run(
        [LOKET, *args], input=stdin, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def test_an_administrator_adds_a_cuti_bersama_day_and_sees_it_listed(tmp_path: Path) -> None:
    added = loket(tmp_path, "calendar", "add", "2026-11-24", "Cuti bersama tambahan")
    listed = loket(tmp_path, "calendar", "list", "--year", "2026")

    assert added.returncode == 0, added.stderr
    assert "2026-11-24  libur  Cuti bersama tambahan (admin)" in listed.stdout
    assert "2026-03-20  libur  Cuti Bersama Hari Raya Idul Fitri" in listed.stdout  # from the library


def test_an_officer_account_needs_an_agency_and_keeps_only_a_password_hash(tmp_path: Path) -> None:
    refused = loket(tmp_path, "users", "create", "siti", "--name", "Siti", "--role", "officer",
                    "--password", "rahasia-sekali-123")  # fmt: skip
    created = loket(tmp_path, "users", "create", "siti", "--name", "Siti", "--role", "officer",
                    "--agency", "dlh-jabar", "--password", "rahasia-sekali-123")  # fmt: skip

    assert refused.returncode != 0 and "needs --agency" in refused.stderr
    assert created.returncode == 0, created.stderr
    db = Database(f"sqlite:///{tmp_path / 'loket.db'}")
    with db.reading() as session:
        officer = session.scalars(select(Officer).where(Officer.username == "siti")).one()
    db.dispose()
    assert officer.password_hash and "rahasia-sekali-123" not in officer.password_hash
    assert check_password(officer.password_hash, "rahasia-sekali-123")


def test_an_administrator_changes_who_handles_a_category_in_one_city(tmp_path: Path) -> None:
    changed = loket(tmp_path, "routing", "set", "sampah", "dlh-jabar", "--region", "32.01")
    unknown = loket(tmp_path, "routing", "set", "sampah", "tidak-ada")
    listed = loket(tmp_path, "routing", "list")

    assert changed.returncode == 0, changed.stderr
    assert unknown.returncode != 0 and "unknown agency tidak-ada" in unknown.stderr
    assert any(line.split() == ["sampah", "32.01", "dlh-jabar"] for line in listed.stdout.splitlines())
