use rustpython_parser::Parse;
use rustpython_parser::ast::{self, Expr, Ranged, Stmt};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::resolve::attribute_name_offset;
use crate::validate::values::{argument, has_unpacking, keyword, string_literal};
use crate::validate::visitor::{Checker, Role};

/// Methods whose first argument is a pandas expression string.
const EXPRESSION_METHODS: &[&str] = &["query", "eval"];

/// Arguments that hand the expression a namespace of Python objects.
const SCOPE_ARGUMENTS: &[&str] = &["local_dict", "global_dict", "resolvers"];

/// Methods an expression may call (`Region.str.contains('North')`).
const ALLOWED_METHODS: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "lower",
    "upper",
    "strip",
    "len",
    "isna",
    "notna",
    "isnull",
    "notnull",
    "isin",
    "between",
    "abs",
    "round",
];

/// Accessors an expression may go through (`Date.dt.year`).
const ALLOWED_ACCESSORS: &[&str] = &[
    "str",
    "dt",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "weekday",
    "dayofweek",
    "quarter",
    "date",
];

/// Math functions pandas' expression engines know.
const ALLOWED_FUNCTIONS: &[&str] = &[
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "log", "log10", "log1p", "exp", "expm1", "sqrt", "abs",
];

violation! {
    /// ## What it does
    /// Checks the expression strings of `df.query(...)`, `df.eval(...)` and `pd.eval(...)`.
    /// The string must be a literal, and it is parsed as Python: it may contain only column
    /// names (plain or in backticks), literals, comparisons (`in` included), `and`/`or`/`not`,
    /// `&`/`|`/`~`, arithmetic, lists of literals, `name = expression` lines (for `eval`), the
    /// `str`/`dt` accessors with a few methods (`contains`, `startswith`, `isna`, `isin`,
    /// `between`, ...) and the engines' math functions (`sqrt`, `log`, ...). Rejected: `@`
    /// references to Python variables, names starting with `_`, any other attribute, call or
    /// subscript, a computed string, the `local_dict`/`global_dict`/`resolvers` arguments, and
    /// these methods used as values.
    ///
    /// ## Why is this bad?
    /// pandas evaluates these strings itself: `@name` reaches any Python object in scope and
    /// attribute chains inside the string walk from there (`@df.__class__...`), outside the
    /// validator's view. A string built at run time can come from the data (a cell, a column
    /// name) and carry anything.
    ///
    /// ## Example
    /// ```python
    /// df.query("@pd.io.common.os.system('id') == 0")
    /// df.query(f"Region == '{region}'")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// df.query("Revenue > 100 and Region == 'North'")
    /// df[df["Region"] == region]
    /// ```
    ///
    /// ## References
    /// - CWE-95: Eval Injection
    pub(crate) struct PandasExpression {
        problem: Problem,
    }
}

enum Problem {
    NotLiteral(String),
    Construct(String, String),
    Invalid(String),
    Scope(String),
    Reference(String),
}

impl ViolationKind for PandasExpression {
    const RULE: Rule = Rule::PandasExpression;

    fn message(&self) -> String {
        match &self.problem {
            Problem::NotLiteral(method) => format!(
                "The expression of `.{method}(...)` must be a string literal; filter with `df[df[\"col\"] == value]` instead"
            ),
            Problem::Construct(method, construct) => format!(
                "The expression of `.{method}(...)` may use only column names, literals and operators, not {construct}"
            ),
            Problem::Invalid(method) => {
                format!("The expression of `.{method}(...)` is not a valid expression")
            }
            Problem::Scope(argument) => {
                format!("`{argument}=` hands the expression Python objects; it is not allowed")
            }
            Problem::Reference(method) => {
                format!("`.{method}` may only be called directly with a literal expression")
            }
        }
    }
}

/// OFF111 on `x.query(...)`, `x.eval(...)`, `pd.eval(...)` and an alias of `pandas.eval`.
pub(crate) fn pandas_expression_call(checker: &mut Checker, call: &ast::ExprCall) {
    let method = match call.func.as_ref() {
        Expr::Attribute(attribute) if EXPRESSION_METHODS.contains(&attribute.attr.as_str()) => {
            attribute.attr.to_string()
        }
        func if checker.imports.matches(func, &["pandas", "eval"]) => "eval".to_string(),
        _ => return,
    };
    let offset = call.start().to_usize();
    for name in SCOPE_ARGUMENTS {
        if keyword(call, name).is_some() {
            let problem = Problem::Scope((*name).to_string());
            checker.report(offset, PandasExpression { problem });
            return;
        }
    }
    let expression = argument(call, 0, "expr");
    let Some(text) = expression
        .and_then(string_literal)
        .filter(|_| !has_unpacking(call))
    else {
        let problem = Problem::NotLiteral(method);
        checker.report(offset, PandasExpression { problem });
        return;
    };
    if let Err(problem) = check_expression(text, &method) {
        checker.report(offset, PandasExpression { problem });
    }
}

/// OFF111 on `.query`/`.eval` used as a value (`run = df.query`).
pub(crate) fn pandas_expression_reference(
    checker: &mut Checker,
    attribute: &ast::ExprAttribute,
    role: Role,
) {
    let name = attribute.attr.as_str();
    if role != Role::Called && role != Role::AttributeBase && EXPRESSION_METHODS.contains(&name) {
        let problem = Problem::Reference(name.to_string());
        checker.report(
            attribute_name_offset(attribute),
            PandasExpression { problem },
        );
    }
}

