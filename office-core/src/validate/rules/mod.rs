//! One file per rule. Each file holds the violation struct (whose doc comment is the rule's
//! documentation, copied into `EXPLANATION` by `violation!`) and one `pub(crate) fn` check
//! called by the visitor at the node kind the rule cares about.

use super::registry::Rule;

/// What a rule reports. `message()` is one short sentence naming the construct in backticks.
pub(crate) trait ViolationKind {
    const RULE: Rule;
    fn message(&self) -> String;
}

/// Declares a violation struct and keeps its doc comment as `EXPLANATION`, so the text a
/// developer reads in the source is the text `Rule::explain()` shows.
macro_rules! violation {
    ($(#[doc = $doc:literal])* pub(crate) struct $name:ident $($body:tt)*) => {
        $(#[doc = $doc])*
        pub(crate) struct $name $($body)*

        impl $name {
            pub(crate) const EXPLANATION: &'static str = concat!($($doc, "\n"),*);
        }
    };
}

mod array_memory_protocol;
mod class_creation_hook;
mod computed_attribute_name;
mod disallowed_import;
mod disallowed_module_attribute;
mod disallowed_os_attribute;
mod dunder_name;
mod encoding_declaration;
mod forbidden_builtin;
mod format_string_traversal;
mod formatter_template;
mod library_attribute_assignment;
mod match_class_pattern;
mod matplotlib_settings_file;
mod module_escape_chain;
mod name_bound_by_many_imports;
mod nesting_too_deep;
mod non_ascii_identifier;
mod pandas_expression;
mod pandas_internal_module;
mod pickle_deserialization;
mod plotting_backend;
mod private_attribute_access;
mod program_or_path_setting;
mod reexported_member;
mod restricted_open;
mod source_too_large;
mod syntax_error;
mod unknown_decorator;

pub(crate) use array_memory_protocol::*;
pub(crate) use class_creation_hook::*;
pub(crate) use computed_attribute_name::*;
pub(crate) use disallowed_import::*;
pub(crate) use disallowed_module_attribute::*;
pub(crate) use disallowed_os_attribute::*;
pub(crate) use dunder_name::*;
pub(crate) use encoding_declaration::*;
pub(crate) use forbidden_builtin::*;
pub(crate) use format_string_traversal::*;
pub(crate) use formatter_template::*;
pub(crate) use library_attribute_assignment::*;
pub(crate) use match_class_pattern::*;
pub(crate) use matplotlib_settings_file::*;
pub(crate) use module_escape_chain::*;
pub(crate) use name_bound_by_many_imports::*;
pub(crate) use nesting_too_deep::*;
pub(crate) use non_ascii_identifier::*;
pub(crate) use pandas_expression::*;
pub(crate) use pandas_internal_module::*;
pub(crate) use pickle_deserialization::*;
pub(crate) use plotting_backend::*;
pub(crate) use private_attribute_access::*;
pub(crate) use program_or_path_setting::*;
pub(crate) use reexported_member::*;
pub(crate) use restricted_open::*;
pub(crate) use source_too_large::*;
pub(crate) use syntax_error::*;
pub(crate) use unknown_decorator::*;
