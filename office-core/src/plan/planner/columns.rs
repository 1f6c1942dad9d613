//! Matching the words of a request to the real column names of a sheet.
//!
//! Levels, tried in order, the first level with any hit decides:
//! 1. exact text;
//! 2. normalized: case-folded, accents folded ("Précipitation" ~ "precipitation"),
//!    every run of characters that are not letters or digits (spaces, underscores,
//!    brackets, `$`, `%`) is one space;
//! 3. normalized with a plural `s` dropped from each word ("prices" ~ "Price");
//! 4. the same words in any order ("repair cost" ~ `Cost Repair`, "flight phase" ~
//!    `Phase of flight`: small words such as "of" do not count);
//! 5. fuzzy: Damerau-Levenshtein distance of the normalized texts, at most 1 edit for
//!    4-6 characters and 2 for 7 or more (nothing for shorter words, where one edit
//!    turns a word into another word);
//! 6. words: each word of the phrase is matched to a word of a column name, exactly,
//!    as a plural, an abbreviation ("temp" ~ "temperature", "qty" ~ "quantity") or with
//!    a typo. The column that matches the most words wins, then the one with more exact
//!    words, then the one with fewer words left over ("total cost" ~ `Cost Total $`,
//!    not `Cost Repair`). A column may miss some words of the phrase ("weather type"
//!    ~ `weather`) only when it matches at least as many as it misses, no other column
//!    matches more, and the phrase is not a list ("name and city").
//!
//! Two or more columns on the deciding level is an ambiguity, reported with the
//! candidates, never a guess. Non-ASCII names are compared the same way (CJK has no
//! case; Cyrillic does).

use crate::profile::ColumnType;

/// A column the planner can work with: its name and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub dtype: ColumnType,
    /// True when a `Mixed` column holds numbers (the profiler saw a numeric min/max).
    pub has_numbers: bool,
    /// What the profile saw of its values, to read the values a request compares it with.
    pub seen: Seen,
}

/// What the profile saw of a column's values (empty for columns a request adds).
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Seen {
    /// A few distinct values, as text.
    pub samples: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The file writes numbers with a decimal comma ("1,5").
    pub decimal_comma: bool,
    /// Its absolute 0-based position in the sheet (A is 0); for a column a request adds,
    /// where it goes.
    pub index: Option<usize>,
    /// A quantity the request's context defines ("Profit = Sales - COGS"), not a column
    /// of the sheet: its formula, which a computed column may use by name.
    pub definition: Option<super::ops::compute::Expr>,
}

impl Column {
    /// A column a request adds: no profile, placed later.
    pub(crate) fn added(name: &str, dtype: ColumnType) -> Column {
        Column {
            name: name.to_string(),
            dtype,
            has_numbers: false,
            seen: Seen::default(),
        }
    }

    /// Whether it is a definition from the context rather than a column.
    pub(crate) fn is_defined_only(&self) -> bool {
        self.seen.definition.is_some()
    }
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

/// A Latin letter without its accent (`é` -> `e`, `ß` -> `ss`); other characters as
/// they are. Folding keeps "precipitación" and "Précipitations" on one word.
pub(crate) fn fold_accent(ch: char, out: &mut String) {
    let plain = match ch {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' | 'ş' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        'ť' => 't',
        'ё' => 'е',
        'ß' => {
            out.push_str("ss");
            return;
        }
        other => other,
    };
    out.push(plain);
}

/// Case- and accent-folded, with every run of characters that are not letters or
/// digits as one space.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        if ch.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for lower in ch.to_lowercase() {
                fold_accent(lower, &mut out);
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// A word without a plural ending, for words longer than three characters.
fn singular_word(word: &str) -> &str {
    if word.chars().count() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        &word[..word.len() - 1]
    } else {
        word
    }
}

