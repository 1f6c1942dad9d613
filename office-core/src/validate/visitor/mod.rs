//! The checker: runs the text-level rules, parses, then makes one walk over the AST calling
//! each rule at the node kinds it cares about. Rules never walk the tree themselves.

use rustpython_parser::Parse;
use rustpython_parser::ast::{self, Expr, Ranged, Stmt};

use super::bindings::Bindings;
use super::locate::LineIndex;
use super::resolve::ImportTable;
use super::rules::{self, ViolationKind};
use super::settings;
use super::{Policy, Violation};
use std::collections::HashMap;

mod parts;

/// How far the tree walk descends, as a multiple of `Policy::max_nesting_depth`. Expressions
/// nest without brackets (`a + a + ...`, `not not ...`), so the text scan cannot catch them.
const TREE_DEPTH_FACTOR: usize = 10;

/// Stack for the parsing thread: a fixed base plus room per source byte, because dropping a
/// degenerate tree (`- - - ... x`, one level per byte) recurses once per level.
const BASE_STACK_BYTES: usize = 32 << 20;
const STACK_BYTES_PER_SOURCE_BYTE: usize = 512;
const MAX_STACK_BYTES: usize = 1 << 30;

/// State shared by all rules during one check.
pub(crate) struct Checker<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) imports: ImportTable,
    source: &'a str,
    /// Byte offset, rule code and message of each violation; located once at the end.
    found: Vec<(usize, &'static str, String)>,
}

impl<'a> Checker<'a> {
    fn new(source: &'a str, policy: &'a Policy) -> Self {
        Checker {
            policy,
            imports: ImportTable::default(),
            source,
            found: Vec::new(),
        }
    }

    /// Records a violation at a byte offset of the source.
    pub(crate) fn report<V: ViolationKind>(&mut self, offset: usize, violation: V) {
        self.found
            .push((offset, V::RULE.code(), violation.message()));
    }

    /// The violations with line and column, located in one pass over the source in offset
    /// order (locating each on its own would count a long line once per violation on it).
    fn violations(mut self) -> Vec<Violation> {
        self.found.sort_by_key(|(offset, _, _)| *offset);
        let mut lines = LineIndex::new(self.source);
        self.found
            .into_iter()
            .map(|(offset, code, message)| {
                let (line, col) = lines.locate_forward(offset);
                Violation {
                    code: code.to_string(),
                    line,
                    col,
                    message,
                }
            })
            .collect()
    }
}

/// Every violation of `source`, unsorted.
pub(crate) fn check_source(source: &str, policy: &Policy) -> Vec<Violation> {
    let mut checker = Checker::new(source, policy);
    // The size cap comes first: nothing else looks at an oversized source.
    if rules::source_too_large(&mut checker, source) {
        return checker.violations();
    }
    rules::encoding_declaration(&mut checker, source);
    // Deep nesting is refused before the parser sees it.
    if rules::nesting_too_deep_in_text(&mut checker, source) {
        return checker.violations();
    }

    let stack_size =
        (BASE_STACK_BYTES + source.len() * STACK_BYTES_PER_SOURCE_BYTE).min(MAX_STACK_BYTES);
    let outcome = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("office-validate".to_string())
            .stack_size(stack_size)
            .spawn_scoped(scope, || {
                parse_and_walk(&mut checker, source);
            });
        match worker {
            Ok(handle) => handle
                .join()
                .map_err(|_| "the check stopped unexpectedly".to_string()),
            Err(error) => Err(format!("the validator could not start its worker: {error}")),
        }
    });
    if let Err(reason) = outcome {
        // A program that could not be checked is not accepted.
        rules::unchecked_source(&mut checker, &reason);
    }
    checker.violations()
}

