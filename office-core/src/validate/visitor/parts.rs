//! The walk's smaller node kinds: aliases, arguments, type parameters, comprehensions and
//! match patterns. The two dispatch matches (statements, expressions) stay in `mod.rs`.

use super::{Role, Walker};
use crate::validate::rules;
use rustpython_parser::ast::{self, Expr, Pattern, Ranged};

impl<'s> Walker<'_, '_, 's> {
    pub(super) fn visit_alias_names(&mut self, alias: &'s ast::Alias) {
        let offset = alias.start().to_usize();
        rules::non_ascii_identifier(self.checker, &alias.name, offset);
        if let Some(asname) = &alias.asname {
            rules::non_ascii_identifier(self.checker, asname, offset);
        }
        let bound = alias.asname.as_ref().unwrap_or(&alias.name);
        self.bindings
            .store(bound.split('.').next().unwrap_or(bound.as_str()));
    }

    pub(super) fn visit_optional(&mut self, expr: Option<&'s Expr>, depth: usize) {
        if let Some(expr) = expr {
            self.visit_expr(expr, depth, Role::Other);
        }
    }

    pub(super) fn visit_exprs(&mut self, exprs: &'s [Expr], depth: usize) {
        for expr in exprs {
            self.visit_expr(expr, depth, Role::Other);
        }
    }

    pub(super) fn visit_keywords(&mut self, keywords: &'s [ast::Keyword], depth: usize) {
        for keyword in keywords {
            if let Some(arg) = &keyword.arg {
                rules::non_ascii_identifier(self.checker, arg, keyword.start().to_usize());
            }
            self.visit_expr(&keyword.value, depth, Role::Other);
        }
    }

    pub(super) fn visit_arguments(&mut self, arguments: &'s ast::Arguments, depth: usize) {
        let with_defaults = arguments
            .posonlyargs
            .iter()
            .chain(&arguments.args)
            .chain(&arguments.kwonlyargs);
        for arg in with_defaults {
            self.visit_arg(&arg.def, depth);
            self.visit_optional(arg.default.as_deref(), depth);
        }
        for arg in [&arguments.vararg, &arguments.kwarg].into_iter().flatten() {
            self.visit_arg(arg, depth);
        }
    }

    pub(super) fn visit_arg(&mut self, arg: &'s ast::Arg, depth: usize) {
        rules::non_ascii_identifier(self.checker, &arg.arg, arg.start().to_usize());
        self.bindings.store(arg.arg.as_str());
        self.visit_optional(arg.annotation.as_deref(), depth);
    }

    pub(super) fn visit_type_params(&mut self, params: &'s [ast::TypeParam], depth: usize) {
        for param in params {
            let offset = param.start().to_usize();
            match param {
                ast::TypeParam::TypeVar(var) => {
                    rules::non_ascii_identifier(self.checker, &var.name, offset);
                    self.visit_optional(var.bound.as_deref(), depth);
                }
                ast::TypeParam::ParamSpec(spec) => {
                    rules::non_ascii_identifier(self.checker, &spec.name, offset);
                }
                ast::TypeParam::TypeVarTuple(tuple) => {
                    rules::non_ascii_identifier(self.checker, &tuple.name, offset);
                }
            }
        }
    }

    pub(super) fn visit_comprehensions(
        &mut self,
        generators: &'s [ast::Comprehension],
        depth: usize,
    ) {
        for generator in generators {
            self.bindings.iterate(&generator.target);
            self.bindings.draw(&generator.target, &generator.iter);
            self.visit_expr(&generator.target, depth, Role::Other);
            self.visit_expr(&generator.iter, depth, Role::Other);
            self.visit_exprs(&generator.ifs, depth);
        }
    }

    pub(super) fn visit_pattern(&mut self, pattern: &'s Pattern, depth: usize) {
        let offset = pattern.start().to_usize();
        if !self.enter(depth, offset) {
            return;
        }
        let next = depth + 1;
        match pattern {
            Pattern::MatchValue(p) => self.visit_expr(&p.value, next, Role::Other),
            Pattern::MatchSingleton(_) => {}
            Pattern::MatchSequence(p) => self.visit_patterns(&p.patterns, next),
            Pattern::MatchMapping(p) => {
                self.visit_exprs(&p.keys, next);
                self.visit_patterns(&p.patterns, next);
                if let Some(rest) = &p.rest {
                    rules::non_ascii_identifier(self.checker, rest, offset);
                    self.bindings.store(rest.as_str());
                }
            }
            Pattern::MatchClass(p) => {
                rules::match_class_pattern(self.checker, p);
                self.visit_expr(&p.cls, next, Role::Other);
                self.visit_patterns(&p.patterns, next);
                for attr in &p.kwd_attrs {
                    rules::non_ascii_identifier(self.checker, attr, offset);
                    rules::private_attribute_access_pattern(self.checker, attr, offset);
                }
                self.visit_patterns(&p.kwd_patterns, next);
            }
            Pattern::MatchStar(p) => {
                if let Some(name) = &p.name {
                    rules::non_ascii_identifier(self.checker, name, offset);
                    self.bindings.store(name.as_str());
                }
            }
            Pattern::MatchAs(p) => {
                if let Some(name) = &p.name {
                    rules::non_ascii_identifier(self.checker, name, offset);
                    self.bindings.store(name.as_str());
                }
                if let Some(inner) = &p.pattern {
                    self.visit_pattern(inner, next);
                }
            }
            Pattern::MatchOr(p) => self.visit_patterns(&p.patterns, next),
        }
    }

    pub(super) fn visit_patterns(&mut self, patterns: &'s [Pattern], depth: usize) {
        for pattern in patterns {
            self.visit_pattern(pattern, depth);
        }
    }
}
