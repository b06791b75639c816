"""Reading what a channel sent as JSON, the same way in every connector.

pydantic-core's parser first: for every document it accepts it gives the values Python's ``json`` gives
(integers of any width included: orjson would turn those into floats), in about two thirds of the
time, and of the GIL that a download's read-ahead thread shares with the page being stored (ADR 0007).
The few documents it refuses that ``json`` reads (a byte order mark, a lone surrogate escape) go to
``json``, so what reads, and what does not, is as with ``json`` alone. Except depth: ``json`` recurses,
and a hostile body nested thousands deep would raise ``RecursionError`` wherever it was read; here it
is a ``ValueError`` like any other unreadable body (``TooDeep``, for a caller that says so).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import from_json


class TooDeep(ValueError):
    """JSON nested deeper than Python's ``json`` can read."""


def read_json(content: bytes | str) -> Any:
    """The JSON document ``content``; raises ``ValueError`` (``TooDeep`` among them) if it is none."""
    try:
        return from_json(content)
    except ValueError:
        pass
    try:
        return json.loads(content)
    except RecursionError:
        raise TooDeep("JSON nested too deeply to read") from None
