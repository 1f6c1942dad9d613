//! Follow-up jobs and threads: what a follow-up takes from the job it follows up (its
//! parent), a thread's listing, and deleting a job that others follow up.
//!
//! A follow-up copies what it works on into its own inputs at submission (the parent's
//! workbook, or its inputs and result tables) and keeps what its generator is told of
//! the parent in `meta/parent.json`: it runs, and reads back, without its parent.

use super::{Engine, Upload};
use crate::artifacts::safe_file_name;
use crate::error::{Error, Result};
use crate::job::{Caller, Job, JobId, JobKind, JobStatus, ParentContext, TenantId, Thread};
use crate::profile::FileFormat;
use bytes::Bytes;
use serde_json::Value;
use std::collections::HashSet;

/// Key under which a follow-up keeps what it was told of its parent.
pub(crate) const PARENT_KEY: &str = "meta/parent.json";

/// The report file whose `facts` are a report's results.
const REPORT_FACTS_FILE: &str = "analysis.json";

/// What a follow-up takes from its parent.
pub(super) struct FollowUp {
    /// The parent, as it was read.
    pub(super) parent: Job,
    /// The files it works on, before any the user added.
    pub(super) files: Vec<Upload>,
    /// What the generator is told of the parent.
    pub(super) context: ParentContext,
}

impl Engine {
    /// The parent `id` of a follow-up, checked, with what the follow-up takes from it.
    /// An unknown (or deleted) parent is `NotFound`; one that failed, was cancelled or
    /// has not finished is a `Conflict` saying so. A follow-up stays in its tenant: the
    /// parent of another tenant's job is not found either, so a thread is one tenant's.
    pub(super) async fn follow_up_of(&self, tenant: &TenantId, id: JobId) -> Result<FollowUp> {
        let parent = self
            .inner
            .store
            .get_owned(id, tenant)
            .await?
            .ok_or_else(|| {
                Error::not_found(format!(
                    "parent job {id} not found: there is no such job, or it was deleted"
                ))
            })?;
        match parent.status {
            JobStatus::Succeeded => {}
            JobStatus::Queued | JobStatus::Running => {
                return Err(Error::Conflict(format!(
                    "the parent job {id} has not finished yet (it is {}): a follow-up works \
                     on its results, so submit it once the parent has succeeded",
                    parent.status
                )));
            }
            JobStatus::Failed | JobStatus::Cancelled => {
                let why = parent
                    .error
                    .as_ref()
                    .map(|e| format!(" ({})", e.message))
                    .unwrap_or_default();
                return Err(Error::Conflict(format!(
                    "the parent job {id} {}{why}: a follow-up works on the results of a job \
                     that succeeded; submit the request on its own, or follow up another job",
                    parent.status
                )));
            }
        }
        let summary = self.summary(&parent).await.unwrap_or(Value::Null);
        let code = self.code(&parent).await.ok();
        let mut context = ParentContext {
            id,
            kind: Some(parent.kind),
            prompt: parent.prompt.clone(),
            steps: steps_of(&summary),
            code,
            ..ParentContext::default()
        };
        let files = match parent.kind {
            JobKind::Excel => {
                let (artifact, data) = self.output(&parent).await?;
                let name = workbook_name(&parent, &artifact.name);
                context.files.push(format!(
                    "{name}: the workbook job {id} wrote (its result, with its changes)"
                ));
                vec![Upload { name, data }]
            }
            JobKind::Analytics | JobKind::Report => {
                context.results = self.results_of(&parent, &summary).await;
                let mut files = self.inputs_of(&parent, &mut context).await?;
                let tables = result_tables(&context.results, &mut context.files)?;
                // An analysis's answer comes first, so the follow-up's first file (what
                // the planner works on) is the parent's result; a report's inputs stay
                // first, its facts beside them.
                match parent.kind {
                    JobKind::Analytics => {
                        let mut all = tables;
                        all.append(&mut files);
                        all
                    }
                    _ => {
                        files.extend(tables);
                        files
                    }
                }
            }
        };
        Ok(FollowUp {
            parent,
            files,
            context,
        })
    }

    /// The parent's data files, as uploaded (notes and other files it kept are left out).
    async fn inputs_of(&self, parent: &Job, context: &mut ParentContext) -> Result<Vec<Upload>> {
        let mut files = Vec::new();
        for input in &parent.inputs {
            if FileFormat::from_name(&input.name).is_none() {
                continue;
            }
            let data = self
                .inner
                .artifacts
                .get(parent.id, &format!("inputs/{}", input.name))
                .await?;
            context.files.push(format!(
                "{}: an input of job {}, as it was uploaded",
                input.name, parent.id
            ));
            files.push(Upload {
                name: input.original_name.clone(),
                data,
            });
        }
        Ok(files)
    }

