"""The built-in offline model: any text gives a finite unit vector, the same text the same
vector whatever it is batched with, and (where sentence-transformers is installed) the
reference implementation's vectors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powerpulse_pipeline.similarity import minilm


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=400), min_size=1, max_size=6))
def test_any_text_gives_a_finite_unit_vector(texts: list[str]) -> None:
    vectors = minilm.load().encode(texts)
    assert vectors.shape == (len(texts), minilm.DIMENSIONS) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)


def test_the_same_text_gives_the_same_vector_in_any_batch() -> None:
    model = minilm.load()
    text = "I paid by card yesterday but the app still shows the payment as due"
    alone = model.encode([text])[0]
    padded = model.encode(["ok", text, "word " * 200, "¿Por qué no funciona mi router?"])[1]
    assert float(alone @ padded) > 0.99999
    # the cut: only the first MAX_TOKENS word pieces count
    long = text + " and then " + "more words " * 100
    assert model.token_counts([long]) == [minilm.MAX_TOKENS]


def test_vectors_equal_sentence_transformers() -> None:
    sentence_transformers = pytest.importorskip(
        "sentence_transformers",
        reason="the reference (sentence-transformers and torch, ~1 GB) is not installed; "
        "benchmarks/similarity_quality.py --compare makes the same check",
    )
    reference = sentence_transformers.SentenceTransformer(str(minilm.model_dir()), device="cpu")
    texts = ["My router light keeps blinking orange", "Pagué con tarjeta", "thanks!"]
    expected = reference.encode(texts, normalize_embeddings=True)
    assert (expected * minilm.load().encode(texts)).sum(axis=1).min() > 0.9999
