//! Turning what happened to the child (exit status, the harness's result file, captured
//! output) into an `ExecOutcome` with a sentence a person can read.

use super::capture::printable_text;
use super::{ExecOutcome, ExitKind, PythonError};
use crate::config::Limits;
use serde::Deserialize;
use std::time::Duration;

/// Largest result file read; the harness writes a few kilobytes at most.
pub(crate) const MAX_REPORT_BYTES: u64 = 1 << 20;
const MAX_EXC_TYPE_CHARS: usize = 200;
const MAX_MESSAGE_CHARS: usize = 8_000;
const MAX_TRACEBACK_CHARS: usize = 32_000;
/// How much of an exception message goes into the one-sentence summary.
const SUMMARY_MESSAGE_CHARS: usize = 300;
/// errno for "File too large", raised instead of SIGXFSZ when the signal is ignored
/// (CPython ignores it).
const EFBIG: i64 = libc::EFBIG as i64;
/// errno for a full tmpfs (the job's disk quota) or an exhausted quota.
const ENOSPC: i64 = libc::ENOSPC as i64;
const EDQUOT: i64 = libc::EDQUOT as i64;

/// The JSON object the harness writes (see `python/harness.py`). Untrusted: the program
/// runs in the same process and could have written it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HarnessReport {
    pub ok: bool,
    pub exc_type: Option<String>,
    pub message: Option<String>,
    pub traceback: Option<String>,
    pub line: Option<u32>,
    pub errno: Option<i64>,
    /// A `MemoryError` or a subclass of it (numpy has its own).
    pub memory_error: bool,
    /// A confinement layer could not be installed, so the program never ran.
    pub sandbox_error: bool,
}

/// What could be made of the result file.
#[derive(Debug, Clone)]
pub(crate) enum Report {
    /// No result file, or an empty one: the harness never got to write it.
    Missing,
    /// A result file that is not what the harness writes.
    Unreadable(String),
    Read(HarnessReport),
}

impl Report {
    pub(crate) fn parse(bytes: &[u8]) -> Report {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Report::Missing;
        }
        match serde_json::from_slice::<HarnessReport>(bytes) {
            Ok(report) => Report::Read(report),
            Err(e) => Report::Unreadable(format!("it is not the expected JSON ({e})")),
        }
    }
}

/// Everything known about one finished run.
#[derive(Debug)]
pub(crate) struct RunFacts<'a> {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    /// The engine killed the group because the wall-clock limit passed.
    pub timed_out: bool,
    /// The engine killed the group because its folders grew past the disk quota.
    pub over_disk_quota: bool,
    /// The engine killed the group because stdout and stderr carried more than
    /// `limits.output_limit_bytes`.
    pub over_output_limit: bool,
    pub duration: Duration,
    pub report: Report,
    pub stdout: String,
    pub stderr: String,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub limits: &'a Limits,
}

pub(crate) fn build_outcome(facts: RunFacts<'_>) -> ExecOutcome {
    let limits = facts.limits;
    let error = match &facts.report {
        Report::Read(report) if !report.ok => Some(python_error(report)),
        _ => None,
    };
    let (exit, message) = if facts.over_output_limit {
        (
            ExitKind::Killed,
            format!(
                "output limit exceeded: the program wrote more than {} to its standard output \
                 and error and was stopped",
                megabytes(limits.output_limit_bytes)
            ),
        )
    } else if facts.over_disk_quota {
        (
            ExitKind::Killed,
            format!(
                "the program used more than the disk quota of {} in its folders and was stopped",
                megabytes(limits.disk_bytes)
            ),
        )
    } else if facts.timed_out {
        let limit = seconds(limits.timeout);
        (
            ExitKind::Timeout,
            format!("the program ran longer than the {limit} limit and was stopped"),
        )
    } else if let Some(signal) = facts.signal {
        (ExitKind::Killed, signal_message(signal, limits))
    } else {
        match &facts.report {
            Report::Read(report) if report.sandbox_error => (
                ExitKind::HarnessFailure,
                clip(
                    &printable_text(report.message.as_deref().unwrap_or("").as_bytes(), false),
                    MAX_MESSAGE_CHARS,
                ),
            ),
            Report::Read(report) if report.ok => match facts.exit_code {
                Some(0) => (
                    ExitKind::Success,
                    "the program ran to completion".to_string(),
                ),
                code => (
                    ExitKind::Error,
                    format!(
                        "the program finished, but the interpreter then exited with {}; \
                         see its error output",
                        status_words(code)
                    ),
                ),
            },
            Report::Read(report) => exception_message(report, limits),
            Report::Missing => (
                ExitKind::HarnessFailure,
                format!(
                    "the Python harness exited with {} without recording a result{}",
                    status_words(facts.exit_code),
                    last_line_hint(&facts.stderr).unwrap_or_else(|| {
                        " (the program may have ended the interpreter itself, for example \
                         with os._exit)"
                            .to_string()
                    })
                ),
            ),
            Report::Unreadable(why) => (
                ExitKind::HarnessFailure,
                format!("the Python harness wrote a result that cannot be read: {why}"),
            ),
        }
    };
    ExecOutcome {
        exit,
        exit_code: facts.exit_code,
        signal: facts.signal,
        duration_ms: facts.duration.as_secs_f64() * 1000.0,
        stdout: facts.stdout,
        stderr: facts.stderr,
        stdout_truncated: facts.stdout_truncated,
        stderr_truncated: facts.stderr_truncated,
        error,
        message,
    }
}