    /// An analysis's results (the model's `results`, or the planner's `answer`), a
    /// report's `facts`; null when it has none.
    async fn results_of(&self, parent: &Job, summary: &Value) -> Value {
        match parent.kind {
            JobKind::Analytics => {
                let results = summary.get("results").unwrap_or(&Value::Null);
                ["results", "answer"]
                    .iter()
                    .find_map(|key| results.get(*key).filter(|v| v.is_object()))
                    .map(|v| match v.get("rows") {
                        // The planner's answer: its table under the answer's name.
                        Some(_) => serde_json::json!({ "answer": v }),
                        None => v.clone(),
                    })
                    .unwrap_or(Value::Null)
            }
            _ => match self.read_artifact(parent, REPORT_FACTS_FILE).await {
                Ok((_, data)) => serde_json::from_slice::<Value>(&data)
                    .ok()
                    .and_then(|v| v.get("facts").cloned())
                    .unwrap_or(Value::Null),
                Err(_) => Value::Null,
            },
        }
    }

    /// The jobs of the thread `id` belongs to (`id` may be any of them), oldest first.
    /// `NotFound` when `caller` may not see job `id`; every job of a thread is of the
    /// same tenant (see `follow_up_of`).
    pub async fn thread(&self, caller: &Caller, id: JobId) -> Result<Thread> {
        let job = self.get(caller, id).await?;
        let thread = job.thread_id();
        let jobs = self.inner.store.thread(thread).await?;
        Ok(Thread { thread, jobs })
    }

    /// The jobs that follow up `job`, directly or through others, oldest first.
    async fn descendants(&self, job: &Job) -> Result<Vec<JobId>> {
        let members = self.inner.store.thread(job.thread_id()).await?;
        let mut found: HashSet<JobId> = HashSet::from([job.id]);
        let mut out = Vec::new();
        // Oldest first, and a follow-up is always newer than its parent: one pass finds
        // every descendant.
        for member in &members {
            if let Some(parent) = member.parent
                && found.contains(&parent)
                && found.insert(member.id)
            {
                out.push(member.id);
            }
        }
        Ok(out)
    }

    /// Removes a job, its events and its files; a job still running is cancelled first.
    /// A job that other jobs follow up is a `Conflict` naming them (see `delete_cascade`).
    pub async fn delete(&self, caller: &Caller, id: JobId) -> Result<()> {
        let job = self.get(caller, id).await?;
        let below = self.descendants(&job).await?;
        if !below.is_empty() {
            let children: Vec<String> = self
                .inner
                .store
                .thread(job.thread_id())
                .await?
                .into_iter()
                .filter(|s| s.parent == Some(id))
                .map(|s| s.id.to_string())
                .collect();
            return Err(Error::Conflict(format!(
                "job {id} has follow-up jobs: {}; delete those first, or delete it together \
                 with every job that follows from it (cascade)",
                children.join(", ")
            )));
        }
        self.delete_one(caller, id).await
    }

    /// Removes a job and every job that follows from it, newest first, with their events
    /// and files. Returns the ids removed, the job's own last.
    pub async fn delete_cascade(&self, caller: &Caller, id: JobId) -> Result<Vec<JobId>> {
        let job = self.get(caller, id).await?;
        let mut doomed = self.descendants(&job).await?;
        doomed.reverse();
        doomed.push(id);
        for job in &doomed {
            self.delete_one(caller, *job).await?;
        }
        Ok(doomed)
    }
}

/// The planner's answer names its columns `group` and `value`: they become the column
/// it was split by and the measure (`Region`, `Revenue`), when it says them.
fn answer_names(answer: &serde_json::Map<String, Value>) -> Vec<(&'static str, String)> {
    let mut names = Vec::new();
    if let Some(by) = answer.get("by").and_then(Value::as_str) {
        names.push(("group", by.to_string()));
    }
    if let Some(measure) = answer.get("measure").and_then(Value::as_str)
        && answer.get("aggregate").and_then(Value::as_str) != Some("count")
    {
        names.push(("value", measure.to_string()));
    }
    names
}

/// The steps the parent reported: its plan's, else its program's own.
fn steps_of(summary: &Value) -> Vec<String> {
    ["/steps", "/program_report/steps", "/results/steps"]
        .iter()
        .filter_map(|p| summary.pointer(p).and_then(Value::as_array))
        .map(|steps| {
            steps
                .iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect::<Vec<_>>()
        })
        .find(|steps| !steps.is_empty())
        .unwrap_or_default()
}

