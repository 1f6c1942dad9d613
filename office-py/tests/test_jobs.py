"""Jobs through office.Office: each call, each way of passing a file, listing, deleting."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import time
from pathlib import Path

import pytest

import office
from conftest import PYTHON, SALES_CSV, real


def read_sheet(path: Path) -> list:
    """The first sheet's rows, read by the job runtime's pandas (not by office)."""
    out = subprocess.run(
        [PYTHON, "-c", "import sys, pandas as pd; print(pd.read_excel(sys.argv[1]).to_json(orient='records'))", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def test_excel_job_end_to_end(office_: office.Office, sales_csv: Path, tmp_path: Path) -> None:
    job = office_.excel(sales_csv, "sort by revenue descending")
    assert isinstance(job, office.Job)
    assert job.kind == "excel"
    assert job.prompt == "sort by revenue descending"
    assert job.status in ("queued", "running", "succeeded")
    assert job.id in repr(job) and "excel" in repr(job)

    assert job.wait(timeout=60) is job
    assert job.status == "succeeded", job.error
    assert job.stage == "done"
    assert job.error is None
    assert "succeeded" in repr(job)
    assert job.inputs[0]["original_name"] == "sales.csv"

    names = {a.name: a for a in job.artifacts}
    assert {"output.xlsx", "generated.py", "summary.json"} <= set(names)
    output = job.read_artifact("output.xlsx")
    assert output[:2] == b"PK"
    artifact = names["output.xlsx"]
    assert artifact.kind == "workbook"
    assert artifact.size == len(output)
    assert artifact.sha256 == hashlib.sha256(output).hexdigest()
    assert "spreadsheetml" in artifact.content_type
    assert "output.xlsx" in repr(artifact)

    saved = job.save_artifact("output.xlsx", tmp_path / "sorted.xlsx")
    assert saved == tmp_path / "sorted.xlsx" and saved.read_bytes() == output
    assert [r["revenue"] for r in read_sheet(saved)] == [340, 210, 120, 90]
    into_dir = job.save_artifact("generated.py", tmp_path)
    assert into_dir == tmp_path / "generated.py"

    assert "import pandas" in job.code
    assert into_dir.read_text() == job.code
    summary = job.summary
    assert summary["job_id"] == job.id and summary["status"] == "succeeded"
    assert job.to_dict()["id"] == job.id


def test_real_workbook(office_: office.Office) -> None:
    job = office_.excel(real("calamine/issues.xlsx"), "summary statistics").wait(timeout=60)
    assert job.status == "succeeded"
    assert job.inputs[0]["original_name"] == "issues.xlsx"
    assert job.read_artifact("output.xlsx")[:2] == b"PK"


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda p: (SALES_CSV, {"filename": "a.csv"}), "a.csv"),
        (lambda p: (bytearray(SALES_CSV), {"filename": "b.csv"}), "b.csv"),
        (lambda p: (memoryview(SALES_CSV), {"filename": "c.csv"}), "c.csv"),
        (lambda p: (("d.csv", SALES_CSV), {}), "d.csv"),
        (lambda p: (("e.csv", io.BytesIO(SALES_CSV)), {}), "e.csv"),
        (lambda p: (open(p, "rb"), {}), "sales.csv"),
        (lambda p: (io.BytesIO(SALES_CSV), {"filename": "f.csv"}), "f.csv"),
        (lambda p: (str(p), {}), "sales.csv"),
    ],
    ids=["bytes", "bytearray", "memoryview", "tuple", "tuple-fileobj", "open-rb", "bytesio", "str-path"],
)
def test_every_file_form(office_: office.Office, sales_csv: Path, make, name: str) -> None:
    file, kwargs = make(sales_csv)
    job = office_.excel(file, "sort by revenue", **kwargs)
    if hasattr(file, "close"):
        file.close()
    assert job.inputs[0]["original_name"] == name
    assert job.inputs[0]["size"] == len(SALES_CSV)
    assert job.inputs[0]["sha256"] == hashlib.sha256(SALES_CSV).hexdigest()
    assert job.wait(timeout=60).status == "succeeded"


def test_analytics_submission(office_: office.Office, sales_csv: Path) -> None:
    job = office_.analytics(sales_csv, "plot revenue by region")
    assert job.kind == "analytics"
    assert job.prompt == "plot revenue by region"
    assert job.inputs[0]["original_name"] == "sales.csv"
    assert job.wait(timeout=90).status == "succeeded", job.error
    names = [a.name for a in job.artifacts]
    assert "summary.json" in names and "generated.py" in names, names
    charts = [n for n in names if n.endswith(".png")]
    assert charts, names
    assert job.read_artifact(charts[0]).startswith(b"\x89PNG")
    summary = job.summary
    assert summary["kind"] == "analytics"
    assert "results" in summary and "profile" in summary, sorted(summary)


def test_report_submission(office_: office.Office, sales_csv: Path) -> None:
    job = office_.report(
        [sales_csv, ("notes.csv", b"a,b\n1,2\n")],
        title="Quarterly",
        template="executive-summary",
        notes="Revenue is in EUR.",
        prompt="which region leads?",
    )
    assert job.kind == "report"
    assert job.params == {"title": "Quarterly", "template": "executive-summary", "notes": "Revenue is in EUR."}
    assert [i["original_name"] for i in job.inputs] == ["sales.csv", "notes.csv"]
    assert job.prompt == "which region leads?"
    assert job.wait(timeout=90).status == "succeeded", job.error
    report = job.read_artifact("report.md").decode()
    assert report.startswith("# Quarterly"), report[:200]
    assert "EUR" in report
    names = [a.name for a in job.artifacts]
    assert "analysis.json" in names and "inputs/sales.csv" in names, names


def test_report_single_file_is_not_a_list_of_characters(office_: office.Office, sales_csv: Path) -> None:
    job = office_.report(str(sales_csv), prompt="overview")
    assert [i["original_name"] for i in job.inputs] == ["sales.csv"]
    assert job.params == {}


def test_jobs_get_delete(office_: office.Office, sales_csv: Path) -> None:
    first = office_.excel(sales_csv, "sort by revenue").wait(timeout=60)
    second = office_.analytics(sales_csv, "describe").wait(timeout=60, check=False)

    listed = office_.jobs()
    ids = [j.id for j in listed]
    assert first.id in ids and second.id in ids
    assert ids.index(second.id) < ids.index(first.id), "newest first"
    assert all(j.kind == "excel" for j in office_.jobs(kind="excel"))
    assert first.id in [j.id for j in office_.jobs(kind="excel", status="succeeded")]
    assert second.id not in [j.id for j in office_.jobs(kind="excel")]
    assert len(office_.jobs(limit=1)) == 1

    again = office_.get(first.id)
    assert again == first and again is not first and hash(again) == hash(first)
    assert again.status == "succeeded"
    assert office_.get(first) == first

    job_dir = Path(office_.data_dir) / "jobs" / first.id
    assert job_dir.exists()
    office_.delete(first)
    assert not job_dir.exists()
    with pytest.raises(office.NotFound, match=first.id):
        office_.get(first.id)
    with pytest.raises(office.NotFound):
        office_.delete(first.id)
    assert first.id not in [j.id for j in office_.jobs()]
    assert office_.get(second.id).status == second.status, "other jobs untouched"


def test_office_properties(office_: office.Office) -> None:
    assert Path(office_.python) == Path(PYTHON)
    assert office_.backends == {"store": "sqlite", "queue": "in-process", "generator": office_.backends["generator"]}
    assert str(office_.data_dir) in repr(office_)


def test_closed_office_refuses_new_jobs_but_reads(tmp_path: Path, sales_csv: Path) -> None:
    with office.Office(tmp_path / "data", python=PYTHON, workers=1) as o:
        job = o.excel(sales_csv, "sort by revenue").wait(timeout=60)
    assert "closed" in repr(o)
    with pytest.raises(office.OfficeError, match="closed"):
        o.excel(sales_csv, "sort by revenue")
    assert o.get(job.id).status == "succeeded"


def test_queued_jobs_run_at_next_open(tmp_path: Path, sales_csv: Path) -> None:
    with office.Office(tmp_path / "data", python=PYTHON, workers=0) as o:
        job = o.excel(sales_csv, "sort by revenue")
    assert job.status == "queued"
    with office.Office(tmp_path / "data", python=PYTHON, workers=1) as o:
        assert o.get(job.id).wait(timeout=60).status == "succeeded"


def test_leaving_by_exception_does_not_wait_and_the_job_resumes(
    tmp_path: Path, slow_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICE_POOL_SIZE", "0")  # cold path: the job is surely still running
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="boom"):
        with office.Office(tmp_path / "data", python=slow_python, workers=1) as o:
            job = o.excel(("a.csv", SALES_CSV), "sort by revenue")
            while job.status == "queued":
                time.sleep(0.05)
            raise RuntimeError("boom")
    assert time.monotonic() - started < 2.5, "no 30 s grace when leaving by an exception"
    with office.Office(tmp_path / "data", python=PYTHON, workers=1) as o:
        again = o.get(job.id).wait(timeout=60)
    assert again.status == "succeeded"
    assert again.to_dict()["attempts"] == 2


def test_relative_data_dir_is_kept_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sales_csv: Path) -> None:
    monkeypatch.chdir(tmp_path)
    with office.Office("rel", python=PYTHON, workers=1) as o:
        assert o.data_dir == tmp_path / "rel"
        job = o.excel(sales_csv, "sort by revenue")
        monkeypatch.chdir("/")
        assert job.wait(timeout=60).read_artifact("output.xlsx")[:2] == b"PK"


def test_a_tenant_sees_only_its_own_jobs(tmp_path: Path, sales_csv: Path) -> None:
    data = tmp_path / "data"
    with office.Office(data, python=PYTHON, workers=0, tenant="a") as a:
        job = a.excel(sales_csv, "sort by revenue")
        assert [j.id for j in a.jobs()] == [job.id]
    with office.Office(data, python=PYTHON, workers=0, tenant="b") as b:
        assert b.jobs() == []
        with pytest.raises(office.NotFound, match=job.id):
            b.get(job.id)
        with pytest.raises(office.NotFound):
            b.delete(job.id)
        with pytest.raises(office.NotFound):
            b.thread(job.id)
    with office.Office(data, python=PYTHON, workers=0) as everyone:
        assert everyone.get(job.id).status == "queued", "b's delete left a's job"
    with pytest.raises(office.InvalidInput, match="tenant name"):
        office.Office(data, python=PYTHON, workers=0, tenant="a b")
