"""office.validate, office.profile, office.serve, the package's metadata and docs."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import office
from conftest import PYTHON, real


def test_wheel_is_one_abi3_wheel() -> None:
    dist = importlib.metadata.distribution("office")
    wheel = dist.read_text("WHEEL") or ""
    assert re.search(r"^Tag: cp39-abi3-", wheel, re.M), wheel
    assert office.__version__ == dist.version
    files = [str(f) for f in dist.files or []]
    assert "office/py.typed" in files and "office/_office.pyi" in files


def test_validate() -> None:
    assert office.validate("import pandas as pd\nx = pd.DataFrame({'a': [1]})\n") == []
    findings = office.validate("import os\nos.system('rm -rf /')\n")
    assert findings, "os.system must be refused"
    assert set(findings[0]) == {"code", "line", "col", "message"}
    assert findings[0]["code"].startswith("OFF")
    assert findings[0]["line"] == 2 and findings[0]["col"] >= 1
    assert "os.system" in findings[0]["message"]
    syntax = office.validate("def (:\n")
    assert syntax and syntax[0]["line"] == 1


def test_profile_real_workbook() -> None:
    profile = office.profile(real("calamine/issues.xlsx"))
    assert profile["name"] == "issues.xlsx"
    assert profile["format"] == "xlsx"
    assert profile["sheets"] and all("columns" in s for s in profile["sheets"])


def test_profile_errors(tmp_path: Path) -> None:
    with pytest.raises(office.UnreadableFile) as missing:
        office.profile(tmp_path / "nope.xlsx")
    assert missing.value.reason == "there is no such file"
    assert missing.value.file.endswith("nope.xlsx")
    with pytest.raises(office.UnreadableFile, match="password"):
        office.profile(real("calamine/pass_protected.xlsx"))
    with pytest.raises(office.UnreadableFile) as folder:
        office.profile(tmp_path)
    assert "folder" in folder.value.reason
    with pytest.raises(TypeError):
        office.profile(42)  # type: ignore[arg-type]


def test_help_is_useful() -> None:
    text = office.Office.__doc__ or ""
    for word in ("data_dir", "OFFICE_PYTHON", "workers", "context manager"):
        assert word in text, word
    for cls in (office.Office, office.Job, office.Artifact):
        for name in dir(cls):
            if name.startswith("_"):
                continue
            assert getattr(cls, name).__doc__, f"{cls.__name__}.{name} has no docstring"
    for fn in (office.validate, office.profile, office.serve):
        assert fn.__doc__


def test_interpreter_choice(tmp_path: Path) -> None:
    """python= wins, then OFFICE_PYTHON, then this interpreter if it can import pandas,
    then the core's default (python3 outside a repo with .venv)."""
    script = "import office, sys; print(office.Office(sys.argv[1], workers=0).python)"
    env = {k: v for k, v in os.environ.items() if k not in ("OFFICE_PYTHON", "PYTHONPATH")}

    def chosen(extra_env: dict) -> str:
        out = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "d")],
            env={**env, **extra_env},
            cwd=tmp_path,
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    # The test environment has no pandas: the core's default.
    assert chosen({}) == "python3"
    fake = tmp_path / "site"
    (fake / "pandas").mkdir(parents=True)
    (fake / "pandas" / "__init__.py").write_text("")
    assert chosen({"PYTHONPATH": str(fake)}) == sys.executable
    assert chosen({"PYTHONPATH": str(fake), "OFFICE_PYTHON": PYTHON}) == PYTHON


def test_serve_until_ctrl_c(tmp_path: Path) -> None:
    code = (
        "import office, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
        " office.serve('127.0.0.1', 0, data_dir=sys.argv[1], python=sys.argv[2]);"
        " print('returned', flush=True)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "data"), PYTHON],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        found = re.search(r"http://(\S+)", line)
        assert found, line
        # Health answers at once, `starting` until the runtime probe and the warm-up end.
        deadline = time.monotonic() + 60
        while True:
            with urllib.request.urlopen(f"http://{found.group(1)}/api/health", timeout=10) as resp:
                health = json.load(resp)
            if health["status"] != "starting" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert health["status"] == "ok" and health["store"] == "sqlite"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert time.monotonic() - sent < 10
        assert "returned" in out and "stopping" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_quickstart_example_runs(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parents[2] / "examples" / "python" / "quickstart.py"
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "OFFICE_PYTHON": PYTHON},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    assert "succeeded in" in out.stdout
    assert (tmp_path / "sales_result.xlsx").read_bytes()[:2] == b"PK"
    assert (tmp_path / "data" / "office.db").exists(), "jobs go under ./data by default"