fn python_error(report: &HarnessReport) -> PythonError {
    let text = |value: &Option<String>, max: usize| {
        let value = value.as_deref().unwrap_or_default();
        clip(&printable_text(value.as_bytes(), false), max)
    };
    let exc_type = text(&report.exc_type, MAX_EXC_TYPE_CHARS);
    PythonError {
        exc_type: if exc_type.is_empty() {
            "Exception".to_string()
        } else {
            exc_type
        },
        message: text(&report.message, MAX_MESSAGE_CHARS),
        traceback: text(&report.traceback, MAX_TRACEBACK_CHARS),
        line: report.line,
    }
}

/// Kind and sentence for an exception the harness reported. Running out of memory or
/// writing past the file size limit surface as exceptions, but they are limits: `Killed`.
fn exception_message(report: &HarnessReport, limits: &Limits) -> (ExitKind, String) {
    let error = python_error(report);
    let at_line = error
        .line
        .map(|l| format!(" at line {l}"))
        .unwrap_or_default();
    let summary = clip(&error.message, SUMMARY_MESSAGE_CHARS);
    match error.exc_type.as_str() {
        _ if report.memory_error || error.exc_type == "MemoryError" => (
            ExitKind::Killed,
            format!(
                "the program ran out of memory{at_line}: it needed more than the memory \
                 limit of {}",
                megabytes(limits.memory_bytes)
            ),
        ),
        // The job's folders are one tmpfs of `disk_bytes`: the kernel says it is full.
        _ if report.errno == Some(ENOSPC) || report.errno == Some(EDQUOT) => (
            ExitKind::Killed,
            format!(
                "the program used more than the disk quota of {} in its folders and was \
                 stopped{at_line}",
                megabytes(limits.disk_bytes)
            ),
        ),
        _ if report.errno == Some(EFBIG) => (
            ExitKind::Killed,
            format!(
                "the program tried to write a file larger than the file size limit of {}{at_line}",
                megabytes(limits.file_size_bytes)
            ),
        ),
        // The harness words an integer code as "exit status N".
        "SystemExit" if summary.starts_with("exit status ") => (
            ExitKind::Error,
            format!("the program stopped{at_line} with {summary}"),
        ),
        "SystemExit" => (
            ExitKind::Error,
            format!("the program stopped{at_line}: {summary}"),
        ),
        "SyntaxError" | "IndentationError" | "TabError" => (
            ExitKind::Error,
            format!("the program has a syntax error{at_line}: {summary}"),
        ),
        exc_type if summary.is_empty() => (
            ExitKind::Error,
            format!("the program failed{at_line} with {exc_type}"),
        ),
        exc_type => (
            ExitKind::Error,
            format!("the program failed{at_line} with {exc_type}: {summary}"),
        ),
    }
}

fn signal_message(signal: i32, limits: &Limits) -> String {
    let memory = megabytes(limits.memory_bytes);
    match signal {
        libc::SIGXCPU => format!(
            "the program used more than the CPU time limit of {} s and was stopped",
            limits.cpu_seconds
        ),
        libc::SIGXFSZ => format!(
            "the program wrote past the file size limit of {} and was stopped",
            megabytes(limits.file_size_bytes)
        ),
        // The CPU limit is soft == hard, so reaching it is a SIGKILL too.
        libc::SIGKILL => format!(
            "the program was killed (SIGKILL): it used up the CPU time limit of {} s, or the \
             system stopped it for using too much memory (the limit is {memory})",
            limits.cpu_seconds
        ),
        libc::SIGSEGV | libc::SIGBUS => format!(
            "the interpreter crashed ({}); this often means it ran out of memory (the limit is \
             {memory}) or of stack space",
            signal_name(signal)
        ),
        libc::SIGABRT => format!(
            "the interpreter aborted (SIGABRT), often because it could not get memory within \
             the limit of {memory}"
        ),
        _ => format!("the program was ended by signal {}", signal_name(signal)),
    }
}

