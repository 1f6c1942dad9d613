"""Follow-up jobs through office.Job.follow_up: on the parent's workbook, with files
added, the thread listing, and the refusals (a failed or unfinished parent, deleting a
job that has follow-ups)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import office
from conftest import PYTHON

SALES = b"Product,Units,Revenue\nA,5,100\nB,12,40\nC,8,300\nD,1,50\n"


def read_sheet(path: Path) -> list:
    """The first sheet's rows, read by the job runtime's pandas (not by office)."""
    out = subprocess.run(
        [PYTHON, "-c", "import sys, pandas as pd; print(pd.read_excel(sys.argv[1]).to_json(orient='records'))", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def test_follow_up_works_on_the_parents_workbook(office_: office.Office, tmp_path: Path) -> None:
    parent = office_.excel(SALES, "sort by Units descending", filename="sales.csv").wait(timeout=120)
    assert parent.parent is None and parent.thread is None

    child = parent.follow_up("add a column Margin = Revenue * 0.2")
    assert isinstance(child, office.Job)
    assert child.kind == "excel"
    assert child.parent == parent.id
    assert child.thread == parent.id
    assert [i["name"] for i in child.inputs] == ["sales.xlsx"]
    child.wait(timeout=120)

    rows = read_sheet(child.save_artifact("output.xlsx", tmp_path / "out.xlsx"))
    assert [r["Units"] for r in rows] == [12, 8, 5, 1]
    assert [r["Margin"] for r in rows] == pytest.approx([r["Revenue"] * 0.2 for r in rows])

    # A follow-up of the follow-up, with a file added after the parent's workbook.
    third = child.follow_up("sort by Revenue", files=[("extra.csv", b"a,b\n1,2\n")])
    assert [i["name"] for i in third.inputs] == ["sales.xlsx", "extra.csv"]
    assert third.thread == parent.id
    third.wait(timeout=120)

    assert [j.id for j in office_.thread(third)] == [parent.id, child.id, third.id]
    assert [j.id for j in office_.thread(parent.id)] == [parent.id, child.id, third.id]

    with pytest.raises(office.Conflict, match=child.id):
        office_.delete(parent)
    assert office_.get(parent.id).id == parent.id
    office_.delete(parent, cascade=True)
    for gone in (parent, child, third):
        with pytest.raises(office.NotFound):
            office_.get(gone.id)
    with pytest.raises(office.NotFound):
        child.follow_up("sort by Units")


def test_a_failed_parent_is_a_conflict(office_: office.Office) -> None:
    failed = office_.excel(SALES, "sort by colour", filename="sales.csv").wait(timeout=120, check=False)
    assert failed.status == "failed"
    with pytest.raises(office.Conflict, match="failed") as raised:
        failed.follow_up("sort by Units")
    assert isinstance(raised.value, office.OfficeError)
