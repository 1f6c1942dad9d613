use rustpython_parser::ast::{self, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::attribute_name_offset;
use crate::validate::values::{argument, has_unpacking, is_false_literal};
use crate::validate::visitor::Checker;

/// Methods that read or write pickles, whatever object they are called on.
const PICKLE_METHODS: &[&str] = &["read_pickle", "to_pickle"];

/// numpy's array pickling methods (`arr.dumps()` is a pickle); `json.dump(s)` is not.
const ARRAY_PICKLE_METHODS: &[&str] = &["dump", "dumps"];

violation! {
    /// ## What it does
    /// Rejects reading and writing pickles: `pd.read_pickle`, `DataFrame.to_pickle` (on any
    /// object), `from pandas import read_pickle`, numpy's `allow_pickle=` set to anything but
    /// `False` (`np.load(path, allow_pickle=True)`, also as the third positional argument or
    /// hidden in `**kwargs`), and an array's `.dump()`/`.dumps()`. Importing `pickle`,
    /// `marshal`, `shelve`, `dill`, `joblib` or `cloudpickle` is already refused by OFF101.
    ///
    /// ## Why is this bad?
    /// Loading a pickle runs code: the file names a function and its arguments, and
    /// unpickling calls it (`os.system`, `eval`, ...). An input file or a file written earlier
    /// can carry it. Writing one is refused too: office hands its outputs to people, and a
    /// pickle is code that runs when they load it; workbooks, CSV, JSON and images carry the
    /// same data without that.
    ///
    /// ## Example
    /// ```python
    /// df = pd.read_pickle(os.environ["INPUT_PATH"])
    /// arr = np.load("data.npy", allow_pickle=True)
    /// df.to_pickle(os.path.join(OUTPUT_DIR, "cache.pkl"))
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// df = pd.read_csv(os.environ["INPUT_PATH"])
    /// arr = np.load("data.npy")
    /// df.to_csv(os.path.join(OUTPUT_DIR, "result.csv"), index=False)
    /// ```
    ///
    /// ## References
    /// - CWE-502: Deserialization of Untrusted Data
    pub(crate) struct PickleDeserialization {
        construct: String,
    }
}

impl ViolationKind for PickleDeserialization {
    const RULE: Rule = Rule::PickleDeserialization;

    fn message(&self) -> String {
        format!(
            "`{}` reads or writes a pickle, which runs code when loaded",
            self.construct
        )
    }
}

/// OFF108 on `x.read_pickle`, `x.to_pickle`, `arr.dump(s)` (not `json.dump(s)`).
pub(crate) fn pickle_attribute(checker: &mut Checker, attribute: &ast::ExprAttribute) {
    let name = attribute.attr.as_str();
    let pickles = PICKLE_METHODS.contains(&name)
        || (ARRAY_PICKLE_METHODS.contains(&name)
            && !checker
                .imports
                .resolve_expr(&attribute.value)
                .iter()
                .any(|q| q.imported && q.segments.first().is_some_and(|m| *m == "json")));
    if pickles {
        checker.report(
            attribute_name_offset(attribute),
            PickleDeserialization {
                construct: format!(".{name}"),
            },
        );
    }
}

/// OFF108 on `from pandas import read_pickle`.
pub(crate) fn pickle_import(checker: &mut Checker, import: &ast::StmtImportFrom) {
    for alias in &import.names {
        if PICKLE_METHODS.contains(&alias.name.as_str()) {
            let construct = format!("from ... import {}", alias.name);
            checker.report(
                alias.start().to_usize(),
                PickleDeserialization { construct },
            );
        }
    }
}

/// OFF108 on `allow_pickle=` that is not `False`, and on `np.load` calls that pass it
/// positionally or may pass it through `**kwargs`.
pub(crate) fn pickle_allowed(checker: &mut Checker, call: &ast::ExprCall) {
    let offset = call.start().to_usize();
    let is_load = checker.imports.matches(&call.func, &["numpy", "load"]);
    let allow = if is_load {
        argument(call, 2, "allow_pickle")
    } else {
        crate::validate::values::keyword(call, "allow_pickle")
    };
    let construct = if allow.is_some_and(|value| !is_false_literal(value)) {
        "allow_pickle=True"
    } else if is_load && has_unpacking(call) {
        "np.load(..., **kwargs)"
    } else {
        return;
    };
    checker.report(
        offset,
        PickleDeserialization {
            construct: construct.to_string(),
        },
    );
}
