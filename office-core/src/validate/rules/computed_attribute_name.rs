use rustpython_parser::ast::{self, Expr, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::values::string_literal;
use crate::validate::visitor::{Checker, Role};

/// pandas methods that look a string argument up as a method of the object
/// (`df.agg("sum")` calls `df.sum`).
const NAME_DISPATCH_METHODS: &[&str] = &["agg", "aggregate", "apply", "transform"];

violation! {
    /// ## What it does
    /// Rejects attribute names computed at run time where the builtin rule (OFF102) does not
    /// already refuse the function: `hasattr(obj, name)` with a name that is not a string
    /// literal (and `hasattr` used as a value), and pandas' dispatch by method name
    /// (`df.agg("sum")`, `.aggregate`, `.apply`, `.transform`) when the name starts with `_`
    /// or is taken from the data: a subscript, a call, an f-string or other computed string,
    /// a loop variable, or a variable assigned one of those. Method names written as
    /// literals (`"sum"`, `["mean", "max"]`, `{"Revenue": "sum"}`) and functions are fine.
    ///
    /// ## Why is this bad?
    /// Every rule about attributes reads names in the source. pandas' `agg("name")` is
    /// `getattr(df, "name")()`, so `df.agg("__reduce_ex__", 2)` reaches what `df.__reduce_ex__`
    /// would, and a method name read from a cell lets the data choose which method runs.
    /// `hasattr` with a computed name probes for attributes the same way.
    ///
    /// ## Example
    /// ```python
    /// result = df.agg(df.columns[0])
    /// found = hasattr(obj, "__" + "globals__")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// result = df.agg({"Revenue": "sum", "Units": "mean"})
    /// ```
    pub(crate) struct ComputedAttributeName {
        construct: String,
    }
}

impl ViolationKind for ComputedAttributeName {
    const RULE: Rule = Rule::ComputedAttributeName;

    fn message(&self) -> String {
        format!(
            "`{}` looks an attribute up by a computed or private name",
            self.construct
        )
    }
}

/// A method-name argument that is private or computed from data.
fn suspicious(expr: &Expr, depth: usize) -> bool {
    if depth > 8 {
        return true;
    }
    match expr {
        Expr::Constant(_) => string_literal(expr).is_some_and(|name| name.starts_with('_')),
        Expr::Subscript(_) | Expr::JoinedStr(_) | Expr::BinOp(_) => true,
        Expr::Call(call) => {
            matches!(call.func.as_ref(), Expr::Attribute(a) if matches!(a.attr.as_str(), "format" | "join" | "lower" | "upper" | "strip" | "replace"))
        }
        Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
            elts.iter().any(|e| suspicious(e, depth + 1))
        }
        Expr::Dict(dict) => dict.values.iter().any(|e| suspicious(e, depth + 1)),
        _ => false,
    }
}

/// A method name passed as a plain name (`df.agg(how)`), judged once every assignment of
/// the name is known: it is refused when any of them is private or computed from data.
pub(crate) struct PendingMethodName<'s> {
    name: &'s str,
    method: &'s str,
    offset: usize,
}

/// OFF117 on `hasattr` used as a value (`check = hasattr`), where its name argument
/// cannot be seen.
pub(crate) fn hasattr_reference(checker: &mut Checker, expr: &Expr, role: Role) {
    if role != Role::Called
        && role != Role::AttributeBase
        && (checker.imports.matches(expr, &["hasattr"])
            || checker.imports.matches(expr, &["builtins", "hasattr"]))
    {
        let construct = "hasattr".to_string();
        checker.report(expr.start().to_usize(), ComputedAttributeName { construct });
    }
}

/// OFF117 on `hasattr(x, computed)` and on pandas dispatch by a private or computed name.
pub(crate) fn computed_attribute_name<'s>(
    checker: &mut Checker,
    call: &'s ast::ExprCall,
) -> Vec<PendingMethodName<'s>> {
    let offset = call.start().to_usize();
    let mut pending = Vec::new();
    if checker.imports.matches(&call.func, &["hasattr"])
        || checker
            .imports
            .matches(&call.func, &["builtins", "hasattr"])
    {
        let name = call.args.get(1);
        if name.is_none_or(|n| string_literal(n).is_none()) {
            let construct = "hasattr".to_string();
            checker.report(offset, ComputedAttributeName { construct });
        }
        return pending;
    }
    let Expr::Attribute(method) = call.func.as_ref() else {
        return pending;
    };
    let name = method.attr.as_str();
    if !NAME_DISPATCH_METHODS.contains(&name) {
        return pending;
    }
    // The function is the first argument; `agg` also takes named aggregations,
    // `total=("Revenue", "sum")`, whose column may be computed but whose function may not.
    let mut functions: Vec<&Expr> = call.args.first().into_iter().collect();
    if matches!(name, "agg" | "aggregate") {
        functions.extend(
            call.keywords
                .iter()
                .filter(|kw| kw.arg.is_some())
                .filter_map(|kw| match &kw.value {
                    Expr::Tuple(tuple) => tuple.elts.get(1),
                    other => Some(other),
                }),
        );
    }
    for function in functions {
        if suspicious(function, 0) {
            let construct = format!(".{name}(...)");
            checker.report(offset, ComputedAttributeName { construct });
            return Vec::new();
        }
        if let Expr::Name(variable) = function {
            pending.push(PendingMethodName {
                name: variable.id.as_str(),
                method: name,
                offset,
            });
        }
    }
    pending
}

pub(crate) fn pending_method_variable<'s>(pending: &PendingMethodName<'s>) -> &'s str {
    pending.name
}

/// Whether `how` in `df.agg(how)` may hold a computed name, judged once per name:
/// `assigned` are the values of every plain assignment to `how`; `iterated` when a loop or
/// comprehension binds it (to items of a collection, such as column names).
pub(crate) fn computed_attribute_name_suspicious(assigned: &[&Expr], iterated: bool) -> bool {
    iterated || assigned.iter().any(|value| suspicious(value, 0))
}

/// OFF117 on `df.agg(how)` once the walk is done, from the verdict on `how`.
pub(crate) fn computed_attribute_name_pending(
    checker: &mut Checker,
    pending: &PendingMethodName,
    suspicious: bool,
) {
    if suspicious {
        let construct = format!(".{}({})", pending.method, pending.name);
        checker.report(pending.offset, ComputedAttributeName { construct });
    }
}
