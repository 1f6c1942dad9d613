use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::{Chain, from_module_segments};
use crate::validate::visitor::Checker;

/// Parts of the allowed modules that build or load native code, reach memory directly, run
/// programs, reach outside the sandbox's files, or evaluate strings.
const DISALLOWED_MEMBERS: &[(&[&str], &str)] = &[
    (
        &["numpy", "testing"],
        "runs doctests and builds C extensions",
    ),
    (&["numpy", "ctypeslib"], "loads native libraries"),
    (&["numpy", "f2py"], "compiles and imports native code"),
    (&["numpy", "distutils"], "compiles native code"),
    (
        &["numpy", "lib", "stride_tricks", "as_strided"],
        "reads arbitrary memory",
    ),
    (&["numpy", "DataSource"], "opens URLs"),
    (&["numpy", "lib", "npyio", "DataSource"], "opens URLs"),
    (&["pandas", "read_clipboard"], "runs clipboard programs"),
    (&["pandas", "io", "clipboard"], "runs clipboard programs"),
    (&["pandas", "io", "clipboards"], "runs clipboard programs"),
    (&["pandas", "read_sql"], "connects to databases"),
    (&["pandas", "read_sql_query"], "connects to databases"),
    (&["pandas", "read_sql_table"], "connects to databases"),
    (&["pandas", "io", "sql"], "connects to databases"),
    (&["matplotlib", "animation"], "runs ffmpeg and ImageMagick"),
    (&["matplotlib", "texmanager"], "runs latex"),
    (&["matplotlib", "dviread"], "runs TeX programs"),
    (
        &["matplotlib", "testing"],
        "runs programs and changes global state",
    ),
    (
        &["typing", "get_type_hints"],
        "evaluates annotation strings",
    ),
    (&["typing", "ForwardRef"], "evaluates annotation strings"),
    (
        &["string", "Template", "pattern"],
        "changes how templates are parsed",
    ),
];

/// Methods refused on any object (`df.to_clipboard()`).
const DISALLOWED_METHODS: &[(&str, &str)] = &[
    ("to_clipboard", "runs clipboard programs"),
    ("read_clipboard", "runs clipboard programs"),
];

violation! {
    /// ## What it does
    /// Rejects the parts of the allowed modules that do what the modules themselves are not
    /// allowed for: `np.testing`, `np.ctypeslib`, `np.f2py`, `np.distutils`,
    /// `np.lib.stride_tricks.as_strided`, `np.DataSource`; `pd.read_clipboard`,
    /// `DataFrame.to_clipboard`, `pd.read_sql*` and `pd.io.sql`; `matplotlib.animation`,
    /// `matplotlib.texmanager`, `matplotlib.dviread`, `matplotlib.testing`;
    /// `typing.get_type_hints` and `typing.ForwardRef`. Caught as attribute chains
    /// (`np.testing.rundocs`), as `from numpy import testing`, and by method name for the
    /// clipboard. (`os` has its own allowlist, OFF104.)
    ///
    /// ## Why is this bad?
    /// An allowed library is a door to everything in it: numpy builds and loads C code and
    /// hands out raw memory views, pandas runs `xclip` for the clipboard and connects to
    /// databases, matplotlib runs ffmpeg and latex, and `typing.get_type_hints` calls `eval`
    /// on string annotations. None of it is needed to analyse a spreadsheet.
    ///
    /// ## Example
    /// ```python
    /// np.testing.rundocs(path)
    /// hints = typing.get_type_hints(func)
    /// view = np.lib.stride_tricks.as_strided(arr, shape=(10**9,), strides=(1,))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// windows = np.lib.stride_tricks.sliding_window_view(arr, 3)
    /// df.to_csv(os.path.join(OUTPUT_DIR, "result.csv"), index=False)
    /// ```
    pub(crate) struct DisallowedModuleAttribute {
        spelling: String,
        why: &'static str,
    }
}

impl ViolationKind for DisallowedModuleAttribute {
    const RULE: Rule = Rule::DisallowedModuleAttribute;

    fn message(&self) -> String {
        format!("`{}` is not allowed: it {}", self.spelling, self.why)
    }
}

fn disallowed(segments: &[&str]) -> Option<(&'static [&'static str], &'static str)> {
    DISALLOWED_MEMBERS.iter().copied().find(|(member, _)| {
        segments.len() >= member.len() && segments.iter().zip(member.iter()).all(|(s, m)| s == m)
    })
}

/// OFF116 on the outermost attribute of a chain (`np.testing.rundocs`, `df.to_clipboard`).
pub(crate) fn disallowed_module_attribute(checker: &mut Checker, chain: &Chain) {
    if let Some((index, why)) = chain.attributes.iter().enumerate().find_map(|(i, a)| {
        DISALLOWED_METHODS
            .iter()
            .find(|(method, _)| *method == a.name)
            .map(|(_, why)| (i, *why))
    }) {
        let spelling = chain.spelling_through(index);
        let offset = chain.attributes[index].offset;
        checker.report(offset, DisallowedModuleAttribute { spelling, why });
        return;
    }
    for qualified in checker.imports.resolve_chain(chain) {
        if !qualified.imported {
            continue;
        }
        if let Some((member, why)) = disallowed(&qualified.segments) {
            // Report at the attribute that completes the disallowed member.
            let written = chain.attributes.len();
            let root_segments = qualified.segments.len() - written;
            let index = member
                .len()
                .saturating_sub(root_segments + 1)
                .min(written - 1);
            let (offset, spelling) = if member.len() <= root_segments {
                (
                    chain.root.map_or(0, |root| root.start().to_usize()),
                    chain.spelling_through(0),
                )
            } else {
                (
                    chain.attributes[index].offset,
                    chain.spelling_through(index),
                )
            };
            checker.report(offset, DisallowedModuleAttribute { spelling, why });
            return;
        }
    }
}

/// OFF116 on `from numpy import testing`, `from typing import get_type_hints`.
pub(crate) fn disallowed_module_attribute_import(
    checker: &mut Checker,
    import: &ast::StmtImportFrom,
) {
    let module = from_module_segments(import);
    for alias in &import.names {
        let mut segments: Vec<&str> = module.iter().map(String::as_str).collect();
        segments.push(alias.name.as_str());
        if let Some((_, why)) = disallowed(&segments) {
            let spelling = format!("{}.{}", module.join("."), alias.name);
            checker.report(
                alias.start().to_usize(),
                DisallowedModuleAttribute { spelling, why },
            );
        }
    }
}
