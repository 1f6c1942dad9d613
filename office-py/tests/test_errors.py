"""Bad input gets a typed error with a sentence a person understands, and loses nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import office
from conftest import PYTHON, SALES_CSV, real

RUST_DEBUG = ("Error {", "Os {", "kind:", "Some(", "Err(", "panicked")


def readable(err: BaseException) -> str:
    text = str(err)
    assert text and not any(marker in text for marker in RUST_DEBUG), text
    return text


def test_hierarchy() -> None:
    for cls in (
        office.InvalidInput,
        office.UnreadableFile,
        office.TooLarge,
        office.QuotaExceeded,
        office.NotFound,
        office.NotReady,
        office.Conflict,
        office.ValidationError,
        office.JobFailed,
        office.JobTimeout,
        office.BackendError,
        office.InternalError,
    ):
        assert issubclass(cls, office.OfficeError)
    assert issubclass(office.InvalidInput, ValueError)
    assert issubclass(office.NotFound, LookupError)
    assert issubclass(office.JobTimeout, TimeoutError)
    assert issubclass(office.JobRejected, office.JobFailed)
    assert issubclass(office.JobRejected, office.ValidationError)


def test_empty_file(office_: office.Office) -> None:
    with pytest.raises(office.UnreadableFile) as err:
        office_.excel(real("frictionless/empty.csv"), "sort by a")
    assert err.value.file == "empty.csv"
    assert err.value.reason == "the file is empty"
    assert "empty.csv" in readable(err.value)


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("broken.xlsx", b"PK\x03\x04 this is not a zip archive", "damaged"),
        ("text.xlsx", b"a,b\n1,2\n", "holds text"),
        ("report.pdf", b"%PDF-1.4", "unsupported file type"),
        ("noext", b"a,b\n1,2\n", "unsupported file type"),
    ],
)
def test_unreadable_uploads(office_: office.Office, name: str, data: bytes, reason: str) -> None:
    before = len(office_.jobs(limit=1000))
    with pytest.raises(office.UnreadableFile) as err:
        office_.excel((name, data), "sort by a")
    assert err.value.file == name
    assert reason in err.value.reason, err.value.reason
    readable(err.value)
    assert len(office_.jobs(limit=1000)) == before, "a refused submission leaves no job"


def test_real_corrupt_and_encrypted_workbooks(office_: office.Office) -> None:
    with pytest.raises(office.UnreadableFile, match="too_small.xls"):
        office_.excel(real("calamine/too_small.xls"), "sort by a")
    with pytest.raises(office.UnreadableFile, match="password"):
        office_.excel(real("calamine/pass_protected.xlsx"), "sort by a")


def test_missing_path_and_folder(office_: office.Office, tmp_path: Path) -> None:
    with pytest.raises(office.UnreadableFile) as err:
        office_.excel(tmp_path / "missing.xlsx", "sort by a")
    assert err.value.reason == "there is no such file"
    assert err.value.file == str(tmp_path / "missing.xlsx")
    with pytest.raises(office.UnreadableFile, match="folder"):
        office_.analytics(str(tmp_path), "describe")
    with pytest.raises(office.UnreadableFile, match="missing.csv"):
        office_.report([("ok.csv", SALES_CSV), tmp_path / "missing.csv"], prompt="overview")


def test_wrong_types(office_: office.Office, sales_csv: Path) -> None:
    with pytest.raises(TypeError, match="a file must be a path"):
        office_.excel(123, "sort by a")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        office_.excel(sales_csv, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tuple"):
        office_.excel(("a.csv",), "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="text mode"):
        with open(sales_csv, "r") as text:
            office_.excel(text, "sort by a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of files"):
        office_.report(42, prompt="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="job id"):
        office_.get(42)  # type: ignore[arg-type]


def test_invalid_values(office_: office.Office, sales_csv: Path) -> None:
    with pytest.raises(office.InvalidInput, match="prompt must not be empty"):
        office_.excel(sales_csv, "   ")
    with pytest.raises(office.InvalidInput, match="filename="):
        office_.excel(SALES_CSV, "sort by a")
    with pytest.raises(office.InvalidInput, match="filename="):
        office_.excel(io.BytesIO(SALES_CSV), "sort by a")
    with pytest.raises(office.InvalidInput, match="at least one file"):
        office_.report([], prompt="x")
    with pytest.raises(office.InvalidInput, match="'excel', 'analytics', 'report'"):
        office_.jobs(kind="word")
    with pytest.raises(office.InvalidInput, match="status must be one of"):
        office_.jobs(status="done")
    job = office_.excel(sales_csv, "sort by revenue")
    with pytest.raises(office.InvalidInput, match="timeout"):
        job.wait(timeout=-1)
    with pytest.raises(office.InvalidInput, match="job_timeout"):
        office.Office(workers=0, job_timeout=0)
    job.wait(timeout=60)


def test_unknown_template(office_: office.Office, sales_csv: Path) -> None:
    with pytest.raises(office.InvalidInput, match="executive-summary"):
        office_.report([sales_csv], template="no-such-template", prompt="overview")


def test_too_large(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICE_MAX_UPLOAD_MB", "1")
    o = office.Office(tmp_path / "data", python=PYTHON, workers=0)
    with pytest.raises(office.TooLarge) as err:
        o.excel(("big.csv", b"a\n" + b"1\n" * 600_000), "sort by a")
    assert err.value.limit == 1 << 20
    assert "big.csv" in readable(err.value)
    o.close()


def test_quota_exceeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICE_QUOTA_QUEUED", "1")
    o = office.Office(tmp_path / "data", python=PYTHON, workers=0)
    o.excel(("a.csv", SALES_CSV), "sort by revenue")
    with pytest.raises(office.QuotaExceeded) as err:
        o.excel(("b.csv", SALES_CSV), "sort by revenue")
    assert "has 1 jobs queued, its limit" in readable(err.value)
    assert err.value.retry_after is not None and err.value.retry_after >= 1
    assert len(o.jobs()) == 1
    o.close()


def test_not_found_and_not_ready(office_: office.Office, sales_csv: Path) -> None:
    with pytest.raises(office.NotFound, match="not-a-job-id"):
        office_.get("not-a-job-id")
    with pytest.raises(office.NotFound):
        office_.get("01a215b5-f020-7477-84bb-29687aa0b212")
    job = office_.excel(sales_csv, "sort by revenue").wait(timeout=60)
    for name in ("nope.xlsx", "../summary.json", "/etc/passwd"):
        with pytest.raises(office.NotFound, match="no artifact"):
            job.read_artifact(name)
    failed = office_.excel(sales_csv, "make me a sandwich").wait(timeout=60, check=False)
    assert failed.status == "failed"
    with pytest.raises(office.NotReady, match=failed.id):
        failed.code


def test_not_ready_while_running(slow_office: office.Office, sales_csv: Path) -> None:
    job = slow_office.excel(sales_csv, "sort by revenue")
    with pytest.raises(office.NotReady, match="yet"):
        job.summary
    assert job.cancel() is job
    with pytest.raises(office.JobFailed, match="cancelled"):
        job.wait(timeout=30)
    assert job.status == "cancelled"
    assert job.error is not None and job.error["code"] == "cancelled"


def test_job_failed_carries_the_job(office_: office.Office, sales_csv: Path) -> None:
    job = office_.excel(sales_csv, "make me a sandwich")
    with pytest.raises(office.JobFailed) as err:
        job.wait(timeout=60)
    assert err.value.job is job
    assert job.status == "failed"
    assert job.error is not None and err.value.error == job.error
    assert job.error["code"] and job.error["message"] in str(err.value)
    readable(err.value)
    # The failed job keeps its summary, saying how far it got.
    assert job.summary["status"] == "failed"


def test_backend_urls_are_translated(tmp_path: Path) -> None:
    # A PostgreSQL or Redis that cannot be reached is a BackendError with a sentence that
    # names the server.
    with pytest.raises(office.BackendError) as err:
        office.Office(tmp_path, database_url="postgres://nobody@127.0.0.1:1/none", workers=0)
    assert "DATABASE_URL" in readable(err.value) or "127.0.0.1:1" in str(err.value)
    with pytest.raises(office.BackendError) as err:
        office.Office(tmp_path, redis_url="redis://127.0.0.1:1", workers=0)
    assert "REDIS_URL" in readable(err.value) or "127.0.0.1:1" in str(err.value)
