"""A child process's peak memory is its own: the bench starts each measured sync in a fresh process and
reads its peak, which must not include the memory of the process that started it."""

import subprocess
import sys

from bench.scenarios.reportmode import growth_over_second_half

CHILD = "from bench.stats import peak_rss_mb; print(peak_rss_mb())"


def test_a_child_started_by_a_big_process_reports_its_own_peak():
    ballast = bytearray(400 * 1024 * 1024)  # 400 MB resident in this process
    ballast[::4096] = b"\x01" * len(ballast[::4096])
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    del ballast

    # a bare Python importing the bench's stats module is tens of MB; ru_maxrss reported 400+ here
    assert float(done.stdout) < 100


def test_memory_growth_is_the_last_sample_minus_the_last_one_of_the_first_half():
    samples = [(0.25, 100.0), (0.5, 101.0), (1.0, 104.0), (1.5, 104.5), (2.0, 106.0)]

    assert growth_over_second_half(samples, 2.0) == 2.0  # 106.0 - 104.0 (the sample at 1.0 s)
    assert growth_over_second_half(samples[:1], 2.0) is None  # one sample says nothing
    assert growth_over_second_half([(1.5, 100.0), (2.0, 101.0)], 2.0) is None  # none in the first half
