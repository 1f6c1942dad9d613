use rustpython_parser::ast::{self, Expr, Ranged};

use super::ViolationKind;
use super::private_attribute_access::is_forbidden;
use crate::validate::registry::Rule;
use crate::validate::resolve::attribute_name_offset;
use crate::validate::values::string_literal;
use crate::validate::visitor::{Checker, Role};

const FORMAT_METHODS: &[&str] = &["format", "format_map"];

violation! {
    /// ## What it does
    /// Rejects format templates that walk from their arguments, and templates the rule
    /// cannot see. A `.format(...)`/`.format_map(...)` template must be a string literal, or
    /// a name assigned only string literals, and its fields may be positional (`{}`, `{0}`),
    /// named (`{total}`), carry any format spec (`{0:.2f}`, `{:>10}`) and take one public
    /// step (`{0.year}`, `{row[Region]}`), but not two (`{0.real.imag}`, `{0[a][b]}`) nor
    /// a private attribute (`{0._data}`). Also rejected: `str.format`/`str.format_map` called as
    /// functions, `string.Formatter`, and f-string format specs whose nested field is
    /// read from data (`f"{x:>{width + 2}}"` is fine, `f"{x:{row['spec']}}"` is not).
    /// pandas' `Styler.format` (`df.style.format("{:.1%}")`) is allowed, with the same check
    /// on its literal templates.
    ///
    /// ## Why is this bad?
    /// `str.format` follows dots and brackets in its fields with `getattr` and `[]`, so a
    /// template is a small program that walks from its arguments to anything they lead to:
    /// `"{0.__init__.__globals__[os]}".format(x)`. A template that comes from the data (a cell,
    /// a file) can do this with any name, where no rule sees it. One public step is what the
    /// program could write in code (`d.year`), and its name is still checked by OFF106. `string.Formatter` exposes
    /// the same machinery (`get_field`).
    ///
    /// ## Example
    /// ```python
    /// label = "{0.columns.dtype}".format(df)
    /// label = "{0._mgr}".format(df)
    /// message = df.loc[0, "Template"].format(df)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// label = "{0}".format(df.columns.dtype)
    /// label = "{0.year}-{row[Region]}".format(day, row=row)
    /// message = f"{total:,.2f} EUR"
    /// ```
    pub(crate) struct FormatStringTraversal {
        problem: Problem,
    }
}

enum Problem {
    Field(String),
    Template(String),
    Formatter(String),
    Spec,
}

impl ViolationKind for FormatStringTraversal {
    const RULE: Rule = Rule::FormatStringTraversal;

    fn message(&self) -> String {
        match &self.problem {
            Problem::Field(field) => format!(
                "The format field `{{{field}}}` walks past one public attribute or item; pass the value itself"
            ),
            Problem::Template(method) => format!(
                "The template of `.{method}(...)` must be a string literal or a name assigned only literals"
            ),
            Problem::Formatter(name) => {
                format!("`{name}` is not allowed: use a literal template's `.format(...)`")
            }
            Problem::Spec => {
                "A nested field in an f-string format spec may not read from data; use a name or a literal"
                    .to_string()
            }
        }
    }
}

fn is_styler(expr: &Expr) -> bool {
    let mut current = expr;
    loop {
        match current {
            Expr::Call(call) => current = &call.func,
            Expr::Attribute(attribute) if attribute.attr.as_str() == "style" => return true,
            Expr::Attribute(attribute) => current = &attribute.value,
            _ => return false,
        }
    }
}

/// The first field of `template` whose name walks further than one public step from its
/// argument: two or more attribute or item steps, or an attribute starting with `_`.
pub(crate) fn traversing_field(template: &str) -> Option<String> {
    fields(template)
        .into_iter()
        .find(|field| {
            let name = field.split(['!', ':']).next().unwrap_or("");
            walks(name)
        })
        .map(str::to_string)
}

/// `0.year` and `row[Region]` read one public attribute or one item: what the program
/// could write in code itself. `0.real.imag`, `0[a][b]`, `0._x` and `0.gi_frame` (an
/// attribute OFF106 forbids) walk.
fn walks(name: &str) -> bool {
    let steps = name.find(['.', '[']).map_or("", |at| &name[at..]);
    if steps.is_empty() {
        return false;
    }
    let (step, rest) = match steps.strip_prefix('[') {
        Some(item) => match item.find(']') {
            Some(end) => ("", &item[end + 1..]),
            None => return true,
        },
        None => {
            let attribute = &steps[1..];
            let end = attribute.find(['.', '[']).unwrap_or(attribute.len());
            (&attribute[..end], &attribute[end..])
        }
    };
    step.starts_with('_') || is_forbidden(step) || !rest.is_empty()
}

/// Every replacement field of a template, nested ones in format specs included. Python
/// nests fields in a spec one level deep at most ("Max string recursion exceeded"), so a
/// spec's own fields are read and theirs are not: each byte is read at most twice.
fn fields(template: &str) -> Vec<&str> {
    let mut found = Vec::new();
    fields_into(template, 0, &mut found);
    found
}

fn fields_into<'t>(template: &'t str, level: usize, found: &mut Vec<&'t str>) {
    let bytes = template.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'{' if bytes.get(index + 1) == Some(&b'{') => index += 2,
            b'}' if bytes.get(index + 1) == Some(&b'}') => index += 2,
            b'{' => {
                // A field ends at the matching brace; braces nest one level in specs.
                let start = index + 1;
                let mut depth = 1;
                let mut end = start;
                while end < bytes.len() && depth > 0 {
                    match bytes[end] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    end += 1;
                }
                let field = &template[start..end.saturating_sub(1).max(start)];
                found.push(field);
                if level == 0
                    && let Some(spec_start) = field.find(':')
                {
                    fields_into(&field[spec_start + 1..], level + 1, found);
                }
                index = end;
            }
            _ => index += 1,
        }
    }
}

