use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::from_module_segments;
use crate::validate::visitor::Checker;

violation! {
    /// ## What it does
    /// Rejects any import of a module that is not in the policy's allowlist, matched by the
    /// exact dotted name (`openpyxl.styles` is listed on its own; allowing `openpyxl` does not
    /// allow every submodule). This covers `import x`, `from x import y`, relative imports
    /// (`from . import x`) and star imports (`from x import *`), whose names cannot be checked.
    ///
    /// ## Why is this bad?
    /// A spreadsheet program needs pandas, numpy, openpyxl, matplotlib and a few standard
    /// modules. Everything else (`subprocess`, `socket`, `ctypes`, `importlib`, `sys`, ...) is
    /// a way to run commands, reach the network or load other code.
    ///
    /// ## Example
    /// ```python
    /// import subprocess
    /// from importlib import import_module
    /// from os import *
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// import os
    /// import pandas as pd
    /// from openpyxl.styles import Font
    /// ```
    pub(crate) struct DisallowedImport {
        kind: ImportProblem,
        allowed: String,
    }
}

enum ImportProblem {
    Module(String),
    Relative(String),
    Star(String),
}

impl ViolationKind for DisallowedImport {
    const RULE: Rule = Rule::DisallowedImport;

    fn message(&self) -> String {
        match &self.kind {
            ImportProblem::Module(module) => format!(
                "Import of `{module}` is not allowed; allowed modules: {}",
                self.allowed
            ),
            ImportProblem::Relative(statement) => {
                format!("Relative import `{statement}` is not allowed; import modules by name")
            }
            ImportProblem::Star(module) => format!(
                "Star import `from {module} import *` is not allowed; import the names you use"
            ),
        }
    }
}

/// OFF101 on `import a.b [as c], ...`
pub(crate) fn disallowed_import(checker: &mut Checker, import: &ast::StmtImport) {
    for alias in &import.names {
        let module = alias.name.as_str();
        if !checker.policy.allowed_modules.contains(module) {
            let violation = DisallowedImport {
                kind: ImportProblem::Module(module.to_string()),
                allowed: allowed_list(checker),
            };
            checker.report(alias.start().to_usize(), violation);
        }
    }
}

/// OFF101 on `from a.b import c, ...`
pub(crate) fn disallowed_import_from(checker: &mut Checker, import: &ast::StmtImportFrom) {
    let offset = import.start().to_usize();
    let module = from_module_segments(import).join(".");
    let relative = import.level.is_some_and(|level| level.to_u32() > 0);
    let kind = if relative {
        let names: Vec<&str> = import
            .names
            .iter()
            .map(|alias| alias.name.as_str())
            .collect();
        let dots = ".".repeat(import.level.map_or(0, |level| level.to_usize()));
        let module = format!("{dots}{}", import.module.as_deref().unwrap_or(""));
        Some(ImportProblem::Relative(format!(
            "from {module} import {}",
            names.join(", ")
        )))
    } else if !checker.policy.allowed_modules.contains(&module) {
        Some(ImportProblem::Module(module.clone()))
    } else if import.names.iter().any(|alias| alias.name.as_str() == "*") {
        Some(ImportProblem::Star(module))
    } else {
        None
    };
    if let Some(kind) = kind {
        let allowed = allowed_list(checker);
        checker.report(offset, DisallowedImport { kind, allowed });
    }
}

/// The allowed top-level modules, for the message (the full list is in the policy).
fn allowed_list(checker: &Checker) -> String {
    let mut roots: Vec<&str> = checker
        .policy
        .allowed_modules
        .iter()
        .map(|module| module.split('.').next().unwrap_or(module))
        .collect();
    roots.dedup();
    roots.join(", ")
}
