use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::Chain;
use crate::validate::visitor::Checker;

/// Modules that run processes, load native code or other code, reach the network, or expose
/// the interpreter's internals. An attribute with one of these names is taken to be the
/// module: allowed libraries re-export several of them (`pandas.io.common.os`).
pub(crate) const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "pty",
    "builtins",
    "importlib",
    "runpy",
    "ctypes",
    "ctypeslib",
    "socket",
    "socketserver",
    "ssl",
    "urllib",
    "urllib3",
    "http",
    "requests",
    "ftplib",
    "smtplib",
    "telnetlib",
    "webbrowser",
    "shutil",
    "pickle",
    "marshal",
    "shelve",
    "multiprocessing",
    "threading",
    "asyncio",
    "signal",
    "fcntl",
    "mmap",
    "inspect",
    "gc",
    "pdb",
    "sysconfig",
    "zipimport",
    "pkgutil",
    "f2py",
    "distutils",
    "setuptools",
    "dill",
    "joblib",
    "cloudpickle",
    "cffi",
    "copyreg",
    "weakref",
    // Archives and pickles reached through a library (`pd.io.common.zipfile`), and
    // `codecs.open`, `logging`'s file handlers and `{`-style templates.
    "zipfile",
    "tarfile",
    "pickle_compat",
    "_pickle",
    "pickletools",
    "codecs",
    "logging",
];

violation! {
    /// ## What it does
    /// Rejects an attribute chain that walks from an allowed module into a module that is not
    /// allowed, such as `pd.io.common.os`, `np.ctypeslib` or `os.path.os`: any attribute in a
    /// chain named after a dangerous module (`os`, `sys`, `subprocess`, `builtins`,
    /// `importlib`, `ctypes`, `socket`, `shutil`, `pickle`, `marshal`, ...) is rejected,
    /// whatever the chain starts from. `from pandas import os` is caught the same way.
    ///
    /// ## Why is this bad?
    /// Modules keep the modules they import as attributes, so an allowed library is a door to
    /// everything it imported itself: `pd.io.common.os.system("...")` runs a command without
    /// a single disallowed import. Checking the import statements alone misses this.
    ///
    /// ## Known problems
    /// The rule matches attribute names, so a column read as an attribute (`df.signal`) is
    /// rejected too. Index columns by name instead: `df["signal"]`.
    ///
    /// ## Example
    /// ```python
    /// import pandas as pd
    /// pd.io.common.os.system("id")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// import os
    /// files = os.listdir(os.environ["OUTPUT_DIR"])
    /// ```
    pub(crate) struct ModuleEscapeChain {
        spelling: String,
        module: String,
    }
}

impl ViolationKind for ModuleEscapeChain {
    const RULE: Rule = Rule::ModuleEscapeChain;

    fn message(&self) -> String {
        format!(
            "`{}` reaches the module `{}`, which is not allowed here",
            self.spelling, self.module
        )
    }
}

/// OFF105 on the outermost attribute of a chain: reports the first dangerous attribute.
pub(crate) fn module_escape_chain(checker: &mut Checker, chain: &Chain) {
    let dangerous = chain
        .attributes
        .iter()
        .position(|attribute| DANGEROUS_MODULES.contains(&attribute.name));
    if let Some(index) = dangerous {
        let violation = ModuleEscapeChain {
            spelling: chain.spelling_through(index),
            module: chain.attributes[index].name.to_string(),
        };
        checker.report(chain.attributes[index].offset, violation);
    }
}

/// OFF105 on `from <allowed module> import <dangerous module>` (`from pandas import os`).
pub(crate) fn module_escape_chain_import(checker: &mut Checker, import: &ast::StmtImportFrom) {
    let module = import.module.as_deref().unwrap_or("");
    for alias in &import.names {
        let name = alias.name.as_str();
        if DANGEROUS_MODULES.contains(&name) {
            let violation = ModuleEscapeChain {
                spelling: format!("{module}.{name}"),
                module: name.to_string(),
            };
            checker.report(alias.start().to_usize(), violation);
        }
    }
}
