//! The validator is linear: adversarial programs of 64 KiB, each built to make one rule do
//! work proportional to (program size)², are checked within 50 ms each. The property is of
//! the algorithm, so the inputs are large enough that a quadratic rule would take seconds
//! (2 KB of some of these took 8-22 s before); the limit is generous for a loaded host.

use office_core::{Policy, validate};
use std::time::{Duration, Instant};

#[path = "support/adversarial.rs"]
mod adversarial;

use adversarial::{SIZE, adversarial_programs};

/// Best of three, so that one unlucky moment of a loaded host does not decide.
fn time_to_check(source: &str, policy: &Policy) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(validate(source, policy));
            started.elapsed()
        })
        .min()
        .unwrap()
}

/// 50 ms for an optimised build (the bench, `benches/benches/stages.rs`, measures that);
/// the unoptimised test build of the validator runs several times slower, so it gets ten
/// times the budget. Quadratic rules took seconds to a minute on these inputs either way.
fn budget() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_millis(500)
    } else {
        Duration::from_millis(50)
    }
}

#[test]
fn adversarial_programs_are_checked_in_linear_time() {
    let policy = Policy::default();
    let small = adversarial_programs(SIZE / 4);
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for ((name, source), (_, quarter)) in adversarial_programs(SIZE).into_iter().zip(small) {
        assert!(
            source.len() > SIZE - 1024 && source.len() <= policy.max_source_bytes,
            "{name}: {} bytes",
            source.len()
        );
        let big = time_to_check(&source, &policy);
        let small = time_to_check(&quarter, &policy);
        // Four times the input: about four times the time when linear, sixteen when
        // quadratic. Below a few milliseconds the clock says little, so that is the floor.
        let ratio = big.as_secs_f64() / small.max(Duration::from_millis(3)).as_secs_f64();
        let line = format!("{name}: {big:?} (a quarter of it: {small:?}, ratio {ratio:.1})");
        if big > budget() || ratio > 9.0 {
            failures.push(line.clone());
        }
        report.push(line);
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "too slow:\n{}", failures.join("\n"));
}
