"""Fixtures for the office module's tests. They run against the wheel installed into a
fresh virtual environment by run.sh, and run real jobs with the interpreter named by
OFFICE_PYTHON (pandas, openpyxl, ...), as the REST tests do."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pytest

import office

assert "site-packages" in (office.__file__ or ""), f"testing {office.__file__}, not the installed wheel"

REPO = Path(__file__).resolve().parents[2]
REAL = REPO / "tests" / "fixtures" / "real"


def _runtime_python() -> str:
    python = os.environ.get("OFFICE_PYTHON", "").strip()
    if not python or not os.access(python, os.X_OK):
        pytest.exit(
            "OFFICE_PYTHON must name the interpreter with pandas that runs jobs "
            "(make setup makes .venv/bin/python); got %r" % python,
            returncode=2,
        )
    return python


PYTHON = _runtime_python()

SALES_CSV = b"region,month,revenue\nNorth,2024-01,120\nSouth,2024-01,340\nEast,2024-01,90\nWest,2024-01,210\n"


def real(rel: str) -> Path:
    path = REAL / rel
    assert path.exists(), f"missing fixture {path}"
    return path


@pytest.fixture(scope="session")
def office_(tmp_path_factory: pytest.TempPathFactory):
    """One Office for the session: its own data folder, two workers."""
    with office.Office(tmp_path_factory.mktemp("data"), python=PYTHON, workers=2) as o:
        yield o


@pytest.fixture()
def sales_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    path.write_bytes(SALES_CSV)
    return path


@pytest.fixture(scope="session")
def slow_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An interpreter that takes 3 s to start: a job that is surely still running while
    a test interrupts or times out its wait."""
    path = tmp_path_factory.mktemp("slow") / "python"
    path.write_text('#!/bin/sh\nsleep 3\nexec "%s" "$@"\n' % PYTHON)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture()
def slow_office(tmp_path: Path, slow_python: Path, monkeypatch: pytest.MonkeyPatch):
    # The cold path (a new interpreter per job): a warm pool would pay the slow start once,
    # before the job is submitted, and the job would no longer be surely running.
    monkeypatch.setenv("OFFICE_POOL_SIZE", "0")
    with office.Office(tmp_path / "data", python=slow_python, workers=1) as o:
        yield o


@pytest.fixture(autouse=True)
def ctrl_c_raises():
    # A test run started in the background (`cmd &` from a script) inherits SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler: restore Python's
    # own, so the Ctrl-C tests test the module and not how the run was launched.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
