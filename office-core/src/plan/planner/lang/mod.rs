//! Requests in other languages, and operation words with typos, as the English the
//! readers know.
//!
//! Each language is one table in its own file (`es.rs`, `zh.rs`, ...): a word or
//! phrase, and the English phrase it means. To extend a language, add lines to its
//! table; to add a language, add a file and a line to `LANGUAGES`. Nothing else needs
//! to change: `translate` turns the request's tokens into English tokens before the
//! clauses are read, so column names may stay in any language ("ordenar por temp_max
//! descendente", "按 weather 统计 precipitation 的总和").
//!
//! - Matching ignores case and accents; the longest phrase wins.
//! - Text in quotes and words that name a column are never translated; neither is a
//!   word the English vocabulary already knows ("per", "total", "as").
//! - Words of one or two Latin letters ("y", "e", "et") are translated only when the
//!   request holds a longer word of the same language, so "where active is y" stays.
//! - Chinese and Japanese are cut into words by longest match over the tables and the
//!   sheet's column names.
//! - An English phrase starting with `<` follows what it applies to in the source
//!   language (Japanese "天気ごと", "20より大きい") and is moved in front of it.
//! - `reorderings` gives the clause in English order when the verb came last or the
//!   grouping came first ("by weather precipitation total" -> "total precipitation by
//!   weather").
//!
//! Then every word the English vocabulary does not know and that is not a column word
//! is corrected to the one vocabulary word it is a typo of ("descnding", "averge").

mod de;
mod es;
mod fr;
mod it;
mod ja;
mod pt;
mod ru;
mod zh;

use super::columns::{Column, ColumnMatch, find_column, fold_accent, names_column, normalize};
use super::tokens::{Kind, Token, find_phrases, longest_entry, tokenize};
use super::vocab;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Every language's table, by its code.
pub(crate) const LANGUAGES: &[(&str, &[(&str, &str)])] = &[
    ("zh", zh::PHRASES),
    ("es", es::PHRASES),
    ("fr", fr::PHRASES),
    ("de", de::PHRASES),
    ("pt", pt::PHRASES),
    ("ja", ja::PHRASES),
    ("it", it::PHRASES),
    ("ru", ru::PHRASES),
];

/// True for the characters of scripts written without spaces (Han, kana, Hangul).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0xAC00..=0xD7AF | 0xFF66..=0xFF9F)
}

/// Lower case without accents.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().flat_map(char::to_lowercase) {
        fold_accent(ch, &mut out);
    }
    out
}

struct Entry {
    words: Vec<String>,
    english: &'static str,
    language: usize,
    /// One or two Latin letters: only when the language is otherwise present.
    weak: bool,
}

struct Index {
    /// Entries by their first (folded) word.
    by_first: HashMap<String, Vec<Entry>>,
    /// Chinese and Japanese words by their first character, longest first.
    cjk: HashMap<char, Vec<&'static str>>,
    /// Every word of the English vocabulary.
    english: HashSet<&'static str>,
    /// The English words typos are corrected to (five letters or more).
    targets: Vec<&'static str>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_first: HashMap<String, Vec<Entry>> = HashMap::new();
        let mut cjk: HashMap<char, Vec<&'static str>> = HashMap::new();
        let mut english: HashSet<&'static str> = HashSet::new();
        for (language, (_, table)) in LANGUAGES.iter().enumerate() {
            for &(phrase, meaning) in *table {
                let words: Vec<String> = phrase.split(' ').map(fold).collect();
                let weak =
                    phrase.chars().count() <= 2 && phrase.chars().all(|c| (c as u32) < 0x0250);
                if let Some(first) = phrase.chars().next()
                    && is_cjk(first)
                {
                    cjk.entry(first).or_default().push(phrase);
                }
                english.extend(meaning.trim_start_matches('<').split(' '));
                by_first.entry(words[0].clone()).or_default().push(Entry {
                    words,
                    english: meaning,
                    language,
                    weak,
                });
            }
        }
        for list in cjk.values_mut() {
            list.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
        }
        for phrase in english_phrases() {
            english.extend(phrase.split(' '));
        }
        english.remove("");
        let mut targets: Vec<&'static str> = english
            .iter()
            .copied()
            .filter(|w| w.chars().count() >= 5 && w.chars().all(char::is_alphabetic))
            .collect();
        targets.sort_unstable();
        Index {
            by_first,
            cjk,
            english,
            targets,
        }
    })
}

