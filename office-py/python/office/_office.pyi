"""The native module office._office (Rust, pyo3). Hand-written stub, checked against the
built module by mypy.stubtest in office-py/tests/run.sh."""

import os
from pathlib import Path
from typing import IO, Any, Dict, Iterable, List, Literal, Optional, Tuple, Union, final

from typing_extensions import Self

from office import Finding, JobErrorInfo

__all__ = ["__version__", "Office", "Job", "Artifact", "validate", "profile", "serve"]

__version__: str

_JobKind = Literal["excel", "analytics", "report"]
_JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
_Stage = Literal["queued", "profile", "plan", "validate", "execute", "collect", "done"]

_FileInput = Union[
    str,
    "os.PathLike[str]",
    bytes,
    bytearray,
    memoryview,
    Tuple[str, Union[bytes, bytearray, memoryview, IO[bytes]]],
    IO[bytes],
]
"""A path, bytes (named with ``filename=``), a ``(name, bytes)`` tuple or a binary file object."""

@final
class Artifact:
    """One file a job produced (or kept)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str:
        """workbook, code, summary, chart, report, data, log, input or other."""
    @property
    def size(self) -> int: ...
    @property
    def content_type(self) -> str: ...
    @property
    def sha256(self) -> str: ...

@final
class Job:
    """A job. ``status``, ``stage``, ``artifacts`` and ``error`` are read from the store
    until the job is final."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> _JobKind: ...
    @property
    def status(self) -> _JobStatus: ...
    @property
    def stage(self) -> _Stage: ...
    @property
    def prompt(self) -> str: ...
    @property
    def params(self) -> Dict[str, Any]: ...
    @property
    def parent(self) -> Optional[str]:
        """The id of the job this one follows up, or None."""
    @property
    def thread(self) -> Optional[str]:
        """The id of the first job of this job's thread, or None for a first job."""
    def follow_up(
        self, prompt: str, files: Union[_FileInput, Iterable[_FileInput], None] = None
    ) -> "Job":
        """A job of the same kind on what this one made, with ``files`` added.
        Raises: Conflict (this job failed or has not finished), NotFound, InvalidInput,
        UnreadableFile, TooLarge, QuotaExceeded, TypeError."""
    @property
    def inputs(self) -> List[Dict[str, Any]]: ...
    @property
    def artifacts(self) -> List[Artifact]: ...
    @property
    def error(self) -> Optional[JobErrorInfo]: ...
    @property
    def code(self) -> str:
        """The program that ran. Raises: NotReady."""
    @property
    def summary(self) -> Dict[str, Any]:
        """summary.json. Raises: NotReady."""
    def refresh(self) -> Self: ...
    def wait(self, timeout: Optional[float] = None, *, check: bool = True) -> Self:
        """Waits until the job is final. Raises: JobTimeout, JobFailed, JobRejected,
        KeyboardInterrupt (Ctrl-C; the job goes on)."""
    async def wait_async(self, timeout: Optional[float] = None, *, check: bool = True) -> Self:
        """The asyncio form of wait(); cancelling the await leaves the job running."""
    def cancel(self) -> Self: ...
    def read_artifact(self, name: str) -> bytes:
        """Raises: NotFound."""
    def save_artifact(self, name: str, path: Union[str, "os.PathLike[str]"]) -> Path:
        """Raises: NotFound, OSError."""
    def to_dict(self) -> Dict[str, Any]: ...
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Office:
    """Office files plus a request in plain language, turned into results."""

    def __new__(
        cls,
        data_dir: Union[str, "os.PathLike[str]", None] = None,
        *,
        database_url: Optional[str] = None,
        redis_url: Optional[str] = None,
        python: Union[str, "os.PathLike[str]", None] = None,
        workers: Optional[int] = None,
        job_timeout: Optional[float] = None,
        tenant: Optional[str] = None,
    ) -> "Office": ...
    def excel(self, file: _FileInput, prompt: str, *, filename: Optional[str] = None) -> Job:
        """Raises: InvalidInput, UnreadableFile, TooLarge, QuotaExceeded, TypeError."""
    def analytics(
        self, file: _FileInput, prompt: str, *, filename: Optional[str] = None
    ) -> Job:
        """Raises: InvalidInput, UnreadableFile, TooLarge, QuotaExceeded, TypeError."""
    def report(
        self,
        files: Union[_FileInput, Iterable[_FileInput]],
        *,
        title: Optional[str] = None,
        template: Optional[str] = None,
        notes: Optional[str] = None,
        prompt: Optional[str] = None,
    ) -> Job:
        """Raises: InvalidInput, UnreadableFile, TooLarge, QuotaExceeded, TypeError."""
    def jobs(
        self,
        kind: Optional[_JobKind] = None,
        status: Optional[_JobStatus] = None,
        limit: Optional[int] = None,
    ) -> List[Job]:
        """Raises: InvalidInput."""
    def get(self, id: Union[str, Job]) -> Job:
        """Raises: NotFound."""
    def delete(self, id: Union[str, Job], *, cascade: bool = False) -> None:
        """Raises: NotFound, Conflict (the job has follow-ups and cascade is false)."""
    def thread(self, id: Union[str, Job]) -> List[Job]:
        """The jobs of the job's thread, oldest first. Raises: NotFound."""
    def close(self, timeout: float = 30.0) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, exc_type: object, _exc_value: object, _traceback: object) -> None: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def python(self) -> Path: ...
    @property
    def backends(self) -> Dict[str, str]: ...

def validate(code: str) -> List[Finding]:
    """The program's violations of the code policy; empty when accepted."""

def profile(path: Union[str, "os.PathLike[str]"]) -> Dict[str, Any]:
    """Raises: UnreadableFile."""

def serve(
    host: Optional[str] = None,
    port: Optional[int] = None,
    *,
    data_dir: Union[str, "os.PathLike[str]", None] = None,
    python: Union[str, "os.PathLike[str]", None] = None,
    workers: Optional[int] = None,
) -> None:
    """Runs the REST server until Ctrl-C."""
