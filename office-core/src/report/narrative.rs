//! The built-in narrative: plain sentences built from `analysis.json`, one template
//! section after another. Every number is formatted from the facts' own values, so the
//! number check keeps every sentence written here.

use super::templates::{Content, Template};
use serde_json::Value;
use std::fmt::Write as _;

/// The report's Markdown for the facts, laid out as the template says.
pub(crate) fn write(template: &Template, analysis: &Value) -> String {
    let mut md = String::new();
    let title = text(&analysis["title"]);
    let title = if title.trim().is_empty() {
        "Report".to_string()
    } else {
        one_line(&title)
    };
    let _ = writeln!(md, "# {title}\n");
    let has_notes_section = template
        .sections
        .iter()
        .any(|s| s.content == Content::Notes);
    for section in &template.sections {
        let body = match section.content {
            Content::Summary => {
                let mut body = summary(analysis);
                if !has_notes_section {
                    body.push_str(&notes(analysis));
                }
                body
            }
            Content::Notes => notes(analysis),
            Content::Files => files(analysis),
            Content::KeyFigures => key_figures(analysis),
            Content::CrossFile => cross_file(analysis),
            Content::Conclusion => conclusion(analysis),
        };
        // A built-in section with nothing to say (no notes, a single file) is left out;
        // the files, the conclusion and every heading the user wrote stay.
        let required = matches!(section.content, Content::Files | Content::Conclusion)
            || template.name == "custom";
        if body.trim().is_empty() && !required {
            continue;
        }
        let _ = writeln!(md, "## {}\n", one_line(&section.heading));
        if body.trim().is_empty() {
            md.push_str("Nothing to report here.\n\n");
        } else {
            md.push_str(body.trim_end());
            md.push_str("\n\n");
        }
    }
    md
}

