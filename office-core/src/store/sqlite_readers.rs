//! The SQLite store's reading connections, held outside sqlx's pool.
//!
//! sqlx runs each SQLite connection on a thread of its own; every statement is a round
//! trip to that thread, and its pool adds a `ping` round trip each time a connection goes
//! back (unconditionally, in 0.8). For the reads that the list and job endpoints make
//! thousands of times a second, that ping was a third of the cost. These connections are
//! taken under a lock instead: one statement, one round trip.

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Sqlite, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

/// A few connections for reads, each used by one statement at a time.
pub(super) struct Readers {
    /// `None` once closed.
    connections: Box<[Mutex<Option<SqliteConnection>>]>,
    /// Where the next search for a free connection starts, so reads spread over all.
    next: AtomicUsize,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("connections", &self.connections.len())
            .finish()
    }
}

/// A connection to read with: one of `Readers`, or the pool's when they are closed.
pub(super) enum Reader<'a> {
    Own(MappedMutexGuard<'a, SqliteConnection>),
    Pooled(PoolConnection<Sqlite>),
}

impl Deref for Reader<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            Reader::Own(c) => c,
            Reader::Pooled(c) => c,
        }
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Reader::Own(c) => c,
            Reader::Pooled(c) => c,
        }
    }
}

impl Readers {
    /// `count` connections with `options` (the database and its schema already exist).
    pub(super) async fn open(options: &SqliteConnectOptions, count: usize) -> sqlx::Result<Self> {
        let mut connections = Vec::with_capacity(count);
        for _ in 0..count {
            connections.push(Mutex::new(Some(options.connect().await?)));
        }
        Ok(Readers {
            connections: connections.into(),
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection, or the first to come free; `pool`'s once these are closed.
    pub(super) async fn get<'a>(&'a self, pool: &SqlitePool) -> sqlx::Result<Reader<'a>> {
        let n = self.connections.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let free = (0..n).find_map(|i| self.connections[(start + i) % n].try_lock().ok());
        let guard = match free {
            Some(guard) => guard,
            None => self.connections[start].lock().await,
        };
        match MutexGuard::try_map(guard, Option::as_mut) {
            Ok(connection) => Ok(Reader::Own(connection)),
            Err(_closed) => Ok(Reader::Pooled(pool.acquire().await?)),
        }
    }

    /// Closes each connection once the statement it runs is done.
    pub(super) async fn close(&self) {
        for slot in self.connections.iter() {
            if let Some(connection) = slot.lock().await.take() {
                let _ = connection.close().await;
            }
        }
    }
}