fn signal_name(signal: i32) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        _ => return format!("{signal}"),
    };
    name.to_string()
}

fn status_words(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("status {code}"),
        None => "an unknown status".to_string(),
    }
}

/// "; its last error output was: ..." from the last non-empty stderr line, when any.
fn last_line_hint(stderr: &str) -> Option<String> {
    let line = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())?;
    Some(format!("; its last error output was: {}", clip(line, 300)))
}

/// "120 s", or "2.5 s" for a limit that is not whole seconds.
pub(crate) fn seconds(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{:.1} s", duration.as_secs_f64())
    }
}

/// "512 MB" (binary megabytes, as the limits are configured), "1.5 MB" when not whole.
pub(crate) fn megabytes(bytes: u64) -> String {
    let mb = bytes as f64 / (1u64 << 20) as f64;
    if bytes.is_multiple_of(1 << 20) {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

/// At most `max` characters, marked when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(limits: &Limits) -> RunFacts<'_> {
        RunFacts {
            exit_code: Some(0),
            signal: None,
            timed_out: false,
            over_disk_quota: false,
            over_output_limit: false,
            duration: Duration::from_millis(1500),
            report: Report::Read(HarnessReport {
                ok: true,
                ..Default::default()
            }),
            stdout: String::new(),
            stderr: String::new(),
            stdout_truncated: false,
            stderr_truncated: false,
            limits,
        }
    }

    fn failed(exc_type: &str, message: &str, line: Option<u32>, errno: Option<i64>) -> Report {
        Report::Read(HarnessReport {
            ok: false,
            exc_type: Some(exc_type.into()),
            message: Some(message.into()),
            traceback: Some(format!("{exc_type}: {message}\n")),
            line,
            errno,
            memory_error: exc_type == "MemoryError",
            sandbox_error: false,
        })
    }

    #[test]
    fn a_sandbox_that_could_not_be_set_up_is_a_harness_failure() {
        let limits = Limits::default();
        let report = Report::Read(HarnessReport {
            ok: false,
            exc_type: Some("SandboxError".into()),
            message: Some("the sandbox could not be set up, so the program did not run: x".into()),
            sandbox_error: true,
            ..HarnessReport::default()
        });
        let outcome = build_outcome(RunFacts {
            exit_code: Some(3),
            report,
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::HarnessFailure);
        assert_eq!(
            outcome.message,
            "the sandbox could not be set up, so the program did not run: x"
        );
    }

    #[test]
    fn passing_the_output_limit_is_said_before_the_kill_signal() {
        let limits = Limits {
            output_limit_bytes: 8 << 20,
            ..Limits::default()
        };
        let outcome = build_outcome(RunFacts {
            exit_code: None,
            signal: Some(libc::SIGKILL),
            over_output_limit: true,
            report: Report::Missing,
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::Killed);
        assert!(
            outcome.message.starts_with("output limit exceeded: ")
                && outcome.message.contains("more than 8 MB"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn success_needs_an_ok_report_and_exit_status_zero() {
        let limits = Limits::default();
        let outcome = build_outcome(facts(&limits));
        assert_eq!(outcome.exit, ExitKind::Success);
        assert_eq!(outcome.duration_ms, 1500.0);
        assert!(outcome.error.is_none());

        let outcome = build_outcome(RunFacts {
            exit_code: Some(120),
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::Error);
        assert!(
            outcome.message.contains("status 120"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn an_exception_becomes_an_error_naming_type_line_and_message() {
        let limits = Limits::default();
        let report = failed("KeyError", "'Region'", Some(4), None);
        let outcome = build_outcome(RunFacts {
            exit_code: Some(1),
            report,
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::Error);
        assert_eq!(
            outcome.message,
            "the program failed at line 4 with KeyError: 'Region'"
        );
        let error = outcome.error.unwrap();
        assert_eq!(error.exc_type, "KeyError");
        assert_eq!(error.line, Some(4));
    }

    #[test]
    fn memory_and_file_size_exceptions_are_limits() {
        let limits = Limits {
            memory_bytes: 512 << 20,
            file_size_bytes: 10 << 20,
            ..Limits::default()
        };
        let report = failed("MemoryError", "", Some(1), None);
        let outcome = build_outcome(RunFacts {
            exit_code: Some(1),
            report,
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::Killed);
        assert!(
            outcome.message.contains("memory limit of 512 MB"),
            "{}",
            outcome.message
        );
        assert_eq!(outcome.error.unwrap().exc_type, "MemoryError");

        let report = failed("OSError", "[Errno 27] File too large", Some(2), Some(EFBIG));
        let outcome = build_outcome(RunFacts {
            exit_code: Some(1),
            report,
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::Killed);
        assert!(
            outcome.message.contains("file size limit of 10 MB"),
            "{}",
            outcome.message
        );
    }

    #[test]
    fn system_exit_says_how_the_program_stopped() {
        let limits = Limits::default();
        let stop = |message: &str| {
            let report = failed("SystemExit", message, Some(2), None);
            build_outcome(RunFacts {
                exit_code: Some(1),
                report,
                ..facts(&limits)
            })
        };
        assert_eq!(
            stop("exit status 3").message,
            "the program stopped at line 2 with exit status 3"
        );
        assert_eq!(
            stop("no rows left").message,
            "the program stopped at line 2: no rows left"
        );
        assert_eq!(stop("no rows left").exit, ExitKind::Error);
    }

    #[test]
    fn timeout_wins_over_the_signal_it_caused() {
        let limits = Limits {
            timeout: Duration::from_secs(2),
            ..Limits::default()
        };
        let outcome = build_outcome(RunFacts {
            exit_code: None,
            signal: Some(libc::SIGKILL),
            timed_out: true,
            report: Report::Missing,
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::Timeout);
        assert_eq!(
            outcome.message,
            "the program ran longer than the 2 s limit and was stopped"
        );
        assert_eq!(outcome.signal, Some(libc::SIGKILL));
    }

    #[test]
    fn signals_name_the_likely_limit() {
        let limits = Limits {
            cpu_seconds: 5,
            memory_bytes: 256 << 20,
            ..Limits::default()
        };
        let killed = |signal| {
            build_outcome(RunFacts {
                exit_code: None,
                signal: Some(signal),
                report: Report::Missing,
                ..facts(&limits)
            })
        };
        let cpu = killed(libc::SIGXCPU);
        assert_eq!(cpu.exit, ExitKind::Killed);
        assert!(
            cpu.message.contains("CPU time limit of 5 s"),
            "{}",
            cpu.message
        );
        assert!(killed(libc::SIGXFSZ).message.contains("file size limit"));
        assert!(killed(libc::SIGKILL).message.contains("256 MB"));
        assert!(killed(libc::SIGSEGV).message.contains("SIGSEGV"));
        assert!(
            killed(libc::SIGUSR1)
                .message
                .starts_with("the program was ended by signal")
        );
    }

    #[test]
    fn a_missing_or_garbled_report_is_a_harness_failure() {
        let limits = Limits::default();
        let outcome = build_outcome(RunFacts {
            exit_code: Some(1),
            report: Report::Missing,
            stderr: "Traceback...\nModuleNotFoundError: No module named 'encodings'\n\n".into(),
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::HarnessFailure);
        assert!(
            outcome.message.ends_with("No module named 'encodings'"),
            "{}",
            outcome.message
        );

        let outcome = build_outcome(RunFacts {
            report: Report::Missing,
            ..facts(&limits)
        });
        assert!(outcome.message.contains("os._exit"), "{}", outcome.message);

        let report = Report::parse(b"{\"ok\": \"yes\"");
        let outcome = build_outcome(RunFacts {
            report,
            ..facts(&limits)
        });
        assert_eq!(outcome.exit, ExitKind::HarnessFailure);
        assert!(
            outcome.message.contains("cannot be read"),
            "{}",
            outcome.message
        );
        assert!(matches!(Report::parse(b"  \n"), Report::Missing));
    }

    #[test]
    fn untrusted_report_text_is_cut_and_cleaned() {
        let limits = Limits::default();
        let report = failed("Bad\x1bType", &"m".repeat(50_000), None, None);
        let outcome = build_outcome(RunFacts {
            exit_code: Some(1),
            report,
            ..facts(&limits)
        });
        let error = outcome.error.unwrap();
        assert_eq!(error.exc_type, "Bad\u{FFFD}Type");
        assert!(error.message.chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(outcome.message.chars().count() < 400);
    }

    #[test]
    fn limits_are_written_the_way_they_are_configured() {
        assert_eq!(seconds(Duration::from_secs(120)), "120 s");
        assert_eq!(seconds(Duration::from_millis(2500)), "2.5 s");
        assert_eq!(megabytes(2 << 30), "2048 MB");
        assert_eq!(megabytes(3 << 19), "1.5 MB");
    }
}
