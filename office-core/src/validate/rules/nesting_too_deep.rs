use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

violation! {
    /// ## What it does
    /// Rejects brackets nested deeper than the policy's `max_nesting_depth` (100 by default),
    /// blocks indented deeper than that, and expressions whose tree is more than ten times
    /// that deep (`a + a + ... + a`, `not not ... x`). Brackets and blocks are counted on the
    /// raw text, before the parser runs.
    ///
    /// ## Why is this bad?
    /// Parsers and tree walkers recurse. A program of a hundred thousand `(` is a few hundred
    /// kilobytes and can overflow the stack of the process checking it, or of CPython's own
    /// compiler. No real spreadsheet program nests anywhere near this deep.
    ///
    /// ## Example
    /// ```python
    /// total = ((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))  # ... x 1000
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// total = 1
    /// ```
    pub(crate) struct NestingTooDeep {
        kind: NestingKind,
        max: usize,
    }
}

#[derive(Clone, Copy)]
enum NestingKind {
    Brackets,
    Blocks,
    Tree,
}

impl ViolationKind for NestingTooDeep {
    const RULE: Rule = Rule::NestingTooDeep;

    fn message(&self) -> String {
        let max = self.max;
        match self.kind {
            NestingKind::Brackets => {
                format!("Brackets nest deeper than `max_nesting_depth` ({max} levels)")
            }
            NestingKind::Blocks => {
                format!("Blocks are indented deeper than `max_nesting_depth` ({max} levels)")
            }
            NestingKind::Tree => format!("The expression tree is deeper than {max} levels"),
        }
    }
}

/// OFF003 on the raw text. True when the source nests too deep to be parsed safely.
/// Reports each place where the depth first goes past the limit (not every token inside).
pub(crate) fn nesting_too_deep_in_text(checker: &mut Checker, source: &str) -> bool {
    let max = checker.policy.max_nesting_depth;
    let bytes = source.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    let mut bracket_depth = 0usize;
    // Indentation widths of the enclosing blocks; the first is the module level.
    let mut indents = vec![0usize];
    let mut at_line_start = true;
    let mut continued_line = false;
    while index < bytes.len() {
        if at_line_start {
            at_line_start = false;
            let (width, text_start) = indentation(bytes, index);
            let blank = matches!(bytes.get(text_start), None | Some(b'\n' | b'\r' | b'#'));
            if bracket_depth == 0 && !continued_line && !blank {
                let current = indents.last().copied().unwrap_or(0);
                if width > current {
                    indents.push(width);
                    if indents.len() - 1 == max + 1 {
                        found.push((text_start, NestingKind::Blocks));
                    }
                } else {
                    while indents.len() > 1 && width < indents.last().copied().unwrap_or(0) {
                        indents.pop();
                    }
                }
            }
            continued_line = false;
            index = text_start;
            continue;
        }
        match bytes[index] {
            b'#' => {
                while index < bytes.len() && bytes[index] != b'\n' {
                    index += 1;
                }
            }
            b'\\' => {
                let rest = &bytes[index + 1..];
                if rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
                    continued_line = true;
                    at_line_start = true;
                    index += if rest.starts_with(b"\n") { 2 } else { 3 };
                } else {
                    index += 1;
                }
            }
            b'\n' => {
                at_line_start = true;
                index += 1;
            }
            b'(' | b'[' | b'{' => {
                bracket_depth += 1;
                if bracket_depth == max + 1 {
                    found.push((index, NestingKind::Brackets));
                }
                index += 1;
            }
            b')' | b']' | b'}' => {
                bracket_depth = bracket_depth.saturating_sub(1);
                index += 1;
            }
            b'\'' | b'"' => index = skip_string(bytes, index),
            _ => index += 1,
        }
    }
    let too_deep = !found.is_empty();
    for (offset, kind) in found {
        checker.report(offset, NestingTooDeep { kind, max });
    }
    too_deep
}

/// OFF003 from the tree walk: an expression nests deeper than the walk will follow.
pub(crate) fn nesting_too_deep_in_tree(checker: &mut Checker, offset: usize, max: usize) {
    checker.report(
        offset,
        NestingTooDeep {
            kind: NestingKind::Tree,
            max,
        },
    );
}

/// Width of the indentation starting at `start` (tabs to the next multiple of 8, as Python
/// does) and the index of the first other byte.
fn indentation(bytes: &[u8], start: usize) -> (usize, usize) {
    let mut width = 0;
    let mut index = start;
    while let Some(byte) = bytes.get(index) {
        match byte {
            b' ' => width += 1,
            b'\t' => width = (width / 8 + 1) * 8,
            b'\x0c' => width = 0,
            _ => break,
        }
        index += 1;
    }
    (width, index)
}

/// Index just past the string literal whose opening quote is at `start`. Escapes are skipped
/// in every string (a raw string cannot end in an escaped quote either). An unterminated
/// one-line string stops at the end of its line; the parser reports it.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let triple = bytes[start..].starts_with(&[quote, quote, quote]);
    let mut index = start + if triple { 3 } else { 1 };
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'\\' {
            index += 2;
        } else if triple && bytes[index..].starts_with(&[quote, quote, quote]) {
            return index + 3;
        } else if !triple && byte == quote {
            return index + 1;
        } else if !triple && byte == b'\n' {
            return index;
        } else {
            index += 1;
        }
    }
    bytes.len()
}
