//! The rule registry: the one place where rule codes are written down.
//! Codes are never reused; a retired rule stays here with `Lifecycle::Removed`.

use std::sync::LazyLock;

use super::rules;

/// A validator rule. `code()` is the stable id shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// OFF001: the program does not parse.
    SyntaxError,
    /// OFF002: the source is larger than the policy's `max_source_bytes`.
    SourceTooLarge,
    /// OFF003: brackets or blocks nested deeper than the policy's `max_nesting_depth`.
    NestingTooDeep,
    /// OFF004: a source-encoding declaration other than UTF-8.
    EncodingDeclaration,
    /// OFF005: an identifier with characters outside ASCII.
    NonAsciiIdentifier,
    /// OFF101: an import of a module the policy does not allow.
    DisallowedImport,
    /// OFF102: a builtin that evaluates code or reaches objects by name (`eval`, `getattr`, ...).
    ForbiddenBuiltin,
    /// OFF103: `open` other than as a plain call with a literal mode.
    RestrictedOpen,
    /// OFF104: an attribute of `os` outside the allowed subset.
    DisallowedOsAttribute,
    /// OFF105: an attribute chain from an allowed module into a disallowed one.
    ModuleEscapeChain,
    /// OFF106: a dunder or private attribute (`x.__class__`, `df._data`).
    PrivateAttributeAccess,
    /// OFF107: a dunder name (`__builtins__`, `__loader__`).
    DunderName,
    /// OFF108: reading or writing pickles.
    PickleDeserialization,
    /// OFF109: choosing a plotting backend other than `Agg`.
    PlottingBackend,
    /// OFF110: a matplotlib setting that names a program, a path or code to load.
    ProgramOrPathSetting,
    /// OFF111: a `query`/`eval` expression string that is not a plain column expression.
    PandasExpression,
    /// OFF112: a format template that walks from its arguments.
    FormatStringTraversal,
    /// OFF113: metaclasses and the class hooks Python calls on its own.
    ClassCreationHook,
    /// OFF114: a decorator whose effect is not known.
    UnknownDecorator,
    /// OFF115: a `case Class(...)` pattern on anything but a plain value type.
    MatchClassPattern,
    /// OFF116: a part of an allowed module that builds native code, runs programs or evaluates strings.
    DisallowedModuleAttribute,
    /// OFF117: an attribute name computed at run time.
    ComputedAttributeName,
    /// OFF118: a name bound by more than four different imports.
    NameBoundByManyImports,
    /// OFF119: a forbidden builtin or program-starting function reached as a module's member.
    ReexportedMember,
    /// OFF120: assigning over an attribute of a library's module, class or function.
    LibraryAttributeAssignment,
    /// OFF121: pandas reached through anything but its public surface.
    PandasInternalModule,
    /// OFF122: the raw-memory array protocols (`__array_interface__`, `__dlpack__`, ...).
    ArrayMemoryProtocol,
    /// OFF123: loading matplotlib settings or styles from a file.
    MatplotlibSettingsFile,
    /// OFF124: a template handed to a matplotlib formatter that walks from its arguments.
    FormatterTemplate,
}

/// Whether a rule is still applied. Removed rules keep their code reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// The rule is checked.
    Stable,
    /// The rule is retired; its code stays reserved and is never reused.
    Removed,
}