/// `normalize`, then a trailing `s` dropped from words longer than three characters.
fn singular(normalized: &str) -> String {
    normalized
        .split(' ')
        .map(singular_word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words that carry no meaning in a column name ("Phase of flight").
const SMALL_WORDS: &[&str] = &[
    "of", "the", "a", "an", "in", "on", "at", "to", "for", "per", "by", "and", "or", "de", "del",
    "des", "du", "la", "le", "el", "der", "die", "das", "von", "di", "da", "do",
];

/// Short forms people write for column words, both ways round.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("qty", "quantity"),
    ("amt", "amount"),
    ("num", "number"),
    ("nbr", "number"),
    ("no", "number"),
    ("avg", "average"),
    ("pct", "percent"),
    ("pct", "percentage"),
    ("dept", "department"),
    ("temp", "temperature"),
    ("precip", "precipitation"),
    ("max", "maximum"),
    ("min", "minimum"),
    ("yr", "year"),
    ("desc", "description"),
    ("addr", "address"),
    ("cust", "customer"),
    ("acct", "account"),
    ("mgr", "manager"),
    ("dob", "birth"),
    ("tel", "phone"),
    ("st", "state"),
    ("id", "identifier"),
    ("rev", "revenue"),
    ("kts", "knots"),
    ("mph", "speed"),
    ("km", "kilometers"),
];

/// The meaningful words of a normalized name, without plural endings.
fn content_words(normalized: &str) -> Vec<&str> {
    normalized
        .split(' ')
        .filter(|w| !w.is_empty() && !SMALL_WORDS.contains(w))
        .map(singular_word)
        .collect()
}

/// How many edits a fuzzy match may be away, by length of the shorter text.
fn allowed_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=6 => 1,
        _ => 2,
    }
}

/// Letters of a script with short forms by prefix (Latin, Greek, Cyrillic).
fn alphabetic_word(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_alphabetic() && (c as u32) < 0x2E80)
}

/// How well a phrase word names a column word: 2 exact, 1 close (abbreviation,
/// prefix, typo), 0 not at all.
fn word_score(phrase: &str, column: &str) -> u8 {
    if phrase == column {
        return 2;
    }
    if ABBREVIATIONS
        .iter()
        .any(|&(a, b)| (a == phrase && b == column) || (a == column && b == phrase))
    {
        return 1;
    }
    let (short, long) = if phrase.len() <= column.len() {
        (phrase, column)
    } else {
        (column, phrase)
    };
    let short_len = short.chars().count();
    if short_len >= 4 && alphabetic_word(short) && long.starts_with(short) {
        return 1;
    }
    // Edits cost time: only where the lengths allow a match.
    let edits = allowed_edits(short_len);
    if short_len >= 4
        && long.chars().count().abs_diff(short_len) <= edits
        && strsim::damerau_levenshtein(phrase, column) <= edits
    {
        return 1;
    }
    0
}

/// Level 6 for one column: (words matched, exact words, column words left over).
fn word_match(phrase: &[&str], column: &[&str]) -> (usize, usize, usize) {
    let mut used = vec![false; column.len()];
    let (mut matched, mut exact) = (0, 0);
    for word in phrase {
        let best = column
            .iter()
            .enumerate()
            .filter(|(i, _)| !used[*i])
            .map(|(i, c)| (word_score(word, c), i))
            .max_by_key(|&(score, i)| (score, std::cmp::Reverse(i)));
        if let Some((score, i)) = best
            && score > 0
        {
            used[i] = true;
            matched += 1;
            if score == 2 {
                exact += 1;
            }
        }
    }
    (matched, exact, used.iter().filter(|u| !**u).count())
}

/// Finds the column a phrase names. See the module documentation for the levels.
pub(crate) fn find_column(phrase: &str, columns: &[Column]) -> ColumnMatch {
    find_column_level(phrase, columns).0
}

