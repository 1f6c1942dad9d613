//! Request text -> tokens (words, numbers, quoted text, symbols), and the phrase
//! helpers every operation's recogniser reads tokens with.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    Number,
    Quoted,
    Symbol,
    Comma,
    Stop,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    /// As written (for quoted text: without the quotes).
    pub(crate) text: String,
    /// Case-folded, for keyword comparisons.
    pub(crate) lower: String,
}

impl Token {
    pub(crate) fn new(kind: Kind, text: String) -> Token {
        let lower = text.to_lowercase();
        Token { kind, text, lower }
    }

    pub(crate) fn is_word(&self, word: &str) -> bool {
        matches!(self.kind, Kind::Word | Kind::Symbol) && self.lower == word
    }
}

const QUOTES: &[(char, char)] = &[
    ('"', '"'),
    ('\'', '\''),
    ('`', '`'),
    ('\u{201c}', '\u{201d}'),
    ('\u{2018}', '\u{2019}'),
    ('\u{00ab}', '\u{00bb}'),
    ('\u{300c}', '\u{300d}'),
];

fn is_word_char(ch: char) -> bool {
    ch.is_alphanumeric() || matches!(ch, '_' | '$' | '€' | '£' | '¥' | '%' | '#' | '&' | '@')
}

pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if ch == '\n' || ch == '\r' {
            tokens.push(Token::new(Kind::Stop, "\n".into()));
            i += 1;
            continue;
        }
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        if let Some(&(_, close)) = QUOTES.iter().find(|(open, _)| *open == ch) {
            if let Some(len) = chars[i + 1..].iter().position(|&c| c == close) {
                let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                tokens.push(Token::new(Kind::Quoted, inner));
                i += len + 2;
            } else {
                i += 1; // a lone quote or apostrophe carries no meaning
            }
            continue;
        }
        if let Some((token, len)) = punctuation(ch, chars.get(i + 1).copied()) {
            tokens.push(token);
            i += len;
            continue;
        }
        let j = word_end(&chars, i);
        if j == i {
            // A character that is neither word nor punctuation we know: keep it as a
            // symbol so that it cannot silently vanish.
            tokens.push(Token::new(Kind::Symbol, ch.to_string()));
            i += 1;
            continue;
        }
        let word: String = chars[i..j].iter().collect();
        let kind = if parse_number(&word).is_some() {
            Kind::Number
        } else {
            Kind::Word
        };
        tokens.push(Token::new(kind, word));
        i = j;
    }
    tokens
}

/// An operator, comma or stop at `ch` (followed by `next`): the token and its length.
fn punctuation(ch: char, next: Option<char>) -> Option<(Token, usize)> {
    let two: String = [ch, next.unwrap_or(' ')].iter().collect();
    if matches!(two.as_str(), ">=" | "<=" | "!=" | "<>" | "==" | "=>" | "=<") {
        let symbol = match two.as_str() {
            "<>" => "!=",
            "=>" => ">=",
            "=<" => "<=",
            "==" => "=",
            s => s,
        };
        return Some((Token::new(Kind::Symbol, symbol.into()), 2));
    }
    let token = match ch {
        '≥' => Token::new(Kind::Symbol, ">=".into()),
        '≤' => Token::new(Kind::Symbol, "<=".into()),
        '≠' => Token::new(Kind::Symbol, "!=".into()),
        '×' => Token::new(Kind::Symbol, "*".into()),
        '÷' => Token::new(Kind::Symbol, "/".into()),
        '=' | '>' | '<' | '+' | '-' | '*' | '/' | '(' | ')' | ':' => {
            Token::new(Kind::Symbol, ch.to_string())
        }
        ',' | '，' | '、' => Token::new(Kind::Comma, ",".into()),
        ';' | '；' | '?' | '？' | '!' | '！' | '。' => Token::new(Kind::Stop, ch.to_string()),
        '.' if !next.is_some_and(|c| c.is_ascii_digit()) => Token::new(Kind::Stop, ".".into()),
        _ => return None,
    };
    Some((token, 1))
}

/// Where the word starting at `start` ends: word characters, plus '-', '.', apostrophes,
/// ':', '/', ',' between letters or digits ("e-mail", "name.1", "customer's", "10:30",
/// "2024/01/31", "1,000"). `start` itself when no word starts there.
fn word_end(chars: &[char], start: usize) -> usize {
    let mut j = start;
    // Chinese and Japanese run into Latin words without a space ("按weather统计"): a
    // change of script ends the word.
    let cjk = chars.get(start).is_some_and(|c| super::lang::is_cjk(*c));
    while j < chars.len() {
        let c = chars[j];
        if j > start && super::lang::is_cjk(c) != cjk {
            break;
        }
        if is_word_char(c) || (c == '.' && j == start) {
            j += 1;
            continue;
        }
        let prev = if j > start {
            chars.get(j - 1).copied()
        } else {
            None
        };
        let after = chars.get(j + 1).copied();
        let alnum = |x: Option<char>| x.is_some_and(|x| x.is_alphanumeric());
        let digit = |x: Option<char>| x.is_some_and(|x| x.is_ascii_digit());
        let internal = match c {
            '-' | '.' | '\'' | '\u{2019}' => alnum(prev) && alnum(after),
            ':' | '/' => digit(prev) && digit(after),
            // "1,000", and "1,5" (a decimal comma, read by `values` where the file
            // writes them): one word, never a list cut in two.
            ',' => {
                let run = (1..=4)
                    .take_while(|&k| digit(chars.get(j + k).copied()))
                    .count();
                digit(prev) && (1..=3).contains(&run)
            }
            _ => false,
        };
        if !internal {
            break;
        }
        j += 1;
    }
    j
}

