//! The import/alias table: which module or module member each imported name stands for, so
//! rules match qualified names (`os.system`) and not spellings (`o.system`, `system`).
//!
//! The table is flow-insensitive: every import anywhere in the program (functions and
//! branches included) is recorded, and a name bound by several imports keeps all of them,
//! so a rule sees every module the name may stand for at run time.

use std::collections::{HashMap, HashSet};

use rustpython_parser::ast::{self, Expr, Ranged, Stmt};

/// A dotted name such as `["pandas", "io", "common", "os"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QualifiedName<'a> {
    /// Borrowed from the import table and the chain as written: resolving is done for many
    /// nodes by many rules, and copying every segment's text was most of its cost.
    pub(crate) segments: Vec<&'a str>,
    /// False when the root is a plain local or builtin name no import binds.
    pub(crate) imported: bool,
}

impl QualifiedName<'_> {
    pub(crate) fn starts_with(&self, prefix: &[&str]) -> bool {
        self.segments.len() >= prefix.len()
            && self
                .segments
                .iter()
                .zip(prefix)
                .all(|(segment, want)| segment == want)
    }
}

/// Different imports one name may be bound by. Every use of a name resolves to each of
/// its bindings for each rule, so without a bound the cost grows with bindings × uses; a
/// name bound more often is reported (OFF118) and its further bindings are not kept.
pub(crate) const MAX_BINDINGS_PER_NAME: usize = 4;

#[derive(Debug, Default)]
pub(crate) struct ImportTable {
    bindings: HashMap<String, Vec<Vec<String>>>,
    /// Names bound by more than `MAX_BINDINGS_PER_NAME` imports: the offset of the first
    /// import past the bound, and how many different imports bind the name.
    overbound: HashMap<String, (usize, usize)>,
    /// Names of the functions and classes the program defines (anywhere, any scope).
    defined_functions: HashSet<String>,
    defined_classes: HashSet<String>,
}

impl ImportTable {
    /// Records every `import` and `from ... import` in the program.
    pub(crate) fn from_suite(suite: &[Stmt]) -> Self {
        let mut table = ImportTable::default();
        // An explicit stack: statement nesting is capped before parsing, but this costs nothing.
        let mut pending: Vec<&Stmt> = suite.iter().rev().collect();
        while let Some(stmt) = pending.pop() {
            match stmt {
                Stmt::Import(import) => {
                    for alias in &import.names {
                        let module: Vec<String> = split_dotted(&alias.name);
                        let offset = alias.start().to_usize();
                        match &alias.asname {
                            // `import a.b as c` binds c to a.b.
                            Some(asname) => table.bind(asname, module, offset),
                            // `import a.b` binds a to a.
                            None => table.bind(&module[0].clone(), vec![module[0].clone()], offset),
                        }
                    }
                }
                Stmt::ImportFrom(import) => {
                    let module = from_module_segments(import);
                    for alias in &import.names {
                        if alias.name.as_str() == "*" {
                            continue;
                        }
                        let mut segments = module.clone();
                        segments.push(alias.name.to_string());
                        let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                        table.bind(bound, segments, alias.start().to_usize());
                    }
                }
                Stmt::FunctionDef(def) => {
                    table.defined_functions.insert(def.name.to_string());
                }
                Stmt::AsyncFunctionDef(def) => {
                    table.defined_functions.insert(def.name.to_string());
                }
                Stmt::ClassDef(class) => {
                    table.defined_classes.insert(class.name.to_string());
                }
                _ => {}
            }
            for body in child_bodies(stmt) {
                pending.extend(body.iter().rev());
            }
        }
        table
    }

    fn bind(&mut self, name: &str, segments: Vec<String>, offset: usize) {
        let candidates = self.bindings.entry(name.to_string()).or_default();
        if candidates.contains(&segments) {
            return;
        }
        if candidates.len() < MAX_BINDINGS_PER_NAME {
            candidates.push(segments);
            return;
        }
        let over = self
            .overbound
            .entry(name.to_string())
            .or_insert((offset, MAX_BINDINGS_PER_NAME));
        over.1 += 1;
    }

