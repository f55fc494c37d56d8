"""The suite's time by directory, printed at the end of every run (CI's log included), so the
slowest parts of the suite are known from any run rather than measured by hand.

Each test's set-up, call and tear-down durations are added to its directory (two levels under
tests/, such as tests/oversight/flags). Under pytest-xdist the reports reach the controlling
process, so the figures are summed over the workers: test-seconds, not wall time.
"""

from collections import defaultdict
from pathlib import PurePosixPath

_seconds: dict[str, float] = defaultdict(float)
_tests: dict[str, set[str]] = defaultdict(set)


def directory_of(nodeid: str) -> str:
    """tests/a/b/test_x.py::test_y -> tests/a/b; tests/a/test_x.py -> tests/a."""
    parts = PurePosixPath(nodeid.split("::", 1)[0]).parts[:-1]
    return "/".join(parts[:3]) or "."


def record(report) -> None:
    where = directory_of(report.nodeid)
    _seconds[where] += report.duration
    _tests[where].add(report.nodeid)


def summary(terminalreporter) -> None:
    if not _seconds:
        return
    write = terminalreporter.write_line
    terminalreporter.section("time by directory (test-seconds, summed over the workers)")
    total = sum(_seconds.values())
    for where, seconds in sorted(_seconds.items(), key=lambda item: -item[1]):
        share = seconds / total if total else 0
        write(f"{seconds:>9.1f} s {share:>6.1%} {len(_tests[where]):>6} tests  {where}")
    write(f"{total:>9.1f} s {'':>6} {sum(map(len, _tests.values())):>6} tests  total")