/// Every phrase of the English vocabulary.
fn english_phrases() -> Vec<&'static str> {
    let lists: &[&[&str]] = &[
        vocab::LEADING_COURTESY,
        vocab::TRAILING_COURTESY,
        vocab::FILLER_WORDS,
        vocab::NEW_SHEET_SUFFIXES,
        vocab::COLUMN_LEAD,
        vocab::COLUMN_TRAIL,
        vocab::DESCRIBE_WORDS,
        vocab::DESCRIBE_LEAD,
        vocab::ALL_COLUMNS_WORDS,
        vocab::DESCRIBE_OF,
        vocab::DUPLICATE_WORDS,
        vocab::DEDUPE_LEAD,
        vocab::DEDUPE_ROWS,
        vocab::DEDUPE_BY,
        vocab::SORT_BY,
        vocab::SORT_BY_PHRASES,
        vocab::SORT_OBJECT,
        vocab::COMPUTE_VERBS,
        vocab::COMPUTE_ARTICLES,
        vocab::COMPUTE_NAMED,
        vocab::COMPUTE_SEPARATORS,
        vocab::PER_ROW,
        vocab::AGG_LEAD,
        vocab::GROUP_FIRST,
        vocab::GROUP_SEPARATORS,
        vocab::FILTER_LEAD,
        vocab::REMOVE_LEAD,
        vocab::TRUE_WORDS,
        vocab::FALSE_WORDS,
        vocab::QUESTION_FILLER,
        vocab::DISTRIBUTION_WORDS,
        vocab::TREND_WORDS,
        vocab::QUESTION_KIND_WORDS,
        vocab::QUESTION_BY_END,
        vocab::QUESTION_BY_PHRASES,
        vocab::QUESTION_UNSUPPORTED,
        vocab::FORMAT_VERBS,
        vocab::FORMAT_JOINS,
        vocab::FORMAT_ON,
        vocab::DECIMALS_WORDS,
        vocab::HIGHLIGHT_VERBS,
        vocab::HIGHLIGHT_ROWS,
        vocab::HIGHLIGHT_CELLS,
        vocab::COLOR_LEAD,
        vocab::COLOR_TRAIL,
        vocab::FREEZE_HEADER,
        vocab::FREEZE_COLUMN,
        vocab::AUTOFILTER,
        vocab::CHART_LEAD,
        vocab::CHART_BY,
        vocab::CHART_TITLED,
        vocab::DATE_IN,
        vocab::NAME_RESULT_LEAD,
        vocab::ALL_ROWS_CLAUSES,
        vocab::PLACE_AFTER,
        vocab::CONCAT_VERBS,
        vocab::CONCAT_ALL_ROWS,
        vocab::CONCAT_INTO,
        vocab::CONCAT_PATTERN,
        vocab::CONCAT_WITH,
        vocab::CONCAT_HEADER_AND_VALUE,
        vocab::CONCAT_RANGE_LEAD,
        vocab::PATTERN_HEADER_WORDS,
        vocab::PATTERN_VALUE_WORDS,
        vocab::EACH_VALUE_OF,
        vocab::INTO_NEW_COLUMN,
        vocab::POWER_WORDS,
        vocab::COMPUTE_BY,
        vocab::FLAG_VERBS,
        vocab::RENAME_VERBS,
        vocab::IN_THAT_COLUMN,
        vocab::EACH_ROW_LEAD,
        vocab::TOP_LEAD,
        vocab::TOP_BY,
        vocab::TOP_GROUP,
        vocab::FILL_VERBS,
        vocab::FILL_EMPTY_WORDS,
        vocab::FILL_WITH,
        vocab::RENAME_TO,
        vocab::TOTAL_ROW_THEM,
        vocab::TOTAL_ROW_PURPOSE,
        vocab::FLAG_TRUE_TRAIL,
        vocab::REPLACE_VERBS,
        vocab::REPLACE_FIND_LEAD,
        vocab::REPLACE_WITH,
        vocab::REPLACE_MID,
        vocab::REPLACE_IN,
        vocab::REPLACE_COLUMN_TRAIL,
        vocab::REPLACE_NOTHING,
        vocab::REPLACE_WHOLE_CELL,
        vocab::REPLACE_MATCH_CASE,
        vocab::BLANK_ROWS_LEAD,
        vocab::BLANK_ROWS,
        vocab::BLANK_ROWS_TRAIL,
        vocab::DATE_PART_VERBS,
        vocab::DATE_PART_LEAD,
        vocab::DATE_PART_OF,
        vocab::DATE_PART_TRAIL,
        vocab::SPLIT_VERBS,
        vocab::SPLIT_AT,
        vocab::SPLIT_SEPARATOR_LEAD,
        vocab::SPLIT_SEPARATOR_TRAIL,
        vocab::SPLIT_INTO,
        vocab::SPLIT_NAMES_LEAD,
        vocab::PIVOT_VERBS,
        vocab::PIVOT_LEAD,
        vocab::PIVOT_AND,
        vocab::PIVOT_AS_ROWS,
        vocab::PIVOT_AS_COLUMNS,
        vocab::PIVOT_ROLES_LEAD,
        vocab::PIVOT_MEASURE_LEAD,
        vocab::UNPIVOT_VERBS,
        vocab::UNPIVOT_LEAD,
        vocab::UNPIVOT_EXCEPT,
        vocab::TRANSPOSE_VERBS,
        vocab::TRANSPOSE_WHAT,
        vocab::RUNNING_LEAD,
        vocab::RUNNING_OF,
    ];
    let mut out: Vec<&'static str> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    out.extend(vocab::phrases(vocab::AGGREGATES));
    out.extend(vocab::phrases(vocab::DIRECTIONS));
    out.extend(vocab::phrases(vocab::SORT_VERBS));
    out.extend(vocab::phrases(vocab::OPERATORS));
    out.extend(vocab::phrases(vocab::PERIODS));
    out.extend(vocab::phrases(vocab::NUMBER_FORMATS));
    out.extend(vocab::phrases(vocab::SMALL_NUMBERS));
    out.extend(vocab::phrases(vocab::COLORS));
    out.extend(vocab::phrases(vocab::CHART_WORDS));
    out.extend(vocab::phrases(vocab::SEPARATOR_WORDS));
    out.extend(vocab::phrases(vocab::FILL_WAYS));
    out.extend(vocab::phrases(vocab::TOP_WORDS));
    out.extend(vocab::phrases(vocab::FILL_WAY_FIRST));
    out.extend(vocab::phrases(vocab::FILL_WAY_AFTER));
    out.extend(vocab::phrases(vocab::DATE_PARTS));
    out.extend(vocab::phrases(vocab::RUNNING_MEASURES));
    out
}

