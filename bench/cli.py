"""``python -m bench`` (``make bench``): build data, run each scenario on SQLite and PostgreSQL, print a
table of medians and write it as JSON under ``bench/results/`` (git-ignored)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.env import create_database, drop_database, postgres_available
from bench.machine import machine_details
from bench.scenarios import SCENARIOS

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Stockroom benchmarks: order ingest, report parse, stock delta, propagation, order book.",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=sorted(SCENARIOS),
        help="run only this scenario (repeatable); default: all",
    )
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small data, one repeat: about 20 minutes (propagation runs in real time)",
    )
    parser.add_argument(
        "--size", choices=("tiny", "quick", "full"), help="data size (default full; quick with --quick)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="runs per measurement, the median is shown (default: 3, or 1 for the long scenarios "
        "ingest, parse, propagation and order book, whose medians are over pages or requests)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="directory for the JSON results")
    args = parser.parse_args(argv)
    args.size = args.size or ("quick" if args.quick else "full")
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _repeat(args: argparse.Namespace, scenario) -> int:
    if args.repeat is not None:
        return args.repeat
    if args.quick or args.size == "tiny":
        return 1
    return scenario.DEFAULT_REPEAT


def _run_child(name: str, size: str, repeat: int, env: dict | None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_path = Path(handle.name)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bench.child", name, size, str(repeat), str(result_path)], env=env
        )
        text = result_path.read_text()
        if not text:
            return {"error": f"the scenario process exited with {done.returncode} and wrote no result"}
        return json.loads(text)
    finally:
        result_path.unlink(missing_ok=True)


def _format(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render_table(results: list[dict]) -> str:
    rows = [("scenario", "db", "measure", "median", "unit", "target", "met")]
    for result in results:
        label = result["title"]
        if "error" in result:
            rows.append((label, result["db"], "ERROR", result["error"][:80], "", "", "no"))
        for m in result.get("metrics", []):
            met = {True: "yes", False: "NO", None: ""}[m.get("ok")]
            rows.append(
                (label, result["db"], m["name"], _format(m["value"]), m["unit"], m.get("target", ""), met)
            )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"- {r['title']} ({r['db']}): {note}" for r in results for note in r.get("notes", [])]
    sizes = [f"- {r['title']} ({r['db']}): {r.get('size', '')}, {r.get('seconds', '?')} s" for r in results]
    return "\n".join(
        lines + ["", "Data sizes and wall time:", *sizes] + (["", "Notes:", *notes] if notes else [])
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.scenario or list(SCENARIOS)
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in databases:
        why = postgres_available()
        if why:
            print(f"PostgreSQL is not reachable ({why}); run with --db sqlite or start it", file=sys.stderr)
            return 2
    machine = machine_details()
    print(f"Stockroom benchmarks, size {args.size}: {', '.join(names)}", flush=True)
    print(
        f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, Python {machine['python']}, "
        f"load {machine['load_average_at_start']}",
        flush=True,
    )
    started = time.monotonic()
    results, versions = [], {}
    repeats = {}
    for name in names:
        scenario = SCENARIOS[name]
        repeat = repeats[name] = _repeat(args, scenario)
        for db_kind in databases if scenario.NEEDS_DB else ["-"]:
            print(f"== {scenario.TITLE} on {db_kind} ...", flush=True)
            if scenario.NEEDS_DB:
                db = create_database(db_kind)
                try:
                    result = _run_child(name, args.size, repeat, db.env)
                finally:
                    drop_database(db)
            else:
                result = _run_child(name, args.size, repeat, None)
            result.update(scenario=name, title=scenario.TITLE, db=db_kind)
            if result.get("db_version"):
                versions[db_kind] = result["db_version"]
            results.append(result)
            print(render_table([result]).split("\n\nData sizes")[0], flush=True)
    machine["databases"] = versions
    report = {
        "machine": machine,
        "options": {"size": args.size, "repeat": repeats, "db": args.db, "scenarios": names},
        "wall_seconds": round(time.monotonic() - started, 1),
        "results": results,
    }
    print("\n" + render_table(results))
    print(
        f"\nMachine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; Python "
        f"{machine['python']}; {', '.join(versions.values())}; {machine['date']}; "
        f"total {report['wall_seconds']} s"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%S}-{args.size}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    print(f"Results written to {path}")
    return 1 if any("error" in r for r in results) else 0
