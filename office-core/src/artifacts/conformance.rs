//! The contract every `ArtifactStorage` keeps, as tests any backend can run.
//!
//! Each case is a `pub async fn` taking a storage (fresh or shared: cases use new job ids,
//! so one bucket serves them all). A backend's test file stamps out one `#[tokio::test]`
//! per case with [`artifact_conformance_tests!`], giving it an expression that makes an
//! [`ArtifactFixture`]:
//!
//! ```ignore
//! async fn setup() -> ArtifactFixture {
//!     let dir = tempfile::tempdir().unwrap();
//!     ArtifactFixture::with_guard(FsArtifacts::new(dir.path().join("jobs")), dir)
//! }
//! office_core::artifact_conformance_tests!(setup());
//! ```

use super::ArtifactStorage;
use crate::error::Error;
use crate::job::JobId;
use bytes::Bytes;
use futures::StreamExt;
use std::any::Any;
use std::sync::Arc;

/// A storage under test, plus whatever must live as long as it (a folder, a server).
pub struct ArtifactFixture {
    /// The storage the cases run against.
    pub storage: Arc<dyn ArtifactStorage>,
    _guard: Box<dyn Any + Send>,
}

impl ArtifactFixture {
    /// A fixture for `storage` alone.
    pub fn new(storage: impl ArtifactStorage) -> Self {
        Self::with_guard(storage, ())
    }

    /// A fixture for `storage` that keeps `guard` alive as long as it.
    pub fn with_guard(storage: impl ArtifactStorage, guard: impl Any + Send) -> Self {
        ArtifactFixture {
            storage: Arc::new(storage),
            _guard: Box::new(guard),
        }
    }
}

fn pattern(len: usize) -> Bytes {
    Bytes::from((0..len).map(|i| (i * 31 % 251) as u8).collect::<Vec<_>>())
}

async fn read_stream(storage: &dyn ArtifactStorage, job: JobId, key: &str) -> Vec<u8> {
    let mut stream = storage.open(job, key).await.unwrap();
    let mut all = Vec::new();
    while let Some(chunk) = stream.next().await {
        all.extend_from_slice(&chunk.unwrap());
    }
    all
}

/// Bytes come back as written, binary, nested, under non-ASCII names with spaces;
/// an empty file is a file.
pub async fn case_put_get_round_trip(storage: &dyn ArtifactStorage) {
    let job = JobId::new();
    let data = pattern(100_000);
    for key in [
        "inputs/sales.xlsx",
        "outputs/charts/图表 1.png",
        "outputs/a+b (2)%.csv",
    ] {
        storage.put(job, key, data.clone()).await.unwrap();
        assert_eq!(storage.get(job, key).await.unwrap(), data, "{key}");
    }
    storage
        .put(job, "code/empty.py", Bytes::new())
        .await
        .unwrap();
    assert!(storage.get(job, "code/empty.py").await.unwrap().is_empty());
}

/// A second put under a key replaces the first, whatever their sizes.
pub async fn case_put_replaces(storage: &dyn ArtifactStorage) {
    let job = JobId::new();
    storage
        .put(job, "code/generated.py", pattern(50_000))
        .await
        .unwrap();
    storage
        .put(job, "code/generated.py", Bytes::from_static(b"print(2)\n"))
        .await
        .unwrap();
    assert_eq!(
        &storage.get(job, "code/generated.py").await.unwrap()[..],
        b"print(2)\n"
    );
}

/// A missing file, in a job with files or without, or a folder's name, is `NotFound`
/// naming the key, from `get` and from `open`.
pub async fn case_missing_is_not_found(storage: &dyn ArtifactStorage) {
    let job = JobId::new();
    let err = storage.get(job, "outputs/output.xlsx").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("outputs/output.xlsx"), "{err}");
    storage
        .put(job, "outputs/a.csv", Bytes::from_static(b"a\n"))
        .await
        .unwrap();
    for key in ["outputs/b.csv", "outputs", "a.csv"] {
        let err = storage.get(job, key).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{key}: {err:?}");
        let err = storage.open(job, key).await.err().expect("open found it");
        assert!(matches!(err, Error::NotFound(_)), "{key}: {err:?}");
    }
    // Another job's file of that name is not this job's.
    let err = storage
        .get(JobId::new(), "outputs/a.csv")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

/// Keys that could leave the job's space are refused by every operation.
pub async fn case_bad_keys_are_refused(storage: &dyn ArtifactStorage) {
    let job = JobId::new();
    for key in [
        "../escape.txt",
        "/etc/passwd",
        "a/../../b",
        "",
        "a//b",
        "a\\b",
        "./a",
    ] {
        assert!(
            storage
                .put(job, key, Bytes::from_static(b"x"))
                .await
                .is_err(),
            "put {key:?}"
        );
        assert!(storage.get(job, key).await.is_err(), "get {key:?}");
        assert!(storage.open(job, key).await.is_err(), "open {key:?}");
    }
}

