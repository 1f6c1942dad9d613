//! The `office` command: serve the REST API, run one job, check a program against the code
//! policy, run one program in the sandbox, or check the sandbox itself. Parsing, tracing,
//! printing and wiring only; the work is in office-core.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use office_core::{Config, Engine, JobKind, JobStatus, Submission, Upload};
use office_http::AppState;
use std::path::PathBuf;

mod keys_cli;

#[derive(Parser)]
#[command(
    name = "office",
    version,
    about = "Office files plus a request in plain language, turned into results."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API (and run jobs in this process).
    Serve {
        /// Address to listen on [env: OFFICE_HOST, default 127.0.0.1].
        #[arg(long)]
        host: Option<String>,
        /// Port to listen on [env: OFFICE_PORT, default 8000].
        #[arg(long)]
        port: Option<u16>,
        /// Serve the API only; `office worker` processes run the jobs (needs REDIS_URL).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run jobs only, taking them from the shared queue (needs REDIS_URL), until stopped.
    Worker {
        /// Jobs run at once [env: OFFICE_WORKERS, default 2].
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Run one job in this process and print where its outputs are.
    Run {
        /// The workbook or CSV file to work on (with --parent: a file added to the
        /// parent's output).
        #[arg(long, required_unless_present = "parent")]
        file: Option<PathBuf>,
        /// Follow up an earlier job of this DATA_DIR (or DATABASE_URL): work on its
        /// output workbook, with its request, steps and program known to the generator.
        #[arg(long, value_name = "JOB_ID")]
        parent: Option<office_core::JobId>,
        /// What to do, in plain language.
        #[arg(long)]
        prompt: String,
        /// Folder to copy the outputs into [default: ./office-out/<job id>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Who writes the program: auto (the model when one is configured), planner, llm.
        #[arg(long, default_value = "auto")]
        generator: office_core::GeneratorChoice,
        /// The tenant the job is recorded for (a --parent must be this tenant's job).
        #[arg(long, default_value = office_core::TenantId::DEFAULT)]
        tenant: office_core::TenantId,
    },
    /// Manage the API keys file: add a key (printed once), list, revoke.
    Keys {
        /// The keys file [env: OFFICE_API_KEYS_FILE].
        #[arg(long, global = true)]
        file: Option<PathBuf>,
        #[command(subcommand)]
        command: keys_cli::KeysCommand,
    },
    /// Check a Python program against the code policy; prints the findings as JSON.
    /// Exits 1 when the program is rejected. `--explain OFF111` prints a rule's documentation.
    Validate {
        /// The program to check.
        #[arg(required_unless_present = "explain")]
        file: Option<PathBuf>,
        /// A rule code or name (`OFF111`, `pandas-expression`) to explain instead.
        #[arg(long, value_name = "RULE")]
        explain: Option<String>,
    },
    /// Run one Python program through the sandbox and print its outcome as JSON. Exits 1
    /// when it is rejected or does not succeed.
    Exec {
        /// The program to run.
        #[arg(long)]
        code: PathBuf,
        /// An input file (repeat for more; the first is INPUT_PATH).
        #[arg(long)]
        input: Vec<PathBuf>,
        /// Folder the program writes to (OUTPUT_DIR) [default: ./office-out/exec-<id>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Skip the static validator only, to test the sandbox alone.
        #[arg(long)]
        no_validate: bool,
    },
    /// Check the sandbox: kernel features, then the self-test's canaries through both the
    /// cold and the warm executor. Exits 1 when any canary escapes.
    Doctor,
}

fn main() {
    // The environment canary of the sandbox self-test: set while this process has a single
    // thread, before the runtime starts; a program that can read it has escaped.
    // SAFETY: no other thread exists yet to read the environment concurrently.
    unsafe {
        std::env::set_var(
            office_core::ENV_CANARY,
            uuid::Uuid::now_v7().simple().to_string(),
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    runtime.block_on(async_main());
}

async fn async_main() {
    let cli = Cli::parse();
    // A missing .env is fine; a malformed one is worth knowing about.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("warning: .env could not be read: {e}");
    }
    if let Err(e) = init_logs() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    let code = match run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

/// Logs to stderr, filtered by `OFFICE_LOG`: text for people, or with
/// `OFFICE_LOG_FORMAT=json` one JSON object a line, each line logged while a job runs
/// carrying the job's id (`span.job_id`, from the worker's `job` span).
fn init_logs() -> Result<()> {
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("OFFICE_LOG")
            .unwrap_or_else(|_| "info,sqlx=warn".into())
    };
    let format = std::env::var("OFFICE_LOG_FORMAT").unwrap_or_default();
    match format.trim() {
        "" | "text" => tracing_subscriber::fmt()
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        "json" => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init(),
        other => anyhow::bail!(
            "OFFICE_LOG_FORMAT={other:?} is not a log format: use \"text\" (the default) or \"json\""
        ),
    }
    Ok(())
}

async fn run(command: Command) -> Result<i32> {
    match command {
        Command::Serve {
            host,
            port,
            no_worker,
        } => serve(host, port, no_worker).await,
        Command::Worker { concurrency } => worker(concurrency).await,
        Command::Run {
            file,
            parent,
            prompt,
            out,
            generator,
            tenant,
        } => run_one(file, parent, prompt, out, generator, tenant).await,
        Command::Keys { file, command } => keys_cli::run(command, file),
        Command::Validate {
            explain: Some(rule),
            ..
        } => explain_rule(&rule),
        Command::Validate {
            file: Some(file), ..
        } => validate(file),
        Command::Validate { .. } => Err(anyhow::anyhow!("give a file to check or --explain RULE")),
        Command::Exec {
            code,
            input,
            out,
            no_validate,
        } => exec(code, input, out, no_validate).await,
        Command::Doctor => doctor().await,
    }
}

async fn serve(host: Option<String>, port: Option<u16>, no_worker: bool) -> Result<i32> {
    let mut config = Config::from_env()?;
    if no_worker {
        require_shared_queue(&config, "office serve --no-worker")?;
    }
    if let Some(h) = host {
        config.host = h;
    }
    if let Some(p) = port {
        config.port = p;
    }
    let addr = format!("{}:{}", config.host, config.port);
    let workers = config.workers;
    let engine = Engine::open(config).await?;
    let count = if no_worker { 0 } else { workers };
    // The runtime probe and the warm-up run in the background (the engine logs what
    // they find); health says `starting` until then.
    let state = AppState::new(engine.clone());
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!("office listening on http://{}", listener.local_addr()?);
    // Recovery first, then the workers and the server; the workers stop once it has.
    engine
        .run_workers(
            count,
            office_http::serve(listener, state, shutdown_signal()),
        )
        .await??;
    Ok(0)
}

async fn worker(concurrency: Option<usize>) -> Result<i32> {
    let config = Config::from_env()?;
    require_shared_queue(&config, "office worker")?;
    let count = concurrency.unwrap_or(config.workers).max(1);
    let engine = Engine::open(config).await?;
    let backends = engine.backends();
    tracing::info!(store = %backends.store, queue = %backends.queue, count, "office worker running");
    // Recovery is safe beside live processes: see Engine::recover.
    engine.run_workers(count, shutdown_signal()).await?;
    Ok(0)
}

/// Running the API and the workers in separate processes needs a queue they share.
fn require_shared_queue(config: &Config, command: &str) -> Result<()> {
    if config.redis_url.is_none() {
        anyhow::bail!(
            "{command} needs REDIS_URL: with the in-process queue, jobs only run in the process that accepted them (use plain `office serve`)"
        );
    }
    if config.database_url.is_none() {
        tracing::warn!(
            "DATABASE_URL is not set: the processes share the SQLite file under DATA_DIR, which works on one machine only"
        );
    }
    Ok(())
}

async fn run_one(
    file: Option<PathBuf>,
    parent: Option<office_core::JobId>,
    prompt: String,
    out: Option<PathBuf>,
    generator: office_core::GeneratorChoice,
    tenant: office_core::TenantId,
) -> Result<i32> {
    let config = Config::from_env()?;
    let mut uploads = Vec::new();
    if let Some(file) = file {
        let data = tokio::fs::read(&file)
            .await
            .with_context(|| format!("cannot read {}", file.display()))?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "input".into());
        uploads.push(Upload {
            name,
            data: data.into(),
        });
    }
    let engine = Engine::open(config).await?;
    let caller = office_core::Caller {
        tenant: tenant.clone(),
        admin: false,
    };
    let mut submission = Submission::new(JobKind::Excel, prompt, uploads)
        .with_generator(generator)
        .with_tenant(tenant);
    if let Some(parent) = parent {
        submission = submission.with_parent(parent);
    }
    // One worker runs until the job is final.
    let job = engine
        .run_workers(1, async {
            let job = engine.submit(submission).await?;
            engine.wait(&caller, job.id, None).await
        })
        .await??;

    let out = out.unwrap_or_else(|| PathBuf::from("office-out").join(job.id.to_string()));
    tokio::fs::create_dir_all(&out)
        .await
        .with_context(|| format!("cannot create {}", out.display()))?;
    for artifact in &job.artifacts {
        let (_, bytes) = engine.read_artifact(&job, &artifact.name).await?;
        let path = out.join(&artifact.name);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::fs::write(&path, bytes).await?;
    }
    println!("job {} {}", job.id, job.status);
    if let Some(parent) = job.parent {
        println!("follows up job {parent} (thread {})", job.thread_id());
    }
    let summary = engine.summary(&job).await.ok();
    for line in summary_lines(summary.as_ref()) {
        println!("{line}");
    }
    if let Some(error) = &job.error {
        println!("error ({}): {}", error.code, error.message);
    }
    println!("outputs in {}", out.display());
    for artifact in &job.artifacts {
        println!("  {}", out.join(&artifact.name).display());
    }
    Ok(if job.status == JobStatus::Succeeded {
        0
    } else {
        1
    })
}

/// The steps, then one line per change the write-back made (`changes[].text`) and what
/// it could not keep, as `office run` prints them.
fn summary_lines(summary: Option<&serde_json::Value>) -> Vec<String> {
    let Some(summary) = summary else {
        return Vec::new();
    };
    let texts = |key: &str, field: Option<&str>| -> Vec<String> {
        summary
            .get(key)
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| match field {
                        Some(field) => item.get(field)?.as_str(),
                        None => item.as_str(),
                    })
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut lines: Vec<String> = texts("steps", None)
        .into_iter()
        .map(|s| format!("  - {s}"))
        .collect();
    let changes = texts("changes", Some("text"));
    if !changes.is_empty() {
        lines.push("changes:".into());
        lines.extend(changes.into_iter().map(|c| format!("  {c}")));
    }
    let lost = texts("lost", None);
    if !lost.is_empty() {
        lines.push("not kept:".into());
        lines.extend(lost.into_iter().map(|l| format!("  {l}")));
    }
    lines
}

fn validate(file: PathBuf) -> Result<i32> {
    let source = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let source = String::from_utf8(source)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.display()))?;
    let violations = office_core::validate(&source, &office_core::Policy::default());
    let report = serde_json::json!({
        "file": file.display().to_string(),
        "accepted": violations.is_empty(),
        "violations": violations,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if violations.is_empty() { 0 } else { 1 })
}

