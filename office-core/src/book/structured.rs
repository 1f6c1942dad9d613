//! Structured references (`Sales[Amount]`, `Sales[[#This Row],[Unit Price]]`,
//! `Sales[[Q1]:[Q4]]`, `[@Amount]`) renamed when a table column is renamed, as Excel
//! does when a user types over a header cell. Without it the table part and every formula
//! naming the column would disagree with the header, and Excel would "repair" the file.
//!
//! Inside brackets a column name escapes `[`, `]`, `#` and `'` with a leading `'`; names
//! with other punctuation or spaces are valid only inside a second pair of brackets, so a
//! renamed column is always written as `[[New Name]]` unless it is a plain word.

#![warn(missing_docs, unreachable_pub)]

/// One column's rename in one table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnRename<'a> {
    /// The table's name (`displayName`), matched without regard to case.
    pub(crate) table: &'a str,
    /// The column's name before, matched without regard to case.
    pub(crate) from: &'a str,
    /// Its name after.
    pub(crate) to: &'a str,
    /// Whether the formula is on the table's own sheet, where a reference without a
    /// table name (`[@Amount]`) means this table.
    pub(crate) own_sheet: bool,
}

/// `formula` with every structured reference to the renamed column renamed; `None` when
/// none refers to it. String literals and quoted sheet names are left alone.
pub(crate) fn rename_column(formula: &str, rename: &ColumnRename<'_>) -> Option<String> {
    let bytes = formula.as_bytes();
    let mut out = String::with_capacity(formula.len() + 8);
    let (mut i, mut copied, mut changed) = (0, 0, false);
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'') => i = skip_quoted(bytes, i, quote),
            b'[' => {
                let end = group_end(bytes, i);
                let before = identifier_before(formula, i);
                let ours = if before.is_empty() {
                    rename.own_sheet && unqualified_column(&formula[i..end])
                } else {
                    same_name(before, rename.table)
                };
                if ours && let Some(group) = rename_group(&formula[i..end], rename) {
                    out.push_str(&formula[copied..i]);
                    out.push_str(&group);
                    copied = end;
                    changed = true;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&formula[copied..]);
    Some(out)
}

/// The index just past a quoted run starting at `at` (a doubled quote stays inside).
fn skip_quoted(bytes: &[u8], at: usize, quote: u8) -> usize {
    let mut i = at + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// The index just past the bracket group opening at `at`, nested groups and `'` escapes
/// included (the end of the text when it is not closed).
fn group_end(bytes: &[u8], at: usize) -> usize {
    let (mut depth, mut i) = (0usize, at);
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => i += 1,
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The name right before `at` (letters, digits, `_`, `.`, `\`): a table's name when a
/// bracket group follows it.
fn identifier_before(text: &str, at: usize) -> &str {
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || matches!(c, '_' | '.' | '\\'))
        .last()
        .map_or(at, |(i, _)| i);
    &text[start..at]
}

/// Whether an unqualified group is a reference to a column of the formula's own table:
/// `[@Amount]`, `[@[Unit Price]]`, `[[#This Row],[Amount]]`. A plain `[1]` is an external
/// workbook's index and stays.
fn unqualified_column(group: &str) -> bool {
    let inner = &group[1..group.len().saturating_sub(1)];
    inner.starts_with('@') || inner.to_ascii_lowercase().starts_with("[#this row]")
}

/// The group with every item naming the column renamed; `None` when none does.
fn rename_group(group: &str, rename: &ColumnRename<'_>) -> Option<String> {
    let inner = group.strip_prefix('[')?.strip_suffix(']')?;
    let (at, inner) = match inner.strip_prefix('@') {
        Some(rest) => ("@", rest),
        None => ("", inner),
    };
    if !inner.starts_with('[') {
        // `Sales[Amount]`, `[@Amount]`.
        if inner.starts_with('#') || !same_name(&unescape(inner), rename.from) {
            return None;
        }
        return Some(match at {
            "@" if plain(rename.to) => format!("[@{}]", escape(rename.to)),
            "@" => format!("[@[{}]]", escape(rename.to)),
            _ if plain(rename.to) => format!("[{}]", escape(rename.to)),
            _ => format!("[[{}]]", escape(rename.to)),
        });
    }
    // A list of items: `[#This Row],[Amount]`, `[Q1]:[Q4]`, `@[Unit Price]`.
    let bytes = inner.as_bytes();
    let (mut out, mut i, mut copied, mut changed) = (String::new(), 0, 0, false);
    while i < bytes.len() {
        if bytes[i] == b'[' {
            let end = group_end(bytes, i);
            let item = &inner[i + 1..end.saturating_sub(1)];
            if !item.starts_with('#') && same_name(&unescape(item), rename.from) {
                out.push_str(&inner[copied..i]);
                out.push('[');
                out.push_str(&escape(rename.to));
                out.push(']');
                copied = end;
                changed = true;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&inner[copied..]);
    Some(format!("[{at}{out}]"))
}

fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// A name that may stand in single brackets: letters, digits and `_` only.
fn plain(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if matches!(c, '[' | ']' | '#' | '\'') {
            out.push('\'');
        }
        out.push(c);
    }
    out
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rename(formula: &str, from: &str, to: &str) -> Option<String> {
        rename_column(
            formula,
            &ColumnRename {
                table: "Sales",
                from,
                to,
                own_sheet: true,
            },
        )
    }

    #[test]
    fn simple_this_row_and_range_references_follow_the_column() {
        assert_eq!(
            rename("SUM(Sales[Amount])", "amount", "Revenue").as_deref(),
            Some("SUM(Sales[Revenue])")
        );
        assert_eq!(
            rename("Sales[[#This Row],[Amount]]*2", "Amount", "Net Amount").as_deref(),
            Some("Sales[[#This Row],[Net Amount]]*2")
        );
        assert_eq!(
            rename("SUM(Sales[[Q1]:[Q4]])", "Q4", "Q 4").as_deref(),
            Some("SUM(Sales[[Q1]:[Q 4]])")
        );
        assert_eq!(
            rename("[@Amount]+[@[Unit Price]]", "Unit Price", "Price").as_deref(),
            Some("[@Amount]+[@[Price]]")
        );
        assert_eq!(
            rename("[@Amount]", "Amount", "Net Amount").as_deref(),
            Some("[@[Net Amount]]")
        );
    }

    #[test]
    fn names_with_brackets_and_quotes_are_escaped_both_ways() {
        assert_eq!(
            rename("Sales[[Cost '[$']]]", "Cost [$]", "Cost #").as_deref(),
            Some("Sales[[Cost '#]]")
        );
    }

    #[test]
    fn other_tables_strings_sheet_names_and_external_books_stay() {
        assert_eq!(rename("SUM(Other[Amount])", "Amount", "X"), None);
        assert_eq!(rename("\"Sales[Amount]\"&A1", "Amount", "X"), None);
        assert_eq!(rename("'Sales[Amount]'!A1", "Amount", "X"), None);
        assert_eq!(rename("[1]Sheet1!A1", "1", "X"), None);
        assert_eq!(rename("Sales[#Headers]", "#Headers", "X"), None);
        assert_eq!(
            rename_column(
                "[@Amount]",
                &ColumnRename {
                    table: "Sales",
                    from: "Amount",
                    to: "X",
                    own_sheet: false,
                }
            ),
            None,
            "an unqualified reference on another sheet is another table's"
        );
    }
}
