//! The engine's start-up in the background: the Python runtime probe and the executor's
//! warm-up (the first zygote of the pool imports pandas, seconds on a busy machine) run
//! after `Engine::build` has returned, so a server answers at once. Jobs submitted
//! meanwhile are accepted; their run waits for the executor (`StartingExecutor`).

use crate::config::Config;
use crate::error::{Error, Result};
use crate::execute::selftest::{SandboxStatus, SelfCheckedExecutor};
use crate::execute::{ExecOutcome, ExecRequest, Executor};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long the warm-up may take before the engine gives up on it and says so (a hang
/// would otherwise leave health at `starting` for ever). `python_version` bounds the
/// probe itself.
const WARM_UP_TIMEOUT: Duration = Duration::from_secs(120);

/// What the check of the Python runtime found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeStatus {
    /// The probe is still running.
    Probing,
    /// The interpreter runs and imports pandas: its version line.
    Ready(String),
    /// Why it cannot run programs.
    Unavailable(String),
}

/// The executor once it is built, or why it could not be; `None` while it warms up.
type Warmed = Option<std::result::Result<Arc<SelfCheckedExecutor>, String>>;

/// What the engine holds of its start-up.
pub(crate) struct Startup {
    python: watch::Receiver<RuntimeStatus>,
    /// `None` for an executor given by the embedder (nothing to warm, nothing checked).
    executor: Option<watch::Receiver<Warmed>>,
}

impl Startup {
    /// Starts the probe, and with `warm` the default executor's warm-up, in the
    /// background. Returns the start-up and, with `warm`, the executor to hand the
    /// runner (its runs wait for the warm-up).
    pub(crate) fn begin(config: &Config, warm: bool) -> (Startup, Option<Arc<dyn Executor>>) {
        let (probe_tx, python) = watch::channel(RuntimeStatus::Probing);
        let interpreter = config.python.clone();
        tokio::spawn(async move {
            let found =
                tokio::task::spawn_blocking(move || crate::execute::python_version(&interpreter))
                    .await;
            let status = match found {
                Ok(Ok(version)) => RuntimeStatus::Ready(version),
                Ok(Err(e)) => RuntimeStatus::Unavailable(e.to_string()),
                Err(e) => RuntimeStatus::Unavailable(format!("the probe did not finish: {e}")),
            };
            match &status {
                RuntimeStatus::Ready(version) => tracing::info!(%version, "python runtime"),
                _ => tracing::warn!(
                    ?status,
                    "python runtime unavailable: jobs will fail until it is fixed"
                ),
            }
            let _ = probe_tx.send(status);
        });
        if !warm {
            return (
                Startup {
                    python,
                    executor: None,
                },
                None,
            );
        }
        let (warm_tx, warmed) = watch::channel(None);
        let config = config.clone();
        tokio::spawn(async move {
            let built =
                tokio::time::timeout(WARM_UP_TIMEOUT, crate::execute::default_executor(&config))
                    .await;
            let result = match built {
                Ok(Ok(executor)) => Ok(executor),
                Ok(Err(e)) => Err(format!("the executor could not start: {e}")),
                Err(_) => Err(format!(
                    "the executor did not start within {} s",
                    WARM_UP_TIMEOUT.as_secs()
                )),
            };
            if let Err(why) = &result {
                tracing::error!("{why}; no job will run");
            }
            let _ = warm_tx.send(Some(result));
        });
        let starting = Arc::new(StartingExecutor {
            warmed: warmed.clone(),
        });
        (
            Startup {
                python,
                executor: Some(warmed),
            },
            Some(starting),
        )
    }

    pub(crate) fn python(&self) -> RuntimeStatus {
        self.python.borrow().clone()
    }

    pub(crate) fn sandbox(&self) -> SandboxStatus {
        let Some(executor) = &self.executor else {
            return SandboxStatus::NotChecked;
        };
        match &*executor.borrow() {
            None => SandboxStatus::Checking,
            Some(Ok(checked)) => checked.status(),
            Some(Err(why)) => SandboxStatus::Refused(why.clone()),
        }
    }

    /// Whether the probe or the warm-up is still running.
    pub(crate) fn is_starting(&self) -> bool {
        *self.python.borrow() == RuntimeStatus::Probing
            || self
                .executor
                .as_ref()
                .is_some_and(|executor| executor.borrow().is_none())
    }

    /// Resolves once the probe and the warm-up are done, whatever they found.
    pub(crate) async fn started(&self) {
        // An error means the sender is gone, which only happens after it sent.
        let _ = self
            .python
            .clone()
            .wait_for(|status| *status != RuntimeStatus::Probing)
            .await;
        if let Some(executor) = &self.executor {
            let _ = executor.clone().wait_for(Option::is_some).await;
        }
    }
}

/// The runner's executor while the default one warms up: each run waits for it, then
/// runs there (or fails with the reason it could not start).
struct StartingExecutor {
    warmed: watch::Receiver<Warmed>,
}

#[async_trait::async_trait]
impl Executor for StartingExecutor {
    async fn run(&self, req: ExecRequest) -> Result<ExecOutcome> {
        let mut warmed = self.warmed.clone();
        // Cloned out so the watch's lock is not held across the run.
        let ready = match warmed.wait_for(Option::is_some).await {
            Ok(ready) => ready.clone(),
            Err(_) => None,
        };
        match ready {
            Some(Ok(executor)) => executor.run(req).await,
            Some(Err(why)) => Err(Error::internal(why)),
            None => Err(Error::internal(
                "the executor's start-up ended without a result",
            )),
        }
    }
}
