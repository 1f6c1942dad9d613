use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use super::forbidden_builtin::FORBIDDEN_BUILTINS;
use crate::validate::registry::Rule;
use crate::validate::resolve::{Chain, QualifiedName, from_module_segments};
use crate::validate::visitor::Checker;

/// Functions that are `getattr` by another name, or open URLs, or start programs: a library
/// that imports one has it as an attribute (`pandas.io.common.urlopen`).
const REEXPORTED_FUNCTIONS: &[&str] = &[
    "attrgetter",
    "methodcaller",
    "help",
    "urlopen",
    "urlretrieve",
    "build_opener",
    "install_opener",
    "Popen",
    "check_output",
    "getoutput",
];

/// Where OFF102 already judges these names (`builtins.eval`, `operator.attrgetter`), and
/// pandas' own `eval`, which OFF111 checks as an expression.
fn judged_elsewhere(segments: &[&str]) -> bool {
    matches!(segments.first().copied(), Some("builtins" | "operator"))
        || segments == ["pandas", "eval"]
}

violation! {
    /// ## What it does
    /// Rejects a forbidden builtin (`eval`, `exec`, `getattr`, ...), `help`, `attrgetter`,
    /// `methodcaller`, or a function that opens URLs or starts programs (`urlopen`,
    /// `Popen`, ...) reached as a member of any imported module, by attribute or by
    /// `from ... import`, whatever the module is called: `numpy.compat.getattr`,
    /// `from pandas.io.common import urlopen`.
    ///
    /// ## Why is this bad?
    /// A module that imports a function keeps it as an attribute, so every allowed library
    /// re-exports whatever it imported: the builtins through modules that bind them,
    /// `operator`'s `attrgetter` through modules that use it, `urllib.request.urlopen` as
    /// `pandas.io.common.urlopen`. Rules that know those functions by their home module
    /// miss them under the library's name; the function's own name does not change.
    ///
    /// ## Example
    /// ```python
    /// from pandas.io.common import urlopen
    /// page = urlopen("http://example.test/")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// df = pd.read_csv(os.environ["INPUT_PATH"])
    /// ```
    pub(crate) struct ReexportedMember {
        spelling: String,
        member: String,
    }
}

impl ViolationKind for ReexportedMember {
    const RULE: Rule = Rule::ReexportedMember;

    fn message(&self) -> String {
        format!(
            "`{}` is `{}` re-exported by a library; it is not allowed",
            self.spelling, self.member
        )
    }
}

fn reexported<'a>(qualified: &QualifiedName<'a>) -> Option<&'a str> {
    let [.., last] = qualified.segments.as_slice() else {
        return None;
    };
    let last: &'a str = last;
    let named = FORBIDDEN_BUILTINS.contains(&last) || REEXPORTED_FUNCTIONS.contains(&last);
    (qualified.imported
        && qualified.segments.len() >= 2
        && named
        && !judged_elsewhere(&qualified.segments))
    .then_some(last)
}

/// OFF119 on an attribute chain (its outermost attribute).
pub(crate) fn reexported_member(checker: &mut Checker, chain: &Chain) {
    let Some(last) = chain.attributes.last() else {
        return;
    };
    let found = checker
        .imports
        .resolve_chain(chain)
        .iter()
        .find_map(|qualified| reexported(qualified).map(str::to_string));
    if let Some(member) = found {
        let spelling = chain.spelling_through(chain.attributes.len() - 1);
        checker.report(last.offset, ReexportedMember { spelling, member });
    }
}

/// OFF119 on `from module import member`.
pub(crate) fn reexported_member_import(checker: &mut Checker, import: &ast::StmtImportFrom) {
    let module = from_module_segments(import);
    for alias in &import.names {
        let mut segments: Vec<&str> = module.iter().map(String::as_str).collect();
        segments.push(alias.name.as_str());
        let qualified = QualifiedName {
            segments,
            imported: true,
        };
        if let Some(member) = reexported(&qualified) {
            let spelling = format!("from {} import {member}", module.join("."));
            let member = member.to_string();
            checker.report(
                alias.start().to_usize(),
                ReexportedMember { spelling, member },
            );
        }
    }
}
