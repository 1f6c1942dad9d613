//! The shared `Queue`: Redis, for workers in several processes and on several machines.
//!
//! Every step is one Lua script, so a step is atomic however many workers race, and its
//! clock is the server's (`TIME`), the same for every machine.
//!
//! Fair share, as in the in-process queue (`fair.rs`): jobs that can be taken now wait
//! in one list per tenant, and a take serves the tenant with the fewest jobs out on
//! lease, then the one served longest ago (a tenant never served first), then the one
//! whose next job is oldest (job ids are time-ordered). One tenant's burst of a thousand
//! jobs therefore holds another tenant's single job back by at most the jobs already
//! running. Within a tenant, first in, first out.
//!
//! A lease is the visibility timeout. Its end is kept per job in a sorted set, because a
//! lease is chosen by the worker that holds it, not by the one that would take it over.
//! A taker first puts jobs whose lease ended back at the front of their tenant's line
//! (the holder died or stalled), then picks. The token of a delivery is the take's
//! number, the delivery's number and the taker's name; renewing, acking or retrying with
//! any other token does nothing.
//!
//! Keys, under a prefix per queue (`office` by default; tests use random ones):
//! - `P:job`: hash job → tenant while the job is in the queue (waiting, leased or
//!   delayed), which makes enqueuing idempotent;
//! - `P:line:<tenant>`: the tenant's jobs ready to be taken, oldest first;
//! - `P:ready`: set of tenants whose line is not empty;
//! - `P:leased`: hash tenant → jobs out on lease; `P:served`: hash tenant → the take that
//!   last served it; `P:takes`: takes so far;
//! - `P:token`, `P:expiry`: the current delivery's token and lease end (ms), per job;
//! - `P:delayed`: sorted set of jobs given back with a delay, by when they are due;
//!   whoever takes next moves the due ones to the back of their tenant's line;
//! - `P:deliveries`: hash job → times handed out (kept across a retry);
//! - `P:wake`: a stream of one entry, added to whenever a job becomes ready;
//! - `P:cancelled:<id>`: a cancel request, readable by every worker, kept for a week.
//!
//! A taker with nothing to take blocks on `XREAD` of `P:wake` from its newest id (so a
//! job added in between still wakes it) until the wait ends or the next lease or delay
//! falls due. That read runs on a connection of its own: a blocked command would hold up
//! every other command on a shared (multiplexed) connection.

use super::{Lease, Queue};
use crate::error::{Error, Result};
use crate::job::{JobId, TenantId};
use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, Script};
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// How long a cancel request is remembered: far longer than any job runs.
const CANCEL_TTL_SECS: u64 = 7 * 24 * 60 * 60;

/// The longest single blocking read; the taker then looks again (and notices a lost
/// connection within this time).
const MAX_BLOCK: Duration = Duration::from_secs(5);

/// Scripts are short, but a slow server should not fail a take at once.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

/// A lease or delay longer than this is treated as this (a century), so that milliseconds
/// stay exact in Lua's doubles.
const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// The keys every script is given, in this order (`KEYS[1]`…), after the prefix.
const KEY_NAMES: [&str; 10] = [
    "job",
    "token",
    "expiry",
    "delayed",
    "deliveries",
    "ready",
    "leased",
    "served",
    "takes",
    "wake",
];

/// Shared by every script. ARGV[1] the taker's name, ARGV[2] the cancel-key prefix,
/// ARGV[3] the line-key prefix, then the step's own.
const PRELUDE: &str = r#"
local jobs, token, expiry, delayed, deliveries, ready, leased, served, takes, wake =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local consumer, cancel_prefix, line_prefix = ARGV[1], ARGV[2], ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- Whether `tok` is the job's current delivery and its lease has not ended.
local function holds(job, tok)
  if redis.call('HGET', token, job) ~= tok then return false end
  local ends = redis.call('ZSCORE', expiry, job)
  return ends ~= false and tonumber(ends) > now
end

-- Ends the job's current delivery, if it has one.
local function end_delivery(job, tenant)
  redis.call('ZREM', expiry, job)
  if redis.call('HDEL', token, job) == 1 and tenant then
    if redis.call('HINCRBY', leased, tenant, -1) <= 0 then
      redis.call('HDEL', leased, tenant)
    end
  end
end

local function wake_takers()
  redis.call('XADD', wake, 'MAXLEN', '1', '*', 'w', '1')
end

local function to_back(job, tenant)
  redis.call('RPUSH', line_prefix .. tenant, job)
  redis.call('SADD', ready, tenant)
end

local function to_front(job, tenant)
  redis.call('LPUSH', line_prefix .. tenant, job)
  redis.call('SADD', ready, tenant)
end