fn explain_rule(code_or_name: &str) -> Result<i32> {
    let Some(rule) = office_core::Rule::from_code(code_or_name) else {
        let codes: Vec<&str> = office_core::rules()
            .iter()
            .map(|rule| rule.code())
            .collect();
        eprintln!(
            "no rule is called {code_or_name:?}; rules: {}",
            codes.join(", ")
        );
        return Ok(2);
    };
    println!("{} ({})\n\n{}", rule.code(), rule.name(), rule.explain());
    Ok(0)
}

async fn exec(
    code: PathBuf,
    inputs: Vec<PathBuf>,
    out: Option<PathBuf>,
    no_validate: bool,
) -> Result<i32> {
    use office_core::{ExecRequest, Executor, ProcessExecutor, SelfCheckedExecutor};
    let config = Config::from_env()?;
    let source = std::fs::read(&code).with_context(|| format!("cannot read {}", code.display()))?;
    let source = String::from_utf8(source)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", code.display()))?;
    if !no_validate {
        let violations = office_core::validate(&source, &office_core::Policy::default());
        if !violations.is_empty() {
            let report = serde_json::json!({ "accepted": false, "violations": violations });
            println!("{}", serde_json::to_string_pretty(&report)?);
            return Ok(1);
        }
    }
    for input in &inputs {
        anyhow::ensure!(input.is_file(), "{} is not a file", input.display());
    }
    let id = uuid::Uuid::now_v7();
    let out = out.unwrap_or_else(|| PathBuf::from("office-out").join(format!("exec-{id}")));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let scratch = config.data_dir.join("scratch");
    std::fs::create_dir_all(&scratch)?;
    let work = scratch.join(format!("exec-{id}"));
    std::fs::create_dir_all(&work)?;
    // One program: a fresh interpreter, confined exactly as the warm pool's children are.
    let cold = ProcessExecutor::new(config.python.clone(), config.data_dir.join("runtime"))?
        .with_sandbox(config.sandbox);
    let executor =
        SelfCheckedExecutor::new(std::sync::Arc::new(cold), scratch, config.sandbox.mode);
    let outcome = executor
        .run(ExecRequest {
            code: source,
            inputs,
            output_dir: out.clone(),
            work_dir: work.clone(),
            limits: config.limits.clone(),
        })
        .await;
    let _ = std::fs::remove_dir_all(&work);
    let outcome = outcome?;
    let report = serde_json::json!({
        "validated": !no_validate,
        "output_dir": out.display().to_string(),
        "outcome": outcome,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if outcome.succeeded() { 0 } else { 1 })
}

async fn doctor() -> Result<i32> {
    let config = Config::from_env()?;
    let mut healthy = doctor_kernel(&config).await?;
    let python = config.python.clone();
    match tokio::task::spawn_blocking(move || office_core::python_version(&python)).await? {
        Ok(version) => println!("  ok   python: {version}"),
        Err(e) => {
            println!("  FAIL python: {e}");
            return Ok(1);
        }
    }
    healthy &= doctor_self_tests(&config).await?;
    let degraded = config.sandbox.mode == office_core::SandboxMode::Degraded;
    println!(
        "{}",
        match (healthy, degraded) {
            (true, false) => "the sandbox holds",
            (true, true) =>
                "the sandbox holds, but OFFICE_SANDBOX=degraded would run jobs \
                             without it if a layer went missing",
            (false, false) => "the sandbox does NOT hold: `office serve` refuses to run jobs",
            (false, true) =>
                "the sandbox does NOT hold, and OFFICE_SANDBOX=degraded: `office \
                              serve` RUNS JOBS ANYWAY, without the layers above that failed",
        }
    );
    Ok(if healthy { 0 } else { 1 })
}

/// `ok  ` or `FAIL`, the column `office doctor` starts each line with.
fn mark(ok: bool) -> &'static str {
    if ok { "ok  " } else { "FAIL" }
}

