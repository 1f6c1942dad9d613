//! Analytics programs: facts about the first input's main table (statistics per number
//! column, missing values, top categories, correlations, the trend over a date column)
//! and the answer to the request, written as `results.json` plus PNG charts.
//!
//! The request is read as one question: an aggregate ("average", "total", ...), a
//! measure column, an optional "by <column>" split, an optional period ("monthly",
//! "per week", "over time"), or "distribution of <column>" / "correlations". Column
//! words are matched the way Excel requests are (`columns::find_column`); a split or a
//! distribution naming no column of the sheet is an error that lists the columns. A
//! request that names nothing specific gets the overview alone.

use super::columns::{Column, ColumnMatch, find_column, normalize};
use super::tables::{ANALYSIS_PY, main_sheet, program_head, table_spec};
use super::tokens::{joined, longest_prefix, tokenize};
use super::{GENERATOR_NAME, plain_error, sheet_columns};
use super::{lang, vocab};
use crate::job::ErrorCode;
use crate::plan::{Plan, PlanError};
use crate::profile::{ColumnType, FileProfile};
use std::fmt::Write as _;

/// The answer's code: one function over the loaded table.
const ANALYTICS_PY: &str = include_str!("analytics.py");

/// What the program writes besides its charts.
pub(crate) use crate::kind::analytics::RESULTS_FILE;

/// The request in the planner's terms.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Question {
    pub kind: QuestionKind,
    pub measure: Option<String>,
    /// `sum`, `mean`, `median`, `min`, `max`, `count` (pandas names).
    pub agg: &'static str,
    pub by: Option<String>,
    pub date: Option<String>,
    /// `D`, `W`, `M`, `Q`, `Y`, or `None` for "over time" (the program picks).
    pub period: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuestionKind {
    Time,
    Group,
    Distribution,
    Correlation,
    Overview,
}

impl QuestionKind {
    fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Time => "time",
            QuestionKind::Group => "group",
            QuestionKind::Distribution => "distribution",
            QuestionKind::Correlation => "correlation",
            QuestionKind::Overview => "overview",
        }
    }
}

/// Plans an analytics request against the first input.
pub(crate) fn plan_analytics(prompt: &str, profiles: &[FileProfile]) -> Result<Plan, PlanError> {
    let Some(file) = profiles.first() else {
        return Err(plain_error(
            ErrorCode::NoData,
            "There is no input file to work on.".into(),
        ));
    };
    let Some(sheet) = main_sheet(file) else {
        return Err(plain_error(
            ErrorCode::NoData,
            format!(
                "The file '{}' has no sheet with data to work on.",
                file.name
            ),
        ));
    };
    let columns = sheet_columns(sheet);
    let dates: Vec<String> = sheet
        .columns
        .iter()
        .filter(|c| c.dtype == ColumnType::Date)
        .map(|c| c.name.clone())
        .collect();
    let question = read_question(prompt, &columns, &dates).map_err(|reason| {
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        PlanError {
            code: reason.0,
            message: format!("{} Columns: {}.", reason.1, names.join(", ")),
            understood: Vec::new(),
            operations: vec![
                "overview".into(),
                "aggregate by a column".into(),
                "aggregate per period".into(),
                "distribution of a column".into(),
                "correlations".into(),
            ],
            columns: names,
            suggestions: question_suggestions(&columns, &dates).into(),
        }
    })?;

    let focus = question
        .measure
        .as_deref()
        .filter(|m| columns.iter().any(|c| &c.name == m && c.dtype.is_numeric()));
    let mut code = program_head("Analytics", prompt, profiles);
    code.push_str(ANALYSIS_PY);
    code.push_str("\n\nTABLES = [\n    ");
    code.push_str(&table_spec(0, file, sheet, focus));
    code.push_str(",\n]\n");
    let opt = |v: Option<&str>| v.map_or("None".to_string(), super::codegen::py_str);
    let _ = writeln!(
        code,
        "REQUEST = dict(kind={}, measure={}, agg={}, by={}, date={}, period={})",
        super::codegen::py_str(question.kind.as_str()),
        opt(question.measure.as_deref()),
        super::codegen::py_str(question.agg),
        opt(question.by.as_deref()),
        opt(question.date.as_deref()),
        opt(question.period),
    );
    code.push_str(ANALYTICS_PY);
    Ok(Plan {
        code,
        generator: GENERATOR_NAME.into(),
        steps: steps(&question, &file.name, &sheet.name),
        output: Some(RESULTS_FILE.into()),
    })
}

