use rustpython_parser::ast::{self, Constant, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::visitor::Checker;

/// The protocols through which numpy (and others) build an array over memory an object
/// describes by address.
const PROTOCOLS: &[&str] = &[
    "__array_interface__",
    "__array_struct__",
    "__cuda_array_interface__",
    "__dlpack__",
    "__dlpack_device__",
    "__buffer__",
];

violation! {
    /// ## What it does
    /// Rejects every mention of the raw-memory array protocols: defining
    /// `__array_interface__`, `__array_struct__`, `__dlpack__` or `__buffer__` (as a method,
    /// a property or a class attribute), reading them, or naming them in a string (a
    /// dictionary handed to `type(...)`, a key).
    ///
    /// ## Why is this bad?
    /// `np.asarray(obj)` trusts `obj.__array_interface__["data"]`, a bare address: an
    /// object that names any address gets an array that reads and writes the process's
    /// memory there (the interpreter's own structures included), with no call any other
    /// rule knows. Programs that work on data never need to define these.
    ///
    /// ## Example
    /// ```python
    /// class Window:
    ///     __array_interface__ = {"data": (0x7F0000000000, False), "shape": (4096,), "typestr": "|u1", "version": 3}
    /// memory = np.asarray(Window())
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// values = np.asarray(df["Revenue"])
    /// ```
    pub(crate) struct ArrayMemoryProtocol {
        name: String,
    }
}

impl ViolationKind for ArrayMemoryProtocol {
    const RULE: Rule = Rule::ArrayMemoryProtocol;

    fn message(&self) -> String {
        format!(
            "`{}` builds arrays over raw memory addresses; it is not allowed",
            self.name
        )
    }
}

fn report(checker: &mut Checker, offset: usize, name: &str) {
    if PROTOCOLS.contains(&name) {
        let name = name.to_string();
        checker.report(offset, ArrayMemoryProtocol { name });
    }
}

/// OFF122 on a defined function or method name.
pub(crate) fn array_memory_protocol_def(checker: &mut Checker, name: &str, offset: usize) {
    report(checker, offset, name);
}

/// OFF122 on a name (a class attribute assigned in the class body).
pub(crate) fn array_memory_protocol_name(checker: &mut Checker, name: &ast::ExprName) {
    report(checker, name.start().to_usize(), name.id.as_str());
}

/// OFF122 on an attribute.
pub(crate) fn array_memory_protocol_attribute(
    checker: &mut Checker,
    attribute: &ast::ExprAttribute,
) {
    let offset = crate::validate::resolve::attribute_name_offset(attribute);
    report(checker, offset, attribute.attr.as_str());
}

/// OFF122 on a string constant naming a protocol.
pub(crate) fn array_memory_protocol_string(checker: &mut Checker, literal: &ast::ExprConstant) {
    if let Constant::Str(text) = &literal.value {
        report(checker, literal.start().to_usize(), text.trim());
    }
}
