"""One scenario on one database, in its own process: ``python -m bench.child NAME SIZE REPEAT RESULT``.

The parent (``bench.cli``) gives the environment (STOCKROOM_HOME, DATABASE_URL) of a migrated database
and reads the result JSON it writes to RESULT.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

from bench.scenarios import SCENARIOS


def main(argv: list[str]) -> int:
    name, size_name, repeat, result_path = argv[0], argv[1], int(argv[2]), argv[3]
    scenario = SCENARIOS[name]
    size = scenario.SIZES[size_name]
    started = time.perf_counter()
    result: dict = {}
    try:
        db_version = ""
        if scenario.NEEDS_DB:
            from bench.env import database_version, setup_django

            setup_django()
            db_version = database_version()
            from stockroom.sandbox.amazon.process import SimulatorProcess

            with SimulatorProcess(seed=6) as sim:
                result = scenario.run(size, repeat, sim=sim)
        else:
            result = scenario.run(size, repeat)
        result["db_version"] = db_version
    except Exception as error:  # noqa: BLE001 - reported in the table, the suite goes on
        traceback.print_exc()
        result = {"error": f"{type(error).__name__}: {error}"[:500], "metrics": []}
    result["seconds"] = round(time.perf_counter() - started, 1)
    with open(result_path, "w") as handle:
        json.dump(result, handle, default=str)
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
