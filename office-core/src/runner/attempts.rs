//! Plan → validate → execute → collect and finish as a bounded repair loop. A generator
//! that can learn from a failure (a model) is shown a program the validator rejects, that
//! raises, or whose output the kind's finish step refuses (an edit script whose result
//! has new formula errors), with the findings, the traceback or the places, up to `CodeGenerator::max_attempts` programs in all;
//! the same failure twice ends it early. Which failures are shown is the error code's
//! decision (`ErrorCode::is_repairable`); the words are the model code's
//! (`plan::llm::feedback`). Every attempt's program, findings and error stay on the job
//! (`code/attempt-<n>.py`, `attempts` in summary.json, one event each).

use super::record::{AttemptOutcome, AttemptRecord, RunRecord};
use super::scratch::Scratch;
use super::{Runner, StageResult, finish, internal};
use crate::job::{ErrorCode, Job, JobError, LogLevel, Stage};
use crate::plan::{CodeGenerator, Setback};
use serde_json::{Value, json};

/// Where the repair loop is.
pub(super) struct Attempt<'a> {
    pub(super) number: u32,
    pub(super) max: u32,
    pub(super) previous: Option<&'a Previous>,
}

impl Attempt<'_> {
    /// The name this attempt's program is kept under.
    pub(super) fn file(&self) -> String {
        format!("attempt-{}.py", self.number)
    }
}

/// The previous attempt, as the generator sees it on a repair.
pub(super) struct Previous {
    /// None when no program came back at all.
    pub(super) code: Option<String>,
    pub(super) setback: Setback,
    /// What makes two failures the same one.
    signature: String,
}

/// An attempt that failed; `setback` says what went wrong in terms a generator can use.
pub(super) struct Failure {
    pub(super) error: JobError,
    pub(super) setback: Option<Setback>,
}

impl From<JobError> for Failure {
    fn from(error: JobError) -> Self {
        Failure {
            error,
            setback: None,
        }
    }
}