/// Questions this table can answer, for a refusal: each one reads as a question here.
fn question_suggestions(columns: &[Column], dates: &[String]) -> Vec<String> {
    let number = columns.iter().find(|c| c.is_numeric());
    let text = columns.iter().find(|c| c.dtype == ColumnType::Text);
    let mut tries = Vec::new();
    if let Some(n) = number {
        if let Some(t) = text {
            tries.push(format!("average {} by {}", n.name, t.name));
        }
        if !dates.is_empty() {
            tries.push(format!("average {} per month", n.name));
        }
        tries.push(format!("distribution of {}", n.name));
    }
    tries.push("correlations".into());
    tries
        .into_iter()
        .filter(|q| read_question(q, columns, dates).is_ok())
        .take(3)
        .collect()
}

fn steps(q: &Question, file: &str, sheet: &str) -> Vec<String> {
    let mut steps = vec![
        format!("read '{sheet}' of '{file}'"),
        "statistics per number column, missing values, top categories, correlations, trend over the first date column".into(),
    ];
    let measure = q.measure.as_deref().unwrap_or("rows");
    steps.push(match q.kind {
        QuestionKind::Time => format!(
            "{} of {measure} per {}{}",
            q.agg,
            q.period.unwrap_or("period"),
            q.by.as_ref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        ),
        QuestionKind::Group => format!(
            "{} of {measure} by {}",
            q.agg,
            q.by.as_deref().unwrap_or("")
        ),
        QuestionKind::Distribution => format!("distribution of {measure}"),
        QuestionKind::Correlation => "correlations between number columns".into(),
        QuestionKind::Overview => "overview".into(),
    });
    steps
}

type Refusal = (ErrorCode, String);

/// Reads the request as one question. See the module documentation.
pub(crate) fn read_question(
    prompt: &str,
    columns: &[Column],
    dates: &[String],
) -> Result<Question, Refusal> {
    // Other languages and typos, as the English the question reader knows.
    let mut english = lang::translate(tokenize(prompt), columns);
    // A grouping said first ("按 weather 统计 precipitation 的总和"): in English order.
    if longest_prefix(&english, vocab::GROUP_SEPARATORS).is_some()
        && let Some(reordered) = lang::aggregate_order(&english, columns)
    {
        english = reordered;
    }
    let mut text = format!(" {} ", normalize(&joined(&english)));
    // "for each X", "grouped by X": the split the reader knows as "by X".
    for phrase in vocab::QUESTION_BY_PHRASES {
        text = text.replace(&format!(" {phrase} "), " by ");
    }
    let text = text.trim().to_string();
    let words: Vec<&str> = text.split_whitespace().collect();
    let has = |w: &str| words.contains(&w);

    // Column names said word for word ("temp max") are found first, so that their words
    // ("max") are not read as aggregates or periods.
    let mentions = exact_mentions(&words, columns);
    let free = |i: usize| !mentions.iter().any(|(s, e, _)| (*s..*e).contains(&i));

    // A part of the question with no answer here fails it, rather than an answer to
    // another question.
    let unsupported: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|(i, w)| free(*i) && vocab::QUESTION_UNSUPPORTED.contains(w))
        .map(|(_, w)| *w)
        .collect();
    if !unsupported.is_empty() {
        return Err((
            ErrorCode::RequestNotUnderstood,
            format!(
                "I cannot compute '{}' yet. I can answer an aggregate of a column (by a \
                 column or per period), the distribution of a column, or the correlations.",
                unsupported.join("', '")
            ),
        ));
    }
    let agg = (0..words.len())
        .filter(|i| free(*i))
        .find_map(|i| vocab::longest_at(&words[i..], vocab::AGGREGATES))
        .map(|(func, _)| func.pandas());
    let mut period = words
        .iter()
        .enumerate()
        .filter(|(i, _)| free(*i))
        .find_map(|(_, w)| vocab::lookup(vocab::PERIODS, w));
    let over_time = text.contains("over time") || vocab::TREND_WORDS.iter().any(|w| has(w));

    // "by X": X up to a word that ends the phrase.
    let (by, by_period) = read_split(&words, columns)?;
    period = by_period.or(period);

    let distribution = vocab::DISTRIBUTION_WORDS.iter().any(|w| has(w));
    let by_at = words.iter().position(|w| *w == "by").unwrap_or(words.len());
    let measure = match mentions
        .iter()
        .find(|(s, _, name)| *s < by_at && Some(name.as_str()) != by.as_deref())
    {
        Some((_, _, name)) => Some(name.clone()),
        None => find_measure(&words[..by_at], columns, by.as_deref()),
    };
    if distribution && measure.is_none() {
        return Err((
            ErrorCode::ColumnNotFound,
            "I could not tell which column's distribution to show.".into(),
        ));
    }
    let date = dates.first().cloned();
    let wants_time = period.is_some() || over_time;
    if wants_time && date.is_none() && !distribution {
        return Err((
            ErrorCode::NoDateColumn,
            "The request asks for values over time, but the table has no date column.".into(),
        ));
    }
    let numeric_measure = measure
        .as_ref()
        .is_some_and(|m| columns.iter().any(|c| &c.name == m && c.is_numeric()));
    let kind = if distribution {
        QuestionKind::Distribution
    } else if text.contains("correlat") {
        QuestionKind::Correlation
    } else if wants_time {
        QuestionKind::Time
    } else if by.is_some() {
        QuestionKind::Group
    } else {
        QuestionKind::Overview
    };
    let agg = settle_aggregate(agg, numeric_measure, measure.as_deref())?;
    // A text column named without a split ("orders by status" aside) is what to count by.
    let (measure, by) = match (&kind, numeric_measure, &by) {
        (QuestionKind::Group | QuestionKind::Time, false, None) if measure.is_some() => {
            (None, measure)
        }
        _ => (
            if numeric_measure || distribution {
                measure
            } else {
                None
            },
            by,
        ),
    };
    Ok(Question {
        kind,
        measure,
        agg,
        by,
        date: if kind == QuestionKind::Time {
            date
        } else {
            None
        },
        period: if kind == QuestionKind::Time {
            period
        } else {
            None
        },
    })
}

