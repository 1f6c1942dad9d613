"""Type-checked by mypy --strict in run.sh (never run): the stub describes the API as
documented, so a user's type checker accepts correct code."""

from __future__ import annotations

import io
from pathlib import Path
from typing import List, Optional

import office


def typed_usage(o: office.Office) -> None:
    job: office.Job = o.excel("a.xlsx", "sort by a")
    job = o.excel(b"a,b\n", "sort by a", filename="a.csv")
    job = o.analytics(("a.csv", b"a\n"), "describe")
    job = o.report([Path("a.csv"), ("b.csv", io.BytesIO(b"x"))], title="T", prompt="p")
    done: office.Job = job.wait(timeout=1.5, check=False)
    status: str = done.status
    arts: List[office.Artifact] = done.artifacts
    size: int = arts[0].size
    data: bytes = done.read_artifact("output.xlsx")
    path: Path = done.save_artifact("output.xlsx", Path("."))
    err: Optional[office.JobErrorInfo] = done.error
    findings: List[office.Finding] = office.validate("x = 1")
    line: int = findings[0]["line"]
    jobs: List[office.Job] = o.jobs(kind="excel", status="failed", limit=3)
    o.delete(job.id)
    try:
        job.wait()
    except office.JobRejected as rejected:
        print(rejected.job, rejected.findings)
    except office.JobFailed as failed:
        print(failed.job.error)
    print(status, size, data, path, err, line, jobs)


async def typed_async(job: office.Job) -> office.Job:
    return await job.wait_async(timeout=3)
