use std::collections::{HashMap, HashSet};

use rustpython_parser::ast::{Expr, Ranged};

use super::ViolationKind;
use crate::validate::bindings::Bindings;
use crate::validate::registry::Rule;
use crate::validate::resolve::{ImportTable, chain};
use crate::validate::visitor::Checker;

/// How deep a value is read for a library object (`[[pd.DataFrame]]`); deeper counts as one.
const MAX_SCAN_DEPTH: usize = 64;

/// What a program may set on a library: pandas' options are attributes by design, and
/// resetting the header style of `to_excel` is a common, harmless setting.
const ASSIGNABLE: &[&[&str]] = &[
    &["pandas", "options"],
    &[
        "pandas",
        "io",
        "formats",
        "excel",
        "ExcelFormatter",
        "header_style",
    ],
];

violation! {
    /// ## What it does
    /// Rejects assigning to, deleting, or binding in a loop or `with` an attribute of an
    /// imported module, class or function: `pd.DataFrame.to_csv = spy`, `del np.load`,
    /// `plt.savefig = f`, also through a local name or expression that may hold a library
    /// object: `DF = pd.DataFrame; DF.to_csv = spy`, `for cls in [pd.DataFrame]: cls.x = f`,
    /// `[pd.DataFrame][0].to_csv = spy`, `(DF := pd.DataFrame).to_csv = spy`,
    /// `type(df).to_csv = spy`. pandas' options (`pd.options.display.max_rows = 50`) and
    /// `ExcelFormatter.header_style` are allowed when written out in full; attributes of
    /// your own objects (`df.columns = [...]`, `cell.value = 1`, `ws.column_dimensions["A"].width = 20`)
    /// are not affected.
    ///
    /// ## Why is this bad?
    /// Replacing a library's method changes what every later call does, including the
    /// calls the engine's own harness and other rules rely on: a program can make
    /// `DataFrame.to_csv` send its data elsewhere, or make a checked call do something the
    /// validator never saw.
    ///
    /// ## Example
    /// ```python
    /// pd.DataFrame.to_csv = lambda self, *a, **k: None
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// def save(frame, path):
    ///     frame.to_csv(path, index=False)
    /// ```
    pub(crate) struct LibraryAttributeAssignment {
        target: String,
    }
}

impl ViolationKind for LibraryAttributeAssignment {
    const RULE: Rule = Rule::LibraryAttributeAssignment;

    fn message(&self) -> String {
        format!(
            "`{}` replaces an attribute of an imported library, which is not allowed",
            self.target
        )
    }
}

/// An attribute target whose base is a local name or an expression: judged once the walk
/// has seen every binding of the names involved.
pub(crate) struct PendingAliasTarget<'s> {
    /// The expression the attribute chain starts from (`DF` in `DF.to_csv`).
    base: &'s Expr,
    offset: usize,
    target: String,
}

/// OFF120 on an assignment, deletion, loop or `with` target. A target on a local name or
/// another expression is added to `pending`.
pub(crate) fn library_attribute_assignment<'s>(
    checker: &mut Checker,
    target: &'s Expr,
    pending: &mut Vec<PendingAliasTarget<'s>>,
) {
    match target {
        Expr::Tuple(tuple) => tuple
            .elts
            .iter()
            .for_each(|e| library_attribute_assignment(checker, e, pending)),
        Expr::List(list) => list
            .elts
            .iter()
            .for_each(|e| library_attribute_assignment(checker, e, pending)),
        Expr::Starred(starred) => library_attribute_assignment(checker, &starred.value, pending),
        Expr::Attribute(attribute) => {
            let chain = chain(attribute);
            let resolved = checker.imports.resolve_chain(&chain);
            if !resolved.iter().any(|qualified| qualified.imported) {
                let mut base = attribute.value.as_ref();
                while let Expr::Attribute(inner) = base {
                    base = &inner.value;
                }
                pending.push(PendingAliasTarget {
                    base,
                    offset: attribute.start().to_usize(),
                    target: chain.spelling_through(chain.attributes.len() - 1),
                });
                return;
            }
            let replaced = resolved.iter().any(|qualified| {
                qualified.imported
                    && !ASSIGNABLE
                        .iter()
                        .any(|prefix| qualified.starts_with(prefix))
            });
            if replaced {
                let target = chain.spelling_through(chain.attributes.len() - 1);
                checker.report(
                    attribute.start().to_usize(),
                    LibraryAttributeAssignment { target },
                );
            }
        }
        _ => {}
    }
}