/// The request's tokens in English (see the module documentation).
pub(crate) fn translate(tokens: Vec<Token>, columns: &[Column]) -> Vec<Token> {
    let index = index();
    let names: HashSet<String> = columns.iter().map(|c| normalize(&c.name)).collect();
    let tokens = segment(tokens, columns, index);
    let folded: Vec<String> = tokens.iter().map(|t| fold(&t.lower)).collect();

    // Which entry applies where: (position, entry), longest first.
    let candidates = |i: usize| -> Vec<&Entry> {
        if tokens[i].kind != Kind::Word {
            return Vec::new();
        }
        let Some(list) = index.by_first.get(&folded[i]) else {
            return Vec::new();
        };
        let mut fits: Vec<&Entry> = list
            .iter()
            .filter(|e| {
                let n = e.words.len();
                i + n <= tokens.len()
                    && (0..n)
                        .all(|k| tokens[i + k].kind == Kind::Word && folded[i + k] == e.words[k])
            })
            .filter(|e| {
                // A word English knows, or a column's name, stays as it is.
                let n = e.words.len();
                let span: Vec<&str> = tokens[i..i + n].iter().map(|t| t.text.as_str()).collect();
                let english = n == 1 && !e.weak && index.english.contains(tokens[i].lower.as_str());
                !english && !names.contains(&normalize(&span.join(" ")))
            })
            .collect();
        fits.sort_by_key(|e| std::cmp::Reverse(e.words.len()));
        fits
    };
    // How many longer words of each language the request holds.
    let mut present = vec![0usize; LANGUAGES.len()];
    for i in 0..tokens.len() {
        for entry in candidates(i) {
            if !entry.weak && entry.words.iter().map(|w| w.chars().count()).sum::<usize>() >= 4 {
                present[entry.language] += 1;
            }
        }
    }

    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut translated: Vec<bool> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        // "colonna E": a capital letter after "column" is the column's letter.
        let letter = out.last().is_some_and(|t| t.is_word("column"))
            && tokens[i].text.chars().all(|c| c.is_ascii_uppercase());
        // A short word ("e": Portuguese "and", Italian "è") goes to the language the
        // request holds most words of.
        let fits = candidates(i);
        let entry = match fits.iter().find(|e| !e.weak) {
            Some(strong) => Some(*strong),
            None if letter => None,
            None => fits
                .iter()
                .filter(|e| present[e.language] > 0)
                .max_by_key(|e| {
                    (
                        e.words.len(),
                        present[e.language],
                        std::cmp::Reverse(e.language),
                    )
                })
                .copied(),
        };
        let Some(entry) = entry else {
            out.push(tokens[i].clone());
            translated.push(false);
            i += 1;
            continue;
        };
        i += entry.words.len();
        let english = entry.english;
        let words: Vec<Token> = tokenize(english.trim_start_matches('<'));
        let at = if english.starts_with('<') {
            out.len() - unit_before(&out, &translated, columns)
        } else {
            out.len()
        };
        // Russian and German put a comma before "where": it is not a clause break.
        if english == "where" && out.last().is_some_and(|t| t.kind == Kind::Comma) {
            out.pop();
            translated.pop();
        }
        let at = at.min(out.len());
        let n = words.len();
        out.splice(at..at, words);
        translated.splice(at..at, std::iter::repeat_n(true, n));
    }
    correct_typos(&mut out, &translated, columns, index);
    out
}