/// The workbook's name for the follow-up: the parent's first input's, with the
/// workbook's extension (`sales.csv` → `sales.xlsx`), so downloads keep the user's name.
fn workbook_name(parent: &Job, artifact: &str) -> String {
    let ext = artifact.rsplit_once('.').map_or("xlsx", |(_, e)| e);
    let stem = parent
        .inputs
        .first()
        .map(|i| safe_file_name(&i.original_name))
        .map(|n| match n.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem.to_string(),
            _ => n,
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "output".into());
    format!("{stem}.{ext}")
}

/// Each result that is a table (a list of records) as a CSV file `<name>.csv`.
fn result_tables(results: &Value, described: &mut Vec<String>) -> Result<Vec<Upload>> {
    let Some(map) = results.as_object() else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for (name, value) in map {
        // A table, or the planner's answer holding one (`rows`, named by `by`/`measure`).
        let (rows, renames) = match value {
            Value::Array(rows) => (rows, Vec::new()),
            Value::Object(answer) => match answer.get("rows") {
                Some(Value::Array(rows)) => (rows, answer_names(answer)),
                _ => continue,
            },
            _ => continue,
        };
        if rows.is_empty() || !rows.iter().all(Value::is_object) {
            continue;
        }
        let mut columns: Vec<&str> = Vec::new();
        for row in rows.iter().filter_map(Value::as_object) {
            for key in row.keys() {
                if !columns.contains(&key.as_str()) {
                    columns.push(key);
                }
            }
        }
        let mut writer = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| Error::internal(format!("a result table as CSV: {e}"));
        let header: Vec<&str> = columns
            .iter()
            .map(|c| {
                renames
                    .iter()
                    .find(|(from, _)| from == c)
                    .map_or(*c, |(_, to)| to.as_str())
            })
            .collect();
        writer.write_record(&header).map_err(csv_error)?;
        for row in rows.iter().filter_map(Value::as_object) {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| match row.get(*c) {
                    None | Some(Value::Null) => String::new(),
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                })
                .collect();
            writer.write_record(&cells).map_err(csv_error)?;
        }
        let data = writer
            .into_inner()
            .map_err(|e| Error::internal(format!("a result table as CSV: {e}")))?;
        let file = format!("{}.csv", safe_file_name(name));
        described.push(format!(
            "{file}: the result '{name}' of the parent job, a table of {} rows",
            rows.len()
        ));
        files.push(Upload {
            name: file,
            data: Bytes::from(data),
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_become_csv_and_numbers_stay_out() {
        let mut described = Vec::new();
        let results = json!({
            "total": 12.5,
            "by region": [{"Region": "North", "Revenue": 10}, {"Region": "South, east", "Revenue": 2.5, "Note": null}],
        });
        let files = result_tables(&results, &mut described).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "by region.csv");
        let text = String::from_utf8(files[0].data.to_vec()).unwrap();
        assert_eq!(
            text,
            "Region,Revenue,Note\nNorth,10,\n\"South, east\",2.5,\n"
        );
        assert!(described[0].contains("2 rows"), "{described:?}");

        let answer = json!({"answer": {"kind": "group", "by": "Region", "measure": "Revenue",
            "aggregate": "sum", "rows": [{"group": "North", "value": 17}]}});
        let files = result_tables(&answer, &mut described).unwrap();
        let text = String::from_utf8(files[0].data.to_vec()).unwrap();
        assert_eq!(files[0].name, "answer.csv");
        assert_eq!(text, "Region,Revenue\nNorth,17\n");
    }

    #[test]
    fn steps_come_from_the_plan_else_the_program() {
        assert_eq!(steps_of(&json!({"steps": ["a", "b"]})), ["a", "b"]);
        assert_eq!(
            steps_of(&json!({"steps": null, "program_report": {"steps": ["c"]}})),
            ["c"]
        );
        assert!(steps_of(&Value::Null).is_empty());
    }

    #[test]
    fn the_workbook_keeps_the_users_name() {
        let mut job = Job::new(JobKind::Excel, "x");
        job.inputs.push(crate::job::InputFile {
            name: "sales.csv".into(),
            original_name: "../Sales.csv".into(),
            size: 1,
            sha256: String::new(),
        });
        assert_eq!(workbook_name(&job, "output.xlsx"), "Sales.xlsx");
        job.inputs.clear();
        assert_eq!(workbook_name(&job, "output.xlsm"), "output.xlsm");
    }
}