/// `open` yields the same bytes as `get`, for a file of several megabytes too.
pub async fn case_open_streams_the_file(storage: &dyn ArtifactStorage) {
    let job = JobId::new();
    let big = pattern(6 << 20);
    storage
        .put(job, "outputs/big.bin", big.clone())
        .await
        .unwrap();
    let streamed = read_stream(storage, job, "outputs/big.bin").await;
    assert_eq!(streamed.len(), big.len());
    assert!(streamed == big, "the streamed bytes differ");
    storage
        .put(job, "outputs/tiny.txt", Bytes::from_static(b"t"))
        .await
        .unwrap();
    assert_eq!(read_stream(storage, job, "outputs/tiny.txt").await, b"t");
}

/// Deleting a job removes every file it has, nested ones too, and nothing of another job
/// (even one whose id shares a prefix in text); deleting again, or a job that never had
/// files, is fine.
pub async fn case_delete_job_removes_its_files_only(storage: &dyn ArtifactStorage) {
    let (job, other) = (JobId::new(), JobId::new());
    for key in ["inputs/a.csv", "outputs/deep/b.csv", "summary.json"] {
        storage
            .put(job, key, Bytes::from_static(b"x\n"))
            .await
            .unwrap();
    }
    storage
        .put(other, "inputs/a.csv", Bytes::from_static(b"keep\n"))
        .await
        .unwrap();
    storage.delete_job(job).await.unwrap();
    for key in ["inputs/a.csv", "outputs/deep/b.csv", "summary.json"] {
        assert!(
            matches!(storage.get(job, key).await, Err(Error::NotFound(_))),
            "{key} survived"
        );
    }
    assert_eq!(
        &storage.get(other, "inputs/a.csv").await.unwrap()[..],
        b"keep\n"
    );
    storage.delete_job(job).await.unwrap();
    storage.delete_job(JobId::new()).await.unwrap();
    // The job can have files again afterwards (a retried submission keeps its id).
    storage
        .put(job, "inputs/a.csv", Bytes::from_static(b"again\n"))
        .await
        .unwrap();
    assert_eq!(
        &storage.get(job, "inputs/a.csv").await.unwrap()[..],
        b"again\n"
    );
}

/// Many writers at once, as several workers are: every file lands whole, each job's
/// under its own id.
pub async fn case_concurrent_writers(storage: Arc<dyn ArtifactStorage>) {
    let jobs: Vec<JobId> = (0..4).map(|_| JobId::new()).collect();
    let mut tasks = Vec::new();
    for (j, job) in jobs.iter().copied().enumerate() {
        for n in 0..8 {
            let storage = storage.clone();
            tasks.push(tokio::spawn(async move {
                let data = Bytes::from(format!("job {j} file {n}\n").repeat(100 + n));
                storage
                    .put(job, &format!("outputs/f{n}.txt"), data)
                    .await
                    .unwrap();
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    for (j, job) in jobs.iter().copied().enumerate() {
        for n in 0..8 {
            let data = storage
                .get(job, &format!("outputs/f{n}.txt"))
                .await
                .unwrap();
            assert_eq!(
                data,
                format!("job {j} file {n}\n").repeat(100 + n),
                "{j}/{n}"
            );
        }
    }
}

/// A reachable storage passes its own check.
pub async fn case_check_passes(storage: &dyn ArtifactStorage) {
    storage.check().await.unwrap();
}

/// One `#[tokio::test]` per conformance case, each on what `$setup` (an expression
/// giving an `ArtifactFixture` future) makes.
#[macro_export]
macro_rules! artifact_conformance_tests {
    ($setup:expr) => {
        $crate::artifact_conformance_tests!(@by_ref $setup;
            case_put_get_round_trip,
            case_put_replaces,
            case_missing_is_not_found,
            case_bad_keys_are_refused,
            case_open_streams_the_file,
            case_delete_job_removes_its_files_only,
            case_check_passes,
        );
        $crate::artifact_conformance_tests!(@shared $setup; case_concurrent_writers);
    };
    (@by_ref $setup:expr; $($case:ident),+ $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let fixture: $crate::test_support::artifact_conformance::ArtifactFixture =
                $setup.await;
            $crate::test_support::artifact_conformance::$case(&*fixture.storage).await;
        }
    )+};
    (@shared $setup:expr; $($case:ident),+ $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let fixture: $crate::test_support::artifact_conformance::ArtifactFixture =
                $setup.await;
            $crate::test_support::artifact_conformance::$case(fixture.storage.clone()).await;
        }
    )+};
}