/// How many of the last tokens a postfix phrase applies to: a column name said in
/// full, else one token.
fn unit_before(out: &[Token], translated: &[bool], columns: &[Column]) -> usize {
    let names: Vec<String> = columns.iter().map(|c| normalize(&c.name)).collect();
    for k in (1..=out.len().min(6)).rev() {
        let span = &out[out.len() - k..];
        if translated[out.len() - k..].iter().any(|t| *t) {
            continue;
        }
        let text: Vec<&str> = span.iter().map(|t| t.text.as_str()).collect();
        if names.contains(&normalize(&text.join(" "))) {
            return k;
        }
    }
    usize::from(!out.is_empty())
}

/// Cuts words of Chinese or Japanese into the tables' words and the column names
/// (longest match, a column name on a tie); other characters stay together.
fn segment(tokens: Vec<Token>, columns: &[Column], index: &Index) -> Vec<Token> {
    if !tokens
        .iter()
        .any(|t| t.kind == Kind::Word && t.text.chars().any(is_cjk))
    {
        return tokens;
    }
    let names: Vec<Vec<char>> = columns
        .iter()
        .map(|c| c.name.trim().chars().collect::<Vec<char>>())
        .filter(|n| n.first().is_some_and(|c| is_cjk(*c)))
        .collect();
    let mut out = Vec::with_capacity(tokens.len() * 2);
    for token in tokens {
        if token.kind != Kind::Word || !token.text.chars().any(is_cjk) {
            out.push(token);
            continue;
        }
        let chars: Vec<char> = token.text.chars().collect();
        let mut pending = String::new();
        let mut i = 0;
        while i < chars.len() {
            let rest = &chars[i..];
            let column = names
                .iter()
                .filter(|n| rest.starts_with(n))
                .map(Vec::len)
                .max()
                .unwrap_or(0);
            let word = index
                .cjk
                .get(&chars[i])
                .and_then(|list| {
                    list.iter()
                        .map(|p| p.chars().collect::<Vec<char>>())
                        .find(|p| rest.starts_with(p))
                })
                .map_or(0, |p| p.len());
            let len = column.max(word);
            if len == 0 {
                pending.push(chars[i]);
                i += 1;
                continue;
            }
            if !pending.is_empty() {
                out.push(Token::new(Kind::Word, std::mem::take(&mut pending)));
            }
            out.push(Token::new(Kind::Word, chars[i..i + len].iter().collect()));
            i += len;
        }
        if !pending.is_empty() {
            out.push(Token::new(Kind::Word, pending));
        }
    }
    out
}