/// Whether the phrase names one column by its words, in any order, without guessing
/// at typos, short forms or missing words (levels 1 to 4).
pub(crate) fn names_column(phrase: &str, columns: &[Column]) -> bool {
    matches!(
        find_column_level(phrase, columns),
        (ColumnMatch::Found(_), 1..=4)
    )
}

/// `find_column`, with the level that decided (0 when nothing matched).
fn find_column_level(phrase: &str, columns: &[Column]) -> (ColumnMatch, u8) {
    let mut level = 0;
    let found = find_column_at(phrase, columns, &mut level);
    (found, level)
}

fn find_column_at(phrase: &str, columns: &[Column], level: &mut u8) -> ColumnMatch {
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
    *level = 1;
    if let Some(found) = decide(exact) {
        return found;
    }

    let wanted = normalize(phrase);
    if wanted.is_empty() {
        return ColumnMatch::NotFound;
    }
    let names: Vec<String> = columns.iter().map(|c| normalize(&c.name)).collect();
    let normalized: Vec<&Column> = columns
        .iter()
        .zip(&names)
        .filter(|(_, n)| **n == wanted)
        .map(|(c, _)| c)
        .collect();
    *level = 2;
    if let Some(found) = decide(normalized) {
        return found;
    }

    let wanted_singular = singular(&wanted);
    let singulars: Vec<String> = names.iter().map(|n| singular(n)).collect();
    let plural: Vec<&Column> = columns
        .iter()
        .zip(&singulars)
        .filter(|(_, n)| **n == wanted_singular)
        .map(|(c, _)| c)
        .collect();
    *level = 3;
    if let Some(found) = decide(plural) {
        return found;
    }

    // The same words in any order.
    let mut phrase_words = content_words(&wanted);
    if phrase_words.is_empty() {
        phrase_words = wanted_singular.split(' ').collect();
    }
    let mut sorted_phrase = phrase_words.clone();
    sorted_phrase.sort_unstable();
    let column_words: Vec<Vec<&str>> = names.iter().map(|n| content_words(n)).collect();
    let reordered: Vec<&Column> = columns
        .iter()
        .zip(&column_words)
        .filter(|(_, words)| {
            let mut words = (*words).clone();
            words.sort_unstable();
            !words.is_empty() && words == sorted_phrase
        })
        .map(|(c, _)| c)
        .collect();
    *level = 4;
    if let Some(found) = decide(reordered) {
        return found;
    }

    // Fuzzy: the closest columns within the allowed edits; a tie is ambiguous.
    let mut best: Option<usize> = None;
    let mut closest: Vec<&Column> = Vec::new();
    let wanted_len = wanted_singular.chars().count();
    for (column, name) in columns.iter().zip(&singulars) {
        let name_len = name.chars().count();
        let shorter = name_len.min(wanted_len);
        if name_len.abs_diff(wanted_len) > allowed_edits(shorter) {
            continue;
        }
        let distance = strsim::damerau_levenshtein(name, &wanted_singular);
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
    *level = 5;
    if let Some(found) = decide(closest) {
        return found;
    }

    // Words, scored: the most words matched, then the most exact, then the fewest left.
    let is_list = phrase
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("and"))
        || phrase.contains(',')
        || phrase.contains('&');
    let mut best_key: Option<(usize, usize, std::cmp::Reverse<usize>)> = None;
    let mut winners: Vec<&Column> = Vec::new();
    for (column, words) in columns.iter().zip(&column_words) {
        let (matched, exact, left) = word_match(&phrase_words, words);
        if matched == 0 {
            continue;
        }
        let missed = phrase_words.len() - matched;
        if missed > 0 && (is_list || missed > matched) {
            continue;
        }
        let key = (matched, exact, std::cmp::Reverse(left));
        match best_key {
            Some(b) if key < b => {}
            Some(b) if key == b => winners.push(column),
            _ => {
                best_key = Some(key);
                winners = vec![column];
            }
        }
    }
    *level = 6;
    decide(winners).unwrap_or_else(|| {
        *level = 0;
        ColumnMatch::NotFound
    })
}

