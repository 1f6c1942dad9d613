use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::{Chain, QualifiedName};
use crate::validate::visitor::{Checker, Role};

violation! {
    /// ## What it does
    /// Allows `os` only through a safe subset of its attributes: `os.path.*`, reading the
    /// environment (`os.environ`, `os.getenv`), listing and creating folders (`os.listdir`,
    /// `os.scandir`, `os.walk`, `os.makedirs`, `os.mkdir`, `os.getcwd`), removing a file
    /// (`os.remove`, `os.unlink`: the sandbox confines it to the job's own folders) and the
    /// separator constants. Everything else is rejected however it is spelled: `os.system(...)`,
    /// `import os as o; o.popen(...)`, `from os import execv`. The `os` module itself may not
    /// be passed around as a value (`run(os)`, `o = os`), since a rule cannot follow it there.
    ///
    /// ## Why is this bad?
    /// Reading `INPUT_PATH` and `OUTPUT_DIR` from the environment is how a program learns where
    /// its files are, so `os` cannot simply be banned. But most of `os` starts processes
    /// (`system`, `popen`, `exec*`, `spawn*`, `fork`), sends signals (`kill`), or rewires
    /// files (`rename`, `chmod`, `symlink`, `link`).
    ///
    /// ## Example
    /// ```python
    /// import os
    /// os.system("ls " + folder)
    /// os.chmod(os.path.join(OUTPUT_DIR, "old.xlsx"), 0o777)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// import os
    /// files = os.listdir(folder)
    /// output_path = os.path.join(os.environ["OUTPUT_DIR"], "result.xlsx")
    /// ```
    ///
    /// ## References
    /// - CWE-78: OS Command Injection
    pub(crate) struct DisallowedOsAttribute {
        spelling: String,
        attribute: Option<String>,
    }
}

impl ViolationKind for DisallowedOsAttribute {
    const RULE: Rule = Rule::DisallowedOsAttribute;

    fn message(&self) -> String {
        match &self.attribute {
            Some(attribute) => format!(
                "`{}` is not allowed: `os.{attribute}` is outside the allowed part of `os`",
                self.spelling
            ),
            None => format!(
                "The `os` module may only be used through its allowed attributes, not as `{}`",
                self.spelling
            ),
        }
    }
}

/// The disallowed `os` attribute a qualified name reaches, if any.
fn disallowed_attribute<'q>(checker: &Checker, qualified: &QualifiedName<'q>) -> Option<&'q str> {
    if !qualified.imported || !qualified.starts_with(&["os"]) {
        return None;
    }
    let attribute: &'q str = qualified.segments.get(1)?;
    (!checker.policy.allowed_os_attributes.contains(attribute)).then_some(attribute)
}

/// OFF104 on the outermost attribute of a chain (`os.system`, `o.path.join`).
pub(crate) fn disallowed_os_attribute(checker: &mut Checker, chain: &Chain) {
    for qualified in checker.imports.resolve_chain(chain) {
        let Some(attribute) = disallowed_attribute(checker, &qualified) else {
            continue;
        };
        // The bad attribute is either part of what the root name was imported as
        // (`from os import system`) or one of the chain's own attributes.
        let written = chain.attributes.len();
        let root_segments = qualified.segments.len() - written;
        let (offset, spelling) = if root_segments >= 2 {
            (
                chain.root.map_or(0, |root| root.start().to_usize()),
                chain.spelling_through(0),
            )
        } else {
            let index = 1 - root_segments;
            (
                chain.attributes[index].offset,
                chain.spelling_through(index),
            )
        };
        let attribute = Some(attribute.to_string());
        checker.report(
            offset,
            DisallowedOsAttribute {
                spelling,
                attribute,
            },
        );
        return;
    }
}

/// OFF104 on a name standing for `os` or a disallowed member of it (`system` after
/// `from os import system`), when it is not the base of an attribute chain.
pub(crate) fn disallowed_os_module_reference(
    checker: &mut Checker,
    name: &ast::ExprName,
    role: Role,
) {
    if role == Role::AttributeBase {
        return;
    }
    for qualified in checker.imports.resolve_name(name.id.as_str()) {
        let spelling = name.id.to_string();
        let violation = if qualified.imported && qualified.segments == ["os"] {
            DisallowedOsAttribute {
                spelling,
                attribute: None,
            }
        } else if let Some(attribute) = disallowed_attribute(checker, &qualified) {
            DisallowedOsAttribute {
                spelling,
                attribute: Some(attribute.to_string()),
            }
        } else {
            continue;
        };
        checker.report(name.start().to_usize(), violation);
        return;
    }
}

/// OFF104 on `from os import system`.
pub(crate) fn disallowed_os_attribute_import(checker: &mut Checker, import: &ast::StmtImportFrom) {
    if import.module.as_deref() != Some("os") || import.level.is_some_and(|l| l.to_u32() > 0) {
        return;
    }
    for alias in &import.names {
        let attribute = alias.name.as_str();
        if attribute != "*" && !checker.policy.allowed_os_attributes.contains(attribute) {
            let violation = DisallowedOsAttribute {
                spelling: format!("from os import {attribute}"),
                attribute: Some(attribute.to_string()),
            };
            checker.report(alias.start().to_usize(), violation);
        }
    }
}