/// A number as the report shows it: whole numbers as they are, others to two decimals
/// with trailing zeros dropped.
pub(crate) fn number(value: &Value) -> String {
    match value.as_f64() {
        None => "n/a".into(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => {
            let s = format!("{x:.2}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.into() }
        }
    }
}

fn abs_number(value: &Value) -> String {
    number(value).trim_start_matches('-').to_string()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Text from the data or the user on one line, with the Markdown characters escaped that
/// could make a cell value a link, an image, emphasis, code, HTML or a table cell. (`_`
/// inside words, as in file and column names, is left alone: it is no emphasis there.)
fn one_line(s: &str) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(flat.len());
    for c in flat.chars() {
        if matches!(c, '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Text in quotes, its closing full stop left to the sentence around it.
fn quoted(s: &Value) -> String {
    let line = one_line(&text(s));
    format!("“{}”", line.trim_end().trim_end_matches('.'))
}

fn file_list(analysis: &Value) -> Vec<&Value> {
    analysis["files"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn file_name(f: &Value) -> String {
    one_line(&text(&f["file"]))
}

fn summary(analysis: &Value) -> String {
    let files = file_list(analysis);
    let names: Vec<String> = files.iter().map(|f| file_name(f)).collect();
    let mut s = String::new();
    let count = &analysis["file_count"];
    let _ = write!(
        s,
        "This report covers {} {}: {}.",
        number(count),
        if count.as_u64() == Some(1) {
            "file"
        } else {
            "files"
        },
        names.join(", ")
    );
    if !text(&analysis["prompt"]).trim().is_empty() {
        let _ = write!(
            s,
            " It answers the request {}.",
            quoted(&analysis["prompt"])
        );
    }
    s.push_str("\n\n");
    s
}

fn notes(analysis: &Value) -> String {
    let mut s = String::new();
    for note in analysis["notes"].as_array().into_iter().flatten() {
        let body = text(&note["text"]);
        if body.trim().is_empty() {
            continue;
        }
        let source = text(&note["source"]);
        if source != "notes" {
            let _ = writeln!(s, "From {}:\n", one_line(&source));
        }
        // Quoted line by line: the user's Markdown stays theirs, and cannot break the
        // report's own headings.
        for line in body.lines() {
            let _ = writeln!(s, "> {}", line.trim_end());
        }
        s.push('\n');
    }
    s
}

fn files(analysis: &Value) -> String {
    let mut s = String::new();
    for f in file_list(analysis) {
        let _ = writeln!(s, "### {}\n", file_name(f));
        s.push_str(&file_paragraph(f));
        s.push_str(&numeric_table(f));
        if let Some(chart) = f["chart"].as_str() {
            let _ = writeln!(s, "![Chart for {}]({chart})\n", file_name(f));
        }
    }
    s
}

/// The number columns of one file as a table (count, mean, median, min, max), so the
/// documents and a reader get the figures side by side.
fn numeric_table(f: &Value) -> String {
    let Some(numeric) = f["numeric"].as_object().filter(|m| !m.is_empty()) else {
        return String::new();
    };
    let mut s = String::from(
        "| Column | Count | Mean | Median | Min | Max |\n|---|---:|---:|---:|---:|---:|\n",
    );
    for (column, stats) in numeric.iter().take(12) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            one_line(column),
            number(&stats["count"]),
            number(&stats["mean"]),
            number(&stats["median"]),
            number(&stats["min"]),
            number(&stats["max"])
        );
    }
    s.push('\n');
    s
}

/// What one file holds and its key figures, as sentences.
fn file_paragraph(f: &Value) -> String {
    let mut sentences: Vec<String> = Vec::new();
    let columns: Vec<String> = f["columns"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| one_line(&text(c)))
        .collect();
    let shown: Vec<String> = columns.iter().take(8).cloned().collect();
    // `columns` lists the analysed columns; a wide sheet has more.
    let total = f["column_count"].as_u64().unwrap_or(columns.len() as u64);
    let more = if columns.len() > 8 || total > columns.len() as u64 {
        ", and more"
    } else {
        ""
    };
    let sheet = text(&f["sheet"]);
    let where_ = if sheet.is_empty() || text(&f["file"]).starts_with(&sheet) {
        String::new()
    } else {
        format!(" (sheet {})", one_line(&sheet))
    };
    sentences.push(format!(
        "{}{where_} holds {} rows in {} columns: {}{more}.",
        file_name(f),
        number(&f["rows"]),
        number(&f["column_count"]),
        shown.join(", ")
    ));
    if let Some(focus) = f["focus"].as_str()
        && let Some(stats) = f["numeric"].get(focus)
        && stats["count"].as_u64().unwrap_or(0) > 0
    {
        sentences.push(format!(
            "{} ranges from {} to {}, with an average of {} and a total of {}.",
            one_line(focus),
            number(&stats["min"]),
            number(&stats["max"]),
            number(&stats["mean"]),
            number(&stats["sum"])
        ));
    }
    if let Some(t) = f.get("trend").filter(|t| t.is_object()) {
        sentences.push(trend_sentence(t));
    }
    if let Some((column, top)) = f["categories"].as_object().and_then(|m| m.iter().next())
        && let Some(first) = top["top"].get(0)
    {
        sentences.push(format!(
            "The most common {} is {}, in {} rows ({}% of those filled in).",
            one_line(column),
            one_line(&text(&first["value"])),
            number(&first["count"]),
            number(&first["share_pct"])
        ));
    }
    if let Some(pair) = f["correlations"].get(0)
        && pair["r"].as_f64().is_some_and(|r| r.abs() >= 0.5)
    {
        let r = pair["r"].as_f64().unwrap_or(0.0);
        sentences.push(format!(
            "{} and {} move {} (correlation {}).",
            one_line(&text(&pair["a"])),
            one_line(&text(&pair["b"])),
            if r > 0.0 {
                "together"
            } else {
                "in opposite directions"
            },
            number(&pair["r"])
        ));
    }
    if let Some(missing) = f["missing"].as_object()
        && let Some((column, count)) = missing.iter().max_by_key(|(_, v)| v.as_u64().unwrap_or(0))
    {
        sentences.push(format!(
            "{} has the most empty cells: {}.",
            one_line(column),
            number(count)
        ));
    }
    let sentences: Vec<String> = sentences.iter().map(|s| capitalized(s)).collect();
    format!("{}\n\n", sentences.join(" "))
}

/// The sentence with its first letter upper case (column names often start lower case).
fn capitalized(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn trend_sentence(t: &Value) -> String {
    let change = t["change_pct"].as_f64();
    let direction = match change {
        Some(c) if c > 0.0 => format!("rose by {}%", abs_number(&t["change_pct"])),
        Some(c) if c < 0.0 => format!("fell by {}%", abs_number(&t["change_pct"])),
        Some(_) => "stayed level".to_string(),
        None => "changed".to_string(),
    };
    format!(
        "Per {}, the average {} {direction}, from {} in {} to {} in {}; it peaked at {} in {}.",
        text(&t["period"]),
        one_line(&text(&t["value_column"])),
        number(&t["first_value"]),
        text(&t["first_period"]),
        number(&t["last_value"]),
        text(&t["last_period"]),
        number(&t["peak_value"]),
        text(&t["peak_period"])
    )
}

fn key_figures(analysis: &Value) -> String {
    let mut s = String::new();
    for f in file_list(analysis) {
        let mut line = format!("- {}: {} rows", file_name(f), number(&f["rows"]));
        if let Some(focus) = f["focus"].as_str()
            && let Some(stats) = f["numeric"].get(focus)
            && stats["count"].as_u64().unwrap_or(0) > 0
        {
            let _ = write!(
                line,
                "; {} total {}, average {}",
                one_line(focus),
                number(&stats["sum"]),
                number(&stats["mean"])
            );
        }
        if let Some(t) = f.get("trend").filter(|t| t.is_object())
            && t["change_pct"].is_number()
        {
            let _ = write!(
                line,
                "; change from {} to {}: {}%",
                text(&t["first_period"]),
                text(&t["last_period"]),
                number(&t["change_pct"])
            );
        }
        let _ = writeln!(s, "{line}.");
    }
    s
}

fn cross_file(analysis: &Value) -> String {
    let mut s = String::new();
    for o in analysis["cross_file"].as_array().into_iter().flatten() {
        let a = one_line(&text(&o["files"][0]));
        let b = one_line(&text(&o["files"][1]));
        let shared: Vec<String> = o["shared_columns"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| one_line(&text(c)))
            .collect();
        let mut sentences = vec![format!(
            "{a} and {b} share the {} {}.",
            if shared.len() == 1 {
                "column"
            } else {
                "columns"
            },
            shared.join(", ")
        )];
        for k in o["keys"].as_array().into_iter().flatten() {
            let examples: Vec<String> = k["examples"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| one_line(&text(e)))
                .collect();
            let mut sentence = format!(
                "In {}, {} values appear in both files ({} distinct in {a}, {} in {b})",
                one_line(&text(&k["column"])),
                number(&k["shared_values"]),
                number(&k["distinct_a"]),
                number(&k["distinct_b"])
            );
            if !examples.is_empty() {
                let _ = write!(sentence, ", for example {}", examples.join(", "));
            }
            sentence.push('.');
            sentences.push(sentence);
        }
        for m in o["measures"].as_array().into_iter().flatten() {
            sentences.push(format!(
                "The average {} is {} in {a} and {} in {b}.",
                one_line(&text(&m["column"])),
                number(&m["mean_a"]),
                number(&m["mean_b"])
            ));
        }
        let sentences: Vec<String> = sentences.iter().map(|s| capitalized(s)).collect();
        let _ = writeln!(s, "{}\n", sentences.join(" "));
    }
    if s.is_empty() && file_list(analysis).len() > 1 {
        s.push_str("The files share no column names, so they are reported separately.\n");
    }
    s
}

fn conclusion(analysis: &Value) -> String {
    let mut sentences = Vec::new();
    if !text(&analysis["prompt"]).trim().is_empty() {
        sentences.push(format!("On the request {}:", quoted(&analysis["prompt"])));
    }
    for f in file_list(analysis) {
        let name = file_name(f);
        let Some(focus) = f["focus"].as_str() else {
            sentences.push(format!(
                "{name} holds {} rows and no number column to measure.",
                number(&f["rows"])
            ));
            continue;
        };
        let stats = &f["numeric"][focus];
        let mut sentence = format!(
            "in {name}, {} averages {} over {} values",
            one_line(focus),
            number(&stats["mean"]),
            number(&stats["count"])
        );
        if let Some(t) = f.get("trend").filter(|t| t.is_object())
            && t["change_pct"].is_number()
        {
            let c = t["change_pct"].as_f64().unwrap_or(0.0);
            let _ = write!(
                sentence,
                ", and its {} average {} {}% from {} to {}",
                text(&t["period"]),
                if c >= 0.0 { "rose" } else { "fell" },
                abs_number(&t["change_pct"]),
                text(&t["first_period"]),
                text(&t["last_period"])
            );
        }
        sentence.push('.');
        sentences.push(capitalized(&sentence));
    }
    sentences.join(" ") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::numbers::check_numbers;
    use crate::report::templates::resolve;
    use serde_json::json;

    #[test]
    fn a_quoted_request_leaves_its_full_stop_to_the_sentence() {
        assert_eq!(
            quoted(&json!("Summarize the files.")),
            "“Summarize the files”"
        );
        assert_eq!(
            quoted(&json!("which region leads?")),
            "“which region leads?”"
        );
        let mut facts = analysis();
        facts["prompt"] = json!("Summarize the files.");
        let report = write(&resolve(Some("default")).unwrap(), &facts);
        assert!(!report.contains(".”."), "{report}");
        assert!(report.contains("“Summarize the files”"), "{report}");
    }

    fn analysis() -> Value {
        json!({
            "title": "Sales # review",
            "prompt": "How did revenue develop in 2024?",
            "file_count": 2,
            "notes": [{"source": "notes", "text": "Figures are preliminary.\n# not a heading"}],
            "files": [{
                "file": "sales.csv", "sheet": "sales", "rows": 120, "column_count": 3,
                "columns": ["Date", "Region", "Revenue"], "focus": "Revenue",
                "numeric": {"Revenue": {"count": 120, "missing": 0, "sum": 10500.5, "mean": 87.5042, "median": 80, "std": 3.1, "min": 1, "max": 400}},
                "missing": {},
                "categories": {"Region": {"distinct": 4, "non_empty": 120, "top": [{"value": "North", "count": 41, "share_pct": 34.2}]}},
                "correlations": [],
                "trend": {"date_column": "Date", "value_column": "Revenue", "aggregate": "mean", "period": "month", "points": 6,
                          "first_period": "2024-01", "first_value": 80.1, "last_period": "2024-06", "last_value": 90.03,
                          "change_pct": 12.4, "peak_period": "2024-05", "peak_value": 99.5, "low_period": "2024-01", "low_value": 80.1},
                "chart": "chart_1.png"
            }, {
                "file": "targets.csv", "sheet": "targets", "rows": 4, "column_count": 2, "columns": ["Region", "Target"],
                "focus": "Target", "numeric": {"Target": {"count": 4, "missing": 0, "sum": 100, "mean": 25, "median": 25, "std": 1, "min": 20, "max": 30}},
                "missing": {"Target": 0}, "categories": {}, "correlations": [], "trend": null, "chart": "chart_2.png"
            }],
            "cross_file": [{"files": ["sales.csv", "targets.csv"], "shared_columns": ["Region"],
                            "keys": [{"column": "Region", "distinct_a": 4, "distinct_b": 4, "shared_values": 3, "examples": ["North"]}],
                            "measures": []}]
        })
    }

    #[test]
    fn the_default_report_has_every_part_and_only_supported_numbers() {
        let facts = analysis();
        let md = write(&resolve(None).unwrap(), &facts);
        for part in [
            "# Sales # review",
            "## Summary",
            "This report covers 2 files: sales.csv, targets.csv.",
            "> Figures are preliminary.",
            "> # not a heading",
            "### sales.csv",
            "Revenue ranges from 1 to 400, with an average of 87.5 and a total of 10500.5.",
            "Per month, the average Revenue rose by 12.4%, from 80.1 in 2024-01 to 90.03 in 2024-06",
            "The most common Region is North, in 41 rows (34.2% of those filled in).",
            "![Chart for sales.csv](chart_1.png)",
            "In Region, 3 values appear in both files",
            "## Conclusion",
            "In sales.csv, Revenue averages 87.5 over 120 values, and its month average rose 12.4% from 2024-01 to 2024-06.",
        ] {
            assert!(md.contains(part), "missing {part:?} in\n{md}");
        }
        let checked = check_numbers(&md, &facts);
        assert!(checked.dropped.is_empty(), "{:?}", checked.dropped);
    }

    #[test]
    fn every_built_in_template_writes_numbers_the_facts_hold() {
        let facts = analysis();
        for name in crate::report::templates::BUILT_IN {
            let md = write(&resolve(Some(name)).unwrap(), &facts);
            let checked = check_numbers(&md, &facts);
            assert!(checked.dropped.is_empty(), "{name}: {:?}", checked.dropped);
        }
    }

    #[test]
    fn numbers_are_shown_from_the_facts_values() {
        assert_eq!(number(&json!(12.4)), "12.4");
        assert_eq!(number(&json!(87.5042)), "87.5");
        assert_eq!(number(&json!(3)), "3");
        assert_eq!(number(&json!(-0.001)), "0");
        assert_eq!(number(&Value::Null), "n/a");
    }
}
