//! Small readers of literal values in the AST, shared by rules.

use rustpython_parser::ast::{self, Constant, Expr};

/// The text of a string literal (not an f-string).
pub(crate) fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Constant(ast::ExprConstant {
            value: Constant::Str(text),
            ..
        }) => Some(text),
        _ => None,
    }
}

/// The value of a keyword argument `name=...`.
pub(crate) fn keyword<'e>(call: &'e ast::ExprCall, name: &str) -> Option<&'e Expr> {
    call.keywords
        .iter()
        .find(|kw| kw.arg.as_ref().is_some_and(|arg| arg.as_str() == name))
        .map(|kw| &kw.value)
}

/// The argument at `position`, or given as `name=`.
pub(crate) fn argument<'e>(
    call: &'e ast::ExprCall,
    position: usize,
    name: &str,
) -> Option<&'e Expr> {
    call.args
        .get(position)
        .filter(|arg| !matches!(arg, Expr::Starred(_)))
        .or_else(|| keyword(call, name))
}

/// True when the call unpacks `*args` or `**kwargs`, which hides what it passes.
pub(crate) fn has_unpacking(call: &ast::ExprCall) -> bool {
    call.args.iter().any(|arg| matches!(arg, Expr::Starred(_)))
        || call.keywords.iter().any(|kw| kw.arg.is_none())
}

/// True for the literal `False` (also `0` and `None`, which numpy reads as false).
pub(crate) fn is_false_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Constant(constant) => match &constant.value {
            Constant::Bool(value) => !value,
            Constant::None => true,
            Constant::Int(value) => value.to_string() == "0",
            _ => false,
        },
        _ => false,
    }
}
