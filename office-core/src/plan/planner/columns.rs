//! Matching the words of a request to the real column names of a sheet.
//!
//! Levels, tried in order, the first level with any hit decides:
//! 1. exact text;
//! 2. normalized: case-folded, every run of non-alphanumeric characters (spaces,
//!    underscores, hyphens, brackets) is one space;
//! 3. normalized with a plural `s` dropped from each word ("prices" ~ "Price");
//! 4. fuzzy: Damerau-Levenshtein distance of the normalized texts, at most 1 edit for
//!    4-6 characters and 2 for 7 or more (nothing for shorter words, where one edit
//!    turns a word into another word);
//! 5. words: every word of the phrase is a word of exactly one column name
//!    ("price" ~ "Unit Price").
//!
//! Two or more columns on the deciding level is an ambiguity, reported as such, never
//! a guess. Non-ASCII names are compared the same way (CJK has no case; Cyrillic does).

use crate::profile::ColumnType;

/// A column the planner can work with: its name and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub dtype: ColumnType,
    /// True when a `Mixed` column holds numbers (the profiler saw a numeric min/max).
    pub has_numbers: bool,
}

impl Column {
    /// Numbers can be summed, compared and used in arithmetic.
    pub(crate) fn is_numeric(&self) -> bool {
        self.dtype.is_numeric() || (self.dtype == ColumnType::Mixed && self.has_numbers)
    }
}

/// The outcome of looking a phrase up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ColumnMatch {
    Found(Column),
    Ambiguous(Vec<String>),
    NotFound,
}