fn report(checker: &mut Checker, offset: usize, problem: Problem) {
    checker.report(offset, FormatStringTraversal { problem });
}

fn check_template(checker: &mut Checker, template: &str, offset: usize) -> bool {
    match traversing_field(template) {
        Some(field) => {
            report(checker, offset, Problem::Field(field));
            true
        }
        None => false,
    }
}

/// What the walk must finish before it can judge `template.format(...)` on a name.
pub(crate) struct PendingTemplate<'s> {
    name: &'s str,
    method: String,
    offset: usize,
}

/// OFF112 on `<receiver>.format` / `.format_map`, called or not. A receiver that is a name
/// is returned to be judged once every assignment is known.
pub(crate) fn format_attribute<'s>(
    checker: &mut Checker,
    attribute: &'s ast::ExprAttribute,
    call: Option<&'s ast::ExprCall>,
) -> Option<PendingTemplate<'s>> {
    let method = attribute.attr.as_str();
    if !FORMAT_METHODS.contains(&method) {
        return None;
    }
    let offset = attribute_name_offset(attribute);
    let receiver = attribute.value.as_ref();
    if let Some(template) = string_literal(receiver) {
        check_template(checker, template, offset);
        return None;
    }
    if checker.imports.matches(receiver, &["str"]) {
        report(checker, offset, Problem::Formatter(format!("str.{method}")));
        return None;
    }
    if is_styler(receiver) {
        let templates = call.into_iter().flat_map(|call| {
            call.args
                .iter()
                .chain(call.keywords.iter().map(|kw| &kw.value))
        });
        for argument in templates {
            let literals: Vec<&Expr> = match argument {
                Expr::Dict(dict) => dict.values.iter().collect(),
                other => vec![other],
            };
            for template in literals.into_iter().filter_map(string_literal) {
                if check_template(checker, template, offset) {
                    return None;
                }
            }
        }
        return None;
    }
    if let Expr::Name(name) = receiver {
        return Some(PendingTemplate {
            name: name.id.as_str(),
            method: method.to_string(),
            offset,
        });
    }
    report(checker, offset, Problem::Template(method.to_string()));
    None
}

/// What a name's assigned values make of every `name.format(...)`: judged once per name.
pub(crate) enum TemplateVerdict {
    /// Every value is a literal template with plain fields.
    Plain,
    /// A literal template has this traversing field.
    Traversing(String),
    /// Some binding is not a string literal.
    NotLiteral,
}

/// The verdict on a name's templates: `values` are its assigned values when every binding
/// of it is a plain assignment.
pub(crate) fn format_verdict(values: Option<&[&Expr]>) -> TemplateVerdict {
    let Some(values) = values else {
        return TemplateVerdict::NotLiteral;
    };
    for value in values {
        match string_literal(value) {
            None => return TemplateVerdict::NotLiteral,
            Some(template) => {
                if let Some(field) = traversing_field(template) {
                    return TemplateVerdict::Traversing(field);
                }
            }
        }
    }
    TemplateVerdict::Plain
}

/// OFF112 on `name.format(...)` once the walk is done, from the name's verdict.
pub(crate) fn format_pending(
    checker: &mut Checker,
    pending: &PendingTemplate,
    verdict: &TemplateVerdict,
) {
    match verdict {
        TemplateVerdict::Plain => {}
        TemplateVerdict::Traversing(field) => {
            report(checker, pending.offset, Problem::Field(field.clone()))
        }
        TemplateVerdict::NotLiteral => report(
            checker,
            pending.offset,
            Problem::Template(pending.method.clone()),
        ),
    }
}

pub(crate) fn pending_name<'s>(pending: &PendingTemplate<'s>) -> &'s str {
    pending.name
}

/// OFF112 on `string.Formatter` (a name or chain, not the base of a longer chain).
pub(crate) fn formatter_reference(checker: &mut Checker, expr: &Expr, role: Role) {
    if role != Role::AttributeBase && checker.imports.matches(expr, &["string", "Formatter"]) {
        let name = "string.Formatter".to_string();
        report(checker, expr.start().to_usize(), Problem::Formatter(name));
    }
}

/// True when a spec expression reads a value out of a container or a call (a cell, a
/// file): names, literals, attributes and arithmetic on them are the program's own.
fn reads_data(expr: &Expr, depth: usize) -> bool {
    match expr {
        _ if depth > 16 => true,
        Expr::Name(_) | Expr::Constant(_) => false,
        Expr::Attribute(attribute) => reads_data(&attribute.value, depth + 1),
        Expr::BinOp(op) => reads_data(&op.left, depth + 1) || reads_data(&op.right, depth + 1),
        Expr::UnaryOp(op) => reads_data(&op.operand, depth + 1),
        Expr::IfExp(choice) => {
            reads_data(&choice.body, depth + 1) || reads_data(&choice.orelse, depth + 1)
        }
        _ => true,
    }
}

/// OFF112 on a nested field of an f-string's format spec that reads data (a subscript, a
/// call): the spec is then chosen by the data.
pub(crate) fn fstring_spec(checker: &mut Checker, value: &ast::ExprFormattedValue) {
    let Some(Expr::JoinedStr(spec)) = value.format_spec.as_deref() else {
        return;
    };
    for part in &spec.values {
        if let Expr::FormattedValue(nested) = part
            && reads_data(&nested.value, 0)
        {
            report(checker, nested.start().to_usize(), Problem::Spec);
            return;
        }
    }
}