/// The columns whose names are closest to a phrase that named none, best first (for
/// suggestions; never used to pick a column).
pub(crate) fn closest(phrase: &str, columns: &[Column], n: usize) -> Vec<String> {
    let wanted = normalize(phrase);
    let mut scored: Vec<(f64, &Column)> = columns
        .iter()
        .map(|c| {
            let name = normalize(&c.name);
            (strsim::normalized_damerau_levenshtein(&wanted, &name), c)
        })
        .filter(|(score, _)| *score >= 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(n)
        .map(|(_, c)| c.name.clone())
        .collect()
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
                seen: Seen::default(),
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

    #[test]
    fn words_in_any_order_and_form() {
        let strikes = cols(&[
            "Airport Name",
            "Aircraft Make Model",
            "Effect Amount of damage",
            "Flight Date",
            "Origin State",
            "Phase of flight",
            "Wildlife Size",
            "Cost Other",
            "Cost Repair",
            "Cost Total $",
            "Speed IAS in knots",
        ]);
        let f = |p: &str| found(p, &strikes);
        assert_eq!(f("repair cost").as_deref(), Some("Cost Repair"));
        assert_eq!(f("repair costs").as_deref(), Some("Cost Repair"));
        assert_eq!(f("total cost").as_deref(), Some("Cost Total $"));
        assert_eq!(f("cost total $").as_deref(), Some("Cost Total $"));
        assert_eq!(f("COST-TOTAL").as_deref(), Some("Cost Total $"));
        assert_eq!(f("flight phase").as_deref(), Some("Phase of flight"));
        assert_eq!(f("phase").as_deref(), Some("Phase of flight"));
        assert_eq!(f("state of origin").as_deref(), Some("Origin State"));
        assert_eq!(f("speed").as_deref(), Some("Speed IAS in knots"));
        assert_eq!(f("airport").as_deref(), Some("Airport Name"));
        assert_eq!(
            f("damage amount").as_deref(),
            Some("Effect Amount of damage")
        );
        // A real tie gives the candidates.
        assert_eq!(
            find_column("cost", &strikes),
            ColumnMatch::Ambiguous(vec![
                "Cost Other".into(),
                "Cost Repair".into(),
                "Cost Total $".into()
            ])
        );
        assert_eq!(f("banana"), None);
    }

    #[test]
    fn partial_match_only_when_nothing_better() {
        let weather = cols(&[
            "date",
            "precipitation",
            "temp_max",
            "temp_min",
            "wind",
            "weather",
        ]);
        let f = |p: &str| found(p, &weather);
        assert_eq!(f("weather type").as_deref(), Some("weather"));
        assert_eq!(f("max temp").as_deref(), Some("temp_max"));
        assert_eq!(f("maximum temperature").as_deref(), Some("temp_max"));
        assert_eq!(f("temperature min").as_deref(), Some("temp_min"));
        assert_eq!(f("precip").as_deref(), Some("precipitation"));
        assert_eq!(f("Précipitations").as_deref(), Some("precipitation"));
        assert!(matches!(
            find_column("temp", &weather),
            ColumnMatch::Ambiguous(_)
        ));
        // A list is never read as one column that holds part of it.
        assert_eq!(f("wind and banana"), None);
        // More missed words than matched: no match.
        assert_eq!(f("wind chill factor"), None);
    }

    #[test]
    fn abbreviations_both_ways() {
        let c = cols(&["Qty", "Unit Price", "Customer No"]);
        assert_eq!(found("quantity", &c).as_deref(), Some("Qty"));
        assert_eq!(found("customer number", &c).as_deref(), Some("Customer No"));
        let c = cols(&["Quantity", "Department"]);
        assert_eq!(found("qty", &c).as_deref(), Some("Quantity"));
        assert_eq!(found("dept", &c).as_deref(), Some("Department"));
    }
}
