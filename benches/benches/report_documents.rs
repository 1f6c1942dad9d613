//! A report's documents (report.html, report.docx, report.pdf) for a large report: 50
//! sections, each with a paragraph and a table, and 30 real matplotlib charts. Target:
//! all three in at most 5 s here.
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
            assert!(bytes.len() > 100_000, "{format:?}");
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
        "all three documents, 50 sections / 30 charts: p50 {:.0} ms, max {:.0} ms (target <= 5000 ms)",
        percentile(&samples, 50.0),
        samples[samples.len() - 1]
    );
}