impl Runner {
    /// Plan → validate → execute → collect and finish until a program's output is
    /// accepted, the generator's attempts are used up, or the same failure comes back.
    pub(super) async fn write_and_run(
        &self,
        job: &mut Job,
        scratch: &Scratch,
        record: &mut RunRecord,
    ) -> StageResult<()> {
        let generator = self.choose_generator(job)?;
        // Said even when no program comes back (the model cannot be reached).
        job.generator = Some(generator.name());
        let max = generator.max_attempts().max(1);
        let mut previous: Option<Previous> = None;
        for number in 1..=max {
            if number > 1 {
                scratch.reset().map_err(internal)?;
            }
            let attempt = Attempt {
                number,
                max,
                previous: previous.as_ref(),
            };
            let result = self
                .attempt(job, &*generator, &attempt, scratch, record)
                .await;
            let code = record.plan.as_ref().map(|p| p.code.clone());
            let code_name = (max > 1 && code.is_some()).then(|| attempt.file());
            let failure = match result {
                Ok(()) => {
                    if number > 1 {
                        let note = format!("attempt {number} of {max} ran");
                        self.log(job.id, LogLevel::Info, note).await;
                    }
                    record.attempts.push(AttemptRecord {
                        attempt: number,
                        code: code_name,
                        outcome: AttemptOutcome::Succeeded,
                        error: None,
                    });
                    return Ok(());
                }
                Err(failure) => failure,
            };
            record.attempts.push(AttemptRecord {
                attempt: number,
                code: code_name,
                outcome: AttemptOutcome::Failed(failure.error.code),
                error: Some(failure.error.clone()),
            });
            // A generator with one attempt (the deterministic planner) fails as it always did.
            let repairable = max > 1 && failure.error.code.is_repairable();
            let Some(setback) = failure.setback.filter(|_| repairable) else {
                return Err(failure.error);
            };
            let signature = signature(failure.error.code, &setback);
            let same_again = previous.as_ref().is_some_and(|p| p.signature == signature);
            if number == max || same_again {
                let why = if same_again {
                    format!(
                        "the same failure came back on attempt {number}, so the model was not asked again"
                    )
                } else {
                    format!("{max} programs were written and none worked")
                };
                let note = format!(
                    "attempt {number} of {max} failed ({}); {why}",
                    failure.error.code
                );
                self.log(job.id, LogLevel::Error, note).await;
                return Err(give_up(failure.error, number, &why));
            }
            let note = format!(
                "attempt {number} of {max} failed ({}): {}; asking {} to fix it",
                failure.error.code,
                failure.error.message,
                generator.name()
            );
            self.log(job.id, LogLevel::Warn, note).await;
            previous = Some(Previous {
                code,
                setback,
                signature,
            });
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// One program: written, checked, run, and its output collected and finished.
    async fn attempt(
        &self,
        job: &mut Job,
        generator: &dyn CodeGenerator,
        attempt: &Attempt<'_>,
        scratch: &Scratch,
        record: &mut RunRecord,
    ) -> Result<(), Failure> {
        record.plan = None;
        let clock = self.begin(job, Stage::Plan).await?;
        let plan = self
            .plan(job, generator, attempt, &record.profiles, &record.calls)
            .await;
        let plan = finish(job, clock, plan)?;
        job.generator = Some(plan.generator.clone());
        record.plan = Some(plan.clone());

        let clock = self.begin(job, Stage::Validate).await?;
        let validated = self.validate(&plan).await;
        finish(job, clock, validated)?;

        let clock = self.begin(job, Stage::Execute).await?;
        let outcome = self.execute(job, &plan, scratch).await;
        let outcome = finish(job, clock, outcome)?;
        let written = |name: &str| {
            std::fs::symlink_metadata(scratch.output_dir().join(name)).is_ok_and(|m| m.is_file())
        };
        let alternative = crate::kind::of(job.kind).also_accepted();
        if let Some(expected) = &plan.output
            && attempt.max > 1
            && !written(expected)
            && !alternative.is_some_and(written)
        {
            return Err(Failure {
                error: JobError::new(
                    ErrorCode::NoOutput,
                    format!(
                        "the program finished but did not write {expected} to its output folder"
                    ),
                ),
                setback: Some(Setback::NoOutput {
                    expected: expected.clone(),
                }),
            });
        }

        let clock = self.begin(job, Stage::Collect).await?;
        let finished = self
            .collect_and_finish(job, generator, &outcome, scratch, record)
            .await;
        finish(job, clock, finished).map_err(|error| Failure {
            setback: Some(Setback::Unaccepted {
                message: error.message.clone(),
                places: places(&error),
            }),
            error,
        })
    }
}

/// The places a finish step's error names (`details.places`), for the repair feedback.
fn places(error: &JobError) -> Vec<crate::book::Place> {
    serde_json::from_value(error.details["places"].clone()).unwrap_or_default()
}

/// Two failures are the same when the same rules fire with the same messages, the same
/// exception is raised with the same message (line numbers aside), or, for failures with
/// no details (no program in the reply, no output file), they have the same code.
fn signature(code: ErrorCode, setback: &Setback) -> String {
    match setback {
        Setback::Rejected(violations) => {
            let mut found: Vec<String> = violations
                .iter()
                .map(|v| format!("{}:{}", v.code, v.message))
                .collect();
            found.sort();
            found.dedup();
            format!("{code}|{}", found.join("|"))
        }
        Setback::Raised {
            python: Some(p), ..
        } => format!("{code}|{}|{}", p.exc_type, p.message),
        Setback::Unaccepted { message, .. } => format!("{code}|{message}"),
        // No program, or no output file: the kind of failure is all there is to compare.
        _ => code.to_string(),
    }
}

/// The last failure, said to be the last: the job ends with its code.
fn give_up(mut error: JobError, attempts: u32, why: &str) -> JobError {
    error.message = format!("{} ({why})", error.message);
    if let Value::Object(details) = &mut error.details {
        details.insert("attempts".into(), json!(attempts));
    } else {
        error.details = json!({ "attempts": attempts });
    }
    error
}
