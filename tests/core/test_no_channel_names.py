"""No channel is named outside its connector and simulator (issue 12 item 1).

Product code learns what a channel is from its spec, through the registry; so comparing an account's
channel with "amazon" (``==``, ``in {...}``, ``match``), or writing a channel's key as a string at
all, belongs only in ``stockroom/connectors/`` and ``stockroom/sandbox/``. The one line that names
each built-in channel is the registry's. The channel keys come from the registry itself, so a new
channel is guarded from the line that registers it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import stockroom
from stockroom.sync import registry

ROOT = Path(stockroom.__file__).parent
EXEMPT_PACKAGES = ("connectors", "sandbox", "migrations")
# The assignments that may name a channel, and why:
ALLOWED_ASSIGNMENTS = {
    # the registry line of each built-in connector: {"amazon": "stockroom.connectors.amazon.connector..."}
    ROOT / "sync" / "registry.py": "CONNECTORS",
    # the simulators' registry (``stockroom sandbox CHANNEL``): one line per simulator
    ROOT / "cli" / "sandbox.py": "SIMULATORS",
    # ``stockroom demo`` runs the Amazon simulator with simulated Amazon sellers
    ROOT / "cli" / "demo.py": "DEMO_CHANNEL",
    # ``stockroom demo`` also runs the eBay simulator with a simulated eBay seller
    ROOT / "cli" / "demo_ebay.py": "DEMO_CHANNEL",
    # the demo shop (``stockroom/cli/demo_shopify.py``) runs the Shopify simulator
    ROOT / "cli" / "demo_shopify.py": "DEMO_CHANNEL",
}


def channel_keys() -> set[str]:
    return {key.lower() for key in registry.CONNECTORS}


def product_modules():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in EXEMPT_PACKAGES or "migrations" in relative.parts:
            continue
        yield path


def _names_channel(node: ast.AST, keys: set[str]) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in keys


def channel_mentions(source: str, keys: set[str], *, filename: str = "<test>") -> list[tuple[int, str]]:
    """(line, what) for each comparison, match case or string literal naming a channel key."""
    tree = ast.parse(source, filename=filename)
    found: list[tuple[int, str]] = []
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                members = operand.elts if isinstance(operand, ast.Set | ast.List | ast.Tuple) else [operand]
                if any(_names_channel(m, keys) for m in members):
                    found.append((node.lineno, "compared with a channel name"))
        elif isinstance(node, ast.match_case):
            patterns = [p for p in ast.walk(node.pattern) if isinstance(p, ast.MatchValue)]
            if any(_names_channel(p.value, keys) for p in patterns):
                found.append((node.pattern.lineno, "match case on a channel name"))
        elif _names_channel(node, keys) and id(node) not in docstrings:
            found.append((node.lineno, f"string {node.value!r} names a channel"))
    # a comparison's literal is reported once, as the comparison
    compared = {line for line, what in found if not what.startswith("string")}
    return sorted(
        {(line, what) for line, what in found if line not in compared or not what.startswith("string")}
    )


def allowed_lines(path: Path) -> set[int]:
    """Lines of the one assignment of ``path`` that may name channels (``ALLOWED_ASSIGNMENTS``)."""
    name = ALLOWED_ASSIGNMENTS.get(path)
    if name is None:
        return set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Assign):
            targets = node.targets
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return set(range(node.lineno, node.end_lineno + 1))
    return set()


def test_the_registry_line_is_found():
    assert len(allowed_lines(ROOT / "sync" / "registry.py")) >= 3


def test_no_product_code_outside_connectors_and_sandbox_names_a_channel():
    keys = channel_keys()
    assert "amazon" in keys
    problems = []
    for path in product_modules():
        allowed = allowed_lines(path)
        for line, what in channel_mentions(path.read_text(encoding="utf-8"), keys, filename=str(path)):
            if line not in allowed:
                problems.append(f"{path.relative_to(ROOT.parent)}:{line}: {what}")
    assert problems == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('if account.channel == "amazon":\n    pass\n', [(1, "compared with a channel name")]),
        ('ok = "Amazon" != channel\n', [(1, "compared with a channel name")]),
        ('ok = channel in {"amazon", "ebay"}\n', [(1, "compared with a channel name")]),
        ('ok = channel not in ("amazon",)\n', [(1, "compared with a channel name")]),
        ('match channel:\n    case "amazon":\n        pass\n', [(2, "match case on a channel name")]),
        ('CHANNEL = "amazon"\n', [(1, "string 'amazon' names a channel")]),
        ('add(channel="amazon")\n', [(1, "string 'amazon' names a channel")]),
        ('"""A docstring may say amazon."""\nx = "amazon.co.uk"\n', []),
        ('x = channel == "fake"\n', []),
    ],
)
def test_the_guard_finds_comparisons_cases_and_literals(source, expected):
    assert channel_mentions(source, {"amazon", "ebay"}) == expected