/// Case-folded, with every run of characters that are not letters or digits as one space.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(ch.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// `normalize`, then a trailing `s` dropped from words longer than three characters.
fn singular(normalized: &str) -> String {
    normalized
        .split(' ')
        .map(|word| {
            if word.chars().count() > 3 && word.ends_with('s') && !word.ends_with("ss") {
                &word[..word.len() - 1]
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many edits a fuzzy match may be away, by length of the shorter text.
fn allowed_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    }
}

/// Finds the column a phrase names. See the module documentation for the levels.
pub(crate) fn find_column(phrase: &str, columns: &[Column]) -> ColumnMatch {
    let phrase = phrase.trim();
    if phrase.is_empty() {
        return ColumnMatch::NotFound;
    }
    let decide = |hits: Vec<&Column>| -> Option<ColumnMatch> {
        match hits.len() {
            0 => None,
            1 => Some(ColumnMatch::Found(hits[0].clone())),
            _ => Some(ColumnMatch::Ambiguous(
                hits.iter().map(|c| c.name.clone()).collect(),
            )),
        }
    };

    let exact: Vec<&Column> = columns.iter().filter(|c| c.name.trim() == phrase).collect();
    if let Some(found) = decide(exact) {
        return found;
    }

    let wanted = normalize(phrase);
    if wanted.is_empty() {
        return ColumnMatch::NotFound;
    }
    let normalized: Vec<&Column> = columns
        .iter()
        .filter(|c| normalize(&c.name) == wanted)
        .collect();
    if let Some(found) = decide(normalized) {
        return found;
    }

    let wanted_singular = singular(&wanted);
    let plural: Vec<&Column> = columns
        .iter()
        .filter(|c| singular(&normalize(&c.name)) == wanted_singular)
        .collect();
    if let Some(found) = decide(plural) {
        return found;
    }

    // Fuzzy: the closest columns within the allowed edits; a tie is ambiguous.
    let mut best: Option<usize> = None;
    let mut closest: Vec<&Column> = Vec::new();
    for column in columns {
        let name = singular(&normalize(&column.name));
        let shorter = name.chars().count().min(wanted_singular.chars().count());
        let distance = strsim::damerau_levenshtein(&name, &wanted_singular);
        if distance == 0 || distance > allowed_edits(shorter) {
            continue;
        }
        match best {
            Some(b) if distance > b => {}
            Some(b) if distance == b => closest.push(column),
            _ => {
                best = Some(distance);
                closest = vec![column];
            }
        }
    }
    if let Some(found) = decide(closest) {
        return found;
    }

    // Words: all words of the phrase appear among the words of one column name.
    let phrase_words: Vec<&str> = wanted_singular.split(' ').collect();
    let containing: Vec<&Column> = columns
        .iter()
        .filter(|c| {
            let name = singular(&normalize(&c.name));
            let name_words: Vec<&str> = name.split(' ').collect();
            name_words.len() > phrase_words.len()
                && phrase_words.iter().all(|w| name_words.contains(w))
        })
        .collect();
    decide(containing).unwrap_or(ColumnMatch::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<Column> {
        names
            .iter()
            .map(|n| Column {
                name: n.to_string(),
                dtype: ColumnType::Float,
                has_numbers: true,
            })
            .collect()
    }

    fn found(phrase: &str, columns: &[Column]) -> Option<String> {
        match find_column(phrase, columns) {
            ColumnMatch::Found(c) => Some(c.name),
            _ => None,
        }
    }

    #[test]
    fn normalizes_case_and_separators() {
        assert_eq!(normalize("  Unit_Price "), "unit price");
        assert_eq!(normalize("e-mail"), "e mail");
        assert_eq!(normalize("Qty (units)"), "qty units");
        assert_eq!(normalize("Выручка"), "выручка");
    }

    #[test]
    fn prefers_exact_then_normalized_then_fuzzy() {
        let c = cols(&["Region", "Revenue", "Unit Price", "Price Total", "Cost"]);
        assert_eq!(found("Revenue", &c).as_deref(), Some("Revenue"));
        assert_eq!(found("revenue", &c).as_deref(), Some("Revenue"));
        assert_eq!(found("unit price", &c).as_deref(), Some("Unit Price"));
        assert_eq!(found("UNIT-PRICE", &c).as_deref(), Some("Unit Price"));
        assert_eq!(found("regions", &c).as_deref(), Some("Region"));
        assert_eq!(found("revnue", &c).as_deref(), Some("Revenue"));
        assert_eq!(found("reveune", &c).as_deref(), Some("Revenue"));
        assert_eq!(found("price", &c), None, "two columns contain 'price'");
        assert_eq!(found("banana", &c), None);
        // Short words are never fuzzy: 'cot' is not 'Cost'.
        assert_eq!(found("cot", &c), None);
    }

    #[test]
    fn exact_wins_over_normalized_twins() {
        let c = cols(&["Unit Price", "unit_price"]);
        assert_eq!(found("unit_price", &c).as_deref(), Some("unit_price"));
        assert_eq!(
            find_column("UNIT PRICE", &c),
            ColumnMatch::Ambiguous(vec!["Unit Price".into(), "unit_price".into()])
        );
    }

    #[test]
    fn fuzzy_tie_is_ambiguous() {
        let c = cols(&["Cost", "Cast"]);
        assert!(matches!(find_column("Cust", &c), ColumnMatch::Ambiguous(_)));
    }

    #[test]
    fn non_ascii_names() {
        let c = cols(&["销售额", "地区", "Выручка", "Город"]);
        assert_eq!(found("销售额", &c).as_deref(), Some("销售额"));
        assert_eq!(found("выручка", &c).as_deref(), Some("Выручка"));
        assert_eq!(found("ГОРОД", &c).as_deref(), Some("Город"));
        assert_eq!(found("Выручко", &c).as_deref(), Some("Выручка"));
        assert_eq!(found("销售", &c), None);
    }

    #[test]
    fn unique_word_inside_a_longer_name() {
        let c = cols(&["Unit Price", "Quantity"]);
        assert_eq!(found("price", &c).as_deref(), Some("Unit Price"));
        assert_eq!(found("prices", &c).as_deref(), Some("Unit Price"));
    }
}