/// The kernel's layers and the limits it enforces; true when every required layer is there.
async fn doctor_kernel(config: &Config) -> Result<bool> {
    println!("sandbox mode");
    match config.sandbox.mode {
        office_core::SandboxMode::Full => println!(
            "  ok   full (OFFICE_SANDBOX unset or \"full\"): a job runs with every layer below \
             or not at all"
        ),
        office_core::SandboxMode::Degraded => println!(
            "  !!   DEGRADED (OFFICE_SANDBOX=degraded): jobs run even without their namespaces \
             or after a canary escaped; only no-new-privs, rlimits, Landlock, seccomp and the \
             audit hook are sure to hold. Never on a server: unset OFFICE_SANDBOX"
        ),
    }
    println!("kernel");
    let landlock = office_core::landlock_abi();
    println!(
        "  {} landlock: {}",
        mark(landlock.is_some()),
        match landlock {
            Some(abi) if abi >= 6 =>
                format!("ABI {abi} (files, TCP, signal and abstract socket scoping)"),
            Some(abi) if abi >= 4 => format!("ABI {abi} (files and TCP; no signal/socket scoping)"),
            Some(abi) => format!("ABI {abi} (files only)"),
            None => "not available: the harness refuses to run programs".into(),
        }
    );
    let seccomp = office_core::seccomp_available();
    println!(
        "  {} seccomp filter: {}",
        mark(seccomp),
        if seccomp {
            "available"
        } else {
            "not available: the harness refuses to run programs"
        }
    );
    let network = tokio::task::spawn_blocking(office_core::probe_network_isolation).await?;
    println!(
        "  {} network namespace: {}",
        mark(network != office_core::NetworkIsolation::None),
        match network {
            office_core::NetworkIsolation::Namespace => "unshare(CLONE_NEWNET)",
            office_core::NetworkIsolation::UserNamespace => "unshare(CLONE_NEWUSER | CLONE_NEWNET)",
            office_core::NetworkIsolation::None =>
                "not permitted: only the seccomp rule (AF_UNIX sockets only) keeps programs off the network",
        }
    );
    let settings = config.sandbox;
    let namespaces =
        tokio::task::spawn_blocking(move || office_core::probe_job_namespaces(&settings)).await?;
    println!(
        "  {} job namespaces: {}",
        mark(namespaces.is_ok()),
        match &namespaces {
            Ok(office_core::JobNamespaces::DedicatedUid { uid, gid }) => format!(
                "mount (a read-only root of the runtime only), PID, IPC, UTS, network and \
                 cgroup; the server is root, so jobs run as uid {uid}, gid {gid} \
                 (OFFICE_SANDBOX_UID/GID) with no capabilities"
            ),
            Ok(office_core::JobNamespaces::UserNamespace { host_uid }) => format!(
                "user (host uid {host_uid} is uid 1000 inside), mount (a read-only root of \
                 the runtime only), PID, IPC, UTS, network and cgroup; no capabilities"
            ),
            Err(why) => format!("cannot be made, so jobs are refused: {why}"),
        }
    );
    let limits = &config.limits;
    println!(
        "  ok   limits the kernel enforces: disk quota {} MB (the job's tmpfs, unlinked files \
         included), processes and threads {} (RLIMIT_NPROC: the job's uid is unprivileged), \
         address space {} MB (RLIMIT_AS), CPU {} s (RLIMIT_CPU), file size, open files; \
         memfd, SysV IPC and mlock refused by seccomp, SO_SNDBUFFORCE by the missing \
         capability",
        limits.disk_bytes >> 20,
        limits.processes,
        limits.memory_bytes >> 20,
        limits.cpu_seconds
    );
    let cgroups = tokio::task::spawn_blocking(office_core::cgroup_support).await?;
    match &cgroups {
        office_core::CgroupSupport::V2(root) => println!(
            "  ok   cgroups: v2 at {}: per job memory.max (memory + disk quota + 64 MB: page \
             cache, tmpfs, socket buffers included), pids.max, cpu.max one CPU; an OOM ends \
             only the job",
            root.display()
        ),
        office_core::CgroupSupport::V1 => println!(
            "  ok   cgroups: v1 memory, pids and cpu: per job memory.limit_in_bytes (memory + \
             disk quota + 64 MB: page cache, tmpfs included), pids.max, cfs quota one CPU; an \
             OOM ends only the job"
        ),
        office_core::CgroupSupport::None(why) => println!(
            "  --   cgroups: none ({why}); memory falls back to the address-space rlimit (tmpfs \
             pages count against the disk quota instead), no CPU share cap beyond CPU time"
        ),
    }
    Ok(landlock.is_some() && seccomp && namespaces.is_ok())
}

