use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

violation! {
    /// ## What it does
    /// Rejects a source-encoding declaration (PEP 263, `# -*- coding: ... -*-` in the first
    /// two lines) that names anything other than UTF-8.
    ///
    /// ## Why is this bad?
    /// The validator reads the program as UTF-8. Python honours the declaration, so under
    /// another codec (`utf-7`, `raw_unicode_escape`, ...) CPython would run different code
    /// from the code that was checked: text that looks like a comment or a string here can
    /// decode to statements there.
    ///
    /// ## Example
    /// ```python
    /// # -*- coding: utf-7 -*-
    /// import pandas as pd
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// import pandas as pd  # no declaration: Python 3 source is UTF-8
    /// ```
    pub(crate) struct EncodingDeclaration {
        encoding: String,
    }
}

impl ViolationKind for EncodingDeclaration {
    const RULE: Rule = Rule::EncodingDeclaration;

    fn message(&self) -> String {
        format!(
            "Source encoding `{}` is not allowed; only `utf-8` is",
            self.encoding
        )
    }
}

/// OFF004
pub(crate) fn encoding_declaration(checker: &mut Checker, source: &str) {
    let mut line_start = 0;
    for line in source.split_inclusive('\n').take(2) {
        if let Some((name_offset, encoding)) = declared_encoding(line) {
            if !is_utf8(encoding) {
                let encoding = encoding.to_string();
                checker.report(line_start + name_offset, EncodingDeclaration { encoding });
            }
            // Only the first declaration counts.
            return;
        }
        // Python looks at the second line only when the first is blank or a comment.
        let trimmed = line.trim_start_matches('\u{feff}').trim();
        if !(trimmed.is_empty() || trimmed.starts_with('#')) {
            return;
        }
        line_start += line.len();
    }
}

/// The PEP 263 pattern `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`: the byte offset of the
/// encoding name in `line` and the name.
fn declared_encoding(line: &str) -> Option<(usize, &str)> {
    let body = line
        .trim_start_matches('\u{feff}')
        .trim_start_matches([' ', '\t', '\x0c']);
    let comment_start = line.len() - body.len();
    let comment = body.strip_prefix('#')?;
    let mut search_from = 0;
    while let Some(found) = comment[search_from..].find("coding") {
        let after = search_from + found + "coding".len();
        let rest = &comment[after..];
        if let Some(value) = rest.strip_prefix([':', '=']) {
            let value_trimmed = value.trim_start_matches([' ', '\t']);
            let name_len = value_trimmed
                .find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == '.'))
                .unwrap_or(value_trimmed.len());
            if name_len > 0 {
                let name_start =
                    comment_start + 1 + after + 1 + (value.len() - value_trimmed.len());
                return Some((name_start, &value_trimmed[..name_len]));
            }
        }
        search_from = after;
    }
    None
}

/// Python's own normalisation: `utf-8`, `utf_8`, `UTF8` and `utf-8-<anything>` are UTF-8.
fn is_utf8(encoding: &str) -> bool {
    let normal = encoding.to_ascii_lowercase().replace('_', "-");
    normal == "utf-8" || normal == "utf8" || normal.starts_with("utf-8-")
}

#[cfg(test)]
mod tests {
    use super::{declared_encoding, is_utf8};

    #[test]
    fn finds_pep_263_declarations() {
        assert_eq!(
            declared_encoding("# -*- coding: latin-1 -*-\n"),
            Some((14, "latin-1"))
        );
        assert_eq!(
            declared_encoding("# vim: set fileencoding=utf-8 :"),
            Some((24, "utf-8"))
        );
        assert_eq!(declared_encoding("x = 1  # coding: latin-1"), None);
        assert_eq!(declared_encoding("# the coding style is ours"), None);
        assert!(is_utf8("UTF_8") && is_utf8("utf8") && !is_utf8("utf-7"));
    }
}
