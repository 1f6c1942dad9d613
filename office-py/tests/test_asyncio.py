"""await job.wait_async(): many jobs at once, without blocking the event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

import office
from conftest import SALES_CSV


def test_await_many_jobs(office_: office.Office) -> None:
    async def main() -> list:
        jobs = [office_.excel((f"a{i}.csv", SALES_CSV), "sort by revenue") for i in range(4)]
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick = asyncio.ensure_future(ticker())
        done = await asyncio.gather(*(j.wait_async(timeout=120) for j in jobs))
        tick.cancel()
        assert ticks > 20, "the event loop kept running while jobs ran"
        assert [d is j for d, j in zip(done, jobs)] == [True] * 4
        return done

    for job in asyncio.run(main()):
        assert job.status == "succeeded"


def test_await_timeout_and_failure(slow_office: office.Office, office_: office.Office) -> None:
    async def main() -> None:
        slow = slow_office.excel(("a.csv", SALES_CSV), "sort by revenue")
        started = time.monotonic()
        with pytest.raises(office.JobTimeout) as err:
            await slow.wait_async(timeout=0.3)
        assert time.monotonic() - started < 1.5 and err.value.job is slow
        with pytest.raises(office.JobFailed):
            await office_.excel(("b.csv", SALES_CSV), "make me a sandwich").wait_async(timeout=60)
        with pytest.raises(office.InvalidInput):
            await slow.wait_async(timeout=-1)
        # Cancelling the await leaves the job running.
        task = asyncio.ensure_future(slow.wait_async())
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert slow.status in ("queued", "running")
        assert (await slow.wait_async(timeout=60)).status == "succeeded"

    asyncio.run(main())
