//! A report's documents (report.html, report.docx, report.pdf, report.xlsx) for a large
//! report: 50 sections, each with a paragraph and a table, and 30 real matplotlib charts
//! with their data (`charts.json`, so the workbook draws 30 native charts). Target: all
//! of them in at most 5 s here.
//!
//! `cargo bench -p office-benches --bench report_documents`

use office_benches::percentile;
use office_core::ReportFormat;
use office_core::test_support::render_report_documents;
use std::path::PathBuf;
use std::time::Instant;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python"))
        })
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let script = "import sys, matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n\
                  for i in range(1, 31):\n    fig, ax = plt.subplots(figsize=(12, 6.75))\n    \
                  ax.plot(range(50), [((x * i) % 17) for x in range(50)])\n    ax.set_title('Chart ' + str(i))\n    \
                  fig.savefig(sys.argv[1] + '/chart_' + str(i) + '.png', dpi=100)\n    plt.close(fig)\n";
    let status = std::process::Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    // The charts' data, as the planner's chart helpers record it.
    let charts: serde_json::Map<String, serde_json::Value> = (1..=30)
        .map(|i: u32| {
            let values: Vec<u32> = (0..50).map(|x| (x * i) % 17).collect();
            let categories: Vec<String> = (0..50).map(|x| x.to_string()).collect();
            (
                format!("chart_{i}.png"),
                serde_json::json!({"kind": "line", "title": format!("Chart {i}"),
                    "x_title": "x", "y_title": "y", "categories": categories,
                    "series": [{"name": "y", "values": values}]}),
            )
        })
        .collect();
    std::fs::write(
        dir.path().join("charts.json"),
        serde_json::to_vec(&charts).unwrap(),
    )
    .unwrap();
    let mut md = String::from("# Annual review: 50 sections, 30 charts\n\n");
    for s in 1..=50 {
        md.push_str(&format!(
            "## Section {s}\n\nThe figures of part {s}: sales, costs and margins by region, \
             with the change against the year before. Продажи, 销售额, المبيعات.\n\n\
             | Region | Sales | Costs | Margin |\n|---|---:|---:|---:|\n"
        ));
        for r in 1..=8 {
            md.push_str(&format!(
                "| Region {r} | {} | {} | {}.5 |\n",
                s * r * 10,
                s * r * 7,
                r
            ));
        }
        md.push('\n');
        if s <= 30 {
            md.push_str(&format!("![Chart {s}](chart_{s}.png)\n\n"));
        }
    }
    let run = || {
        let made = render_report_documents(&md, dir.path(), &ReportFormat::ALL, &python());
        for (format, result) in &made {
            let bytes = result
                .as_ref()
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            // The workbook holds numbers and chart XML, no pictures: it is smaller.
            let least = if *format == ReportFormat::Xlsx {
                50_000
            } else {
                100_000
            };
            assert!(bytes.len() > least, "{format:?}: {} bytes", bytes.len());
        }
        made
    };
    let made = run();
    for (format, result) in &made {
        println!(
            "{:<12} {:>10} bytes",
            format.file_name(),
            result.as_ref().unwrap().len()
        );
    }
    let mut samples: Vec<f64> = (0..5)
        .map(|_| {
            let clock = Instant::now();
            run();
            clock.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    println!(
        "all four documents, 50 sections / 30 charts: p50 {:.0} ms, max {:.0} ms (target <= 5000 ms)",
        percentile(&samples, 50.0),
        samples[samples.len() - 1]
    );
}
