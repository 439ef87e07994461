"""Print the parity report at the end of the run, also without ``-s``."""

from __future__ import annotations

from typing import Any

REPORT_LINES: list[str] = []  # filled by test_parity's module fixture


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if REPORT_LINES:
        terminalreporter.section("perl parity")
        for line in REPORT_LINES:
            terminalreporter.write_line(line)