/// The self-test's canaries through the cold path and the warm pool; true when all held.
async fn doctor_self_tests(config: &Config) -> Result<bool> {
    use office_core::{Executor, PoolExecutor, PoolOptions, ProcessExecutor, run_self_test};
    let mut healthy = true;
    let scratch = config.data_dir.join("scratch");
    let runtime = config.data_dir.join("runtime");
    let cold = ProcessExecutor::new(config.python.clone(), &runtime)?.with_sandbox(config.sandbox);
    let options = PoolOptions {
        size: 1,
        max_jobs_per_zygote: config.pool_max_jobs,
    };
    let warm = PoolExecutor::start_from(cold.clone(), options).await;
    let mut executors: Vec<(&str, Box<dyn Executor>)> = vec![("cold path", Box::new(cold))];
    match warm {
        Ok(pool) => executors.push(("warm pool", Box::new(pool))),
        Err(e) => {
            println!("warm pool\n  FAIL does not start: {e}");
            healthy = false;
        }
    }
    for (name, executor) in executors {
        println!("self-test, {name}");
        match run_self_test(executor.as_ref(), &scratch).await {
            Ok(test) => {
                for canary in &test.canaries {
                    println!(
                        "  {} {}: {}",
                        mark(canary.contained),
                        canary.name,
                        if canary.contained {
                            "blocked"
                        } else {
                            "ESCAPED"
                        }
                    );
                    println!("       {}", canary.detail);
                }
                healthy &= test.passed();
            }
            Err(e) => {
                println!("  FAIL {e}");
                healthy = false;
            }
        }
    }
    Ok(healthy)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::summary_lines;
    use serde_json::json;

    #[test]
    fn run_prints_steps_then_one_line_per_change() {
        let summary = json!({
            "steps": ["Sorted by Units"],
            "changes": [
                {"change": "rows_reordered", "sheet": "Data", "range": "A2:H11", "text": "Data: rows A2:H11 reordered"},
                {"change": "sheet_added", "sheet": "By Region", "rows": 4, "columns": 2, "text": "sheet 'By Region' added (4 rows x 2 columns)"}
            ],
            "lost": []
        });
        assert_eq!(
            summary_lines(Some(&summary)),
            [
                "  - Sorted by Units",
                "changes:",
                "  Data: rows A2:H11 reordered",
                "  sheet 'By Region' added (4 rows x 2 columns)"
            ]
        );
        assert!(summary_lines(None).is_empty());
    }
}
