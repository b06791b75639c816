"""read_json: every connector's reader of channel JSON gives what Python's json gives, or a ValueError."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockroom.connectors.jsonbody import TooDeep, read_json

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


@given(values, st.booleans())
def test_any_document_reads_to_the_values_and_types_json_gives(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)

    for content in (text, text.encode()):
        read = read_json(content)
        # the same text again means the same values and types (an int stays an int, 1.0 a float)
        assert json.dumps(read) == json.dumps(json.loads(content))


def test_what_the_fast_parser_refuses_json_still_reads():
    assert read_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}  # a byte order mark
    assert read_json(b'{"a": "\\ud800"}') == {"a": "\ud800"}  # a lone surrogate escape
    assert math.isnan(read_json(b'{"a": NaN}')["a"])
    assert read_json(b'{"a": 18446744073709551616}') == {"a": 2**64}


@pytest.mark.parametrize("content", [b"{not json", b"", b'{"a": "\xff"}', b"1" * 5000])
def test_what_is_not_json_is_a_value_error(content):
    with pytest.raises(ValueError):
        read_json(content)


def test_json_nested_too_deep_is_a_value_error_that_says_so():
    with pytest.raises(TooDeep, match="JSON nested too deeply to read"):
        read_json(b"[" * 100_000 + b"]" * 100_000)
