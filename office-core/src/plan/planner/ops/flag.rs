//! A TRUE/FALSE column saying per row whether a condition holds, as a formula
//! (`=IFERROR(AND(B2<>"",--B2>=5),FALSE)`): "in a new column titled High, mark the rows whose Period
//! per year is no less than 5 with True", "flag rows where Region is North in a new
//! column named Northern". The condition is read as a filter's is; empty cells match
//! only "not equal" and "does not contain", in the formula as in the cached values.

use super::filter::{self, CmpOp, Filter, Literal};
use super::{OpKind, Operation, Recognised, format_number, found, py_bool};
use crate::plan::planner::codegen::py_str;
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode};
use crate::plan::planner::tokens::{Kind, Token, find_phrases, joined, longest_prefix, strip_leading, strip_trailing};
use crate::plan::planner::vocab;
use crate::profile::ColumnType;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "add a true/false column",
    precedence: 0,
    recognise,
};

/// A new column, TRUE where `condition` holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Flag {
    pub(crate) name: String,
    pub(crate) condition: Filter,
}

pub(crate) const PYTHON: &str = r#"

def add_flag_column(frame, name, condition, formula, empty_matches, step):
    """A TRUE/FALSE column right of the table: the formula per row (parts joined, `{r}`
    the row) and its values as the condition gives them; an empty cell matches only
    'not equal' and 'does not contain' conditions, in Excel as here."""
    rows = pd.concat([frame, PLACE["blank_frame"]])
    values = pd.Series([bool(empty_matches)] * len(rows), index=rows.index, dtype=object)
    held = condition.astype("boolean").fillna(empty_matches).astype(bool)
    values.loc[held.index] = [bool(v) for v in held]
    frame = frame.copy()
    frame[name] = values.loc[frame.index]
    PLACE["blank_frame"][name] = values.loc[PLACE["blank_frame"].index]
    PLACE["letters"][name] = column_letter(PLACE["last_col"] + len(added) + 1)
    errors = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    added.append({"header": name, "formula": "".join(formula), "values": values, "errors": errors})
    steps[step] += " (" + str(int(held.sum())) + " of " + str(len(held)) + " rows TRUE)"
    return frame
"#;

impl Operation for Flag {
    fn summary(&self) -> String {
        format!("add column {} = TRUE where {}", self.name, self.words())
    }

    fn columns_used(&self) -> Vec<String> {
        vec![self.condition.column.name.clone()]
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn new_column(&self) -> Option<Column> {
        Some(Column::added(&self.name, ColumnType::Boolean))
    }

    fn rename_new_column(&mut self, name: &str) -> bool {
        self.name = name.to_string();
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, _taken: &mut Vec<String>) -> String {
        let step = format!("Added column {} = TRUE where {}", self.name, self.words());
        let empty_matches = matches!(self.condition.op, CmpOp::Ne | CmpOp::NotContains);
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "df = add_flag_column(df, {}, {}, [{}], empty_matches={}, step=len(steps) - 1)",
            py_str(&self.name),
            self.condition.condition(),
            self.formula().join(", "),
            py_bool(empty_matches)
        );
        step
    }
}

impl Flag {
    /// "Period per year is at least 5".
    fn words(&self) -> String {
        let rest = self.condition.summary();
        rest.split_once(" where ")
            .map_or(rest.clone(), |(_, c)| c.to_string())
    }

