//! Job files on the local file system: round trips, atomic replacement, and no way out of
//! a job's folder through keys or symbolic links.

use bytes::Bytes;
use office_core::Error;
use office_core::JobId;
use office_core::{ArtifactStorage, FsArtifacts};
use std::os::unix::fs::symlink;

fn storage() -> (tempfile::TempDir, FsArtifacts) {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsArtifacts::new(dir.path().join("jobs"));
    (dir, storage)
}

#[tokio::test]
async fn put_then_get_round_trips_under_the_job_folder() {
    let (dir, storage) = storage();
    let job = JobId::new();
    let data = Bytes::from((0..=255u8).cycle().take(100_000).collect::<Vec<_>>());
    storage
        .put(job, "outputs/charts/图表 1.png", data.clone())
        .await
        .unwrap();
    assert_eq!(
        storage.get(job, "outputs/charts/图表 1.png").await.unwrap(),
        data
    );

    let expected = dir
        .path()
        .join("jobs")
        .join(job.to_string())
        .join("outputs/charts/图表 1.png");
    assert_eq!(
        storage.local_path(job, "outputs/charts/图表 1.png"),
        Some(expected.clone())
    );
    assert_eq!(std::fs::read(&expected).unwrap(), data);
}

#[tokio::test]
async fn put_replaces_and_leaves_no_temporary_files() {
    let (_dir, storage) = storage();
    let job = JobId::new();
    storage
        .put(job, "code/generated.py", Bytes::from_static(b"print(1)\n"))
        .await
        .unwrap();
    storage
        .put(job, "code/generated.py", Bytes::from_static(b"print(2)\n"))
        .await
        .unwrap();
    storage
        .put(job, "code/empty.py", Bytes::new())
        .await
        .unwrap();
    assert_eq!(
        &storage.get(job, "code/generated.py").await.unwrap()[..],
        b"print(2)\n"
    );
    assert!(storage.get(job, "code/empty.py").await.unwrap().is_empty());
    let folder = storage.local_path(job, "code/generated.py").unwrap();
    let mut names: Vec<String> = std::fs::read_dir(folder.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["empty.py", "generated.py"]);
}

#[tokio::test]
async fn missing_files_are_not_found() {
    let (_dir, storage) = storage();
    let job = JobId::new();
    let err = storage.get(job, "outputs/output.xlsx").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert!(err.to_string().contains("outputs/output.xlsx"), "{err}");

    storage
        .put(job, "outputs/a.csv", Bytes::from_static(b"a\n"))
        .await
        .unwrap();
    let err = storage.get(job, "outputs/b.csv").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    // A folder is not a file.
    let err = storage.get(job, "outputs").await.unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn bad_keys_are_refused_everywhere() {
    let (dir, storage) = storage();
    let job = JobId::new();
    for key in [
        "../escape.txt",
        "/etc/passwd",
        "a/../../b",
        "",
        "a//b",
        "a\\b",
    ] {
        assert!(
            storage
                .put(job, key, Bytes::from_static(b"x"))
                .await
                .is_err(),
            "put {key:?}"
        );
        assert!(storage.get(job, key).await.is_err(), "get {key:?}");
        assert_eq!(storage.local_path(job, key), None, "local_path {key:?}");
    }
    assert!(!dir.path().join("escape.txt").exists());
    assert!(!dir.path().join("jobs").join("escape.txt").exists());
}

#[tokio::test]
async fn a_linked_file_is_never_read() {
    let (dir, storage) = storage();
    let job = JobId::new();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, b"do not serve").unwrap();
    storage
        .put(job, "outputs/real.csv", Bytes::from_static(b"ok\n"))
        .await
        .unwrap();
    // What a hostile program in the sandbox could leave in its output folder.
    let link = storage.local_path(job, "outputs/output.csv").unwrap();
    symlink(&secret, &link).unwrap();

    let err = storage.get(job, "outputs/output.csv").await.unwrap_err();
    assert!(!err.to_string().contains("do not serve"));
    assert!(err.to_string().contains("symbolic link"), "{err}");

    // Writing to that key replaces the link; the file it pointed at is untouched.
    storage
        .put(job, "outputs/output.csv", Bytes::from_static(b"mine\n"))
        .await
        .unwrap();
    assert_eq!(
        &storage.get(job, "outputs/output.csv").await.unwrap()[..],
        b"mine\n"
    );
    assert_eq!(std::fs::read(&secret).unwrap(), b"do not serve");
}

#[tokio::test]
async fn a_linked_folder_is_never_entered() {
    let (dir, storage) = storage();
    let job = JobId::new();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("data.csv"), b"private").unwrap();
    storage
        .put(job, "inputs/a.csv", Bytes::from_static(b"a\n"))
        .await
        .unwrap();
    let job_dir = storage
        .local_path(job, "inputs")
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    symlink(&outside, job_dir.join("outputs")).unwrap();

    assert!(storage.get(job, "outputs/data.csv").await.is_err());
    assert!(
        storage
            .put(job, "outputs/new.csv", Bytes::from_static(b"x"))
            .await
            .is_err()
    );
    assert!(
        !outside.join("new.csv").exists(),
        "a write went through a linked folder"
    );

    // The job folder itself being a link counts too.
    let other = JobId::new();
    symlink(&outside, dir.path().join("jobs").join(other.to_string())).unwrap();
    assert!(storage.get(other, "data.csv").await.is_err());
    assert!(
        storage
            .put(other, "x.csv", Bytes::from_static(b"x"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn delete_job_removes_its_folder_only() {
    let (dir, storage) = storage();
    let (job, other) = (JobId::new(), JobId::new());
    storage
        .put(job, "inputs/a.csv", Bytes::from_static(b"a\n"))
        .await
        .unwrap();
    storage
        .put(job, "outputs/deep/b.csv", Bytes::from_static(b"b\n"))
        .await
        .unwrap();
    storage
        .put(other, "inputs/a.csv", Bytes::from_static(b"keep\n"))
        .await
        .unwrap();
    // A link inside the job folder is removed, not followed.
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, b"keep me").unwrap();
    symlink(&outside, storage.local_path(job, "outputs/link").unwrap()).unwrap();

    storage.delete_job(job).await.unwrap();
    assert!(!dir.path().join("jobs").join(job.to_string()).exists());
    assert!(matches!(
        storage.get(job, "inputs/a.csv").await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(
        &storage.get(other, "inputs/a.csv").await.unwrap()[..],
        b"keep\n"
    );
    assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");

    // Deleting again, or a job that never had files, is fine.
    storage.delete_job(job).await.unwrap();
    storage.delete_job(JobId::new()).await.unwrap();
}
