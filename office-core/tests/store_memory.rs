//! The reference store against the shared conformance suite.

use office_core::store::MemoryStore;
use office_core::store::conformance::StoreFixture;

async fn setup() -> StoreFixture {
    StoreFixture::new(MemoryStore::new())
}

office_core::store_conformance_tests!(setup());
