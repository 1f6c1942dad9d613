//! Validate stage: a policy on the Python AST of a generated program.
//! This is a speed bump, not the boundary (the sandbox is): it rejects the obvious and
//! explains each rejection with a rule id, a position and a message.
//!
//! Layout (modelled on ruff's linter):
//! - `registry`: the `Rule` enum, the only place rule codes are written down;
//! - `rules/`: one file per rule, each a violation struct whose doc comment is the rule's
//!   documentation, plus one `pub(crate) fn` check;
//! - `resolve`: the import/alias table, so rules match qualified names, not spellings;
//! - `visitor`: one walk over the AST, calling each rule at the node kinds it cares about;
//! - `bindings`: what plain names are assigned, for rules that need a name's literal value;
//! - `settings`: the matplotlib settings a call or assignment writes, read once for the
//!   rules about plotting backends and about settings that name programs or paths;
//! - `values`: small readers of literals and arguments;
//! - `locate`: byte offsets to 1-based line and column.
//!
//! Checks that protect the parser itself (size, nesting depth) run on the raw text first.

mod bindings;
mod locate;
mod registry;
mod resolve;
mod rules;
mod settings;
mod values;
mod visitor;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use registry::{Lifecycle, Rule};

/// One broken rule at one place in the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Stable rule id, e.g. `OFF101`.
    pub code: String,
    /// 1-based line and column.
    pub line: u32,
    /// 1-based column where the finding starts.
    pub col: u32,
    /// What is wrong and how to fix it, for the user (or a model repairing the program).
    pub message: String,
}

impl Violation {
    /// The rule that found it, from the registry (`None` only for a code no rule has).
    pub fn rule(&self) -> Option<Rule> {
        Rule::from_code(&self.code)
    }
}

/// What a generated program may do. `Policy::default()` is the policy office runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Modules that may be imported, by exact dotted name (`openpyxl.styles`, not `openpyxl.*`).
    pub allowed_modules: BTreeSet<String>,
    /// Attributes of `os` a program may use (`os.path`, `os.environ`, ...); `os.system` and
    /// friends are not in it.
    pub allowed_os_attributes: BTreeSet<String>,
    /// Larger sources are rejected without being parsed.
    pub max_source_bytes: usize,
    /// Deepest bracket nesting and deepest block indentation accepted; checked on the raw text
    /// before parsing. The tree walk itself stops descending at ten times this depth.
    pub max_nesting_depth: usize,
}

/// Modules a generated program may import by default.
pub(crate) const DEFAULT_ALLOWED_MODULES: &[&str] = &[
    "pandas",
    "pandas.api.types",
    "numpy",
    "openpyxl",
    "openpyxl.styles",
    "openpyxl.styles.numbers",
    "openpyxl.utils",
    "openpyxl.utils.dataframe",
    "openpyxl.chart",
    "openpyxl.chart.label",
    "openpyxl.chart.series",
    "openpyxl.drawing.image",
    "openpyxl.formatting.rule",
    "openpyxl.worksheet.table",
    "openpyxl.worksheet.datavalidation",
    "openpyxl.workbook",
    "openpyxl.worksheet",
    "openpyxl.cell",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib.ticker",
    "matplotlib.dates",
    "matplotlib.colors",
    // Registers the bundled CJK font so charts draw CJK text, not boxes.
    "matplotlib.font_manager",
    // Only a font file and its path (the pinned runtime's CJK font for charts).
    "noto_cjk_sans_jp_regular",
    "json",
    "math",
    "statistics",
    "datetime",
    "re",
    "collections",
    "itertools",
    "functools",
    "decimal",
    "fractions",
    "string",
    "textwrap",
    "os",
    "os.path",
    "pathlib",
    "typing",
    "dataclasses",
    "enum",
    "csv",
    "warnings",
    "calendar",
    "numbers",
    "operator",
    "copy",
    "heapq",
    "bisect",
    "zoneinfo",
];

/// The part of `os` a program may use: paths, reading the environment (that is how it gets
/// `INPUT_PATH` and `OUTPUT_DIR`), listing and creating folders, removing a file it made
/// (the sandbox confines writes to its own folders; the inputs are read-only there).
/// Nothing that runs processes, sends signals, or rewires files.
pub(crate) const DEFAULT_ALLOWED_OS_ATTRIBUTES: &[&str] = &[
    "path", "environ", "getenv", "listdir", "scandir", "walk", "makedirs", "mkdir", "getcwd",
    "fspath", "sep", "linesep", "pathsep", "curdir", "pardir", "extsep", "remove", "unlink",
];

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allowed_modules: DEFAULT_ALLOWED_MODULES
                .iter()
                .map(|m| m.to_string())
                .collect(),
            allowed_os_attributes: DEFAULT_ALLOWED_OS_ATTRIBUTES
                .iter()
                .map(|a| a.to_string())
                .collect(),
            max_source_bytes: 256 * 1024,
            max_nesting_depth: 100,
        }
    }
}

/// Every rule, in code order (removed rules included, marked by their lifecycle).
pub fn rules() -> &'static [Rule] {
    Rule::ALL
}

/// Checks `source` against `policy` and returns every violation, sorted by line and column.
/// An empty result means the program is accepted.
pub fn validate(source: &str, policy: &Policy) -> Vec<Violation> {
    let mut violations = visitor::check_source(source, policy);
    violations.sort_by(|a, b| (a.line, a.col, &a.code).cmp(&(b.line, b.col, &b.code)));
    violations.dedup();
    violations
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(source: &str) -> Vec<String> {
        validate(source, &Policy::default())
            .into_iter()
            .map(|v| v.code)
            .collect()
    }

    #[test]
    fn deep_parentheses_are_refused_before_parsing() {
        let depth = 100_000;
        let source = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
        let violations = validate(&source, &Policy::default());
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].code, "OFF003");
        assert_eq!((violations[0].line, violations[0].col), (1, 5 + 100));
    }

    #[test]
    fn deeply_indented_blocks_are_refused_before_parsing() {
        let mut source = String::new();
        for level in 0..5_000 {
            source.push_str(&" ".repeat(level));
            source.push_str("if x:\n");
        }
        source.push_str(&" ".repeat(5_000));
        source.push_str("pass\n");
        let violations = validate(
            &source,
            &Policy {
                max_source_bytes: 64 << 20,
                ..Policy::default()
            },
        );
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].code, "OFF003");
        assert_eq!(violations[0].line, 102);
    }

    #[test]
    fn deep_expression_trees_without_brackets_are_reported_not_overflowed() {
        for operator in ["a + ", "not ", "-", "x if y else ", "lambda: "] {
            let source = format!("v = {}1\n", operator.repeat(120_000));
            let policy = Policy {
                max_source_bytes: 4 << 20,
                ..Policy::default()
            };
            let found: Vec<String> = validate(&source, &policy)
                .into_iter()
                .map(|v| v.code)
                .collect();
            assert!(
                found.contains(&"OFF003".to_string()),
                "{operator}: {found:?}"
            );
        }
    }

    #[test]
    fn ten_megabyte_source_is_refused_by_size_alone() {
        let source = "x = 1\n".repeat((10 << 20) / 6);
        assert_eq!(codes(&source), ["OFF002"]);
    }

    #[test]
    fn two_megabyte_source_is_checked_when_the_policy_allows_it() {
        let source = "x = [1, 2, 3]\n".repeat((2 << 20) / 14);
        let policy = Policy {
            max_source_bytes: 16 << 20,
            ..Policy::default()
        };
        assert_eq!(validate(&source, &policy), []);
    }
}
