//! Recalculation of 100,000 formulas (the issue's bar: under 2 s here): a workbook of
//! 50,000 data rows, each with `=A*B` and `=IF(C>100,"high","low")` stored without
//! results (as tools write them), and a summary sheet of SUMIFS / COUNTIFS / AVERAGEIFS
//! over the whole table. Timed: evaluation, and writing every result back as the
//! formulas' cached values.
//!
//! `cargo bench -p office-benches --bench recalc`

use office_benches::{percentile, xlsx};
use office_core::test_support::recalc_bench::recalculate;

const ROWS: usize = 50_000;

fn workbook() -> Vec<u8> {
    let mut sheet = String::with_capacity(ROWS * 160);
    sheet.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#);
    for r in 2..ROWS + 2 {
        let units = r % 97;
        let price = (r % 13) as f64 * 1.5 + 0.25;
        sheet.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"><v>{units}</v></c><c r="B{r}"><v>{price}</v></c><c r="C{r}"><f>A{r}*B{r}</f></c><c r="D{r}" t="str"><f>IF(C{r}&gt;100,"high","low")</f></c></row>"#
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    let last = ROWS + 1;
    let mut summary = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">"#,
    );
    for (col, formula) in [
        format!(r#"SUMIFS(Data!C2:C{last},Data!D2:D{last},"high")"#),
        format!(r#"COUNTIFS(Data!D2:D{last},"low")"#),
        format!(r#"AVERAGEIFS(Data!B2:B{last},Data!A2:A{last},"&gt;50")"#),
    ]
    .iter()
    .enumerate()
    {
        let letter = (b'A' + col as u8) as char;
        summary.push_str(&format!(r#"<c r="{letter}1"><f>{formula}</f></c>"#));
    }
    summary.push_str("</row></sheetData></worksheet>");
    xlsx(&[("Data", sheet), ("Summary", summary)])
}

fn main() {
    let xlsx = workbook();
    println!(
        "workbook: {} KiB, {} formulas",
        xlsx.len() >> 10,
        ROWS * 2 + 3
    );
    println!("{:<40} {:>9} {:>9}", "ms (5 runs)", "p50", "max");
    let mut evaluation = Vec::new();
    let mut write_back = Vec::new();
    let mut total = Vec::new();
    for _ in 0..5 {
        let (formulas, errors, evaluated, filled) = recalculate(&xlsx).expect("recalculates");
        assert_eq!(formulas, ROWS * 2 + 3);
        assert_eq!(errors, 0);
        evaluation.push(evaluated.as_secs_f64() * 1e3);
        write_back.push(filled.as_secs_f64() * 1e3);
        total.push((evaluated + filled).as_secs_f64() * 1e3);
    }
    for (label, samples) in [
        ("evaluate (100,003 formulas)", &mut evaluation),
        ("fill_cached (every result written)", &mut write_back),
        ("recalculation in all", &mut total),
    ] {
        samples.sort_by(f64::total_cmp);
        println!(
            "{label:<40} {:>9.1} {:>9.1}",
            percentile(samples, 50.0),
            samples[samples.len() - 1]
        );
    }
    let p50 = percentile(&total, 50.0);
    assert!(
        p50 < 2000.0,
        "recalculation took {p50:.0} ms; the bar is 2,000 ms"
    );
}
