"""What an LLM may name a recurring issue: a short line of text, or the group keeps its
words."""

from __future__ import annotations

import json

import pytest

from powerpulse_pipeline.scoring.llm_output import SchemaViolation
from powerpulse_pipeline.similarity.openai_labels import checked_label


@pytest.mark.parametrize(
    ("reply", "label"),
    [
        ({"label": "Card payment still shown as due"}, "Card payment still shown as due"),
        ({"label": '  "Router light\n blinking orange."  '}, "Router light blinking orange"),
    ],
)
def test_a_label_is_one_short_line(reply: dict, label: str) -> None:
    assert checked_label(json.dumps(reply)) == label


@pytest.mark.parametrize(
    "content",
    [
        None,
        "Sure! Here is a label: billing",
        json.dumps({"label": 42}),
        json.dumps({"name": "billing"}),
        json.dumps({"label": "x"}),
        json.dumps({"label": "word " * 20}),
        json.dumps({"label": "bell\x07 rings"}),
    ],
)
def test_anything_else_is_refused(content: str | None) -> None:
    with pytest.raises(SchemaViolation):
        checked_label(content)
