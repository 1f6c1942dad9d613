//! The collect and the output capture are bounded, through the real engine (the default
//! executor, one worker, a policy that lets the attack programs through as written): a
//! program that writes an overlapping-entry zip bomb, one that writes a formula flood and
//! one that floods its stdout each end fast with the right outcome, and the same worker
//! then runs an ordinary job.

use office_core::Policy;
use office_core::{CodeGenerator, Plan, PlanError, PlanRequest};
use office_core::{Engine, Job, JobKind, JobStatus, Submission, Upload};
use office_tests::test_config;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The program named by the request's prompt.
struct ByPrompt;

#[async_trait::async_trait]
impl CodeGenerator for ByPrompt {
    fn name(&self) -> String {
        "by-prompt".into()
    }
    async fn generate(&self, request: &PlanRequest<'_>) -> Result<Plan, PlanError> {
        let code = match request.prompt {
            "zip bomb" => ZIP_BOMB,
            "formula flood" => FORMULA_FLOOD,
            "stdout flood" => STDOUT_FLOOD,
            _ => ORDINARY,
        };
        Ok(Plan {
            code: code.into(),
            generator: "by-prompt".into(),
            steps: vec![request.prompt.to_string()],
            output: Some("output.xlsx".into()),
        })
    }
}

/// 64 MiB of `<` deflated once (about 65 KB), and 2,000 directory entries that all point at
/// it: about 200 KB that inflates to 128 GB if each entry is read.
const ZIP_BOMB: &str = r#"
import os, struct, zlib
plain = b"<" * (64 << 20)
packer = zlib.compressobj(9, zlib.DEFLATED, -15)
data = packer.compress(plain) + packer.flush()
crc = zlib.crc32(plain)
name = b"xl/worksheets/sheet1.xml"
local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), len(plain), len(name), 0) + name
directory = b""
count = 2000
for i in range(count):
    entry = ("xl/worksheets/sheet%d.xml" % i).encode()
    directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), len(plain), len(entry), 0, 0, 0, 0, 0, 0) + entry
start = len(local) + len(data)
end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0)
with open(os.path.join(os.environ["OUTPUT_DIR"], "output.xlsx"), "wb") as f:
    f.write(local + data + directory + end)
"#;

/// 150 cells whose formula is 32,760 characters, `[` every other one, letters between
/// (so the part does not compress past the ratio cap): 76 s in the quadratic scanner.
const FORMULA_FLOOD: &str = r#"
import os
from openpyxl import Workbook
seed = 7
parts = []
for _ in range(16380):
    seed = (seed * 1103515245 + 12345) % (1 << 32)
    parts.append("[" + chr(97 + (seed >> 16) % 26))
flood = "=" + "".join(parts)
wb = Workbook()
ws = wb.active
for row in range(1, 151):
    ws.cell(row=row, column=1, value=flood)
wb.save(os.path.join(os.environ["OUTPUT_DIR"], "output.xlsx"))
"#;

const STDOUT_FLOOD: &str = "line = 'x' * 65535\nwhile True:\n    print(line)\n";

const ORDINARY: &str = r#"
import os
import pandas as pd
df = pd.read_csv(os.environ["INPUT_PATH"])
df.to_excel(os.path.join(os.environ["OUTPUT_DIR"], "output.xlsx"), index=False)
"#;

async fn run(engine: &Engine, prompt: &str) -> (Job, Duration) {
    let started = Instant::now();
    let job = engine
        .submit(Submission::new(
            JobKind::Excel,
            prompt,
            vec![Upload {
                name: "t.csv".into(),
                data: b"name,amount\na,1\n".to_vec().into(),
            }],
        ))
        .await
        .unwrap();
    let job = engine
        .wait(
            &office_core::Caller::default(),
            job.id,
            Some(Duration::from_secs(300)),
        )
        .await
        .unwrap();
    (job, started.elapsed())
}

#[tokio::test]
async fn bombs_and_floods_end_fast_and_the_worker_stays_responsive() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.workers = 1;
    // Far past what each attack now takes: an attack that is not stopped fails the test.
    config.limits.timeout = Duration::from_secs(240);
    config.limits.output_limit_bytes = 16 << 20;
    let mut policy = Policy::default();
    for module in ["struct", "zlib"] {
        policy.allowed_modules.insert(module.to_string());
    }
    let engine = Engine::builder(config)
        .generator(Arc::new(ByPrompt))
        .policy(policy)
        .build()
        .await
        .unwrap();
    let _workers = engine.start_workers(1);
    let mut timings = Vec::new();

    let (job, took) = run(&engine, "zip bomb").await;
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    let error = job.error.as_ref().unwrap();
    assert_eq!(error.code.as_str(), "output_rejected", "{error:?}");
    assert!(error.message.contains("overlap"), "{}", error.message);
    assert!(error.message.contains("output.xlsx"), "{}", error.message);
    assert!(took < Duration::from_secs(60), "{took:?}");
    timings.push(("zip bomb", took));

    let (job, took) = run(&engine, "formula flood").await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    let summary = engine.summary(&job).await.unwrap();
    assert_eq!(summary["external_references"], serde_json::json!([]));
    assert!(took < Duration::from_secs(60), "{took:?}");
    timings.push(("formula flood", took));

    let (job, took) = run(&engine, "stdout flood").await;
    assert_eq!(job.status, JobStatus::Failed, "{job:?}");
    let error = job.error.as_ref().unwrap();
    assert_eq!(error.code.as_str(), "resource_limit", "{error:?}");
    assert!(
        error.message.starts_with("output limit exceeded"),
        "{}",
        error.message
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
    timings.push(("stdout flood", took));

    let (job, took) = run(&engine, "ordinary").await;
    assert_eq!(job.status, JobStatus::Succeeded, "{:?}", job.error);
    timings.push(("ordinary job after them", took));
    eprintln!("{timings:?}");
}