/// How many edits a typo may be from its word.
fn allowed_edits(len: usize) -> usize {
    match len {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Replaces each unknown word that is one typo away from exactly one vocabulary word
/// (and is no typo of a column word) by that word.
fn correct_typos(tokens: &mut [Token], translated: &[bool], columns: &[Column], index: &Index) {
    let mut column_words: Option<Vec<String>> = None;
    for (k, token) in tokens.iter_mut().enumerate() {
        let word = token.lower.as_str();
        let len = word.chars().count();
        if translated[k]
            || token.kind != Kind::Word
            || len < 4
            || !word.chars().all(char::is_alphabetic)
            || index.english.contains(word)
            || vocab::is_value_word(word)
            || is_a_value(word, columns)
        {
            continue;
        }
        // Four letters: only a dropped letter of a five-letter word ("totl").
        let (edits, exact_len) = match len {
            4 => (1, Some(5)),
            _ => (allowed_edits(len), None),
        };
        let mut best: Option<(usize, &'static str)> = None;
        let mut tie = false;
        for target in &index.targets {
            if target.len().abs_diff(word.len()) > edits
                || exact_len.is_some_and(|n| target.len() != n)
            {
                continue;
            }
            let d = strsim::damerau_levenshtein(word, target);
            if d > edits {
                continue;
            }
            match best {
                Some((b, _)) if d > b => {}
                Some((b, _)) if d == b => tie = true,
                _ => {
                    best = Some((d, target));
                    tie = false;
                }
            }
        }
        let Some((_, target)) = best.filter(|_| !tie) else {
            continue;
        };
        // A word that is (close to) a column's word is the column's.
        let words = column_words.get_or_insert_with(|| {
            columns
                .iter()
                .flat_map(|c| {
                    normalize(&c.name)
                        .split(' ')
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect()
        });
        let near_column = words.iter().any(|w| {
            w.len().abs_diff(word.len()) <= edits && strsim::damerau_levenshtein(w, word) <= edits
        });
        if !near_column {
            *token = Token::new(Kind::Word, target.to_string());
        }
    }
}

/// Whether a word is one of the values the profile saw in a column ("where city is
/// Paris" keeps "Paris").
fn is_a_value(word: &str, columns: &[Column]) -> bool {
    columns.iter().any(|c| {
        c.seen
            .samples
            .iter()
            .any(|s| s.trim().to_lowercase() == word)
    })
}

/// Verbs that a language may put last ("按 X 降序排序" -> "by X descending sort").
const FINAL_VERBS: &[&str] = &["sort", "remove", "filter", "keep", "show"];

/// The clause in English word order, when it is not: the verb moved to the front, or
/// a grouping said first moved behind the aggregate.
pub(crate) fn reorderings(tokens: &[Token], columns: &[Column]) -> Vec<Vec<Token>> {
    let mut out = Vec::new();
    // The verb last: move the last one or two tokens (a verb and its object) first.
    for n in [1, 2] {
        if tokens.len() > n {
            let tail = &tokens[tokens.len() - n..];
            if FINAL_VERBS.iter().any(|v| tail[0].is_word(v)) && !tokens[0].is_word(&tail[0].lower)
            {
                let mut moved = tail.to_vec();
                moved.extend_from_slice(&tokens[..tokens.len() - n]);
                out.push(moved);
            }
        }
    }
    if let Some(variant) = aggregate_order(tokens, columns) {
        out.push(variant);
    }
    out
}

/// "by weather precipitation total", "precipitation total by weather" -> "total
/// precipitation by weather".
pub(crate) fn aggregate_order(tokens: &[Token], columns: &[Column]) -> Option<Vec<Token>> {
    let (at, len) = (0..tokens.len())
        .find_map(|i| longest_entry(&tokens[i..], vocab::AGGREGATES).map(|(_, n)| (i, n)))?;
    if at == 0 {
        return None;
    }
    let agg = &tokens[at..at + len];
    let rest: Vec<Token> = tokens[..at]
        .iter()
        .chain(&tokens[at + len..])
        .filter(|t| !(t.is_word("the") || t.is_word("of")))
        .cloned()
        .collect();
    let &(g, _, glen) = find_phrases(&rest, vocab::GROUP_SEPARATORS).first()?;
    let text = |span: &[Token]| -> String {
        let words: Vec<&str> = span.iter().map(|t| t.text.as_str()).collect();
        words.join(" ")
    };
    let strong = |span: &[Token]| !span.is_empty() && names_column(&text(span), columns);
    let loose = |span: &[Token]| {
        !span.is_empty() && matches!(find_column(&text(span), columns), ColumnMatch::Found(_))
    };
    let (value, group): (Vec<Token>, Vec<Token>) = if g == 0 {
        let after = &rest[glen..];
        // Where the group's name ends: both names in full if possible, else as found.
        let k = (1..after.len())
            .find(|&k| strong(&after[..k]) && strong(&after[k..]))
            .or_else(|| (1..after.len()).find(|&k| loose(&after[..k]) && loose(&after[k..])));
        match k {
            Some(k) => (after[k..].to_vec(), after[..k].to_vec()),
            // "for each weather count": a count of rows.
            None if loose(after) => (Vec::new(), after.to_vec()),
            None => return None,
        }
    } else {
        (rest[..g].to_vec(), rest[g + glen..].to_vec())
    };
    let mut out = agg.to_vec();
    out.extend(value);
    out.push(Token::new(Kind::Word, "by".into()));
    out.extend(group);
    Some(out)
}