fn check_expression(text: &str, method: &str) -> Result<(), Problem> {
    let (source, has_reference) = replace_backticks(text);
    if has_reference {
        return Err(Problem::Construct(
            method.to_string(),
            "`@` references to Python variables".to_string(),
        ));
    }
    let suite = ast::Suite::parse(&source, "<expression>")
        .map_err(|_| Problem::Invalid(method.to_string()))?;
    let construct = |what: &str| Problem::Construct(method.to_string(), what.to_string());
    for stmt in &suite {
        match stmt {
            Stmt::Expr(expr) => check_node(&expr.value, 0).map_err(construct)?,
            Stmt::Assign(assign)
                if assign.targets.len() == 1 && matches!(assign.targets[0], Expr::Name(_)) =>
            {
                check_node(&assign.targets[0], 0).map_err(construct)?;
                check_node(&assign.value, 0).map_err(construct)?;
            }
            _ => return Err(construct("a statement")),
        }
    }
    Ok(())
}

/// Backtick-quoted column names (`` `Total Revenue` ``) are not Python: each becomes a
/// plain name. Backticks inside string literals are left alone. Also tells whether an `@`
/// appears outside string literals. String literals are read as Python's tokenizer (and so
/// pandas) reads them: a backslash escapes the next character, and three quotes open a
/// string that only the same three quotes close. Reading `'q\'` as closed would let
/// `` 'q\'`' + @x + '`' `` hide `@x` in a "backtick name" that pandas never sees as one.
fn replace_backticks(text: &str) -> (String, bool) {
    let mut has_reference = false;
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    // The open string's quote character, and whether it is tripled.
    let mut quote: Option<(char, bool)> = None;
    let mut in_backticks = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let tripled = |at: usize| {
            chars
                .get(at..at + 3)
                .is_some_and(|q| q.iter().all(|&x| x == c))
        };
        match (quote, in_backticks) {
            (Some((open, triple)), _) => {
                if c == '\\' {
                    out.push(c);
                    if let Some(&next) = chars.get(i + 1) {
                        out.push(next);
                    }
                    i += 2;
                    continue;
                }
                if c == open && (!triple || tripled(i)) {
                    let width = if triple { 3 } else { 1 };
                    out.extend(&chars[i..i + width]);
                    quote = None;
                    i += width;
                    continue;
                }
                out.push(c);
            }
            (None, true) => {
                if c == '`' {
                    in_backticks = false;
                }
            }
            (None, false) => match c {
                '`' => {
                    in_backticks = true;
                    out.push_str("backtick_column");
                }
                '@' => {
                    has_reference = true;
                    out.push(c);
                }
                '\'' | '"' => {
                    let triple = tripled(i);
                    let width = if triple { 3 } else { 1 };
                    out.extend(&chars[i..i + width]);
                    quote = Some((c, triple));
                    i += width;
                    continue;
                }
                _ => out.push(c),
            },
        }
        i += 1;
    }
    (out, has_reference)
}

/// Expressions inside a query are short; deeper nesting is refused, not recursed into.
const MAX_EXPRESSION_DEPTH: usize = 64;

fn check_node(expr: &Expr, depth: usize) -> Result<(), &'static str> {
    if depth > MAX_EXPRESSION_DEPTH {
        return Err("deeply nested expressions");
    }
    let next = depth + 1;
    let all = |exprs: &[Expr]| exprs.iter().try_for_each(|e| check_node(e, next));
    match expr {
        Expr::Name(name) if name.id.starts_with('_') => Err("names starting with `_`"),
        Expr::Name(_) | Expr::Constant(_) => Ok(()),
        Expr::BoolOp(e) => all(&e.values),
        Expr::BinOp(e) if matches!(e.op, ast::Operator::MatMult) => Err("`@`"),
        Expr::BinOp(e) => {
            check_node(&e.left, next)?;
            check_node(&e.right, next)
        }
        Expr::UnaryOp(e) => check_node(&e.operand, next),
        Expr::Compare(e) => {
            check_node(&e.left, next)?;
            all(&e.comparators)
        }
        Expr::List(e) => all(&e.elts),
        Expr::Tuple(e) => all(&e.elts),
        Expr::Attribute(attribute) => {
            if ALLOWED_ACCESSORS.contains(&attribute.attr.as_str()) {
                check_node(&attribute.value, next)
            } else {
                Err("attributes other than the `str` and `dt` accessors")
            }
        }
        Expr::Call(call) => {
            let allowed = match call.func.as_ref() {
                Expr::Attribute(method) => {
                    ALLOWED_METHODS.contains(&method.attr.as_str())
                        && check_node(&method.value, next).is_ok()
                }
                Expr::Name(function) => ALLOWED_FUNCTIONS.contains(&function.id.as_str()),
                _ => false,
            };
            if !allowed || has_unpacking(call) {
                return Err("calls other than a few string, date and math methods");
            }
            all(&call.args)?;
            call.keywords
                .iter()
                .try_for_each(|kw| check_node(&kw.value, next))
        }
        _ => Err("this construct"),
    }
}
