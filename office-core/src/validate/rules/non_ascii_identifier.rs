use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

violation! {
    /// ## What it does
    /// Rejects identifiers (names, attributes, function, class and argument names, import
    /// aliases, keyword names) with characters outside ASCII. Text inside strings is fine.
    ///
    /// ## Why is this bad?
    /// Python normalises identifiers to NFKC before looking them up, so `ｅｖａｌ` (full-width
    /// letters) *is* `eval` at run time while every rule here sees a different name.
    /// Look-alike letters (Cyrillic `о` for Latin `o`) also make code read as something it
    /// is not. Column names with accents belong in strings: `df["Montant TTC (€)"]`.
    ///
    /// ## Example
    /// ```python
    /// ｅｖａｌ("1 + 1")
    /// café_total = df["café"].sum()
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// cafe_total = df["café"].sum()
    /// ```
    pub(crate) struct NonAsciiIdentifier {
        identifier: String,
    }
}

impl ViolationKind for NonAsciiIdentifier {
    const RULE: Rule = Rule::NonAsciiIdentifier;

    fn message(&self) -> String {
        format!("Identifier `{}` has non-ASCII characters", self.identifier)
    }
}

/// OFF005
pub(crate) fn non_ascii_identifier(checker: &mut Checker, identifier: &str, offset: usize) {
    if !identifier.is_ascii() {
        checker.report(
            offset,
            NonAsciiIdentifier {
                identifier: identifier.to_string(),
            },
        );
    }
}
