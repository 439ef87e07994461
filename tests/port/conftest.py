"""Fixtures of the port tests: PPI must be there (the Perl side parses with it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import require

PERL_DIR = Path(__file__).resolve().parent / "perl"


def ppi_available() -> bool:
    if not shutil.which("perl"):
        return False
    probe = subprocess.run(["perl", "-MPPI", "-e", "1"], capture_output=True, timeout=60, check=False)
    return probe.returncode == 0


@pytest.fixture(scope="session")
def ppi(perl_env: dict) -> dict:
    """The Perl stack and PPI (Debian's libppi-perl); the environment to run Perl in."""
    require(ppi_available(), "PPI is not installed (Debian package libppi-perl; see .ci/setup)")
    return perl_env
