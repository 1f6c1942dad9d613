"""The exceptions office raises. Every one is an `OfficeError`; the Rust side maps each
core error to exactly one of them (office-py/src/errors.rs), so the message is always a
sentence meant for a person, never Rust debug text.

Where a Python built-in fits, the class also derives from it, so ``except ValueError``
or ``except TimeoutError`` keeps working for code that does not know office.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional

if TYPE_CHECKING:  # pragma: no cover
    from office._office import Job
    from office import Finding  # noqa: F401

__all__ = [
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


class OfficeError(Exception):
    """Base class of every error office raises."""

    @property
    def message(self) -> str:
        """The message, as a sentence."""
        return str(self.args[0]) if self.args else ""


class InvalidInput(OfficeError, ValueError):
    """A request field is missing or has a value office cannot use (an empty prompt, an
    unknown job kind or status, a bytes upload without a name, ...)."""


class UnreadableFile(OfficeError, ValueError):
    """An input file cannot be read: missing, empty, corrupt, encrypted or of an
    unsupported type. ``.file`` names it as the caller gave it, ``.reason`` says why."""

    def __init__(self, message: str, file: str, reason: str) -> None:
        super().__init__(message)
        self.file = file
        self.reason = reason


class TooLarge(OfficeError, ValueError):
    """An upload or a produced file is over a configured limit (``.limit`` bytes)."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class QuotaExceeded(OfficeError):
    """The tenant would go over one of its quotas (jobs queued, submissions per minute,
    bytes per job or kept in total); nothing was stored. ``.retry_after`` is the seconds
    to wait before trying again, or ``None`` for a size (the same files never fit)."""

    def __init__(self, message: str, retry_after: "Optional[float]") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(OfficeError, LookupError):
    """The job or artifact asked for does not exist."""


class NotReady(OfficeError):
    """The job exists but what was asked for is not there yet (its code before it was
    planned, its summary before it finished), or it will never be (the job failed)."""


class Conflict(OfficeError):
    """What was asked cannot be done to the job as it is now: a follow-up of a job that
    failed or has not finished, or deleting a job that other jobs follow up."""


class ValidationError(OfficeError, ValueError):
    """A program broke the code policy. ``.findings`` lists each violation as a dict with
    the stable keys ``code``, ``line``, ``col`` and ``message``."""

    def __init__(self, message: str, findings: "List[Finding]") -> None:
        super().__init__(message)
        self.findings = findings

    @property
    def violations(self) -> "List[Finding]":
        """The same list as ``.findings`` (the core's name for it)."""
        return self.findings


class JobFailed(OfficeError):
    """``Job.wait()`` found the job failed or cancelled. ``.job`` is the job; its
    ``.error`` says why (``code``, ``message``, ``details``)."""

    def __init__(self, message: str, job: "Job") -> None:
        super().__init__(message)
        self.job = job

    @property
    def error(self) -> "Optional[dict[str, Any]]":
        """The job's error: ``{"code", "message", "details"}``."""
        return self.job.error


class JobRejected(JobFailed, ValidationError):
    """The job failed because its generated program broke the code policy: both a
    `JobFailed` (``.job``) and a `ValidationError` (``.findings``)."""

    def __init__(self, message: str, job: "Job", findings: "List[Finding]") -> None:
        OfficeError.__init__(self, message)
        self.job = job
        self.findings = findings


class JobTimeout(OfficeError, TimeoutError):
    """``Job.wait(timeout=...)`` ran out of time; the job goes on. ``.job`` is it."""

    def __init__(self, message: str, job: "Job") -> None:
        super().__init__(message)
        self.job = job


class BackendError(OfficeError):
    """The store or the queue failed (a database or queue that cannot be reached, a
    backend this build does not have). Not caused by the request."""


class InternalError(OfficeError):
    """Something failed inside office (an i/o error, a bug). Not caused by the request."""
