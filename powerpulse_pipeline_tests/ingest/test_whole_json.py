"""A file that is one whole JSON object or array is complete; any cut-off prefix is not."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import settings as budget
from hypothesis import strategies as st

from powerpulse_pipeline.ingest.inbox import WHOLE_JSON_MAX_BYTES, is_whole_json

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
documents = st.lists(values, max_size=4) | st.dictionaries(st.text(), values, max_size=4)


@budget(max_examples=150, deadline=None)
@given(document=documents, indent=st.sampled_from([None, 2]), cut=st.floats(0, 1))
def test_a_document_is_whole_and_none_of_its_prefixes_is(document, indent, cut: float) -> None:
    data = json.dumps(document, indent=indent, ensure_ascii=False).encode()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.json"
        path.write_bytes(data)
        assert is_whole_json(path.parent, path.name, len(data)) == (len(data) >= 3)
        prefix = data[: int(cut * (len(data) - 1))]  # cut anywhere before the last byte
        path.write_bytes(prefix)
        assert not is_whole_json(path.parent, path.name, len(prefix))


def test_what_is_not_read_at_once(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    for content in (b'"a string"', b"123", b"null", b"\xff\xfe{", b"{} {}", b"[" * 100_000, b"{}"):
        path.write_bytes(content)
        assert not is_whole_json(tmp_path, "x.json", len(content)), content[:20]
    path.write_bytes(b'{"a": 1}')
    assert not is_whole_json(tmp_path, "x.json", 9)  # the size seen by the scan differs
    (tmp_path / "link.json").symlink_to(path)
    assert not is_whole_json(tmp_path, "link.json", 8)  # links are never followed
    os.mkfifo(tmp_path / "pipe.json")
    assert not is_whole_json(tmp_path, "pipe.json", 8)  # never opened, never waited on
    big = b"[" + b"0," * (WHOLE_JSON_MAX_BYTES // 2) + b"0]"
    path.write_bytes(big)
    assert not is_whole_json(tmp_path, "x.json", len(big))  # too big for a tick: waits for one
    assert not is_whole_json(tmp_path, "missing.json", 10)