-- The job leaves the queue entirely, from wherever it is.
local function forget(job)
  local tenant = redis.call('HGET', jobs, job)
  if redis.call('HEXISTS', token, job) == 1 then
    end_delivery(job, tenant)
  elseif redis.call('ZREM', delayed, job) == 0 and tenant then
    local line = line_prefix .. tenant
    redis.call('LREM', line, 1, job)
    if redis.call('LLEN', line) == 0 then redis.call('SREM', ready, tenant) end
  end
  redis.call('HDEL', jobs, job)
  redis.call('HDEL', deliveries, job)
end
"#;

/// ARGV[4]: lease in ms. Returns `{'taken', job, token, deliveries}` or
/// `{'wait', newest wake id, ms until the next lease or delay ends (-1: none)}`.
const TAKE: &str = r#"
local lease_ms = tonumber(ARGV[4])

-- Ended leases go to the front of their lines, the earliest ended frontmost.
local expired = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 100)
for i = #expired, 1, -1 do
  local job = expired[i]
  local tenant = redis.call('HGET', jobs, job)
  end_delivery(job, tenant)
  if tenant then to_front(job, tenant) end
end
for _, job in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now)) do
  redis.call('ZREM', delayed, job)
  local tenant = redis.call('HGET', jobs, job)
  if tenant then to_back(job, tenant) end
end

local function before(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  if a[2] ~= b[2] then return a[2] < b[2] end
  return a[3] < b[3]
end

local job, tenant
for _ = 1, 100 do
  local best, best_key
  for _, name in ipairs(redis.call('SMEMBERS', ready)) do
    local first = redis.call('LINDEX', line_prefix .. name, 0)
    if first then
      local key = {
        tonumber(redis.call('HGET', leased, name) or '0'),
        tonumber(redis.call('HGET', served, name) or '0'),
        first,
      }
      if not best or before(key, best_key) then best, best_key = name, key end
    else
      redis.call('SREM', ready, name)
    end
  end
  if not best then break end
  local line = line_prefix .. best
  local popped = redis.call('LPOP', line)
  if redis.call('LLEN', line) == 0 then redis.call('SREM', ready, best) end
  -- An entry the queue no longer counts (left behind by a lost step) is discarded.
  if popped and redis.call('HGET', jobs, popped) == best
      and redis.call('HEXISTS', token, popped) == 0 then
    job, tenant = popped, best
    break
  end
end

if job then
  local n = redis.call('HINCRBY', deliveries, job, 1)
  local take = redis.call('INCR', takes)
  local tok = take .. '/' .. n .. '/' .. consumer
  redis.call('HSET', token, job, tok)
  redis.call('ZADD', expiry, now + lease_ms, job)
  redis.call('HINCRBY', leased, tenant, 1)
  redis.call('HSET', served, tenant, take)
  return {'taken', job, tok, tostring(n)}
end

local last = '0-0'
local newest = redis.call('XREVRANGE', wake, '+', '-', 'COUNT', 1)
if #newest > 0 then last = newest[1][1] end
local next_due = -1
for _, set in ipairs({expiry, delayed}) do
  local first = redis.call('ZRANGE', set, 0, 0, 'WITHSCORES')
  if #first > 0 then
    local due = math.max(tonumber(first[2]) - now, 0)
    if next_due < 0 or due < next_due then next_due = due end
  end
end
return {'wait', last, tostring(next_due)}
"#;

/// ARGV[4] job, ARGV[5] tenant. 1 when added, 0 when the job was already in the queue.
const ENQUEUE: &str = r#"
local job, tenant = ARGV[4], ARGV[5]
if redis.call('HEXISTS', jobs, job) == 1 then return 0 end
redis.call('DEL', cancel_prefix .. job)
redis.call('HSET', jobs, job, tenant)
to_back(job, tenant)
wake_takers()
return 1
"#;

/// ARGV[4] job, ARGV[5] token, ARGV[6] lease in ms.
const RENEW: &str = r#"
local job, tok = ARGV[4], ARGV[5]
if not holds(job, tok) then return 0 end
redis.call('ZADD', expiry, now + tonumber(ARGV[6]), job)
return 1
"#;

/// ARGV[4] job, ARGV[5] token.
const ACK: &str = r#"
local job = ARGV[4]
if not holds(job, ARGV[5]) then return 0 end
forget(job)
return 1
"#;

/// ARGV[4] job, ARGV[5] token, ARGV[6] delay in ms. A job cancelled meanwhile is
/// dropped instead.
const RETRY: &str = r#"
local job, delay = ARGV[4], tonumber(ARGV[6])
if not holds(job, ARGV[5]) then return 0 end
if redis.call('EXISTS', cancel_prefix .. job) == 1 then
  forget(job)
  return 1
end
local tenant = redis.call('HGET', jobs, job)
if not tenant then
  forget(job)
  return 0
end
end_delivery(job, tenant)
if delay <= 0 then
  to_back(job, tenant)
else
  redis.call('ZADD', delayed, now + delay, job)
end
-- Waiting takers look again: at the job, or at the new deadline.
wake_takers()
return 1
"#;

/// ARGV[4] job, ARGV[5] seconds to remember the request. A waiting job (or one whose
/// lease ended) leaves the queue; a held one stays with its worker, which sees the flag.
const CANCEL: &str = r#"
local job = ARGV[4]
redis.call('SET', cancel_prefix .. job, '1', 'EX', tonumber(ARGV[5]))
if redis.call('HEXISTS', jobs, job) == 0 then return 0 end
local ends = redis.call('ZSCORE', expiry, job)
if ends ~= false and tonumber(ends) > now then return 0 end
forget(job)
return 1
"#;

/// Jobs in the queue that nobody holds: waiting, delayed, or with an ended lease.
const PENDING: &str = r#"
return redis.call('HLEN', jobs) - redis.call('ZCOUNT', expiry, '(' .. now, '+inf')
"#;

struct Scripts {
    take: Script,
    enqueue: Script,
    renew: Script,
    ack: Script,
    retry: Script,
    cancel: Script,
    pending: Script,
}

impl Scripts {
    fn new() -> Self {
        let script = |body: &str| Script::new(&format!("{PRELUDE}\n{body}"));
        Scripts {
            take: script(TAKE),
            enqueue: script(ENQUEUE),
            renew: script(RENEW),
            ack: script(ACK),
            retry: script(RETRY),
            cancel: script(CANCEL),
            pending: script(PENDING),
        }
    }
}

/// The Redis Streams queue, shared by every process with the same key prefix.
pub struct RedisQueue {
    client: Client,
    /// Every non-blocking step; reconnects by itself after the connection drops.
    conn: ConnectionManager,
    /// Idle connections for blocking reads, one per waiting taker.
    blocking: Mutex<Vec<MultiplexedConnection>>,
    scripts: Scripts,
    prefix: String,
    keys: [String; KEY_NAMES.len()],
    /// This process's name, part of every token it holds (who holds what).
    consumer: String,
}

fn queue_error(what: &str, e: redis::RedisError) -> Error {
    Error::Queue(format!("Redis {what} failed: {e}"))
}

/// `url` with any password replaced by `***`, for messages a person reads (and logs keep).
pub(crate) fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}{path}")
        }
        _ => url.to_owned(),
    }
}

