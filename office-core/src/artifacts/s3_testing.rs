//! For tests against the S3-compatible server `.ci/run` starts on loopback (moto's server
//! mode): its address, a fresh bucket per test, and a proxy in front of it that a test
//! can cut to play a store that went down (the server itself keeps its objects).

use crate::config::S3Settings;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Where the test server listens: `OFFICE_TEST_S3_ENDPOINT`, else `http://127.0.0.1:5000`
/// (moto's own default).
pub fn endpoint() -> String {
    std::env::var("OFFICE_TEST_S3_ENDPOINT")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:5000".into())
        .trim_end_matches('/')
        .to_string()
}

/// Settings for a new, empty bucket on the test server (with a prefix, as deployments
/// use), made now. Panics, so the test fails rather than skips, when the server is down.
pub async fn fresh_bucket() -> S3Settings {
    let endpoint = endpoint();
    let bucket = format!("office-test-{}", uuid::Uuid::now_v7().simple());
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    match made {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => panic!(
            "the S3 test server at {endpoint} refused to make a bucket: {}",
            response.status()
        ),
        Err(e) => panic!(
            "the S3 test server is not answering at {endpoint} (OFFICE_TEST_S3_ENDPOINT; \
             .ci/run starts moto_server): {e}"
        ),
    }
    settings(&endpoint, &bucket)
}

/// Settings for `bucket` at `endpoint`, with moto's any-will-do credentials, short
/// timeouts and one retry so that a store that is down shows within seconds.
pub fn settings(endpoint: &str, bucket: &str) -> S3Settings {
    S3Settings {
        bucket: bucket.into(),
        prefix: "office/jobs".into(),
        endpoint: Some(endpoint.into()),
        region: "us-east-1".into(),
        access_key_id: Some("testing".into()),
        secret_access_key: Some(crate::config::ApiKey::new("testing")),
        session_token: None,
        timeout: Duration::from_secs(10),
        retries: 1,
    }
}

/// The keys under a bucket, listed straight from the server (not through the engine).
pub async fn list_keys(settings: &S3Settings) -> Vec<String> {
    let endpoint = settings.endpoint.clone().unwrap_or_else(endpoint);
    let body = reqwest::Client::new()
        .get(format!("{endpoint}/{}?list-type=2", settings.bucket))
        .send()
        .await
        .expect("the S3 test server answers")
        .text()
        .await
        .unwrap();
    body.split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_string()))
        .collect()
}

/// A TCP proxy on loopback to the test server that can be cut (new connections are
/// closed at once and open ones dropped) and restored, as a store that goes down and
/// comes back. Stops when dropped.
pub struct CutProxy {
    /// `http://127.0.0.1:<port>`, to use as the endpoint.
    pub endpoint: String,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    /// A proxy to the test server (`endpoint()`), up.
    pub async fn start() -> CutProxy {
        let target = endpoint().trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let task = {
            let (up, cut) = (up.clone(), cut.clone());
            tokio::spawn(async move {
                loop {
                    let Ok((mut client, _)) = listener.accept().await else {
                        continue;
                    };
                    if !up.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let target = target.clone();
                    let mut cuts = cut.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(&target).await else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = cuts.changed() => {}
                        }
                    });
                }
            })
        };
        CutProxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            up,
            cut,
            task,
        }
    }

    /// The store is down from now on: open connections drop, new ones are refused.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    /// The store answers again.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
