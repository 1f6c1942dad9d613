//! Live job events: numbered, resumable, and woken across processes.
//!
//! The store is the source of truth: an event's id is its place in the job's history
//! (1, 2, 3, ... in the order the store appended them), so a reader that saw up to id `n`
//! asks the store for what comes after `n` and never loses or repeats one. What is not
//! durable is only the wake-up: every write through the engine's store tells the
//! [`EventBus`], which wakes the readers of this process and, with Redis configured,
//! publishes the job id so the readers of every other process wake too. A reader
//! subscribes before it reads, so an event written between its read and its wait still
//! wakes it; a lost wake-up (Redis restarting) costs at most `FALLBACK_POLL`.

use crate::error::{Error, Result};
use crate::job::{EventBody, Job, JobCounts, JobEvent, JobFilter, JobId, JobSummary, PageQuery};
use crate::store::Store;
use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// A reader that has heard nothing looks at the store again after this long anyway.
const FALLBACK_POLL: Duration = Duration::from_secs(2);

/// How long a reader waits, after seeing a job final, for its final status event (a
/// cancelled queued job gets its status before its event).
const FINAL_GRACE: Duration = Duration::from_secs(1);

/// Wake-ups kept for a slow local reader; one that falls behind rereads the store.
const LOCAL_CAPACITY: usize = 1024;

/// The Redis channel, under the queue's key prefix.
fn channel(prefix: &str) -> String {
    format!("{prefix}:events")
}

/// One of a job's events with its id: its place in the job's history, from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NumberedEvent {
    /// The event's place in the job's history (1 for the first); what a reader passes
    /// back to resume after it.
    pub id: u64,
    /// The event.
    #[serde(flatten)]
    pub event: JobEvent,
}

impl NumberedEvent {
    /// Whether this is the job's final status: nothing follows it.
    pub fn is_final(&self) -> bool {
        matches!(self.event.body, EventBody::Status { status } if status.is_final())
    }
}

/// The job's events after id `after`, numbered.
pub(crate) async fn after(store: &dyn Store, id: JobId, after: u64) -> Result<Vec<NumberedEvent>> {
    let events = store.events(id).await?;
    Ok(events
        .into_iter()
        .zip(1u64..)
        .skip(after.try_into().unwrap_or(usize::MAX))
        .map(|(event, id)| NumberedEvent { id, event })
        .collect())
}

/// Wakes the readers of a job's events when the job changes.
pub(crate) struct EventBus {
    local: broadcast::Sender<JobId>,
    redis: Option<RedisWake>,
}

struct RedisWake {
    client: redis::Client,
    channel: String,
    publisher: redis::aio::ConnectionManager,
    /// The task forwarding the channel to `local`, started by the first reader (a
    /// process that only writes never subscribes); aborted when the bus goes.
    subscriber: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for RedisWake {
    fn drop(&mut self) {
        if let Some(task) = self
            .subscriber
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            task.abort();
        }
    }
}

impl EventBus {
    /// Wake-ups within this process only.
    pub(crate) fn local() -> Arc<EventBus> {
        Arc::new(EventBus {
            local: broadcast::channel(LOCAL_CAPACITY).0,
            redis: None,
        })
    }

    /// Wake-ups shared through Redis pub/sub on `url`, channel `<prefix>:events`.
    pub(crate) async fn redis(url: &str, prefix: &str) -> Result<Arc<EventBus>> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::invalid(format!("REDIS_URL is not a Redis address: {e}")))?;
        let publisher = redis::aio::ConnectionManager::new(client.clone())
            .await
            .map_err(|e| {
                Error::Queue(format!(
                    "cannot connect to Redis at {} (REDIS_URL) for job events: {e}",
                    crate::queue::shown_url(url)
                ))
            })?;
        Ok(Arc::new(EventBus {
            local: broadcast::channel(LOCAL_CAPACITY).0,
            redis: Some(RedisWake {
                client,
                channel: channel(prefix),
                publisher,
                subscriber: Mutex::new(None),
            }),
        }))
    }

    /// Tells every reader of `id`, here and in other processes, to look again.
    pub(crate) async fn notify(&self, id: JobId) {
        let _ = self.local.send(id);
        if let Some(redis) = &self.redis {
            let mut conn = redis.publisher.clone();
            let sent: redis::RedisResult<()> = redis::cmd("PUBLISH")
                .arg(&redis.channel)
                .arg(id.to_string())
                .query_async(&mut conn)
                .await;
            if let Err(e) = sent {
                // Readers elsewhere still see the event on their next fallback look.
                tracing::warn!(%id, error = %e, "could not publish a job event wake-up");
            }
        }
    }

    /// A receiver of wake-ups; with Redis, the first one starts the subscriber task.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<JobId> {
        let receiver = self.local.subscribe();
        if let Some(redis) = &self.redis {
            let mut task = redis.subscriber.lock().unwrap_or_else(|e| e.into_inner());
            if task.is_none() {
                task.replace(tokio::spawn(forward(
                    redis.client.clone(),
                    redis.channel.clone(),
                    self.local.clone(),
                )));
            }
        }
        receiver
    }
}