fn millis(d: Duration) -> u64 {
    d.min(LONGEST).as_millis() as u64
}

impl RedisQueue {
    /// Connects to `url` (`redis://host:port/db`); `prefix` names this queue's keys.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let client = Client::open(url)
            .map_err(|e| Error::invalid(format!("REDIS_URL is not a Redis address: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(|e| {
                Error::Queue(format!(
                    "cannot connect to Redis at {} (REDIS_URL): {e}",
                    shown_url(url)
                ))
            })?;
        let keys = KEY_NAMES.map(|name| format!("{prefix}:{name}"));
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
        Ok(RedisQueue {
            client,
            conn,
            blocking: Mutex::new(Vec::new()),
            scripts: Scripts::new(),
            prefix: prefix.to_string(),
            keys,
            consumer: format!("{host}-{}-{}", std::process::id(), uuid::Uuid::now_v7()),
        })
    }

    /// Deletes every key of this queue, jobs included. For tests and tear-down: it lists
    /// the keys with `KEYS`, which holds up the server while it scans.
    pub async fn destroy(&self) -> Result<()> {
        let mut conn = self.conn.clone();
        let pattern = format!("{}:*", self.prefix);
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(&pattern)
            .query_async(&mut conn)
            .await
            .map_err(|e| queue_error("cleanup", e))?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| queue_error("cleanup", e))?;
        }
        Ok(())
    }

    /// Runs one step's script with the shared keys and arguments, then `args`.
    async fn run<T: redis::FromRedisValue>(
        &self,
        what: &str,
        script: &Script,
        args: &[String],
    ) -> Result<T> {
        let mut invocation = script.prepare_invoke();
        for key in &self.keys {
            invocation.key(key);
        }
        invocation
            .arg(&self.consumer)
            .arg(format!("{}:cancelled:", self.prefix))
            .arg(format!("{}:line:", self.prefix));
        for arg in args {
            invocation.arg(arg);
        }
        let mut conn = self.conn.clone();
        invocation
            .invoke_async(&mut conn)
            .await
            .map_err(|e| queue_error(what, e))
    }

    /// Blocks until a wake-up after `last_id` is added or `block` passes.
    async fn wait_for_entry(&self, last_id: &str, block: Duration) -> Result<()> {
        let pooled = self
            .blocking
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => {
                let config = AsyncConnectionConfig::new().set_response_timeout(None);
                self.client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(|e| queue_error("connect", e))?
            }
        };
        let block_ms = millis(block).max(1);
        let read: redis::RedisResult<redis::Value> = redis::cmd("XREAD")
            .arg("BLOCK")
            .arg(block_ms)
            .arg("COUNT")
            .arg(1)
            .arg("STREAMS")
            .arg(&self.keys[KEY_NAMES.len() - 1])
            .arg(last_id)
            .query_async(&mut conn)
            .await;
        // A connection that failed is dropped rather than pooled.
        read.map_err(|e| queue_error("wait", e))?;
        self.blocking
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(conn);
        Ok(())
    }
}

