use rustpython_parser::ast::{self, Expr, Ranged, Stmt};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

/// Methods Python calls on its own at moments the reader does not see: class creation and
/// subscription, attribute lookup, pickling, garbage collection, isinstance checks.
const HOOK_METHODS: &[&str] = &[
    "__init_subclass__",
    "__class_getitem__",
    "__set_name__",
    "__mro_entries__",
    "__prepare__",
    "__new__",
    "__del__",
    "__reduce__",
    "__reduce_ex__",
    "__getstate__",
    "__setstate__",
    "__getnewargs__",
    "__getnewargs_ex__",
    "__getattr__",
    "__getattribute__",
    "__setattr__",
    "__delattr__",
    "__get__",
    "__set__",
    "__delete__",
    "__instancecheck__",
    "__subclasscheck__",
    "__subclasshook__",
];

/// Metaclasses in the allowed modules; subclassing one makes a metaclass.
const METACLASSES: &[&[&str]] = &[
    &["type"],
    &["enum", "EnumMeta"],
    &["enum", "EnumType"],
    &["abc", "ABCMeta"],
];

violation! {
    /// ## What it does
    /// Rejects metaclasses and the class hooks Python calls on its own: class keywords
    /// (`class A(metaclass=M)`, `class A(Base, flag=1)`, which go to `__init_subclass__`),
    /// classes derived from `type` or another metaclass, three-argument `type(name, bases,
    /// namespace)` and `dataclasses.make_dataclass`, and defining hook methods in a class body: `__init_subclass__`,
    /// `__class_getitem__`, `__set_name__`, `__new__`, `__del__`, `__reduce__`,
    /// `__getattr__`, `__getattribute__`, `__setattr__`, descriptors (`__get__`, `__set__`),
    /// `__instancecheck__` and friends. Ordinary methods, `__init__`, `__repr__`,
    /// comparisons, dataclasses and enums are fine.
    ///
    /// ## Why is this bad?
    /// These hooks run code at moments a reader (and a rule) does not look at: when a class
    /// is created or subclassed, when any attribute is looked up, when an object is
    /// pickled, compared with `isinstance`, or collected. Sandbox escapes use them to run a
    /// payload from inside library code or after checks are done. Analysis code has no use
    /// for them.
    ///
    /// ## Example
    /// ```python
    /// class Loader(metaclass=Meta):
    ///     def __del__(self):
    ///         cleanup()
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// @dataclass
    /// class Summary:
    ///     region: str
    ///     total: float
    /// ```
    pub(crate) struct ClassCreationHook {
        construct: String,
    }
}

impl ViolationKind for ClassCreationHook {
    const RULE: Rule = Rule::ClassCreationHook;

    fn message(&self) -> String {
        format!(
            "`{}` hooks into class creation or attribute lookup; it is not allowed",
            self.construct
        )
    }
}

fn report(checker: &mut Checker, offset: usize, construct: String) {
    checker.report(offset, ClassCreationHook { construct });
}

/// OFF113 on a class definition: keywords, metaclass bases, hook methods in its body.
pub(crate) fn class_creation_hook(checker: &mut Checker, class: &ast::StmtClassDef) {
    for keyword in &class.keywords {
        let construct = match &keyword.arg {
            Some(arg) => format!("{arg}="),
            None => "**kwargs".to_string(),
        };
        report(checker, keyword.start().to_usize(), construct);
    }
    for base in &class.bases {
        let metaclass = METACLASSES
            .iter()
            .find(|segments| checker.imports.matches(base, segments));
        if let Some(segments) = metaclass {
            let construct = format!("class {}({})", class.name, segments.join("."));
            report(checker, base.start().to_usize(), construct);
        }
    }
    for stmt in &class.body {
        let (name, offset) = match stmt {
            Stmt::FunctionDef(def) => (def.name.as_str(), def.start().to_usize()),
            Stmt::AsyncFunctionDef(def) => (def.name.as_str(), def.start().to_usize()),
            _ => continue,
        };
        if HOOK_METHODS.contains(&name) {
            report(checker, offset, format!("def {name}"));
        }
    }
}

/// OFF113 on `type(name, bases, namespace)`, which creates a class.
pub(crate) fn dynamic_class(checker: &mut Checker, call: &ast::ExprCall) {
    let three_arguments = call.args.len() + call.keywords.len() >= 2
        || call.args.iter().any(|arg| matches!(arg, Expr::Starred(_)))
        || call.keywords.iter().any(|kw| kw.arg.is_none());
    if three_arguments && checker.imports.matches(&call.func, &["type"]) {
        report(
            checker,
            call.start().to_usize(),
            "type(name, bases, namespace)".to_string(),
        );
    } else if checker
        .imports
        .matches(&call.func, &["dataclasses", "make_dataclass"])
    {
        // Its `namespace=` and `bases=` define methods and bases from a dict at run time.
        report(
            checker,
            call.start().to_usize(),
            "make_dataclass".to_string(),
        );
    }
}
