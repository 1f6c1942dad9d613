//! Columns turned into rows, into a new sheet (Power Query's "Unpivot Columns", pandas'
//! `melt`): "unpivot Jan, Feb and Mar into Month and Sales", "unpivot columns B to D",
//! "melt every column except Region into Quarter and Revenue". Each row of the table
//! becomes one row per unpivoted column, in order: the other columns repeated, then the
//! column's header and its cell. The sheet holds values; the table stays as it is.

use super::concat::listed_columns;
use super::{OpKind, Operation, Recognised, column_names, found};
use crate::plan::planner::codegen::{py_str, sheet_name};
use crate::plan::planner::columns::Column;
use crate::plan::planner::parse::{ClauseError, FailCode};
use crate::plan::planner::tokens::{
    Kind, Token, find_phrases, joined, longest_prefix, strip_leading, strip_trailing,
};
use crate::plan::planner::vocab;
use std::fmt::Write as _;

pub(crate) const KIND: OpKind = OpKind {
    name: "unpivot columns into rows",
    precedence: 1,
    recognise,
};

/// The unpivoted columns' rows go under these headers when the request names none.
const DEFAULT_NAMES: [&str; 2] = ["Attribute", "Value"];

/// Turn `columns` into rows of (`names[0]`: header, `names[1]`: cell).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Unpivot {
    pub(crate) columns: Vec<Column>,
    pub(crate) names: [String; 2],
}

pub(crate) const PYTHON: &str = r#"

def unpivot_sheet(frame, name, melted, names, step):
    """A new sheet with a row per (row, unpivoted column): the other columns, then the
    column's header under names[0] and its cell under names[1]."""
    ids = [c for c in frame.columns if c not in melted]
    n, k = len(frame), len(melted)
    if n * k > 1048575:
        raise ValueError("Unpivoting " + str(k) + " columns of " + str(n) + " rows makes "
                         + str(n * k) + " rows, more than a sheet holds (1,048,575).")
    repeated = frame[ids].to_numpy(dtype=object).repeat(k, axis=0) if ids else np.empty((n * k, 0), dtype=object)
    headers = np.tile(np.array(melted, dtype=object), n).reshape(-1, 1)
    cells = frame[melted].to_numpy(dtype=object).reshape(-1, 1)
    table = np.hstack([repeated, headers, cells])
    new_sheets.append({
        "name": name, "step": step, "kind": "values",
        "columns": [str(c) for c in ids] + list(names),
        "rows": [[cell_value(v) for v in line] for line in table],
    })
    steps[step] += " (" + str(n * k) + " rows)"
"#;

impl Operation for Unpivot {
    fn summary(&self) -> String {
        format!(
            "unpivot {} into {} and {}",
            column_names(&self.columns).join(", "),
            self.names[0],
            self.names[1]
        )
    }

    fn columns_used(&self) -> Vec<String> {
        column_names(&self.columns)
    }

    fn names_a_column(&self) -> bool {
        true
    }

    fn python(&self) -> &'static str {
        PYTHON
    }

    fn emit(&self, code: &mut String, taken: &mut Vec<String>) -> String {
        let name = sheet_name("Unpivoted", taken);
        taken.push(name.clone());
        let step = format!(
            "Unpivoted {} into {} and {} in sheet '{name}'",
            column_names(&self.columns).join(", "),
            self.names[0],
            self.names[1]
        );
        let melted: Vec<String> = self.columns.iter().map(|c| py_str(&c.name)).collect();
        let _ = writeln!(code, "steps.append({})", py_str(&step));
        let _ = writeln!(
            code,
            "unpivot_sheet(df, {}, [{}], [{}, {}], step=len(steps) - 1)",
            py_str(&name),
            melted.join(", "),
            py_str(&self.names[0]),
            py_str(&self.names[1]),
        );
        step
    }
}

/// "Month and Sales", "'Month' and 'Sales'".
fn two_names(tokens: &[Token]) -> Option<[String; 2]> {
    let tokens = strip_leading(tokens, vocab::SPLIT_NAMES_LEAD);
    let parts: Vec<&[Token]> = tokens
        .split(|t| t.kind == Kind::Comma || t.is_word("and") || t.is_word("&"))
        .map(|p| strip_leading(p, vocab::SPLIT_NAMES_LEAD))
        .filter(|p| !p.is_empty())
        .collect();
    match parts[..] {
        [a, b] => Some([joined(a), joined(b)]),
        _ => None,
    }
}

fn recognise(tokens: &[Token], columns: &[Column]) -> Recognised {
    let tokens = strip_trailing(tokens, vocab::NEW_SHEET_SUFFIXES);
    let (_, n) = longest_prefix(tokens, vocab::UNPIVOT_VERBS)?;
    let rest = strip_leading(&tokens[n..], vocab::UNPIVOT_LEAD);
    let (list, names) = match find_phrases(rest, vocab::SPLIT_INTO)
        .into_iter()
        .rev()
        .find(|&(i, _, _)| i > 0)
    {
        Some((i, _, k)) => match two_names(&rest[i + k..]) {
            Some(names) => (&rest[..i], names),
            None => {
                return Some(Err(ClauseError::new(
                    FailCode::NotUnderstood,
                    format!(
                        "unpivoting makes two columns, for the headers and the cells; I could \
                         not read two names in '{}'",
                        joined(&rest[i + k..])
                    ),
                )));
            }
        },
        None => (rest, DEFAULT_NAMES.map(str::to_string)),
    };
    // "every column except Region": the columns kept as they are.
    let chosen = match find_phrases(list, vocab::UNPIVOT_EXCEPT).first() {
        Some(&(i, _, k)) => match listed_columns(&list[i + k..], columns) {
            Ok(kept) => columns
                .iter()
                .filter(|c| c.seen.index.is_some() && !kept.contains(c))
                .cloned()
                .collect(),
            Err(e) => return Some(Err(e)),
        },
        None => match listed_columns(list, columns) {
            Ok(chosen) => chosen,
            Err(e) => return Some(Err(e)),
        },
    };
    if chosen.is_empty() {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            "no column is left to unpivot".into(),
        )));
    }
    let taken = |n: &str| {
        columns
            .iter()
            .any(|c| !chosen.contains(c) && c.name.trim().eq_ignore_ascii_case(n.trim()))
    };
    if let Some(name) = names.iter().find(|n| taken(n)) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            format!("a column named '{name}' stays beside the unpivoted ones; choose another name"),
        )));
    }
    if names[0].trim().eq_ignore_ascii_case(names[1].trim()) {
        return Some(Err(ClauseError::new(
            FailCode::InvalidOperation,
            "the two new columns need different names".into(),
        )));
    }
    found(Unpivot {
        columns: chosen,
        names,
    })
}
