//! Analytics and report programs of the offline planner, run with the repo's CPython on
//! real files the way the executor runs them (INPUT_PATH, INPUT_PATHS, OUTPUT_DIR, a
//! clean environment, MPLBACKEND=Agg). Checks that each program passes the validator,
//! runs, and writes the facts and charts it promises, with values computed here.

use office_core::{FileProfile, JobKind, Plan, Policy, profile_file, validate};
use planner::offline_plan;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/planner.rs"]
mod planner;

fn python() -> PathBuf {
    std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(rel)
}

fn plan(kind: JobKind, prompt: &str, files: &[PathBuf], title: &str) -> (Plan, Vec<FileProfile>) {
    let profiles: Vec<FileProfile> = files
        .iter()
        .map(|f| {
            let name = f.file_name().unwrap().to_str().unwrap();
            profile_file(f, name).unwrap()
        })
        .collect();
    let mut params = serde_json::Map::new();
    params.insert("title".into(), title.into());
    let plan = offline_plan(kind, prompt, &profiles, &params).unwrap();
    let violations = validate(&plan.code, &Policy::default());
    assert!(violations.is_empty(), "{violations:?}\n{}", plan.code);
    (plan, profiles)
}

/// Runs the program; returns the output folder and stderr.
fn run(plan: &Plan, files: &[PathBuf]) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let program = work.path().join("generated.py");
    std::fs::write(&program, &plan.code).unwrap();
    let paths: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let output = Command::new(python())
        .arg("-I")
        .arg("-B")
        .arg(&program)
        .env_clear()
        .env("INPUT_PATH", &paths[0])
        .env("INPUT_PATHS", paths.join(":"))
        .env("OUTPUT_DIR", out.path())
        .env("HOME", work.path())
        .env("MPLBACKEND", "Agg")
        .env("MPLCONFIGDIR", work.path().join(".mpl"))
        .current_dir(work.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "program failed:\n{stderr}\n{}",
        plan.code
    );
    (out, stderr)
}

