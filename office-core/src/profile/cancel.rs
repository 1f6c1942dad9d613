//! Stopping a profile whose submission went away. A profile runs on a blocking thread;
//! the submission holds a `ProfileCancel`, and dropping it (the client disconnected, so
//! the server dropped the request) raises the flag that the readers' row loops look at.
//! The flag lives in a thread-local for the profile's duration, so the readers need no
//! extra argument.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

thread_local! {
    static FLAG: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Raises its flag when dropped.
#[derive(Debug, Default)]
pub(crate) struct ProfileCancel(Arc<AtomicBool>);

impl ProfileCancel {
    /// A new, lowered flag.
    pub(crate) fn new() -> ProfileCancel {
        ProfileCancel::default()
    }

    /// The flag, for the thread that profiles.
    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

impl Drop for ProfileCancel {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `f` with `flag` as this thread's cancel flag.
pub(crate) fn with_flag<T>(flag: Arc<AtomicBool>, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            FLAG.with(|slot| slot.borrow_mut().take());
        }
    }
    FLAG.with(|slot| *slot.borrow_mut() = Some(flag));
    let _reset = Reset;
    f()
}

/// Whether this thread's profile has been cancelled (never, outside `with_flag`).
pub(crate) fn cancelled() -> bool {
    FLAG.with(|slot| {
        slot.borrow()
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    })
}

/// How often (in cells or rows) the readers look at the flag.
const EVERY: usize = 4096;

/// Whether the reader at cell or row `seen` should stop: it looks every `EVERY`.
pub(crate) fn due(seen: usize) -> bool {
    seen.is_multiple_of(EVERY) && cancelled()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_rises_when_the_holder_is_dropped_and_only_inside_with_flag() {
        let cancel = ProfileCancel::new();
        let flag = cancel.flag();
        assert!(!with_flag(flag.clone(), cancelled));
        drop(cancel);
        assert!(with_flag(flag, cancelled));
        assert!(
            !cancelled(),
            "the flag is this thread's only inside with_flag"
        );
    }
}

#[cfg(test)]
mod profile_tests {
    use super::*;
    use crate::profile::{CANCELLED_REASON, profile_file};
    use std::path::PathBuf;

    fn fixture(path: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/real")
            .join(path)
    }

    /// A CSV of `rows` rows, big enough that its rows pass the check points many times.
    fn big_csv(rows: usize) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
        let mut text = String::from("region,amount,day\n");
        for i in 0..rows {
            text.push_str(&format!("R{},{}.5,2024-01-{:02}\n", i % 7, i, i % 28 + 1));
        }
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        file
    }

    #[test]
    fn a_cancelled_profile_answers_cancelled_for_text_and_workbooks() {
        let csv = big_csv(20_000);
        for (path, name) in [
            (csv.path().to_path_buf(), "big.csv"),
            (
                fixture("calamine/table-multiple.xlsx"),
                "table-multiple.xlsx",
            ),
            (fixture("calamine/issues.ods"), "issues.ods"),
        ] {
            let cancel = ProfileCancel::new();
            let flag = cancel.flag();
            drop(cancel);
            let err = with_flag(flag, || profile_file(&path, name)).unwrap_err();
            assert_eq!(err.reason, CANCELLED_REASON, "{name}");
            assert_eq!(err.file, name);
        }
    }

    #[test]
    fn a_profile_that_is_not_cancelled_reads_every_row() {
        let csv = big_csv(20_000);
        let cancel = ProfileCancel::new();
        let profile = with_flag(cancel.flag(), || profile_file(csv.path(), "big.csv")).unwrap();
        // The used range: the header and every data row.
        assert_eq!(profile.sheets[0].rows, 20_001);
        drop(cancel);
    }

    #[test]
    fn a_flag_raised_from_another_thread_stops_a_running_profile() {
        let csv = big_csv(400_000);
        let cancel = ProfileCancel::new();
        let flag = cancel.flag();
        let path = csv.path().to_path_buf();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let worker = std::thread::spawn(move || {
            with_flag(flag, || {
                started_tx.send(()).unwrap();
                profile_file(&path, "big.csv")
            })
        });
        started_rx.recv().unwrap();
        drop(cancel);
        let outcome = worker.join().unwrap();
        // Either the readers saw the flag mid-file, or (a very fast machine) the profile
        // was done and the flag is seen at its end: never a profile of part of the file.
        assert_eq!(outcome.unwrap_err().reason, CANCELLED_REASON);
    }
}
