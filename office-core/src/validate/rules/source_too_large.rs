use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

violation! {
    /// ## What it does
    /// Rejects a source larger than the policy's `max_source_bytes` (256 KiB by default),
    /// before anything else looks at it.
    ///
    /// ## Why is this bad?
    /// Programs that answer a spreadsheet request are a few hundred lines at most. A huge
    /// source costs parse time and memory on every check and is a way to hide code in bulk.
    ///
    /// ## Example
    /// ```python
    /// DATA = [0, 0, 0, ...]  # ten megabytes of literals pasted into the program
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// import pandas as pd
    /// data = pd.read_excel(os.environ["INPUT_PATH"])  # read the data from the input file
    /// ```
    pub(crate) struct SourceTooLarge {
        size: usize,
        max: usize,
    }
}

impl ViolationKind for SourceTooLarge {
    const RULE: Rule = Rule::SourceTooLarge;

    fn message(&self) -> String {
        format!(
            "The program is {} bytes, more than `max_source_bytes` ({} bytes)",
            self.size, self.max
        )
    }
}

/// OFF002. True when the source is too large (and nothing else should look at it).
pub(crate) fn source_too_large(checker: &mut Checker, source: &str) -> bool {
    let max = checker.policy.max_source_bytes;
    if source.len() <= max {
        return false;
    }
    checker.report(
        0,
        SourceTooLarge {
            size: source.len(),
            max,
        },
    );
    true
}
