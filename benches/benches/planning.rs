//! Planning speed of the offline planner on a wide sheet: a three-step request on a
//! 100-column sheet, in English with typos and reordered column words, in Spanish and
//! in Chinese, and a refusal (which also plans its suggestions). Target: p50 <= 2 ms.
//!
//! `cargo bench -p office-benches --bench planning`

use office_benches::percentile;
use office_core::{
    CodeGenerator, FileProfile, JobKind, OfflinePlanner, Plan, PlanError, PlanRequest, profile_file,
};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

fn plan_excel(prompt: &str, profiles: &[FileProfile]) -> Result<Plan, PlanError> {
    let params = serde_json::Map::new();
    let request = PlanRequest {
        kind: JobKind::Excel,
        prompt,
        profiles,
        params: &params,
        previous_error: None,
        previous_code: None,
        calls: None,
        parent: None,
    };
    let mut generate = OfflinePlanner.generate(&request);
    // The offline planner never waits: the first poll is the whole planning.
    match generate
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(planned) => planned,
        Poll::Pending => panic!("the offline planner waited"),
    }
}

fn time(label: &str, n: usize, mut f: impl FnMut()) {
    f();
    let mut samples: Vec<f64> = (0..n)
        .map(|_| {
            let clock = Instant::now();
            f();
            clock.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!(
        "{label:<52} {:>10.1} {:>10.1}",
        percentile(&samples, 50.0),
        percentile(&samples, 95.0)
    );
}

/// A CSV of 100 columns and 200 rows whose names share words, as real exports do.
fn wide_csv() -> String {
    let words = [
        "Cost", "Revenue", "Price", "Quantity", "Margin", "Discount", "Tax", "Weight",
    ];
    let places = ["North", "South", "East", "West", "Central"];
    let mut names: Vec<String> = vec![
        "Order Date".into(),
        "Region".into(),
        "Phase of flight".into(),
        "Cost Repair".into(),
        "Cost Total $".into(),
        "temp_max".into(),
    ];
    let mut k = 0;
    while names.len() < 100 {
        names.push(format!("{} {} {}", words[k % 8], places[k % 5], k / 40 + 1));
        k += 1;
    }
    let mut text = names.join(",");
    text.push('\n');
    for row in 0..200 {
        let mut cells = vec![
            format!("2024-01-{:02}", row % 28 + 1),
            places[row % 5].to_string(),
            ["Climb", "Approach", "Landing"][row % 3].to_string(),
        ];
        for c in 3..100 {
            cells.push(format!("{}", (row * 7 + c * 13) % 1000));
        }
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("wide.csv");
    std::fs::write(&path, wide_csv())?;
    let profiles = vec![profile_file(&path, "wide.csv")?];
    assert_eq!(profiles[0].sheets[0].columns.len(), 100);
    println!("{:<52} {:>10} {:>10}", "100 columns", "p50 µs", "p95 µs");
    for (label, prompt) in [
        (
            "plan 3 steps (English)",
            "remove duplicates by order date, then keep rows where region is north, then average repair cost per phase of flight",
        ),
        (
            "plan 3 steps (English, typos, words reordered)",
            "remove duplicates, keep rows where region is north, then sort by total cost descnding",
        ),
        (
            "plan 3 steps (Spanish)",
            "eliminar duplicados, filtrar filas donde Region es North y luego ordenar por temp_max descendente",
        ),
        (
            "plan 3 steps (Chinese)",
            "删除重复项，筛选temp_max大于500的行，然后按 Region 统计 Cost Repair 的总和",
        ),
    ] {
        let plan = plan_excel(prompt, &profiles).unwrap_or_else(|e| panic!("{prompt}: {e}"));
        assert_eq!(plan.steps.len(), 3, "{prompt}: {:?}", plan.steps);
        time(label, 300, || {
            plan_excel(prompt, &profiles).unwrap();
        });
    }
    let refused = "sort by humidity, then highlight the cells";
    let error = plan_excel(refused, &profiles).expect_err("refused");
    assert!(!error.suggestions.is_empty());
    time("refusal with suggestions", 300, || {
        plan_excel(refused, &profiles).unwrap_err();
    });
    Ok(())
}
