//! The PostgreSQL store against the shared conformance suite, on the real server
//! (`OFFICE_TEST_DATABASE_URL`, default the `test` database on 127.0.0.1:5432; `.ci/run`
//! starts the server when it is down). A test fails, rather than skips, when the server
//! cannot be reached: a skipped suite would let a broken backend pass CI.
//!
//! Each test gets a schema of its own with a random name, dropped when it ends, so tests
//! run in parallel and repeated runs never see each other's rows.

use office_core::test_support::store_conformance::StoreFixture;
use office_core::{Job, JobKind, JobStatus};
use office_core::{PostgresStore, Store};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::str::FromStr;

fn server() -> PgConnectOptions {
    let url = std::env::var("OFFICE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    PgConnectOptions::from_str(&url).expect("OFFICE_TEST_DATABASE_URL is a postgres:// URL")
}

/// A schema that is dropped (with everything in it) when this is dropped.
struct Schema {
    name: String,
}

impl Schema {
    async fn create() -> Schema {
        let name = format!("office_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::connect_with(&server())
            .await
            .expect("PostgreSQL is reachable (is it running on 127.0.0.1:5432?)");
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        Schema { name }
    }

    fn options(&self) -> PgConnectOptions {
        server().options([("search_path", self.name.as_str())])
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on its own futures: a
        // thread of its own with a small runtime does the cleanup.
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = PgConnection::connect_with(&server()).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

async fn postgres_store() -> StoreFixture {
    let schema = Schema::create().await;
    let store = PostgresStore::connect_with(schema.options(), 8)
        .await
        .unwrap();
    // The store goes first (its pool closes), then the schema.
    StoreFixture::with_guard(store, schema)
}

office_core::store_conformance_tests!(postgres_store());

/// Two stores (as two processes would have) on one database: a job finished through one
/// cannot be claimed or overwritten through the other, and a second migration run is a
/// no-op.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_database() {
    let schema = Schema::create().await;
    let a = PostgresStore::connect_with(schema.options(), 2)
        .await
        .unwrap();
    let b = PostgresStore::connect_with(schema.options(), 2)
        .await
        .unwrap();
    let job = Job::new(JobKind::Excel, "shared");
    a.insert(&job).await.unwrap();
    let claimed = b.claim(job.id).await.unwrap().unwrap();
    assert_eq!(claimed.attempts, 1);
    let mut done = claimed.clone();
    done.status = JobStatus::Succeeded;
    assert!(a.update(&done).await.unwrap());
    assert_eq!(b.claim(job.id).await.unwrap(), None);
    let mut late = claimed;
    late.status = JobStatus::Failed;
    assert!(!b.update(&late).await.unwrap());
    assert_eq!(a.get(job.id).await.unwrap(), Some(done));
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn unreachable_server_is_a_clear_error() {
    let err = PostgresStore::connect("postgres://postgres@127.0.0.1:1/none", 1)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cannot connect to PostgreSQL at 127.0.0.1:1"),
        "{err}"
    );
    let err = PostgresStore::connect("mysql://x", 1)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("DATABASE_URL"), "{err}");
}