#[rustfmt::skip]
fn entry(rule: Rule) -> (&'static str, &'static str, Lifecycle, &'static str) {
    use Lifecycle::Stable;
    match rule {
        Rule::SyntaxError            => ("OFF001", "syntax-error",              Stable, rules::SyntaxError::EXPLANATION),
        Rule::SourceTooLarge         => ("OFF002", "source-too-large",          Stable, rules::SourceTooLarge::EXPLANATION),
        Rule::NestingTooDeep         => ("OFF003", "nesting-too-deep",          Stable, rules::NestingTooDeep::EXPLANATION),
        Rule::EncodingDeclaration    => ("OFF004", "encoding-declaration",      Stable, rules::EncodingDeclaration::EXPLANATION),
        Rule::NonAsciiIdentifier     => ("OFF005", "non-ascii-identifier",      Stable, rules::NonAsciiIdentifier::EXPLANATION),
        Rule::DisallowedImport       => ("OFF101", "disallowed-import",         Stable, rules::DisallowedImport::EXPLANATION),
        Rule::ForbiddenBuiltin       => ("OFF102", "forbidden-builtin",         Stable, rules::ForbiddenBuiltin::EXPLANATION),
        Rule::RestrictedOpen         => ("OFF103", "restricted-open",           Stable, rules::RestrictedOpen::EXPLANATION),
        Rule::DisallowedOsAttribute  => ("OFF104", "disallowed-os-attribute",   Stable, rules::DisallowedOsAttribute::EXPLANATION),
        Rule::ModuleEscapeChain      => ("OFF105", "module-escape-chain",       Stable, rules::ModuleEscapeChain::EXPLANATION),
        Rule::PrivateAttributeAccess => ("OFF106", "private-attribute-access",  Stable, rules::PrivateAttributeAccess::EXPLANATION),
        Rule::DunderName             => ("OFF107", "dunder-name",               Stable, rules::DunderName::EXPLANATION),
        Rule::PickleDeserialization  => ("OFF108", "pickle-deserialization",   Stable, rules::PickleDeserialization::EXPLANATION),
        Rule::PlottingBackend        => ("OFF109", "plotting-backend",         Stable, rules::PlottingBackend::EXPLANATION),
        Rule::ProgramOrPathSetting   => ("OFF110", "program-or-path-setting",  Stable, rules::ProgramOrPathSetting::EXPLANATION),
        Rule::PandasExpression       => ("OFF111", "pandas-expression",        Stable, rules::PandasExpression::EXPLANATION),
        Rule::FormatStringTraversal  => ("OFF112", "format-string-traversal",  Stable, rules::FormatStringTraversal::EXPLANATION),
        Rule::ClassCreationHook      => ("OFF113", "class-creation-hook",      Stable, rules::ClassCreationHook::EXPLANATION),
        Rule::UnknownDecorator       => ("OFF114", "unknown-decorator",        Stable, rules::UnknownDecorator::EXPLANATION),
        Rule::MatchClassPattern      => ("OFF115", "match-class-pattern",      Stable, rules::MatchClassPattern::EXPLANATION),
        Rule::DisallowedModuleAttribute => ("OFF116", "disallowed-module-attribute", Stable, rules::DisallowedModuleAttribute::EXPLANATION),
        Rule::ComputedAttributeName  => ("OFF117", "computed-attribute-name",  Stable, rules::ComputedAttributeName::EXPLANATION),
        Rule::NameBoundByManyImports => ("OFF118", "name-bound-by-many-imports", Stable, rules::NameBoundByManyImports::EXPLANATION),
        Rule::ReexportedMember       => ("OFF119", "reexported-member",        Stable, rules::ReexportedMember::EXPLANATION),
        Rule::LibraryAttributeAssignment => ("OFF120", "library-attribute-assignment", Stable, rules::LibraryAttributeAssignment::EXPLANATION),
        Rule::PandasInternalModule   => ("OFF121", "pandas-internal-module",   Stable, rules::PandasInternalModule::EXPLANATION),
        Rule::ArrayMemoryProtocol    => ("OFF122", "array-memory-protocol",    Stable, rules::ArrayMemoryProtocol::EXPLANATION),
        Rule::MatplotlibSettingsFile => ("OFF123", "matplotlib-settings-file", Stable, rules::MatplotlibSettingsFile::EXPLANATION),
        Rule::FormatterTemplate      => ("OFF124", "formatter-template",       Stable, rules::FormatterTemplate::EXPLANATION),
    }
}

/// Explanations with the one leading space of each `///` line removed, computed once.
static EXPLANATIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    Rule::ALL
        .iter()
        .map(|rule| {
            let raw = entry(*rule).3;
            raw.lines()
                .map(|line| line.strip_prefix(' ').unwrap_or(line))
                .collect::<Vec<_>>()
                .join("\n")
                .trim()
                .to_string()
        })
        .collect()
});

impl Rule {
    /// Every rule, in code order.
    pub const ALL: &'static [Rule] = &[
        Rule::SyntaxError,
        Rule::SourceTooLarge,
        Rule::NestingTooDeep,
        Rule::EncodingDeclaration,
        Rule::NonAsciiIdentifier,
        Rule::DisallowedImport,
        Rule::ForbiddenBuiltin,
        Rule::RestrictedOpen,
        Rule::DisallowedOsAttribute,
        Rule::ModuleEscapeChain,
        Rule::PrivateAttributeAccess,
        Rule::DunderName,
        Rule::PickleDeserialization,
        Rule::PlottingBackend,
        Rule::ProgramOrPathSetting,
        Rule::PandasExpression,
        Rule::FormatStringTraversal,
        Rule::ClassCreationHook,
        Rule::UnknownDecorator,
        Rule::MatchClassPattern,
        Rule::DisallowedModuleAttribute,
        Rule::ComputedAttributeName,
        Rule::NameBoundByManyImports,
        Rule::ReexportedMember,
        Rule::LibraryAttributeAssignment,
        Rule::PandasInternalModule,
        Rule::ArrayMemoryProtocol,
        Rule::MatplotlibSettingsFile,
        Rule::FormatterTemplate,
    ];

    /// The stable id, e.g. `OFF101`.
    pub fn code(self) -> &'static str {
        entry(self).0
    }

    /// A kebab-case name, e.g. `disallowed-import`.
    pub fn name(self) -> &'static str {
        entry(self).1
    }

    /// Whether the rule is checked or retired.
    pub fn lifecycle(self) -> Lifecycle {
        entry(self).2
    }

    /// The rule's documentation (Markdown): what it does, why, an example and the fix.
    pub fn explain(self) -> &'static str {
        let index = Rule::ALL.iter().position(|r| *r == self).unwrap_or(0);
        &EXPLANATIONS[index]
    }

    /// Looks a rule up by code (`OFF101`) or name (`disallowed-import`).
    pub fn from_code(code_or_name: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|rule| {
            rule.code().eq_ignore_ascii_case(code_or_name) || rule.name() == code_or_name
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in Rule::ALL {
            let code = rule.code();
            assert!(codes.insert(code), "code {code} is used twice");
            assert!(
                names.insert(rule.name()),
                "name {} is used twice",
                rule.name()
            );
            assert!(
                code.len() == 6
                    && code.starts_with("OFF")
                    && code[3..].bytes().all(|b| b.is_ascii_digit()),
                "code {code} is not OFF + 3 digits"
            );
            assert_eq!(Rule::from_code(code), Some(*rule));
        }
    }
}