fn read_json(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

/// Width and height of a PNG from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let data = std::fs::read(path).unwrap();
    assert_eq!(
        &data[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let w = u32::from_be_bytes(data[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(data[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn analytics_on_a_weather_series_computes_stats_trend_and_the_named_chart() {
    let files = [fixture("real/vega/seattle-weather.csv")];
    let (plan, _) = plan(
        JobKind::Analytics,
        "plot monthly temp_max by weather",
        &files,
        "",
    );
    let (out, stderr) = run(&plan, &files);
    let results = read_json(out.path(), "results.json");
    let table = &results["table"];
    assert_eq!(table["rows"], 1461);
    // Independent check of one statistic: the mean of temp_max from the CSV itself.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let temps: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    let mean = temps.iter().sum::<f64>() / temps.len() as f64;
    let got = table["numeric"]["temp_max"]["mean"].as_f64().unwrap();
    assert!((got - mean).abs() < 1e-3, "{got} vs {mean}");
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for line in text.lines().skip(1) {
        *counts.entry(line.split(',').nth(5).unwrap()).or_default() += 1;
    }
    let (top, top_count) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
    assert_eq!(table["categories"]["weather"]["top"][0]["value"], *top);
    assert_eq!(
        table["categories"]["weather"]["top"][0]["count"],
        *top_count
    );
    assert_eq!(table["trend"]["date_column"], "date");
    assert!(!table["correlations"].as_array().unwrap().is_empty());
    let answer = &results["answer"];
    assert_eq!(answer["kind"], "time");
    assert_eq!(answer["by"], "weather");
    assert_eq!(answer["chart"], "answer.png");
    for chart in ["overview.png", "answer.png"] {
        assert_eq!(png_size(&out.path().join(chart)), (1200, 675), "{chart}");
    }
    assert!(!stderr.contains("missing from font"), "{stderr}");
    if let Some(keep) = std::env::var_os("KEEP_CHARTS") {
        for chart in ["overview.png", "answer.png"] {
            std::fs::copy(
                out.path().join(chart),
                Path::new(&keep).join(format!("weather-{chart}")),
            )
            .unwrap();
        }
    }
}

#[test]
fn a_correlation_request_gets_the_pairs_and_a_scatter_of_the_strongest() {
    let files = [fixture("real/vega/seattle-weather.csv")];
    let (plan, _) = plan(
        JobKind::Analytics,
        "correlations between the numbers",
        &files,
        "",
    );
    let (out, _) = run(&plan, &files);
    let answer = &read_json(out.path(), "results.json")["answer"];
    assert_eq!(answer["kind"], "correlation");
    let top = &answer["pairs"][0];
    let pair = [top["a"].as_str().unwrap(), top["b"].as_str().unwrap()];
    assert!(
        pair.contains(&"temp_max") && pair.contains(&"temp_min"),
        "{answer}"
    );
    assert_eq!(answer["chart"], "answer.png");
    assert_eq!(png_size(&out.path().join("answer.png")), (1200, 675));
    if let Some(keep) = std::env::var_os("KEEP_CHARTS") {
        std::fs::copy(
            out.path().join("answer.png"),
            Path::new(&keep).join("scatter.png"),
        )
        .unwrap();
    }
}

#[test]
fn cjk_text_is_drawn_with_a_font_that_has_the_glyphs() {
    let files = [fixture("report/销售_2024.csv")];
    let (plan, _) = plan(JobKind::Analytics, "平均 销售额 by 地区", &files, "");
    let (out, stderr) = run(&plan, &files);
    // matplotlib warns "Glyph ... missing from font(s)" for every character it draws as a box.
    assert!(!stderr.contains("missing from font"), "{stderr}");
    let results = read_json(out.path(), "results.json");
    assert_eq!(results["answer"]["kind"], "group");
    assert_eq!(results["answer"]["by"], "地区");
    assert!(out.path().join("answer.png").exists());
    if let Some(keep) = std::env::var_os("KEEP_CHARTS") {
        for chart in ["overview.png", "answer.png"] {
            std::fs::copy(
                out.path().join(chart),
                Path::new(&keep).join(format!("cjk-{chart}")),
            )
            .unwrap();
        }
    }
}

#[test]
fn report_facts_cover_every_file_and_what_they_share() {
    let files = [
        fixture("report/销售_2024.csv"),
        fixture("report/区域目标.csv"),
        fixture("real/oil-prices/eia_brent-month.xls"),
    ];
    let (plan, _) = plan(
        JobKind::Report,
        "How did sales develop?",
        &files,
        "Q1 review",
    );
    let (out, _) = run(&plan, &files);
    let analysis = read_json(out.path(), "analysis.json");
    assert_eq!(analysis["title"], "Q1 review");
    let facts = analysis["files"].as_array().unwrap();
    assert_eq!(facts.len(), 3);
    assert_eq!(facts[0]["rows"], 120);
    assert_eq!(facts[1]["rows"], 4);
    for f in facts {
        let chart = f["chart"].as_str().unwrap();
        assert!(out.path().join(chart).exists(), "{chart}");
    }
    let cross = analysis["cross_file"].as_array().unwrap();
    assert_eq!(cross.len(), 1, "{cross:?}");
    assert_eq!(cross[0]["shared_columns"][0], "地区");
    // 华北, 华东, 华南 are in both; 西南 and 西北 in one each.
    assert_eq!(cross[0]["keys"][0]["shared_values"], 3);
}

#[test]
fn cyrillic_hebrew_arabic_and_cjk_labels_have_glyphs() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mixed.csv");
    let mut text = String::from("Город,מחיר,الفئة,销售额\n");
    let cities = ["Москва", "Санкт-Петербург", "Новосибирск"];
    let kinds = ["ספרים", "מזון", "كتب", "طعام", "图书"];
    for i in 0..30 {
        text.push_str(&format!(
            "{},{},{},{}\n",
            cities[i % 3],
            10 + i * 3,
            kinds[i % 5],
            100 + i * 7
        ));
    }
    std::fs::write(&csv, text).unwrap();
    let files = [csv];
    let (plan, _) = plan(JobKind::Analytics, "distribution of الفئة", &files, "");
    let (out, stderr) = run(&plan, &files);
    assert!(!stderr.contains("missing from font"), "{stderr}");
    let results = read_json(out.path(), "results.json");
    assert_eq!(results["answer"]["kind"], "distribution");
    assert_eq!(results["answer"]["measure"], "الفئة");

    // The check above can fail: the same text drawn without the fonts the programs
    // select makes matplotlib name each CJK glyph it lacks.
    let control = dir.path().join("control.py");
    std::fs::write(
        &control,
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n\
         fig, ax = plt.subplots()\nax.set_title('销售额')\nfig.savefig('control.png')\n",
    )
    .unwrap();
    let output = Command::new(python())
        .arg(&control)
        .current_dir(dir.path())
        .env("MPLCONFIGDIR", dir.path().join(".mpl"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("missing from font"), "{stderr}");
}

/// Every real fixture the profiler reads with data in it goes into one report (and the
/// analytics program runs on each): strict OOXML, 1904 dates, XLSB, ODS, merged cells,
/// title rows above the header, other encodings, hidden sheets.
#[test]
fn programs_read_every_real_fixture_the_profiler_reads() {
    let root = fixture("real");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if name.ends_with(".md") {
                continue;
            }
            let Ok(profile) = profile_file(&path, &name) else {
                continue;
            };
            let has_data = profile
                .sheets
                .iter()
                .any(|s| !s.columns.is_empty() && s.data_rows > 0);
            if has_data {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let (plan, _) = plan(JobKind::Report, "overview", &files, "All fixtures");
    let (out, _) = run(&plan, &files);
    let analysis = read_json(out.path(), "analysis.json");
    assert_eq!(analysis["files"].as_array().unwrap().len(), files.len());
    for (facts, path) in analysis["files"].as_array().unwrap().iter().zip(&files) {
        assert!(
            facts["rows"].as_u64().unwrap() > 0,
            "{}: {facts}",
            path.display()
        );
    }
}

/// The shared table loader (`tables.py`) finds a headerless table where the profile
/// found it. The analytics copy of the loader read a headerless table from the first
/// row and column; with leading empty columns it read empty cells as the data.
#[test]
fn a_headerless_table_is_read_where_the_profile_found_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("readings.csv");
    let values = [(1.5, 10.0), (2.5, 20.0), (4.0, 30.0), (8.0, 45.0)];
    let text: String = values.iter().map(|(a, b)| format!(",,{a},{b}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let files = [path];
    let (plan, profiles) = plan(JobKind::Analytics, "overview", &files, "");
    let sheet = &profiles[0].sheets[0];
    assert_eq!(sheet.header_row, None, "{sheet:?}");
    assert_eq!(sheet.columns[0].index, 2, "{sheet:?}");
    let (out, _) = run(&plan, &files);
    let table = &read_json(out.path(), "results.json")["table"];
    assert_eq!(table["rows"], values.len());
    for (position, name) in ["column_1", "column_2"].iter().enumerate() {
        let column: Vec<f64> = values
            .iter()
            .map(|v| if position == 0 { v.0 } else { v.1 })
            .collect();
        let mean = column.iter().sum::<f64>() / column.len() as f64;
        let stats = &table["numeric"][name];
        assert_eq!(stats["count"], column.len(), "{name}: {stats}");
        let got = stats["mean"].as_f64().unwrap();
        assert!((got - mean).abs() < 1e-9, "{name}: {got} vs {mean}");
    }
}

/// The first `days` rows of the Seattle weather file: (ISO date, temp_max).
fn weather_days(days: usize) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(fixture("real/vega/seattle-weather.csv")).unwrap();
    text.lines()
        .skip(1)
        .take(days)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[2].parse().unwrap())
        })
        .collect()
}

/// Monthly means computed here: ("2012-01", mean), in order.
fn monthly_means(days: &[(String, f64)]) -> Vec<(String, f64)> {
    let mut months: std::collections::BTreeMap<String, (f64, usize)> = Default::default();
    for (date, value) in days {
        let entry = months.entry(date[..7].to_string()).or_default();
        entry.0 += value;
        entry.1 += 1;
    }
    months
        .into_iter()
        .map(|(m, (sum, n))| (m, sum / n as f64))
        .collect()
}

/// The answer's monthly values, in order.
fn answer_values(results: &Value) -> Vec<f64> {
    let answer = &results["answer"];
    assert_eq!(answer["kind"], "time", "{answer}");
    assert_eq!(answer["period"], "month", "{answer}");
    answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .collect()
}

#[test]
fn monthly_average_on_a_workbook_whose_dates_are_iso_text() {
    let days = weather_days(91);
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("weather-text-dates.xlsx");
    let rows: Vec<String> = days.iter().map(|(d, t)| format!("{d},{t}")).collect();
    planner::run_helper(
        "import sys, openpyxl\n\
         wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'weather'\n\
         ws.append(['date', 'temp_max'])\n\
         for line in sys.argv[2].split(';'):\n\
         \x20   d, t = line.split(',')\n\
         \x20   ws.append([d, float(t)])\n\
         wb.save(sys.argv[1])\n",
        &[book.to_str().unwrap(), &rows.join(";")],
    );
    let files = [book];
    let (plan, profiles) = plan(
        JobKind::Analytics,
        "plot the average temp_max per month",
        &files,
        "",
    );
    let date = &profiles[0].sheets[0].columns[0];
    assert_eq!(date.dtype, office_core::ColumnType::Date, "{date:?}");
    let (out, _) = run(&plan, &files);
    let expected: Vec<f64> = monthly_means(&days).into_iter().map(|(_, m)| m).collect();
    let got = answer_values(&read_json(out.path(), "results.json"));
    assert_eq!(got.len(), 3, "{got:?}");
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 0.01, "{got:?} vs {expected:?}");
    }
}

#[test]
fn monthly_average_on_a_csv_whose_dates_read_19_jan_18() {
    let days = weather_days(91);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("weather-named-months.csv");
    let mut text = String::from("Date,temp_max\n");
    for (d, t) in &days {
        let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        text.push_str(&format!("{},{t}\n", date.format("%d-%b-%y")));
    }
    std::fs::write(&csv, text).unwrap();
    let files = [csv];
    let (plan, profiles) = plan(
        JobKind::Analytics,
        "plot the average temp_max per month",
        &files,
        "",
    );
    let date = &profiles[0].sheets[0].columns[0];
    assert_eq!(date.dtype, office_core::ColumnType::Date, "{date:?}");
    assert_eq!(date.date_min.as_deref(), Some("2012-01-01"));
    let (out, _) = run(&plan, &files);
    let expected: Vec<f64> = monthly_means(&days).into_iter().map(|(_, m)| m).collect();
    let got = answer_values(&read_json(out.path(), "results.json"));
    assert_eq!(got.len(), 3, "{got:?}");
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 0.01, "{got:?} vs {expected:?}");
    }
}

/// "$1,234.50" for 1234.5, "-$110.00" for -110: the currency and thousands a sheet's
/// text cells show.
fn dollars(value: f64) -> String {
    if value < 0.0 {
        return format!("-{}", dollars(-value));
    }
    let cents = (value * 100.0).round() as i64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{:02}", cents % 100)
}

#[test]
fn monthly_average_of_dollar_text_over_day_first_date_text() {
    // Dates typed as 01/02/2012 (1 February) and amounts typed as "$1,234.50": the
    // profile types both, and the program reads them as the profile did.
    let days = weather_days(91);
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("sales-text.xlsx");
    let rows: Vec<String> = days
        .iter()
        .map(|(d, t)| {
            let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
            format!("{}|{}", date.format("%d/%m/%Y"), dollars(t * 100.0))
        })
        .collect();
    planner::run_helper(
        "import sys, openpyxl\n\
         wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'sales'\n\
         ws.append(['Day', 'Sales'])\n\
         for line in sys.argv[2].split(';'):\n\
         \x20   ws.append(line.split('|'))\n\
         wb.save(sys.argv[1])\n",
        &[book.to_str().unwrap(), &rows.join(";")],
    );
    let files = [book];
    let (plan, profiles) = plan(
        JobKind::Analytics,
        "plot the average Sales per month",
        &files,
        "",
    );
    let columns = &profiles[0].sheets[0].columns;
    assert_eq!(
        columns[0].dtype,
        office_core::ColumnType::Date,
        "{:?}",
        columns[0]
    );
    assert!(columns[1].dtype.is_numeric(), "{:?}", columns[1]);
    let (out, _) = run(&plan, &files);
    let cents: Vec<(String, f64)> = days
        .iter()
        .map(|(d, t)| (d.clone(), (t * 100.0 * 100.0).round() / 100.0))
        .collect();
    let expected: Vec<f64> = monthly_means(&cents).into_iter().map(|(_, m)| m).collect();
    let got = answer_values(&read_json(out.path(), "results.json"));
    assert_eq!(got.len(), 3, "{got:?}");
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() < 0.01, "{got:?} vs {expected:?}");
    }
}

#[test]
fn an_analytics_request_in_chinese_is_answered() {
    let files = [fixture("real/vega/seattle-weather.csv")];
    let (plan, _) = plan(
        JobKind::Analytics,
        "按 weather 统计 precipitation 的总和",
        &files,
        "",
    );
    let (out, _) = run(&plan, &files);
    let answer = &read_json(out.path(), "results.json")["answer"];
    assert_eq!(answer["kind"], "group", "{answer}");
    assert_eq!(answer["by"], "weather");
    assert_eq!(answer["measure"], "precipitation");
    assert_eq!(answer["aggregate"], "sum");
    // The rain total, computed here from the CSV.
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let rain: f64 = text
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",rain"))
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .sum();
    let row = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"] == "rain")
        .unwrap();
    assert!(
        (row["value"].as_f64().unwrap() - rain).abs() < 0.01,
        "{row} vs {rain}"
    );
}
