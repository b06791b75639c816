"""The benchmark scenarios, in the order they run. Each module has NAME, TITLE, NEEDS_DB, SIZES and
``run(size, repeat, sim=...) -> {"size": str, "metrics": [...], "notes": [...]}``."""

from bench.scenarios import delta, ingest, orderbook, parse, propagation

SCENARIOS = {module.NAME: module for module in (ingest, parse, delta, propagation, orderbook)}
SCENARIOS["reportmode"] = __import__(
    "bench.scenarios.reportmode", fromlist=["NAME"]
)  # one line: merges beside others
SCENARIOS["ebay"] = __import__("bench.scenarios.ebay", fromlist=["NAME"])  # one line: merges beside others
SCENARIOS["shopify-webhooks"] = __import__("bench.scenarios.shopify_webhooks", fromlist=["NAME"])  # one line
SCENARIOS["pushes"] = __import__(
    "bench.scenarios.pushes", fromlist=["NAME"]
)  # one line: merges beside others
SCENARIOS["ingest-limited"] = __import__(
    "bench.scenarios.ingest_limited", fromlist=["NAME"]
)  # one line: merges beside others
SCENARIOS["sidebyside"] = __import__("bench.scenarios.sidebyside", fromlist=["NAME"])  # one line
