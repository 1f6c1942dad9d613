//! What each plain name is bound to, collected during the walk (flow-insensitive), so a
//! rule can ask "is this name only ever assigned string literals?" once the walk is done.

use std::collections::HashMap;

use rustpython_parser::ast::Expr;

#[derive(Default)]
struct NameBinding<'s> {
    /// Every place that binds the name: assignment targets, parameters, loop variables,
    /// imports, `except ... as`, `global`, match captures, definitions.
    stores: usize,
    /// The values of plain `name = value` assignments among them.
    values: Vec<&'s Expr>,
    /// Bound by a `for` loop or a comprehension: the name holds items of some collection.
    iterated: bool,
    /// Stores that are `def`s of the name (counted in `stores` too).
    functions: usize,
    /// Values the name holds a part of: a loop's iterable, the value a tuple target
    /// unpacks, a `:=`'s value.
    drawn_from: Vec<&'s Expr>,
}

#[derive(Default)]
pub(crate) struct Bindings<'s> {
    names: HashMap<&'s str, NameBinding<'s>>,
}

impl<'s> Bindings<'s> {
    /// A binding whose value the rules cannot see.
    pub(crate) fn store(&mut self, name: &'s str) {
        self.names.entry(name).or_default().stores += 1;
    }

    /// The value of a plain `name = value` (the target's own store is counted by `store`).
    pub(crate) fn assign(&mut self, name: &'s str, value: &'s Expr) {
        self.names.entry(name).or_default().values.push(value);
    }

    /// Marks every name in a loop or comprehension target (`for a, (b, c) in ...`).
    pub(crate) fn iterate(&mut self, target: &'s Expr) {
        match target {
            Expr::Name(name) => self.names.entry(name.id.as_str()).or_default().iterated = true,
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|e| self.iterate(e)),
            Expr::List(list) => list.elts.iter().for_each(|e| self.iterate(e)),
            Expr::Starred(starred) => self.iterate(&starred.value),
            _ => {}
        }
    }

    /// A `def` of `name` (its store is counted by `store`).
    pub(crate) fn define_function(&mut self, name: &'s str) {
        self.names.entry(name).or_default().functions += 1;
    }

    /// Like `only_assigned`, but `def`s of the name are allowed among its bindings (they
    /// bind a function, whose value is known to be one): `None` when any other binding
    /// (a parameter, a loop, an import, ...) is there.
    pub(crate) fn only_assigned_or_defined(&self, name: &str) -> Option<&[&'s Expr]> {
        let binding = self.names.get(name)?;
        (binding.stores == binding.values.len() + binding.functions && binding.stores > 0)
            .then_some(binding.values.as_slice())
    }

    /// Every name in `target` holds a part of `source` (a loop over it, an unpacking, `:=`).
    pub(crate) fn draw(&mut self, target: &'s Expr, source: &'s Expr) {
        match target {
            Expr::Name(name) => self
                .names
                .entry(name.id.as_str())
                .or_default()
                .drawn_from
                .push(source),
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|e| self.draw(e, source)),
            Expr::List(list) => list.elts.iter().for_each(|e| self.draw(e, source)),
            Expr::Starred(starred) => self.draw(&starred.value, source),
            _ => {}
        }
    }

    /// Every (name, source) pair of the program, as `sources` gives them.
    pub(crate) fn all_sources(&self) -> impl Iterator<Item = (&'s str, &'s Expr)> + '_ {
        self.names.iter().flat_map(|(&name, binding)| {
            binding
                .values
                .iter()
                .chain(&binding.drawn_from)
                .map(move |&source| (name, source))
        })
    }

    /// True when a `for` loop or a comprehension binds `name`.
    pub(crate) fn is_iterated(&self, name: &str) -> bool {
        self.names.get(name).is_some_and(|binding| binding.iterated)
    }

    /// The values of every plain assignment to `name`, whatever its other bindings.
    pub(crate) fn assigned(&self, name: &str) -> &[&'s Expr] {
        self.names
            .get(name)
            .map_or(&[], |binding| binding.values.as_slice())
    }

    /// Every value `name` is assigned, when each of its bindings is a plain assignment.
    pub(crate) fn only_assigned(&self, name: &str) -> Option<&[&'s Expr]> {
        let binding = self.names.get(name)?;
        (binding.stores == binding.values.len() && !binding.values.is_empty())
            .then_some(binding.values.as_slice())
    }
}