/// "1,000", "1000.5", "$1,200", ".5" -> a number; anything else -> None.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim_start_matches(['$', '€', '£', '¥']);
    if t.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return None;
    }
    // Commas separate thousands only: "1,5" is no number here (see `values`).
    if let Some((_, groups)) = t.split('.').next().unwrap_or("").split_once(',')
        && groups.split(',').any(|g| g.len() != 3)
    {
        return None;
    }
    t.replace(',', "")
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
}

pub(crate) fn is_number_literal(token: &Token) -> Option<f64> {
    match token.kind {
        Kind::Number => parse_number(&token.text),
        _ => None,
    }
}

/// ISO-like dates: 2024-01-31, 2024/01/31, 2024.01.31 -> "2024-01-31".
pub(crate) fn parse_date(text: &str) -> Option<String> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
        .iter()
        .find_map(|format| {
            chrono::NaiveDate::parse_from_str(text.trim(), format)
                .ok()
                .map(|d| d.format("%Y-%m-%d").to_string())
        })
}

/// The tokens as the user wrote them, one space apart.
pub(crate) fn joined(tokens: &[Token]) -> String {
    let mut out = String::new();
    for t in tokens {
        if t.kind == Kind::Comma {
            out.push(',');
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// If `tokens` starts with the words of `phrase` (space separated), how many tokens.
pub(crate) fn starts_with_phrase(tokens: &[Token], phrase: &str) -> Option<usize> {
    let words: Vec<&str> = phrase.split(' ').collect();
    if tokens.len() < words.len() {
        return None;
    }
    words
        .iter()
        .zip(tokens)
        .all(|(w, t)| t.is_word(w))
        .then_some(words.len())
}

/// The longest of `phrases` that `tokens` starts with: (phrase index, length).
pub(crate) fn longest_prefix(tokens: &[Token], phrases: &[&str]) -> Option<(usize, usize)> {
    phrases
        .iter()
        .enumerate()
        .filter_map(|(k, p)| starts_with_phrase(tokens, p).map(|n| (k, n)))
        .max_by_key(|&(_, n)| n)
}

/// Drops any of `phrases` from the front, repeatedly.
pub(crate) fn strip_leading<'t>(mut tokens: &'t [Token], phrases: &[&str]) -> &'t [Token] {
    while let Some((_, n)) = longest_prefix(tokens, phrases) {
        tokens = &tokens[n..];
    }
    tokens
}

/// Drops any of `phrases` from the end, repeatedly.
pub(crate) fn strip_trailing<'t>(mut tokens: &'t [Token], phrases: &[&str]) -> &'t [Token] {
    loop {
        let before = tokens.len();
        for phrase in phrases {
            let n = phrase.split(' ').count();
            if tokens.len() >= n
                && starts_with_phrase(&tokens[tokens.len() - n..], phrase).is_some()
            {
                tokens = &tokens[..tokens.len() - n];
            }
        }
        while tokens
            .last()
            .is_some_and(|t| t.kind == Kind::Comma || t.is_word(":"))
        {
            tokens = &tokens[..tokens.len() - 1];
        }
        if tokens.len() == before {
            return tokens;
        }
    }
}

/// Every position where one of `phrases` starts: (position, phrase index, length).
pub(crate) fn find_phrases(tokens: &[Token], phrases: &[&str]) -> Vec<(usize, usize, usize)> {
    (0..tokens.len())
        .filter_map(|i| longest_prefix(&tokens[i..], phrases).map(|(k, n)| (i, k, n)))
        .collect()
}

/// The longest phrase of a vocabulary table that `tokens` starts with: (value, length).
pub(crate) fn longest_entry<V: Copy>(
    tokens: &[Token],
    table: &[(V, &[&str])],
) -> Option<(V, usize)> {
    let mut best: Option<(V, usize)> = None;
    for (value, phrases) in table {
        for phrase in *phrases {
            if let Some(n) = starts_with_phrase(tokens, phrase)
                && best.is_none_or(|(_, b)| n >= b)
            {
                best = Some((*value, n));
            }
        }
    }
    best
}

/// Every position where a phrase of a vocabulary table starts: (position, value, length).
pub(crate) fn find_entries<V: Copy>(
    tokens: &[Token],
    table: &[(V, &[&str])],
) -> Vec<(usize, V, usize)> {
    (0..tokens.len())
        .filter_map(|i| longest_entry(&tokens[i..], table).map(|(v, n)| (i, v, n)))
        .collect()
}
