"""asyncio support: `await job.wait_async()`.

The blocking `Job.wait` runs in the loop's default executor in short slices, so the event
loop never blocks, many jobs can be awaited at once, and cancelling the awaiting task
frees its thread within one slice (the job itself goes on).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import TYPE_CHECKING, Optional

from office._errors import InvalidInput, JobTimeout

if TYPE_CHECKING:  # pragma: no cover
    from office._office import Job

# Longest a single executor call blocks: bounds how long a cancelled await holds a thread.
SLICE_SECONDS = 0.5


async def wait_async(job: "Job", timeout: Optional[float], check: bool) -> "Job":
    if timeout is not None and not (timeout >= 0 and timeout != float("inf")):
        raise InvalidInput(f"timeout must be a number of seconds, 0 or more; got {timeout}")
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        slice_ = SLICE_SECONDS if remaining is None else min(SLICE_SECONDS, remaining)
        try:
            return await loop.run_in_executor(
                None, functools.partial(job.wait, slice_, check=check)
            )
        except JobTimeout as err:
            if deadline is not None and time.monotonic() >= deadline:
                raise JobTimeout(
                    f"job {job.id} is still {job.status} after {timeout} s; "
                    "it goes on, wait again or cancel it",
                    job,
                ) from err
