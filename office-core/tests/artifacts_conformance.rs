//! The artifact storage contract, for all three storages: in memory, folders, and an
//! S3-compatible object store (the moto server `.ci/run` starts on loopback; the address
//! is `OFFICE_TEST_S3_ENDPOINT`). The S3 cases fail, not skip, when that server is down.

mod memory {
    use office_core::MemoryArtifacts;
    use office_core::test_support::artifact_conformance::ArtifactFixture;

    async fn setup() -> ArtifactFixture {
        ArtifactFixture::new(MemoryArtifacts::new())
    }

    office_core::artifact_conformance_tests!(setup());
}

mod folder {
    use office_core::FsArtifacts;
    use office_core::test_support::artifact_conformance::ArtifactFixture;

    async fn setup() -> ArtifactFixture {
        let dir = tempfile::tempdir().unwrap();
        ArtifactFixture::with_guard(FsArtifacts::new(dir.path().join("jobs")), dir)
    }

    office_core::artifact_conformance_tests!(setup());
}

mod s3 {
    use office_core::S3Artifacts;
    use office_core::test_support::artifact_conformance::ArtifactFixture;
    use office_core::test_support::s3;

    async fn setup() -> ArtifactFixture {
        let settings = s3::fresh_bucket().await;
        ArtifactFixture::new(S3Artifacts::connect(&settings).unwrap())
    }

    office_core::artifact_conformance_tests!(setup());
}
