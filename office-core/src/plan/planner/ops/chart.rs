//! A native Excel chart of columns by a category: "chart Sales by Region", "bar chart of
//! Revenue by Month", "plot Units by Week as a line chart", "pie chart of Sales by
//! Region", "scatter plot of Price vs Units", "... on a new sheet". The chart reads the
//! sheet's own ranges (or, when a category holds several rows, a new sheet summing each
//! value per category with formulas), so it follows the data; it is titled.

use super::{OpKind, Operation, Recognised, column_names, found, names, py_bool};
use crate::book::chart::ChartKind;
use crate::plan::planner::codegen::{py_list, py_str, sheet_name};
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode, column_list, column_result, strip_column_words};
use crate::plan::planner::tokens::{Kind, Token, find_entries, find_phrases, joined, strip_leading, strip_trailing};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "chart",
    precedence: 1,
    recognise,
};

/// A chart word of a request: a kind, or just "chart".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChartWord {
    Bar,
    Column,
    Line,
    Pie,
    Scatter,
    Any,
}

/// A chart of `values` by `category`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChartOp {
    pub(crate) kind: ChartKind,
    pub(crate) values: Vec<Column>,
    pub(crate) category: Column,
    pub(crate) title: String,
    pub(crate) new_sheet: bool,
}

impl Operation for ChartOp {
    fn summary(&self) -> String {
        format!(
            "{} chart of {} by {}",
            self.kind.word(),
            names(&self.values),
            self.category.name
        )
    }

    fn columns_used(&self) -> Vec<String> {
        let mut used = column_names(&self.values);
        used.push(self.category.name.clone());
        used
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn emit(&self, code: &mut String, taken: &mut Vec<String>) -> String {
        let sheet = sheet_name(&self.title, taken);
        taken.push(sheet.clone());
        let mut step = format!("Added a {} chart '{}'", self.kind.word(), self.title);
        if self.new_sheet {
            let _ = write!(step, " on sheet '{sheet}'");
        }
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "chart_step(df, {}, {}, {}, {}, {}, new_sheet={}, step=len(steps) - 1)",
            py_str(self.kind.word()),
            py_str(&self.category.name),
            py_list(&column_names(&self.values)),
            py_str(&self.title),
            py_str(&sheet),
            py_bool(self.new_sheet)
        );
        step
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let words = find_entries(tokens, vocab::CHART_WORDS);
    // "bar" or "line" alone may be a column's name ("sort by line"): a chart is asked
    // for by a chart word ("chart", "plot", "bar chart", "pie").
    let asks = words.iter().any(|&(_, word, n)| {
        n > 1 || matches!(word, ChartWord::Any | ChartWord::Pie | ChartWord::Scatter)
    });
    if !asks {
        return None;
    }
    let mut asked = ChartWord::Any;
    for &(_, word, _) in &words {
        if word != ChartWord::Any && asked == ChartWord::Any {
            asked = word;
        }
    }
    // The title: quoted, or the words after "titled".
    let mut title = None;
    let mut body: &[Token] = tokens;
    if let Some(&(at, _, n)) = find_phrases(tokens, vocab::CHART_TITLED).first() {
        let after = &tokens[at + n..];
        title = Some(match after {
            [t] if t.kind == Kind::Quoted => t.text.clone(),
            _ => joined(after),
        });
        body = &tokens[..at];
    }
    let before_sheet = body.len();
    let body = strip_trailing(body, vocab::NEW_SHEET_SUFFIXES);
    let new_sheet = body.len() < before_sheet;
    // Everything but the chart words.
    let mut kept: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if let Some(&(_, _, n)) = words.iter().find(|&&(at, _, _)| at == i) {
            i += n;
            continue;
        }
        kept.push(body[i].clone());
        i += 1;
    }
    let kept = strip_leading(&kept, vocab::CHART_LEAD);
    let kept = strip_trailing(kept, &["as a", "as an", "as", "in a", "using a", "with a", "in", "a", "an"]);
    let by = find_phrases(kept, vocab::CHART_BY);
    let Some(&(at, _, n)) = by.iter().find(|&&(at, _, _)| at > 0) else {
        return Some(Err(ClauseError::new(
            FailCode::NotUnderstood,
            format!(
                "the chart does not say what it shows by what; write it as 'chart Sales by \
                 Region' (I read '{}')",
                joined(kept)
            ),
        )));
    };
    let values = match column_list(strip_column_words(&kept[..at]), columns) {
        Ok(values) => values,
        Err(e) => return Some(Err(e)),
    };
    let category = match column_result(strip_column_words(&kept[at + n..]), columns) {
        Ok(category) => category,
        Err(e) => return Some(Err(e)),
    };
    if let Some(v) = values.iter().find(|v| !v.is_numeric()) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!("'{}' does not hold numbers, so a chart cannot draw it", v.name),
        )));
    }
    let kind = match asked {
        ChartWord::Bar => ChartKind::Bar,
        ChartWord::Column => ChartKind::Column,
        ChartWord::Line => ChartKind::Line,
        ChartWord::Pie => ChartKind::Pie,
        ChartWord::Scatter => ChartKind::Scatter,
        ChartWord::Any if category.dtype == ColumnType::Date => ChartKind::Line,
        ChartWord::Any => ChartKind::Column,
    };
    if kind == ChartKind::Scatter && !category.is_numeric() {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a scatter plot needs numbers on both axes, and '{}' does not hold numbers",
                category.name
            ),
        )));
    }
    let title = title.unwrap_or_else(|| {
        format!("{} by {}", column_names(&values).join(", "), category.name)
    });
    found(ChartOp {
        kind,
        values,
        category,
        title,
        new_sheet,
    })
}