/// The column (or the period) after "by": `(by, period)`.
fn read_split(
    words: &[&str],
    columns: &[Column],
) -> Result<(Option<String>, Option<&'static str>), Refusal> {
    let Some(at) = words.iter().position(|w| *w == "by") else {
        return Ok((None, None));
    };
    let phrase: Vec<&str> = words[at + 1..]
        .iter()
        .take_while(|w| !vocab::QUESTION_BY_END.contains(w))
        .copied()
        .collect();
    let phrase = phrase.join(" ");
    if let Some(p) = vocab::lookup(vocab::PERIODS, &phrase) {
        return Ok((None, Some(p)));
    }
    if phrase.is_empty() {
        return Ok((None, None));
    }
    match find_column(&phrase, columns) {
        ColumnMatch::Found(c) => Ok((Some(c.name), None)),
        ColumnMatch::Ambiguous(names) => Err((
            ErrorCode::AmbiguousColumn,
            format!("'{phrase}' could be any of: {}.", names.join(", ")),
        )),
        ColumnMatch::NotFound => Err((
            ErrorCode::ColumnNotFound,
            format!("I could not find a column named '{phrase}' to split by."),
        )),
    }
}

/// The aggregate to answer with: what was asked, if the measure holds numbers; a count
/// otherwise (asking for another aggregate of a text column is refused).
fn settle_aggregate(
    asked: Option<&'static str>,
    numeric_measure: bool,
    measure: Option<&str>,
) -> Result<&'static str, Refusal> {
    Ok(match (asked, numeric_measure) {
        (Some(a), true) => a,
        (Some("count"), false) | (None, false) => "count",
        (Some(_), false) if measure.is_some() => {
            return Err((
                ErrorCode::InvalidOperation,
                format!(
                    "'{}' does not hold numbers, so it cannot be aggregated; only counted.",
                    measure.unwrap_or_default()
                ),
            ));
        }
        (Some(_), false) => "count",
        (None, true) => "sum",
    })
}

/// Columns whose normalized name the request says word for word: (first word, end, name),
/// longest first.
pub(super) fn exact_mentions(words: &[&str], columns: &[Column]) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    for column in columns {
        let name = normalize(&column.name);
        let parts: Vec<&str> = name.split_whitespace().collect();
        if parts.is_empty() || parts.len() > words.len() {
            continue;
        }
        if let Some(start) = words
            .windows(parts.len())
            .position(|w| w == parts.as_slice())
        {
            found.push((start, start + parts.len(), column.name.clone()));
        }
    }
    found.sort_by_key(|(s, e, _)| (std::cmp::Reverse(e - s), *s));
    found
}

