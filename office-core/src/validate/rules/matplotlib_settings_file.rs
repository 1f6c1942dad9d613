use rustpython_parser::ast::{self, Constant, Expr, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::values::string_literal;
use crate::validate::visitor::Checker;

/// matplotlib functions that read a settings or style file, or tell where they live.
const FILE_READERS: &[&str] = &[
    "rc_file",
    "rc_params_from_file",
    "rc_params",
    "matplotlib_fname",
    "get_configdir",
    "reload_library",
    "read_style_directory",
];

/// Text that names a settings file, a style file, the style folder or the settings folder.
const FILE_NAMES: &[&str] = &["matplotlibrc", ".mplstyle", "stylelib", "MPLCONFIGDIR"];

violation! {
    /// ## What it does
    /// Rejects loading matplotlib settings from a file: `matplotlib.rc_file(...)`,
    /// `rc_params_from_file`, `rc_params()` (which reads the settings folder's
    /// `matplotlibrc`), `style.reload_library()`, `style.use(...)`/`style.context(...)`
    /// with anything but the names of built-in styles, and any string that names a settings
    /// file or folder (`matplotlibrc`, `*.mplstyle`, `stylelib`, `MPLCONFIGDIR`).
    ///
    /// ## Why is this bad?
    /// OFF109 and OFF110 read the settings a program writes in code. A `matplotlibrc` or a
    /// style file the program writes (into `MPLCONFIGDIR`, say) and then loads sets the
    /// same settings (`backend: module://...`, `savefig.directory`) where no rule sees
    /// them, and in a warm interpreter a file left in the settings folder could be read
    /// again later.
    ///
    /// ## Example
    /// ```python
    /// path = os.path.join(os.environ["MPLCONFIGDIR"], "matplotlibrc")
    /// matplotlib.rc_file(path)
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// plt.style.use("ggplot")
    /// plt.rcParams["font.size"] = 12
    /// ```
    pub(crate) struct MatplotlibSettingsFile {
        construct: String,
    }
}

impl ViolationKind for MatplotlibSettingsFile {
    const RULE: Rule = Rule::MatplotlibSettingsFile;

    fn message(&self) -> String {
        format!(
            "`{}` loads matplotlib settings from a file, which is not allowed",
            self.construct
        )
    }
}

/// A built-in style's name: letters, digits, `-` and `_`, nothing path- or URL-like.
fn is_style_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn style_names_only(expr: &Expr) -> bool {
    match expr {
        Expr::List(list) => list.elts.iter().all(style_names_only),
        Expr::Tuple(tuple) => tuple.elts.iter().all(style_names_only),
        other => string_literal(other).is_some_and(is_style_name),
    }
}

/// OFF123 on a call.
pub(crate) fn matplotlib_settings_file_call(checker: &mut Checker, call: &ast::ExprCall) {
    let qualified = checker.imports.resolve_expr(&call.func);
    let Some(segments) = qualified
        .iter()
        .find(|q| q.imported && q.starts_with(&["matplotlib"]))
        .map(|q| q.segments.clone())
    else {
        return;
    };
    let Some(&last) = segments.last() else {
        return;
    };
    let reads_file = FILE_READERS.contains(&last);
    let loads_style = matches!(last, "use" | "context")
        && segments.contains(&"style")
        && !(call.keywords.is_empty() && call.args.len() == 1 && style_names_only(&call.args[0]));
    if reads_file || loads_style {
        let construct = segments[1..].join(".");
        checker.report(
            call.start().to_usize(),
            MatplotlibSettingsFile { construct },
        );
    }
}

/// OFF123 on a string that names a settings file or folder.
pub(crate) fn matplotlib_settings_file_string(checker: &mut Checker, literal: &ast::ExprConstant) {
    if let Constant::Str(text) = &literal.value
        && let Some(name) = FILE_NAMES.iter().find(|name| text.contains(**name))
    {
        let construct = format!("\"{name}\"");
        checker.report(
            literal.start().to_usize(),
            MatplotlibSettingsFile { construct },
        );
    }
}