/// OFF120 on the pending targets, once every binding is known: a target whose base may
/// hold a library object.
pub(crate) fn library_alias_pending<'s>(
    checker: &mut Checker,
    pending: &[PendingAliasTarget<'s>],
    bindings: &Bindings<'s>,
) {
    if pending.is_empty() {
        return;
    }
    let holders = library_holders(&checker.imports, bindings);
    for target in pending {
        let mut names = Vec::new();
        let direct = scan(target.base, &checker.imports, &mut names, 0);
        if direct || names.iter().any(|name| holders.contains(name)) {
            checker.report(
                target.offset,
                LibraryAttributeAssignment {
                    target: target.target.clone(),
                },
            );
        }
    }
}

/// The local names that may hold a library object: those with a source that holds one
/// directly, then, over and over, those with a source naming one of them. Each source is
/// read once and each name enters the work list once, so the cost is the program's size.
fn library_holders<'s>(imports: &ImportTable, bindings: &Bindings<'s>) -> HashSet<&'s str> {
    let mut holders: HashSet<&'s str> = HashSet::new();
    let mut dependents: HashMap<&'s str, Vec<&'s str>> = HashMap::new();
    let mut work = Vec::new();
    for (name, source) in bindings.all_sources() {
        let mut names = Vec::new();
        if scan(source, imports, &mut names, 0) {
            if holders.insert(name) {
                work.push(name);
            }
        } else {
            for used in names {
                dependents.entry(used).or_default().push(name);
            }
        }
    }
    while let Some(holder) = work.pop() {
        for &dependent in dependents.get(holder).into_iter().flatten() {
            if holders.insert(dependent) {
                work.push(dependent);
            }
        }
    }
    holders
}

/// Whether `expr` may evaluate to an imported module, class or function, or to something
/// reached from one, by itself: an imported name, a container holding one, `type(x)`
/// (always a class). The local names that would decide it are added to `names`.
fn scan<'s>(expr: &'s Expr, imports: &ImportTable, names: &mut Vec<&'s str>, depth: usize) -> bool {
    if depth > MAX_SCAN_DEPTH {
        return true;
    }
    match expr {
        Expr::Name(name) => {
            let id = name.id.as_str();
            if imports.resolve_name(id).iter().any(|q| q.imported) {
                return true;
            }
            names.push(id);
            false
        }
        Expr::Attribute(attribute) => scan(&attribute.value, imports, names, depth + 1),
        Expr::Subscript(subscript) => scan(&subscript.value, imports, names, depth + 1),
        Expr::Starred(starred) => scan(&starred.value, imports, names, depth + 1),
        Expr::NamedExpr(named) => scan(&named.value, imports, names, depth + 1),
        Expr::List(list) => scan_all(&list.elts, imports, names, depth),
        Expr::Tuple(tuple) => scan_all(&tuple.elts, imports, names, depth),
        Expr::Set(set) => scan_all(&set.elts, imports, names, depth),
        Expr::Dict(dict) => scan_all(&dict.values, imports, names, depth),
        Expr::BoolOp(op) => scan_all(&op.values, imports, names, depth),
        Expr::IfExp(choice) => {
            scan(&choice.body, imports, names, depth + 1)
                || scan(&choice.orelse, imports, names, depth + 1)
        }
        // What a comprehension yields: its element, whose names are drawn from the loops.
        Expr::ListComp(comp) => scan(&comp.elt, imports, names, depth + 1),
        Expr::SetComp(comp) => scan(&comp.elt, imports, names, depth + 1),
        Expr::GeneratorExp(comp) => scan(&comp.elt, imports, names, depth + 1),
        Expr::DictComp(comp) => scan(&comp.value, imports, names, depth + 1),
        Expr::Call(call) => imports.matches(&call.func, &["type"]) && call.args.len() == 1,
        _ => false,
    }
}

fn scan_all<'s>(
    items: &'s [Expr],
    imports: &ImportTable,
    names: &mut Vec<&'s str>,
    depth: usize,
) -> bool {
    items.iter().any(|e| scan(e, imports, names, depth + 1))
}