#[async_trait]
impl Queue for RedisQueue {
    /// Adds the job at the back, as the `default` tenant's.
    async fn enqueue(&self, id: JobId) -> Result<()> {
        self.enqueue_for(id, &TenantId::default()).await
    }

    /// Adds the job at the back of its tenant's line; takers serve the tenants in turn.
    async fn enqueue_for(&self, id: JobId, tenant: &TenantId) -> Result<()> {
        let args = [id.to_string(), tenant.to_string()];
        self.run::<i64>("enqueue", &self.scripts.enqueue, &args)
            .await?;
        Ok(())
    }

    async fn take(&self, wait: Duration, lease: Duration) -> Result<Option<Lease>> {
        let give_up_at = Instant::now() + wait.min(LONGEST);
        let lease_ms = millis(lease).to_string();
        loop {
            let answer: Vec<String> = self
                .run("take", &self.scripts.take, std::slice::from_ref(&lease_ms))
                .await?;
            match answer.as_slice() {
                [taken, job, token, deliveries] if taken == "taken" => {
                    let job_id = job.parse().map_err(|_| {
                        Error::Queue(format!("the Redis queue holds a malformed job id {job:?}"))
                    })?;
                    return Ok(Some(Lease {
                        job_id,
                        token: token.clone(),
                        deliveries: deliveries.parse().unwrap_or(1),
                    }));
                }
                [wait_tag, last_id, next_due] if wait_tag == "wait" => {
                    let now = Instant::now();
                    if now >= give_up_at {
                        return Ok(None);
                    }
                    let mut block = (give_up_at - now).min(MAX_BLOCK);
                    if let Ok(ms) = next_due.parse::<u64>() {
                        // A lease or delay ending is a reason to look again; +1 ms so
                        // the server's clock has passed it.
                        block = block.min(Duration::from_millis(ms + 1));
                    }
                    self.wait_for_entry(last_id, block).await?;
                }
                other => {
                    return Err(Error::Queue(format!(
                        "unexpected answer from the Redis take script: {other:?}"
                    )));
                }
            }
        }
    }

    async fn renew(&self, lease: &Lease, lease_for: Duration) -> Result<bool> {
        let args = [
            lease.job_id.to_string(),
            lease.token.clone(),
            millis(lease_for).to_string(),
        ];
        let renewed: i64 = self.run("renew", &self.scripts.renew, &args).await?;
        Ok(renewed == 1)
    }

    async fn ack(&self, lease: &Lease) -> Result<()> {
        let args = [lease.job_id.to_string(), lease.token.clone()];
        self.run::<i64>("ack", &self.scripts.ack, &args).await?;
        Ok(())
    }

    async fn retry(&self, lease: &Lease, delay: Duration) -> Result<()> {
        let args = [
            lease.job_id.to_string(),
            lease.token.clone(),
            millis(delay).to_string(),
        ];
        self.run::<i64>("retry", &self.scripts.retry, &args).await?;
        Ok(())
    }

    async fn cancel(&self, id: JobId) -> Result<()> {
        let args = [id.to_string(), CANCEL_TTL_SECS.to_string()];
        self.run::<i64>("cancel", &self.scripts.cancel, &args)
            .await?;
        Ok(())
    }

    async fn is_cancelled(&self, id: JobId) -> Result<bool> {
        let mut conn = self.conn.clone();
        let exists: bool = redis::cmd("EXISTS")
            .arg(format!("{}:cancelled:{id}", self.prefix))
            .query_async(&mut conn)
            .await
            .map_err(|e| queue_error("cancel check", e))?;
        Ok(exists)
    }

    async fn pending(&self) -> Result<usize> {
        let pending: i64 = self.run("pending", &self.scripts.pending, &[]).await?;
        Ok(pending.max(0) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::shown_url;

    #[test]
    fn a_password_in_the_url_is_not_shown() {
        assert_eq!(
            shown_url("redis://app:s3cret@cache:6379/2"),
            "redis://app:***@cache:6379/2"
        );
        assert_eq!(shown_url("redis://127.0.0.1:1"), "redis://127.0.0.1:1");
        assert_eq!(shown_url("redis://user@host/0"), "redis://user@host/0");
    }
}
