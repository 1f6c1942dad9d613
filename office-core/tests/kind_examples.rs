//! The hints every face shows (`JobKind::examples`) are requests the offline planner
//! plans: each one is planned over a real CSV with the columns they name.

use office_core::{CodeGenerator, JobKind, OfflinePlanner, PlanRequest, profile_file};

const SALES: &str = "date,region,product,price,units,revenue,cost\n\
    2024-01-05,North,Tea,2.5,10,25,12\n\
    2024-01-19,South,Coffee,4,0,0,0\n\
    2024-02-02,North,Coffee,4,30,120,70\n\
    2024-02-16,East,Tea,2.5,400,1000,480\n\
    2024-03-01,South,Cocoa,3,500,1500,700\n\
    2024-03-15,East,Tea,2.5,8,20,9\n";

#[tokio::test]
async fn every_example_is_planned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sales.csv");
    std::fs::write(&path, SALES).unwrap();
    let profile = profile_file(&path, "sales.csv").unwrap();
    let profiles = [profile];
    let params = serde_json::Map::new();
    for kind in JobKind::ALL {
        let examples = kind.examples();
        assert!(examples.len() >= 2, "{kind} has too few examples");
        for example in examples {
            let request = PlanRequest {
                kind: *kind,
                prompt: example,
                profiles: &profiles,
                params: &params,
                previous_error: None,
                previous_code: None,
                calls: None,
                parent: None,
            };
            if let Err(e) = OfflinePlanner.generate(&request).await {
                panic!("{kind} example {example:?} is not planned: {}", e.message);
            }
        }
    }
}