/// Forwards job ids published on `channel` to the local readers, reconnecting after a
/// lost connection.
async fn forward(client: redis::Client, channel: String, local: broadcast::Sender<JobId>) {
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        if let Ok(id) = message
                            .get_payload::<String>()
                            .map_err(|_| ())
                            .and_then(|p| p.parse::<JobId>().map_err(|_| ()))
                        {
                            let _ = local.send(id);
                        }
                    }
                    tracing::warn!("the Redis job-event subscription ended; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to job events in Redis"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot connect to Redis for job events"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The engine's store: every write goes to the real store, then wakes the readers.
pub(crate) struct NotifyingStore {
    inner: Arc<dyn Store>,
    bus: Arc<EventBus>,
}

impl NotifyingStore {
    pub(crate) fn wrap(inner: Arc<dyn Store>, bus: Arc<EventBus>) -> Arc<dyn Store> {
        Arc::new(NotifyingStore { inner, bus })
    }
}

// Every method is forwarded, the default ones too: `finish` must stay the inner store's
// one transaction.
#[async_trait]
impl Store for NotifyingStore {
    async fn insert(&self, job: &Job) -> Result<()> {
        self.inner.insert(job).await
    }

    async fn get(&self, id: JobId) -> Result<Option<Job>> {
        self.inner.get(id).await
    }

    async fn get_owned(&self, id: JobId, tenant: &crate::job::TenantId) -> Result<Option<Job>> {
        self.inner.get_owned(id, tenant).await
    }

    async fn list(&self, filter: &JobFilter) -> Result<Vec<Job>> {
        self.inner.list(filter).await
    }

    async fn page(&self, query: &PageQuery) -> Result<Vec<JobSummary>> {
        self.inner.page(query).await
    }

    async fn thread(&self, thread: JobId) -> Result<Vec<JobSummary>> {
        self.inner.thread(thread).await
    }

    async fn update(&self, job: &Job) -> Result<bool> {
        let wrote = self.inner.update(job).await?;
        if wrote && job.status.is_final() {
            self.bus.notify(job.id).await;
        }
        Ok(wrote)
    }

    async fn claim(&self, id: JobId) -> Result<Option<Job>> {
        self.inner.claim(id).await
    }

    async fn claim_within(
        &self,
        id: JobId,
        running: crate::store::RunningLimit<'_>,
    ) -> Result<crate::store::Claim> {
        self.inner.claim_within(id, running).await
    }

    async fn insert_within(
        &self,
        job: &Job,
        since: chrono::DateTime<chrono::Utc>,
        check: crate::store::InsertCheck<'_>,
    ) -> Result<()> {
        self.inner.insert_within(job, since, check).await
    }

    async fn usage(
        &self,
        tenant: Option<&crate::job::TenantId>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<crate::job::TenantUsage>> {
        self.inner.usage(tenant, since).await
    }

    async fn delete(&self, id: JobId) -> Result<bool> {
        let existed = self.inner.delete(id).await?;
        if existed {
            self.bus.notify(id).await;
        }
        Ok(existed)
    }

    async fn counts(&self) -> Result<JobCounts> {
        self.inner.counts().await
    }

    async fn expired(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<JobId>> {
        self.inner.expired(before, limit).await
    }

    async fn append_event(&self, event: &JobEvent) -> Result<()> {
        self.inner.append_event(event).await?;
        self.bus.notify(event.job_id).await;
        Ok(())
    }

    async fn events(&self, id: JobId) -> Result<Vec<JobEvent>> {
        self.inner.events(id).await
    }

    async fn finish(&self, job: &Job, event: &JobEvent) -> Result<bool> {
        let wrote = self.inner.finish(job, event).await?;
        if wrote {
            self.bus.notify(job.id).await;
        }
        Ok(wrote)
    }
}

/// The stream of a job's events after `after`: what the store has, then each new one as
/// it is written, ending after the final status (or when the job is deleted).
pub(crate) fn follow(
    store: Arc<dyn Store>,
    bus: &EventBus,
    id: JobId,
    after: u64,
) -> BoxStream<'static, Result<NumberedEvent>> {
    let reader = Reader {
        store,
        // Subscribed before the first read: nothing written after it goes unnoticed.
        wake: bus.subscribe(),
        id,
        last: after,
        pending: VecDeque::new(),
        done: false,
        grace_used: false,
    };
    stream::unfold(reader, |mut reader| async move {
        let next = reader.next().await?;
        Some((next, reader))
    })
    .boxed()
}

struct Reader {
    store: Arc<dyn Store>,
    wake: broadcast::Receiver<JobId>,
    id: JobId,
    /// The id of the last event handed out.
    last: u64,
    pending: VecDeque<NumberedEvent>,
    done: bool,
    /// Whether the reader already waited once for the final status of a final job.
    grace_used: bool,
}

impl Reader {
    async fn next(&mut self) -> Option<Result<NumberedEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                self.last = event.id;
                self.done = event.is_final();
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            match after(&*self.store, self.id, self.last).await {
                Ok(events) if !events.is_empty() => {
                    self.pending.extend(events);
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            // Nothing new: a job that is gone or final has nothing more to say (after one
            // short wait for a final status written just after the job's row).
            let wait = match self.store.get(self.id).await {
                Ok(None) => return None,
                Ok(Some(job)) if job.status.is_final() => {
                    if self.grace_used {
                        return None;
                    }
                    self.grace_used = true;
                    FINAL_GRACE
                }
                Ok(Some(_)) => FALLBACK_POLL,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            self.wait(wait).await;
        }
    }

    /// Until a wake-up for this job (or one that may have been for it), or `limit`.
    async fn wait(&mut self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match tokio::time::timeout_at(deadline, self.wake.recv()).await {
                Err(_) => return,
                Ok(Ok(id)) if id == self.id => return,
                Ok(Ok(_)) => continue,
                // Fell behind (some wake-ups were dropped) or the bus is gone: look again.
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => return,
                Ok(Err(broadcast::error::RecvError::Closed)) => {
                    tokio::time::sleep_until(deadline).await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobKind, JobStatus, LogLevel, Stage};
    use crate::store::MemoryStore;
    use chrono::Utc;

    fn event(id: JobId, body: EventBody) -> JobEvent {
        JobEvent {
            job_id: id,
            at: Utc::now(),
            body,
        }
    }

    fn log(message: &str) -> EventBody {
        EventBody::Log {
            level: LogLevel::Info,
            message: message.into(),
        }
    }

    async fn setup() -> (Arc<dyn Store>, Arc<EventBus>, Job) {
        let bus = EventBus::local();
        let store = NotifyingStore::wrap(Arc::new(MemoryStore::new()), bus.clone());
        let job = Job::new(JobKind::Excel, "sort");
        store.insert(&job).await.unwrap();
        (store, bus, job)
    }

    #[tokio::test]
    async fn ids_count_from_one_and_after_skips_what_was_seen() {
        let (store, _bus, job) = setup().await;
        for m in ["a", "b", "c"] {
            store.append_event(&event(job.id, log(m))).await.unwrap();
        }
        let all = after(&*store, job.id, 0).await.unwrap();
        assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), [1, 2, 3]);
        let rest = after(&*store, job.id, 2).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].id, 3);
        assert_eq!(rest[0].event.body, log("c"));
        assert!(after(&*store, job.id, 9).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_follower_sees_events_written_after_it_started_and_ends_at_the_final_status() {
        let (store, bus, mut job) = setup().await;
        store
            .append_event(&event(job.id, EventBody::Stage { stage: Stage::Plan }))
            .await
            .unwrap();
        let mut stream = follow(store.clone(), &bus, job.id, 0);
        assert_eq!(stream.next().await.unwrap().unwrap().id, 1);
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                store.append_event(&event(job.id, log("x"))).await.unwrap();
                job.status = JobStatus::Succeeded;
                let done = event(
                    job.id,
                    EventBody::Status {
                        status: JobStatus::Succeeded,
                    },
                );
                assert!(store.finish(&job, &done).await.unwrap());
            })
        };
        let second = stream.next().await.unwrap().unwrap();
        assert_eq!((second.id, second.event.body), (2, log("x")));
        let third = stream.next().await.unwrap().unwrap();
        assert!(third.is_final(), "{third:?}");
        assert!(
            stream.next().await.is_none(),
            "the stream ends after the final status"
        );
        writer.await.unwrap();
    }

    #[tokio::test]
    async fn a_follower_of_a_deleted_job_ends() {
        let (store, bus, job) = setup().await;
        let mut stream = follow(store.clone(), &bus, job.id, 0);
        let deleter = {
            let store = store.clone();
            tokio::spawn(async move { store.delete(job.id).await.unwrap() })
        };
        assert!(stream.next().await.is_none());
        assert!(deleter.await.unwrap());
    }

    /// Two buses on one Redis (two processes): a write noticed by one wakes a reader of
    /// the other. The notifier repeats until the reader hears it, since the reader's
    /// subscription starts in the background.
    #[tokio::test]
    async fn redis_wakes_readers_of_another_bus() {
        let prefix = format!("office-events-test-{}", uuid::Uuid::now_v7().simple());
        let url = "redis://127.0.0.1:6379";
        let reader = EventBus::redis(url, &prefix)
            .await
            .expect("Redis is reachable on 127.0.0.1:6379");
        let writer = EventBus::redis(url, &prefix).await.unwrap();
        let mut wake = reader.subscribe();
        let id = JobId::new();
        let heard = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                // Not `writer.notify`'s local send: only Redis reaches `reader`.
                writer.notify(id).await;
                match tokio::time::timeout(Duration::from_millis(200), wake.recv()).await {
                    Ok(Ok(got)) => return got,
                    _ => continue,
                }
            }
        })
        .await
        .expect("a wake-up arrives through Redis");
        assert_eq!(heard, id);
    }
}
