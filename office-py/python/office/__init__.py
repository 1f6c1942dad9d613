"""office: office files plus a request in plain language, turned into results.

    import office

    with office.Office() as o:
        job = o.excel("sales.xlsx", "sort by revenue, largest first").wait()
        job.save_artifact("output.xlsx", "sorted.xlsx")

`Office` runs jobs in this process (Rust engine, generated Python programs checked by
the code policy and run in a sandboxed interpreter). `validate`, `profile` and `serve`
are the rest of the API; every error is an `OfficeError` (see `office._errors`).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, TypedDict

from office._errors import (
    BackendError,
    Conflict,
    InternalError,
    InvalidInput,
    JobFailed,
    JobRejected,
    JobTimeout,
    NotFound,
    NotReady,
    OfficeError,
    QuotaExceeded,
    TooLarge,
    UnreadableFile,
    ValidationError,
)
from office._office import Artifact, Job, Office, __version__, profile, serve, validate


class Finding(TypedDict):
    """One violation of the code policy. The keys are stable."""

    code: str
    """The rule id, e.g. ``"OFF101"``."""
    line: int
    """1-based line."""
    col: int
    """1-based column."""
    message: str


class JobErrorInfo(TypedDict):
    """Why a job failed (``Job.error``). The keys are stable."""

    code: str
    """A slug such as ``"unreadable_file"``, ``"code_rejected"``, ``"timeout"``."""
    message: str
    details: Optional[Dict[str, Any]]


__all__ = [
    "__version__",
    "Office",
    "Job",
    "Artifact",
    "Finding",
    "JobErrorInfo",
    "validate",
    "profile",
    "serve",
    "OfficeError",
    "InvalidInput",
    "UnreadableFile",
    "TooLarge",
    "QuotaExceeded",
    "NotFound",
    "NotReady",
    "Conflict",
    "ValidationError",
    "JobFailed",
    "JobRejected",
    "JobTimeout",
    "BackendError",
    "InternalError",
]