fn parse_and_walk(checker: &mut Checker<'_>, source: &str) {
    let suite = match ast::Suite::parse(source, "<program>") {
        Ok(suite) => suite,
        Err(error) => {
            rules::syntax_error(checker, &error);
            return;
        }
    };
    checker.imports = ImportTable::from_suite(&suite);
    let max_depth = checker
        .policy
        .max_nesting_depth
        .saturating_mul(TREE_DEPTH_FACTOR)
        .max(1);
    let mut walker = Walker {
        checker,
        max_depth,
        depth_reported: false,
        bindings: Bindings::default(),
        pending_templates: Vec::new(),
        pending_method_names: Vec::new(),
        pending_alias_targets: Vec::new(),
        pending_formatter_templates: Vec::new(),
    };
    walker.visit_body(&suite, 0);
    // Checks that need every binding of a name run once the walk has seen them all.
    let Walker {
        checker,
        bindings,
        pending_templates,
        pending_method_names,
        pending_alias_targets,
        pending_formatter_templates,
        ..
    } = walker;
    let mut formatter_verdicts = HashMap::new();
    for pending in &pending_formatter_templates {
        rules::formatter_template_pending(checker, pending, &bindings, &mut formatter_verdicts);
    }
    rules::library_alias_pending(checker, &pending_alias_targets, &bindings);
    // Each name's values are judged once, however often the name is used: the cost is
    // the values plus the uses, not their product.
    let mut suspicious_names: HashMap<&str, bool> = HashMap::new();
    for pending in &pending_method_names {
        let name = rules::pending_method_variable(pending);
        let suspicious = *suspicious_names.entry(name).or_insert_with(|| {
            rules::computed_attribute_name_suspicious(
                bindings.assigned(name),
                bindings.is_iterated(name),
            )
        });
        rules::computed_attribute_name_pending(checker, pending, suspicious);
    }
    let mut templates: HashMap<&str, rules::TemplateVerdict> = HashMap::new();
    for pending in &pending_templates {
        let name = rules::pending_name(pending);
        let verdict = templates
            .entry(name)
            .or_insert_with(|| rules::format_verdict(bindings.only_assigned(name)));
        rules::format_pending(checker, pending, verdict);
    }
    for (offset, name, count) in checker.imports.overbound_names() {
        rules::name_bound_by_many_imports(checker, offset, &name, count);
    }
}

/// Where a name or attribute sits, for rules that treat a bare reference differently from
/// a call or from the base of a longer attribute chain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Called,
    AttributeBase,
    /// The value of a subscript (`rcParams` in `rcParams["font.size"]`).
    SubscriptBase,
    Other,
}

struct Walker<'c, 'a, 's> {
    checker: &'c mut Checker<'a>,
    max_depth: usize,
    depth_reported: bool,
    bindings: Bindings<'s>,
    pending_templates: Vec<rules::PendingTemplate<'s>>,
    pending_method_names: Vec<rules::PendingMethodName<'s>>,
    pending_alias_targets: Vec<rules::PendingAliasTarget<'s>>,
    pending_formatter_templates: Vec<rules::PendingFormatterTemplate<'s>>,
}

impl<'s> Walker<'_, '_, 's> {
    /// Rules about names and attribute chains that stand for a module member.
    fn check_reference(&mut self, expr: &Expr, role: Role) {
        rules::plotting_backend_reference(self.checker, expr, role);
        rules::rc_object_reference(self.checker, expr, role);
        rules::formatter_reference(self.checker, expr, role);
        rules::hasattr_reference(self.checker, expr, role);
    }

    /// The settings a call or assignment writes, classified once for both rules.
    fn check_settings(&mut self, written: &[settings::Setting]) {
        if !written.is_empty() {
            rules::plotting_backend_settings(self.checker, written);
            rules::program_or_path_settings(self.checker, written);
        }
    }

    /// False (and one report) when the tree is deeper than the policy allows.
    fn enter(&mut self, depth: usize, offset: usize) -> bool {
        if depth <= self.max_depth {
            return true;
        }
        if !self.depth_reported {
            self.depth_reported = true;
            rules::nesting_too_deep_in_tree(self.checker, offset, self.max_depth);
        }
        false
    }

    fn visit_body(&mut self, body: &'s [Stmt], depth: usize) {
        for stmt in body {
            self.visit_stmt(stmt, depth);
        }
    }

