use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::{Chain, from_module_segments};
use crate::validate::visitor::Checker;

/// pandas' public subpackages; every other name under `pandas` is a top-level function or
/// class (`pd.read_csv`, `pd.DataFrame`), or one of the internal packages below.
const INTERNAL_PACKAGES: &[&str] = &[
    "core", "compat", "io", "util", "_config", "_libs", "_testing", "tests", "conftest", "_typing",
    "_version",
];

/// Paths inside the internal packages that are documented for users.
const PUBLIC_INSIDE: &[&[&str]] = &[
    &["pandas", "io", "formats", "style"],
    &["pandas", "io", "formats", "excel", "ExcelFormatter"],
];

violation! {
    /// ## What it does
    /// Allows pandas only through its public surface: top-level names (`pd.read_csv`,
    /// `pd.DataFrame`, `pd.Timestamp`) and the documented subpackages (`pandas.api`,
    /// `pandas.arrays`, `pandas.errors`, `pandas.plotting`, `pandas.tseries`,
    /// `pandas.io.formats.style`, and `pandas.io.formats.excel.ExcelFormatter`, whose header
    /// style programs reset). Reaching into `pandas.core`, `pandas.compat`, `pandas.io`,
    /// `pandas.util` or the private packages, by attribute or import, is rejected.
    ///
    /// ## Why is this bad?
    /// pandas' internals import what the policy keeps out and hold it under their own
    /// names: `pandas.io.common.urlopen` is urllib's, `pandas.compat.pickle_compat` loads
    /// pickles, `pandas.io.common` has `zipfile` and `os`, and `pandas.core.computation`
    /// holds the expression parser and the scope objects that hand Python objects to a
    /// query. This is an allowlist, not a list of those names: the internals change with
    /// every release, and the public surface is what programs use.
    ///
    /// ## Example
    /// ```python
    /// from pandas.core.computation.scope import Scope
    /// page = pd.io.common.urlopen("http://example.test/")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// from pandas.api.types import is_numeric_dtype
    /// ```
    pub(crate) struct PandasInternalModule {
        spelling: String,
    }
}

impl ViolationKind for PandasInternalModule {
    const RULE: Rule = Rule::PandasInternalModule;

    fn message(&self) -> String {
        format!(
            "`{}` reaches pandas' internals; use its public API",
            self.spelling
        )
    }
}

fn internal(segments: &[&str]) -> bool {
    segments.len() >= 2
        && segments[0] == "pandas"
        && INTERNAL_PACKAGES.contains(&segments[1])
        && !PUBLIC_INSIDE.iter().any(|public| {
            segments.len() >= public.len() && segments.iter().zip(*public).all(|(s, p)| s == p)
        })
}

/// OFF121 on an attribute chain (its outermost attribute).
pub(crate) fn pandas_internal_module(checker: &mut Checker, chain: &Chain) {
    let found = checker
        .imports
        .resolve_chain(chain)
        .iter()
        .any(|qualified| qualified.imported && internal(&qualified.segments));
    if found {
        let offset = chain.root.map_or(0, |root| root.start().to_usize());
        let spelling = chain.spelling_through(chain.attributes.len() - 1);
        checker.report(offset, PandasInternalModule { spelling });
    }
}

/// OFF121 on `import pandas.core...` and `from pandas.core... import x`.
pub(crate) fn pandas_internal_import(checker: &mut Checker, stmt: &ast::Stmt) {
    match stmt {
        ast::Stmt::Import(import) => {
            for alias in &import.names {
                let segments: Vec<&str> = alias.name.split('.').collect();
                if internal(&segments) {
                    let spelling = format!("import {}", alias.name);
                    checker.report(alias.start().to_usize(), PandasInternalModule { spelling });
                }
            }
        }
        ast::Stmt::ImportFrom(import) => {
            let module = from_module_segments(import);
            for alias in &import.names {
                let mut segments: Vec<&str> = module.iter().map(String::as_str).collect();
                segments.push(alias.name.as_str());
                if internal(&segments) {
                    let spelling = format!("from {} import {}", module.join("."), alias.name);
                    checker.report(alias.start().to_usize(), PandasInternalModule { spelling });
                    return;
                }
            }
        }
        _ => {}
    }
}