    /// Names bound by more imports than `MAX_BINDINGS_PER_NAME`, in source order: where the
    /// first binding past the bound is, the name, and how many bindings it has (at least).
    pub(crate) fn overbound_names(&self) -> Vec<(usize, String, usize)> {
        let mut names: Vec<(usize, String, usize)> = self
            .overbound
            .iter()
            .map(|(name, (offset, count))| (*offset, name.clone(), *count))
            .collect();
        names.sort();
        names
    }

    /// True when the program defines a function called `name` (and no import binds it).
    pub(crate) fn is_defined_function(&self, name: &str) -> bool {
        self.defined_functions.contains(name) && !self.bindings.contains_key(name)
    }

    /// True when the program defines a class called `name` (and no import binds it).
    pub(crate) fn is_defined_class(&self, name: &str) -> bool {
        self.defined_classes.contains(name) && !self.bindings.contains_key(name)
    }

    /// Every qualified name an expression may stand for: a name or an attribute chain
    /// rooted at a name; empty for anything else.
    pub(crate) fn resolve_expr<'a>(&'a self, expr: &'a Expr) -> Vec<QualifiedName<'a>> {
        match expr {
            Expr::Name(name) => self.resolve_name(name.id.as_str()),
            Expr::Attribute(attribute) => self.resolve_chain(&chain(attribute)),
            _ => Vec::new(),
        }
    }

    /// True when `expr` may stand for exactly `segments` (an imported name, or a builtin
    /// when `segments` has one element and nothing binds it). Called for many nodes by many
    /// rules, so it rejects cheaply before resolving anything.
    pub(crate) fn matches(&self, expr: &Expr, segments: &[&str]) -> bool {
        let Some(last) = segments.last() else {
            return false;
        };
        match expr {
            Expr::Name(name) => match self.bindings.get(name.id.as_str()) {
                Some(candidates) => candidates.iter().any(|candidate| candidate == segments),
                None => segments.len() == 1 && name.id.as_str() == *last,
            },
            // Imports rename only the root of a chain, so the last attribute must match.
            Expr::Attribute(attribute) if attribute.attr.as_str() == *last => self
                .resolve_chain(&chain(attribute))
                .iter()
                .any(|qualified| qualified.imported && qualified.segments == segments),
            _ => false,
        }
    }

    /// Every qualified name `name` may stand for. An unbound name resolves to itself.
    pub(crate) fn resolve_name<'a>(&'a self, name: &'a str) -> Vec<QualifiedName<'a>> {
        self.resolve_name_with(name, &[])
    }

    /// `resolve_name`, each candidate followed by `more` segments.
    fn resolve_name_with<'a>(&'a self, name: &'a str, more: &[&'a str]) -> Vec<QualifiedName<'a>> {
        match self.bindings.get(name) {
            Some(candidates) => candidates
                .iter()
                .map(|segments| {
                    let mut all: Vec<&str> = Vec::with_capacity(segments.len() + more.len());
                    all.extend(segments.iter().map(String::as_str));
                    all.extend_from_slice(more);
                    QualifiedName {
                        segments: all,
                        imported: true,
                    }
                })
                .collect(),
            None => {
                let mut all = Vec::with_capacity(1 + more.len());
                all.push(name);
                all.extend_from_slice(more);
                vec![QualifiedName {
                    segments: all,
                    imported: false,
                }]
            }
        }
    }

    /// Every qualified name an attribute chain may stand for; empty when its root is not a
    /// name (a call, a subscript, ...).
    pub(crate) fn resolve_chain<'a>(&'a self, chain: &Chain<'a>) -> Vec<QualifiedName<'a>> {
        let Some(root) = chain.root else {
            return Vec::new();
        };
        let attributes: Vec<&'a str> = chain.attributes.iter().map(|a| a.name).collect();
        self.resolve_name_with(root.id.as_str(), &attributes)
    }
}

/// One attribute of a chain, with the byte offset where its name starts.
pub(crate) struct ChainAttribute<'e> {
    pub(crate) name: &'e str,
    pub(crate) offset: usize,
}

