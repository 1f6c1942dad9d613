//! The reference store against the shared conformance suite.

use office_core::MemoryStore;
use office_core::test_support::store_conformance::StoreFixture;

async fn setup() -> StoreFixture {
    StoreFixture::new(MemoryStore::new())
}

office_core::store_conformance_tests!(setup());
