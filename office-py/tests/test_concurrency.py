"""Threads, the GIL, timeouts and Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

import office
from conftest import SALES_CSV


def test_threads_submit_concurrently(office_: office.Office) -> None:
    results: dict = {}
    errors: list = []

    def worker(n: int) -> None:
        try:
            for i in range(3):
                name = f"t{n}-{i}.csv"
                job = office_.excel((name, SALES_CSV), "sort by revenue descending")
                results[job.id] = (name, job)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 24, "every submission is its own job"

    waiters = [threading.Thread(target=lambda j=j: j.wait(timeout=120)) for _, j in results.values()]
    for t in waiters:
        t.start()
    for t in waiters:
        t.join(180)
    for name, job in results.values():
        assert job.status == "succeeded", job.error
        assert job.inputs[0]["original_name"] == name


def busy_count(seconds: float) -> int:
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        n += 1
    return n


def test_gil_released_while_waiting(slow_office: office.Office) -> None:
    job = slow_office.excel(("a.csv", SALES_CSV), "sort by revenue")
    baseline = busy_count(0.3)
    waiter = threading.Thread(target=lambda: job.wait(timeout=60))
    waiter.start()
    time.sleep(0.1)
    during = busy_count(0.3)
    still_waiting = waiter.is_alive()
    waiter.join(60)
    assert still_waiting, "the job must still be running while we count"
    # A wait holding the GIL would leave this thread almost nothing.
    assert during > baseline * 0.2, (baseline, during)
    assert job.status == "succeeded"


def test_wait_timeout(slow_office: office.Office) -> None:
    job = slow_office.excel(("a.csv", SALES_CSV), "sort by revenue")
    started = time.monotonic()
    with pytest.raises(office.JobTimeout) as err:
        job.wait(timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert err.value.job is job
    assert isinstance(err.value, TimeoutError)
    assert job.id in str(err.value) and "goes on" in str(err.value)
    assert job.status in ("queued", "running")
    assert job.wait(timeout=60).status == "succeeded"


def test_ctrl_c_interrupts_wait_and_the_job_goes_on(slow_office: office.Office) -> None:
    job = slow_office.excel(("a.csv", SALES_CSV), "sort by revenue")
    sent: list = []

    def interrupt() -> None:
        sent.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.5, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            job.wait(timeout=60)
        arrived = time.monotonic()
    finally:
        timer.cancel()
    assert sent, "the timer fired"
    assert arrived - sent[0] < 1.0, f"KeyboardInterrupt took {arrived - sent[0]:.2f} s"
    assert job.status in ("queued", "running"), "the job is unharmed"
    assert job.wait(timeout=60).status == "succeeded"
    assert job.read_artifact("output.xlsx")[:2] == b"PK"