    /// The Excel formula as Python parts: literals, and `ref(column)` for the cell.
    fn formula(&self) -> Vec<String> {
        let cell = format!("ref({})", py_str(&self.condition.column.name));
        let text = |s: &str| py_str(s);
        let op = self.condition.op;
        let excel_op = match op {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Contains | CmpOp::NotContains => "",
        };
        // "not equal" as NOT(equal): an empty or non-number cell is unequal.
        let (negate, excel_op) = match op {
            CmpOp::Ne => (true, "="),
            _ => (false, excel_op),
        };
        let mut parts = vec![text("=")];
        if negate {
            parts.push(text("NOT("));
        }
        match &self.condition.value {
            Literal::Text(t) if matches!(op, CmpOp::Contains | CmpOp::NotContains) => {
                if op == CmpOp::NotContains {
                    parts.push(text("NOT("));
                }
                let pattern: String = t
                    .chars()
                    .flat_map(|c| match c {
                        '~' | '*' | '?' => vec!['~', c],
                        _ => vec![c],
                    })
                    .collect();
                parts.push(text(&format!("ISNUMBER(SEARCH({},", excel_string(&pattern))));
                parts.push(cell.clone());
                parts.push(text("))"));
                if op == CmpOp::NotContains {
                    parts.push(text(")"));
                }
            }
            Literal::Text(t) => {
                parts.push(text("TRIM("));
                parts.push(cell.clone());
                parts.push(text(&format!("){excel_op}{}", excel_string(t))));
            }
            // `--B2` reads numbers and dates written as text ("$1,200", "2024-01-31") as
            // the program does; an empty cell or other text is FALSE.
            Literal::Number(n) => {
                parts.push(text("IFERROR(AND("));
                parts.push(cell.clone());
                parts.push(text("<>\"\",--"));
                parts.push(cell.clone());
                parts.push(text(&format!("{excel_op}{}),FALSE)", format_number(*n))));
            }
            Literal::Date(d) => {
                parts.push(text("IFERROR(AND("));
                parts.push(cell.clone());
                parts.push(text("<>\"\",INT(--"));
                parts.push(cell.clone());
                parts.push(text(&format!("){excel_op}{}),FALSE)", excel_date(d))));
            }
            Literal::Period(p) => {
                parts.push(text("IFERROR(AND("));
                parts.push(cell.clone());
                parts.push(text("<>\"\",--"));
                parts.push(cell.clone());
                parts.push(text(&format!(">={},--", excel_date(&p.start))));
                parts.push(cell.clone());
                parts.push(text(&format!("<{}),FALSE)", excel_date(&p.end))));
            }
            Literal::Bool(b) => {
                parts.push(cell.clone());
                parts.push(text(&format!("{excel_op}{}", if *b { "TRUE" } else { "FALSE" })));
            }
        }
        if negate {
            parts.push(text(")"));
        }
        parts
    }
}

/// `"text"` in a formula.
fn excel_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `DATE(2024,1,31)` for `2024-01-31`.
fn excel_date(iso: &str) -> String {
    let parts: Vec<u32> = iso.split('-').filter_map(|p| p.parse().ok()).collect();
    match parts[..] {
        [y, m, d] => format!("DATE({y},{m},{d})"),
        _ => format!("DATEVALUE({})", excel_string(iso)),
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    // The new column is said: "in a new column titled X".
    let &(at, _, n) = find_phrases(tokens, vocab::INTO_NEW_COLUMN).first()?;
    let after = strip_leading(&tokens[at + n..], vocab::COMPUTE_NAMED);
    let first = after.first()?;
    let (name, used) = if first.kind == Kind::Quoted {
        (first.text.trim().to_string(), 1)
    } else {
        let n = after
            .iter()
            .position(|t| t.kind != Kind::Word)
            .unwrap_or(after.len());
        (joined(&after[..n]), n)
    };
    let mut body: Vec<Token> = tokens[..at].to_vec();
    body.extend(after[used..].iter().cloned());
    let skip = body.iter().take_while(|t| t.kind == Kind::Comma).count();
    let body = &body[skip..];
    let (_, k) = longest_prefix(body, vocab::FLAG_VERBS)?;
    let rest = strip_leading(&body[k..], &["the", "all", "any"]);
    let rest = strip_leading(rest, vocab::HIGHLIGHT_ROWS);
    let rest = strip_leading(rest, vocab::FILTER_LEAD);
    let rest = strip_trailing(rest, vocab::FLAG_TRUE_TRAIL);
    if name.is_empty() {
        return None;
    }
    let condition = match filter::condition(rest, columns) {
        Some(Ok(condition)) => condition,
        Some(Err(e)) => return Some(Err(e)),
        None => {
            return Some(Err(ClauseError::new(
                FailCode::NotUnderstood,
                format!(
                    "the true/false column needs a condition on a column, such as 'mark the \
                     rows whose Sales > 1000'; I could not find one in '{}'",
                    joined(rest)
                ),
            )));
        }
    };
    if let Some(existing) = columns
        .iter()
        .find(|c| c.name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!(
                "a column named '{}' already exists; choose a new name for the true/false column",
                existing.name
            ),
        )));
    }
    found(Flag { name, condition })
}
