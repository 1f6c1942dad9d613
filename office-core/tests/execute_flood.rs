//! A program that floods its standard output or error is stopped when the output limit is
//! passed ("output limit exceeded"), through both the cold and the warm executor, instead of
//! being drained until the wall-clock limit; a program under the limit is not.

use office_core::ExitKind;
use office_core::Limits;
use std::time::{Duration, Instant};
#[path = "support/sandbox.rs"]
mod support;

use support::*;

fn limits() -> Limits {
    Limits {
        output_limit_bytes: 8 << 20,
        // Far past what a stopped flood takes: a flood that is not stopped fails the test.
        timeout: Duration::from_secs(90),
        ..Limits::default()
    }
}

const STDOUT_FLOOD: &str =
    "import sys\nline = 'x' * 65535 + '\\n'\nwhile True:\n    sys.stdout.write(line)\n";
/// The flood on stderr, from a thread, with the main thread asleep: the whole group goes.
const STDERR_FLOOD: &str = "import os, threading, time\n\
def flood():\n    while True:\n        os.write(2, b'y' * 65536)\n\
threading.Thread(target=flood, daemon=True).start()\ntime.sleep(600)\n";
/// 6 MB in all, under the 8 MB limit: kept capped, and the program succeeds.
const UNDER_THE_LIMIT: &str =
    "import sys\nsys.stdout.write('x' * (3 << 20))\nsys.stderr.write('y' * (3 << 20))\n";

async fn floods_are_stopped(setup: &Setup) {
    for code in [STDOUT_FLOOD, STDERR_FLOOD] {
        let started = Instant::now();
        let outcome = setup.run(code, limits()).await;
        let took = started.elapsed();
        assert_eq!(outcome.exit, ExitKind::Killed, "{outcome:#?}");
        assert!(
            outcome.message.starts_with("output limit exceeded"),
            "{}",
            outcome.message
        );
        assert!(outcome.message.contains("8 MB"), "{}", outcome.message);
        assert!(outcome.stdout_truncated || outcome.stderr_truncated);
        assert!(outcome.stdout.len() + outcome.stderr.len() <= 2 * (256 << 10));
        // Seconds at most on a loaded host, against the 90 s wall-clock limit.
        assert!(took < Duration::from_secs(30), "{took:?}");
        eprintln!("flood stopped after {took:?}");
    }
    let outcome = setup.run(UNDER_THE_LIMIT, limits()).await;
    assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
    assert!(outcome.stdout_truncated && outcome.stderr_truncated);
}

#[tokio::test]
async fn a_flood_is_stopped_at_the_output_limit_cold() {
    floods_are_stopped(&Setup::cold().await).await;
}

#[tokio::test]
async fn a_flood_is_stopped_at_the_output_limit_warm() {
    let setup = Setup::warm().await;
    floods_are_stopped(&setup).await;
    // The warm interpreter still serves jobs after its child was killed.
    let outcome = setup.run("print('after')\n", limits()).await;
    assert_eq!(outcome.exit, ExitKind::Success, "{outcome:#?}");
    assert_eq!(outcome.stdout.trim(), "after");
}
