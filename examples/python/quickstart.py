"""office from Python, end to end: profile a file, run an Excel job, save its output.

    pip install ./office-py
    OFFICE_PYTHON=.venv/bin/python python examples/python/quickstart.py [FILE] [PROMPT]

Without arguments it writes a small sales.csv and sorts it. Jobs and their files go under
./data (DATA_DIR), the same store `office serve` uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import office


def main() -> int:
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        path = Path("sales.csv")
        path.write_text("region,revenue\nNorth,120\nSouth,340\nEast,90\nWest,210\n")
    prompt = sys.argv[2] if len(sys.argv) > 2 else "sort by revenue descending"

    # What the planner will see: sheets, columns, types.
    for sheet in office.profile(path)["sheets"]:
        columns = ", ".join(f"{c['name']} ({c['dtype']})" for c in sheet["columns"])
        print(f"{path.name} / {sheet['name']}: {sheet['data_rows']} rows; {columns}")

    with office.Office() as o:
        job = o.excel(path, prompt)
        print(f"submitted {job.id}; waiting (Ctrl-C stops waiting, not the job)")
        try:
            job.wait(timeout=120)
        except office.JobFailed as failed:
            print(f"failed: {failed.error['message'] if failed.error else failed}")
            return 1
        out = job.save_artifact("output.xlsx", Path(f"{path.stem}_result.xlsx"))
        took = sum(stage["duration_ms"] for stage in job.summary["stages"])
        print(f"{job.status} in {took:.0f} ms; saved {out}")
        for artifact in job.artifacts:
            print(f"  {artifact.name:<16} {artifact.kind:<9} {artifact.size:>7} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
