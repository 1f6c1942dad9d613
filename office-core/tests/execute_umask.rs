//! A server started with umask 077 stores every input as 0600 and every folder as 0700.
//! When the server is root its jobs run as an unprivileged uid, which could then read
//! none of them. The job's view must still hold its inputs (and the runtime's folders),
//! while the host's files keep their modes and nothing the job writes comes back more
//! readable than the umask allows. Real CPython and pandas, both executors.
//!
//! Its own test binary: the umask is the whole process's, and this one test sets it first.

use office_core::Limits;
use office_core::{ExecRequest, ExitKind};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
#[path = "support/sandbox.rs"]
mod support;

use support::*;

const PROGRAM: &str = "import os, pandas as pd\n\
df = pd.read_csv(os.environ['INPUT_PATH'])\n\
print(int(df['amount'].sum()), len(df))\n\
df.to_csv(os.path.join(os.environ['OUTPUT_DIR'], 'out.csv'), index=False)\n";

#[tokio::test]
async fn inputs_are_readable_by_the_job_under_umask_077() {
    // SAFETY: umask only changes this process's file-creation mask.
    unsafe { libc::umask(0o077) };
    for (name, setup) in [("cold", Setup::cold().await), ("warm", Setup::warm().await)] {
        let input = setup.path("in/sales.csv");
        let before = std::fs::metadata(&input).unwrap();
        assert_eq!(before.mode() & 0o777, 0o600, "the test's own premise");
        // A value computed here, not in the sandbox: the sum of the amounts.
        let text = std::fs::read_to_string(&input).unwrap();
        let sum: i64 = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap())
            .sum();
        let rows = text.lines().count() - 1;

        let outcome = setup
            .executor
            .run(ExecRequest {
                code: PROGRAM.into(),
                inputs: vec![input.clone()],
                output_dir: setup.path("out"),
                work_dir: setup.path("work"),
                limits: Limits::default(),
            })
            .await
            .unwrap();
        assert_eq!(outcome.exit, ExitKind::Success, "{name}: {outcome:#?}");
        assert_eq!(outcome.stdout.trim(), format!("{sum} {rows}"), "{name}");

        // The host's input is as it was: same mode, owner and bytes.
        let after = std::fs::metadata(&input).unwrap();
        assert_eq!(
            (after.mode(), after.uid(), after.gid()),
            (before.mode(), before.uid(), before.gid()),
            "{name}"
        );
        assert_eq!(std::fs::read_to_string(&input).unwrap(), text, "{name}");
        // What the job wrote comes back no more readable than the server's umask allows.
        let out = setup.path("out/out.csv");
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{name}: out.csv is {mode:o}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), text, "{name}");
        // Whatever the executor staged for the job is gone with the run.
        let runs = setup.path("runtime/runs");
        let left: Vec<_> = std::fs::read_dir(&runs).unwrap().flatten().collect();
        assert!(left.is_empty(), "{name}: {left:?}");
    }
}