    fn visit_stmt(&mut self, stmt: &'s Stmt, depth: usize) {
        let offset = stmt.start().to_usize();
        if !self.enter(depth, offset) {
            return;
        }
        let next = depth + 1;
        match stmt {
            Stmt::FunctionDef(ast::StmtFunctionDef {
                name,
                args,
                body,
                decorator_list,
                returns,
                type_params,
                ..
            })
            | Stmt::AsyncFunctionDef(ast::StmtAsyncFunctionDef {
                name,
                args,
                body,
                decorator_list,
                returns,
                type_params,
                ..
            }) => {
                rules::non_ascii_identifier(self.checker, name, offset);
                rules::array_memory_protocol_def(self.checker, name, offset);
                self.bindings.store(name.as_str());
                self.bindings.define_function(name.as_str());
                for decorator in decorator_list {
                    rules::unknown_decorator(self.checker, decorator);
                }
                self.visit_exprs(decorator_list, next);
                self.visit_type_params(type_params, next);
                self.visit_arguments(args, next);
                if let Some(returns) = returns {
                    self.visit_expr(returns, next, Role::Other);
                }
                self.visit_body(body, next);
            }
            Stmt::ClassDef(class) => {
                rules::non_ascii_identifier(self.checker, &class.name, offset);
                self.bindings.store(class.name.as_str());
                rules::class_creation_hook(self.checker, class);
                for decorator in &class.decorator_list {
                    rules::unknown_decorator(self.checker, decorator);
                }
                self.visit_exprs(&class.decorator_list, next);
                self.visit_type_params(&class.type_params, next);
                self.visit_exprs(&class.bases, next);
                self.visit_keywords(&class.keywords, next);
                self.visit_body(&class.body, next);
            }
            Stmt::Return(s) => self.visit_optional(s.value.as_deref(), next),
            Stmt::Delete(s) => {
                for target in &s.targets {
                    rules::library_attribute_assignment(
                        self.checker,
                        target,
                        &mut self.pending_alias_targets,
                    );
                }
                self.visit_exprs(&s.targets, next)
            }
            Stmt::Assign(s) => {
                for target in &s.targets {
                    rules::library_attribute_assignment(
                        self.checker,
                        target,
                        &mut self.pending_alias_targets,
                    );
                    match target {
                        Expr::Name(name) => self.bindings.assign(name.id.as_str(), &s.value),
                        other => self.bindings.draw(other, &s.value),
                    }
                    let written = settings::settings_in_assignment(self.checker, target, &s.value);
                    self.check_settings(&written);
                }
                self.visit_exprs(&s.targets, next);
                self.visit_expr(&s.value, next, Role::Other);
            }
            Stmt::TypeAlias(s) => {
                self.visit_expr(&s.name, next, Role::Other);
                self.visit_type_params(&s.type_params, next);
                self.visit_expr(&s.value, next, Role::Other);
            }
            Stmt::AugAssign(s) => {
                rules::library_attribute_assignment(
                    self.checker,
                    &s.target,
                    &mut self.pending_alias_targets,
                );
                let written =
                    settings::settings_in_augmented_assignment(self.checker, &s.target, &s.value);
                self.check_settings(&written);
                self.visit_expr(&s.target, next, Role::Other);
                self.visit_expr(&s.value, next, Role::Other);
            }
            Stmt::AnnAssign(s) => {
                rules::library_attribute_assignment(
                    self.checker,
                    &s.target,
                    &mut self.pending_alias_targets,
                );
                if let (Expr::Name(name), Some(value)) = (s.target.as_ref(), s.value.as_deref()) {
                    self.bindings.assign(name.id.as_str(), value);
                }
                self.visit_expr(&s.target, next, Role::Other);
                self.visit_expr(&s.annotation, next, Role::Other);
                self.visit_optional(s.value.as_deref(), next);
            }
            Stmt::For(ast::StmtFor {
                target,
                iter,
                body,
                orelse,
                ..
            })
            | Stmt::AsyncFor(ast::StmtAsyncFor {
                target,
                iter,
                body,
                orelse,
                ..
            }) => {
                self.bindings.iterate(target);
                self.bindings.draw(target, iter);
                rules::library_attribute_assignment(
                    self.checker,
                    target,
                    &mut self.pending_alias_targets,
                );
                self.visit_expr(target, next, Role::Other);
                self.visit_expr(iter, next, Role::Other);
                self.visit_body(body, next);
                self.visit_body(orelse, next);
            }
            Stmt::While(ast::StmtWhile {
                test, body, orelse, ..
            })
            | Stmt::If(ast::StmtIf {
                test, body, orelse, ..
            }) => {
                self.visit_expr(test, next, Role::Other);
                self.visit_body(body, next);
                self.visit_body(orelse, next);
            }
            Stmt::With(ast::StmtWith { items, body, .. })
            | Stmt::AsyncWith(ast::StmtAsyncWith { items, body, .. }) => {
                for item in items {
                    if let Some(vars) = item.optional_vars.as_deref() {
                        rules::library_attribute_assignment(
                            self.checker,
                            vars,
                            &mut self.pending_alias_targets,
                        );
                    }
                    self.visit_expr(&item.context_expr, next, Role::Other);
                    self.visit_optional(item.optional_vars.as_deref(), next);
                }
                self.visit_body(body, next);
            }
            Stmt::Match(s) => {
                self.visit_expr(&s.subject, next, Role::Other);
                for case in &s.cases {
                    self.visit_pattern(&case.pattern, next);
                    self.visit_optional(case.guard.as_deref(), next);
                    self.visit_body(&case.body, next);
                }
            }
            Stmt::Raise(s) => {
                self.visit_optional(s.exc.as_deref(), next);
                self.visit_optional(s.cause.as_deref(), next);
            }
            Stmt::Try(ast::StmtTry {
                body,
                handlers,
                orelse,
                finalbody,
                ..
            })
            | Stmt::TryStar(ast::StmtTryStar {
                body,
                handlers,
                orelse,
                finalbody,
                ..
            }) => {
                self.visit_body(body, next);
                for handler in handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(name) = &handler.name {
                        rules::non_ascii_identifier(self.checker, name, handler.start().to_usize());
                        self.bindings.store(name.as_str());
                    }
                    self.visit_optional(handler.type_.as_deref(), next);
                    self.visit_body(&handler.body, next);
                }
                self.visit_body(orelse, next);
                self.visit_body(finalbody, next);
            }
            Stmt::Assert(s) => {
                self.visit_expr(&s.test, next, Role::Other);
                self.visit_optional(s.msg.as_deref(), next);
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    self.visit_alias_names(alias);
                }
                rules::disallowed_import(self.checker, import);
                rules::pandas_internal_import(self.checker, stmt);
            }
            Stmt::ImportFrom(import) => {
                for alias in &import.names {
                    self.visit_alias_names(alias);
                }
                rules::disallowed_import_from(self.checker, import);
                rules::pickle_import(self.checker, import);
                rules::disallowed_module_attribute_import(self.checker, import);
                rules::disallowed_os_attribute_import(self.checker, import);
                rules::module_escape_chain_import(self.checker, import);
                rules::private_attribute_access_import(self.checker, import);
                rules::reexported_member_import(self.checker, import);
                rules::pandas_internal_import(self.checker, stmt);
            }
            Stmt::Global(ast::StmtGlobal { names, .. })
            | Stmt::Nonlocal(ast::StmtNonlocal { names, .. }) => {
                for name in names {
                    rules::non_ascii_identifier(self.checker, name, offset);
                    self.bindings.store(name.as_str());
                }
            }
            Stmt::Expr(s) => self.visit_expr(&s.value, next, Role::Other),
            Stmt::Pass(_) | Stmt::Break(_) | Stmt::Continue(_) => {}
        }
    }

    fn visit_expr(&mut self, expr: &'s Expr, depth: usize, role: Role) {
        let offset = expr.start().to_usize();
        if !self.enter(depth, offset) {
            return;
        }
        let next = depth + 1;
        match expr {
            Expr::Name(name) => {
                rules::non_ascii_identifier(self.checker, &name.id, offset);
                rules::forbidden_builtin(self.checker, name);
                rules::restricted_open_reference(self.checker, name, role);
                rules::dunder_name(self.checker, name);
                rules::array_memory_protocol_name(self.checker, name);
                rules::disallowed_os_module_reference(self.checker, name, role);
                self.check_reference(expr, role);
                if name.ctx != ast::ExprContext::Load {
                    self.bindings.store(name.id.as_str());
                }
            }
            Expr::Attribute(attribute) => {
                let name_offset = super::resolve::attribute_name_offset(attribute);
                rules::non_ascii_identifier(self.checker, &attribute.attr, name_offset);
                rules::private_attribute_access(self.checker, attribute);
                rules::pickle_attribute(self.checker, attribute);
                rules::array_memory_protocol_attribute(self.checker, attribute);
                rules::pandas_expression_reference(self.checker, attribute, role);
                // `np.lib.format.open_memmap`: a module named `format`, not the method.
                if role != Role::Called
                    && role != Role::AttributeBase
                    && let Some(pending) = rules::format_attribute(self.checker, attribute, None)
                {
                    self.pending_templates.push(pending);
                }
                if role != Role::AttributeBase {
                    // The outermost attribute of a chain: chain rules see the whole chain once.
                    let chain = super::resolve::chain(attribute);
                    rules::forbidden_builtin_chain(self.checker, &chain);
                    rules::disallowed_os_attribute(self.checker, &chain);
                    rules::module_escape_chain(self.checker, &chain);
                    rules::disallowed_module_attribute(self.checker, &chain);
                    rules::reexported_member(self.checker, &chain);
                    rules::pandas_internal_module(self.checker, &chain);
                }
                self.check_reference(expr, role);
                self.visit_expr(&attribute.value, next, Role::AttributeBase);
            }
            Expr::Call(call) => {
                rules::restricted_open_call(self.checker, call);
                rules::pickle_allowed(self.checker, call);
                rules::plotting_backend_call(self.checker, call);
                rules::pandas_expression_call(self.checker, call);
                rules::matplotlib_settings_file_call(self.checker, call);
                let pending = rules::formatter_template(self.checker, call);
                self.pending_formatter_templates.extend(pending);
                rules::dynamic_class(self.checker, call);
                let pending = rules::computed_attribute_name(self.checker, call);
                self.pending_method_names.extend(pending);
                let written = settings::settings_in_call(self.checker, call);
                self.check_settings(&written);
                if let Expr::Attribute(attribute) = call.func.as_ref() {
                    let pending = rules::format_attribute(self.checker, attribute, Some(call));
                    self.pending_templates.extend(pending);
                }
                self.visit_expr(&call.func, next, Role::Called);
                self.visit_exprs(&call.args, next);
                self.visit_keywords(&call.keywords, next);
            }
            Expr::BoolOp(e) => self.visit_exprs(&e.values, next),
            Expr::NamedExpr(e) => {
                self.bindings.draw(&e.target, &e.value);
                self.visit_expr(&e.target, next, Role::Other);
                self.visit_expr(&e.value, next, Role::Other);
            }
            Expr::BinOp(e) => {
                self.visit_expr(&e.left, next, Role::Other);
                self.visit_expr(&e.right, next, Role::Other);
            }
            Expr::UnaryOp(e) => self.visit_expr(&e.operand, next, Role::Other),
            Expr::Lambda(e) => {
                self.visit_arguments(&e.args, next);
                self.visit_expr(&e.body, next, Role::Other);
            }
            Expr::IfExp(e) => {
                self.visit_expr(&e.test, next, Role::Other);
                self.visit_expr(&e.body, next, Role::Other);
                self.visit_expr(&e.orelse, next, Role::Other);
            }
            Expr::Dict(e) => {
                for key in e.keys.iter().flatten() {
                    self.visit_expr(key, next, Role::Other);
                }
                self.visit_exprs(&e.values, next);
            }
            Expr::Set(e) => self.visit_exprs(&e.elts, next),
            Expr::ListComp(ast::ExprListComp {
                elt, generators, ..
            })
            | Expr::SetComp(ast::ExprSetComp {
                elt, generators, ..
            })
            | Expr::GeneratorExp(ast::ExprGeneratorExp {
                elt, generators, ..
            }) => {
                self.visit_comprehensions(generators, next);
                self.visit_expr(elt, next, Role::Other);
            }
            Expr::DictComp(e) => {
                self.visit_comprehensions(&e.generators, next);
                self.visit_expr(&e.key, next, Role::Other);
                self.visit_expr(&e.value, next, Role::Other);
            }
            Expr::Await(e) => self.visit_expr(&e.value, next, Role::Other),
            Expr::Yield(e) => self.visit_optional(e.value.as_deref(), next),
            Expr::YieldFrom(e) => self.visit_expr(&e.value, next, Role::Other),
            Expr::Compare(e) => {
                self.visit_expr(&e.left, next, Role::Other);
                self.visit_exprs(&e.comparators, next);
            }
            Expr::FormattedValue(e) => {
                rules::fstring_spec(self.checker, e);
                self.visit_expr(&e.value, next, Role::Other);
                self.visit_optional(e.format_spec.as_deref(), next);
            }
            Expr::JoinedStr(e) => self.visit_exprs(&e.values, next),
            Expr::Constant(constant) => {
                rules::private_attribute_access_format(self.checker, constant);
                rules::array_memory_protocol_string(self.checker, constant);
                rules::matplotlib_settings_file_string(self.checker, constant);
            }
            Expr::Subscript(e) => {
                self.visit_expr(&e.value, next, Role::SubscriptBase);
                self.visit_expr(&e.slice, next, Role::Other);
            }
            Expr::Starred(e) => self.visit_expr(&e.value, next, Role::Other),
            Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. }) => {
                self.visit_exprs(elts, next)
            }
            Expr::Slice(e) => {
                self.visit_optional(e.lower.as_deref(), next);
                self.visit_optional(e.upper.as_deref(), next);
                self.visit_optional(e.step.as_deref(), next);
            }
        }
    }
}
