"""The committed evaluation sets: big enough, covering the catalog, and the held-out sets kept apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog.evaluation import load_items
from catalog.live import CONTENT_DIR
from catalog.schema import load_directory

DATA = Path(__file__).parents[1] / "data"
# The project's own sets, written before the nine entries added for real citizens' questions, and the
# real-style sets (long, with greetings and stories), written after.
OWN = ("retrieval_dev.yml", "retrieval_heldout.yml")
REAL = ("retrieval_real_dev.yml", "retrieval_real_heldout.yml", "retrieval_real_heldout2.yml")
ADDED_FOR_REAL_TEXT = {
    "akta-kelahiran-hilang", "kia-hilang-perubahan", "ktp-el-ganti-foto-ttd", "blangko-ktp-habis",
    "legalisir-dokumen-dukcapil", "surat-keterangan-ahli-waris", "dtks-perbaikan-sanggah", "ikd-kendala",
    "pbi-daerah",
}  # fmt: skip


@pytest.mark.parametrize("name", OWN + REAL)
def test_each_set_covers_the_catalog_and_enough_questions_no_service_fits(name: str) -> None:
    services = {entry.id for entry in load_directory(CONTENT_DIR)}
    items = load_items(DATA / name)
    expected = {service for item in items for service in item.expected or ()}

    assert len(items) >= 300 if name in REAL else len(items) >= 200
    assert sum(1 for item in items if not item.expected) >= (len(items) // 4 if name in REAL else 30)
    assert expected <= services
    assert expected == (services if name in REAL else services - ADDED_FOR_REAL_TEXT)


@pytest.mark.parametrize(
    "held_out", ["retrieval_heldout.yml", "retrieval_real_heldout.yml", "retrieval_real_heldout2.yml"]
)
def test_a_held_out_set_shares_no_question_with_any_development_set(held_out: str) -> None:
    dev = {item.text.lower() for name in ("retrieval_dev.yml", "retrieval_real_dev.yml")
           for item in load_items(DATA / name)}  # fmt: skip

    held = {item.text.lower() for item in load_items(DATA / held_out) if len(item.text.split()) > 3}

    assert held & dev == set()  # apart from chatter of three words or fewer ("mau tanya min")