/// The column the remaining words name: the whole phrase first, then single words and
/// pairs of words; a phrase that names several columns names none.
pub(super) fn find_measure(words: &[&str], columns: &[Column], by: Option<&str>) -> Option<String> {
    let content: Vec<&str> = words
        .iter()
        .filter(|w| {
            !vocab::QUESTION_FILLER.contains(w)
                && !vocab::phrases(vocab::AGGREGATES).any(|p| p.split(' ').any(|part| part == **w))
                && vocab::lookup(vocab::PERIODS, w).is_none()
                && !vocab::QUESTION_KIND_WORDS.contains(w)
        })
        .copied()
        .collect();
    if content.is_empty() {
        return None;
    }
    if let ColumnMatch::Found(c) = find_column(&content.join(" "), columns) {
        return Some(c.name);
    }
    let mut found: Vec<String> = Vec::new();
    for size in [2, 1] {
        for window in content.windows(size) {
            if let ColumnMatch::Found(c) = find_column(&window.join(" "), columns)
                && Some(c.name.as_str()) != by
                && !found.contains(&c.name)
            {
                found.push(c.name);
            }
        }
        if !found.is_empty() {
            break;
        }
    }
    (found.len() == 1).then(|| found.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        let c = |name: &str, dtype| Column {
            name: name.into(),
            dtype,
            has_numbers: false,
            seen: Default::default(),
        };
        vec![
            c("Order Date", ColumnType::Date),
            c("Region", ColumnType::Text),
            c("Category", ColumnType::Text),
            c("Revenue", ColumnType::Float),
            c("Unit Price", ColumnType::Float),
        ]
    }

    fn ask(prompt: &str) -> Result<Question, Refusal> {
        read_question(prompt, &cols(), &["Order Date".to_string()])
    }

    #[test]
    fn monthly_revenue_by_region_is_a_time_question() {
        let q = ask("plot monthly revenue by region").unwrap();
        assert_eq!(q.kind, QuestionKind::Time);
        assert_eq!(q.measure.as_deref(), Some("Revenue"));
        assert_eq!(q.by.as_deref(), Some("Region"));
        assert_eq!(q.period, Some("M"));
        assert_eq!(q.agg, "sum");
        assert_eq!(q.date.as_deref(), Some("Order Date"));
    }

    #[test]
    fn average_price_by_category_is_a_group_question() {
        let q = ask("average price by category").unwrap();
        assert_eq!(q.kind, QuestionKind::Group);
        assert_eq!(q.measure.as_deref(), Some("Unit Price"));
        assert_eq!(q.by.as_deref(), Some("Category"));
        assert_eq!(q.agg, "mean");
    }

    #[test]
    fn distribution_of_a_column() {
        let q = ask("distribution of revenue").unwrap();
        assert_eq!(q.kind, QuestionKind::Distribution);
        assert_eq!(q.measure.as_deref(), Some("Revenue"));
        let q = ask("histogram of region").unwrap();
        assert_eq!(q.measure.as_deref(), Some("Region"));
    }

    #[test]
    fn aggregate_words_inside_a_column_name_are_the_column() {
        let mut columns = cols();
        columns.push(Column {
            name: "temp_max".into(),
            dtype: ColumnType::Float,
            has_numbers: false,
            seen: Default::default(),
        });
        let q = read_question(
            "plot monthly temp_max by region",
            &columns,
            &["Order Date".into()],
        )
        .unwrap();
        assert_eq!(q.measure.as_deref(), Some("temp_max"));
        assert_eq!(q.agg, "sum");
        assert_eq!(q.kind, QuestionKind::Time);
    }

    #[test]
    fn a_vague_request_is_an_overview() {
        let q = ask("give me an overview of this data").unwrap();
        assert_eq!(q.kind, QuestionKind::Overview);
    }

    #[test]
    fn an_unknown_split_column_is_refused_with_a_reason() {
        let (code, message) = ask("total revenue by warehouse").unwrap_err();
        assert_eq!(code, ErrorCode::ColumnNotFound);
        assert!(message.contains("warehouse"), "{message}");
    }

    #[test]
    fn time_without_a_date_column_is_refused() {
        let (code, _) = read_question("monthly revenue", &cols(), &[]).unwrap_err();
        assert_eq!(code, ErrorCode::NoDateColumn);
    }

    #[test]
    fn counting_rows_by_a_text_column() {
        let q = ask("number of orders by region").unwrap();
        assert_eq!(q.kind, QuestionKind::Group);
        assert_eq!(q.agg, "count");
        assert_eq!(q.measure, None);
        assert_eq!(q.by.as_deref(), Some("Region"));
    }
}