/// An attribute chain `root.a.b.c` as written: the root name (if the chain starts at a name)
/// and the attributes in source order.
pub(crate) struct Chain<'e> {
    pub(crate) root: Option<&'e ast::ExprName>,
    pub(crate) attributes: Vec<ChainAttribute<'e>>,
}

impl Chain<'_> {
    /// The chain as written, up to and including attribute `last` (an index into `attributes`).
    pub(crate) fn spelling_through(&self, last: usize) -> String {
        let mut text = match self.root {
            Some(root) => root.id.to_string(),
            None => "(...)".to_string(),
        };
        for attribute in self.attributes.iter().take(last + 1) {
            text.push('.');
            text.push_str(attribute.name);
        }
        text
    }
}

/// Splits the outermost attribute of a chain into its root and attributes.
pub(crate) fn chain(outermost: &ast::ExprAttribute) -> Chain<'_> {
    let mut attributes = Vec::new();
    let mut current = outermost;
    loop {
        attributes.push(ChainAttribute {
            name: current.attr.as_str(),
            offset: attribute_name_offset(current),
        });
        match current.value.as_ref() {
            Expr::Attribute(inner) => current = inner,
            Expr::Name(name) => {
                attributes.reverse();
                return Chain {
                    root: Some(name),
                    attributes,
                };
            }
            _ => {
                attributes.reverse();
                return Chain {
                    root: None,
                    attributes,
                };
            }
        }
    }
}

/// Where the attribute's own name starts: it is always the last thing in the node's range.
pub(crate) fn attribute_name_offset(attribute: &ast::ExprAttribute) -> usize {
    let end = attribute.range.end().to_usize();
    end.saturating_sub(attribute.attr.len())
        .max(attribute.start().to_usize())
}

pub(crate) fn split_dotted(name: &str) -> Vec<String> {
    name.split('.').map(str::to_string).collect()
}

/// The module of a `from` import as segments; relative imports get a leading `.`-segment.
pub(crate) fn from_module_segments(import: &ast::StmtImportFrom) -> Vec<String> {
    let level = import.level.map(|level| level.to_u32()).unwrap_or(0);
    let mut segments = Vec::new();
    if level > 0 {
        segments.push(".".repeat(level as usize));
    }
    if let Some(module) = &import.module {
        segments.extend(split_dotted(module));
    }
    segments
}

/// The statement lists directly inside a compound statement.
pub(crate) fn child_bodies(stmt: &Stmt) -> Vec<&[Stmt]> {
    match stmt {
        Stmt::FunctionDef(s) => vec![&s.body],
        Stmt::AsyncFunctionDef(s) => vec![&s.body],
        Stmt::ClassDef(s) => vec![&s.body],
        Stmt::For(s) => vec![&s.body, &s.orelse],
        Stmt::AsyncFor(s) => vec![&s.body, &s.orelse],
        Stmt::While(s) => vec![&s.body, &s.orelse],
        Stmt::If(s) => vec![&s.body, &s.orelse],
        Stmt::With(s) => vec![&s.body],
        Stmt::AsyncWith(s) => vec![&s.body],
        Stmt::Match(s) => s.cases.iter().map(|case| case.body.as_slice()).collect(),
        Stmt::Try(s) => handler_bodies(&s.body, &s.handlers, &s.orelse, &s.finalbody),
        Stmt::TryStar(s) => handler_bodies(&s.body, &s.handlers, &s.orelse, &s.finalbody),
        _ => Vec::new(),
    }
}

fn handler_bodies<'s>(
    body: &'s [Stmt],
    handlers: &'s [ast::ExceptHandler],
    orelse: &'s [Stmt],
    finalbody: &'s [Stmt],
) -> Vec<&'s [Stmt]> {
    let mut bodies = vec![body, orelse, finalbody];
    bodies.extend(handlers.iter().map(|handler| match handler {
        ast::ExceptHandler::ExceptHandler(handler) => handler.body.as_slice(),
    }));
    bodies
}
