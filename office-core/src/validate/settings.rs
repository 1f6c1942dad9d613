//! The matplotlib settings a call or an assignment writes (rcParams keys, rc files, style
//! sheets, environment variables matplotlib reads), read once and classified, so the
//! plotting-backend rule (OFF109) and the program-or-path rule (OFF110) share one reading.

use rustpython_parser::ast::{self, Constant, Expr, Ranged};

use super::values::{argument, string_literal};
use super::visitor::Checker;

/// The objects that hold matplotlib's settings.
const RC_OBJECTS: &[&[&str]] = &[
    &["matplotlib", "rcParams"],
    &["matplotlib", "rcParamsDefault"],
    &["matplotlib", "rcParamsOrig"],
    &["matplotlib", "pyplot", "rcParams"],
    &["matplotlib", "pyplot", "rcParamsDefault"],
];

/// Settings that choose a backend module by name.
const BACKEND_KEYS: &[&str] = &["backend", "backend_fallback"];

/// Settings that name a program to run, a file or folder to use, or code to load:
/// `animation.*` (ffmpeg/ImageMagick paths and arguments), LaTeX (`text.usetex` runs latex
/// and dvipng; preambles are TeX source), `pgf.*`, the distiller (ghostscript), the save
/// dialog's folder, figure hooks (`"module:function"` strings imported on every figure)
/// and the interactive toolkits' settings.
const PROGRAM_OR_PATH_PREFIXES: &[&str] = &[
    "animation.",
    "pgf.",
    "text.latex.",
    "webagg.",
    "tk.",
    "macosx.",
];
const PROGRAM_OR_PATH_KEYS: &[&str] = &[
    "text.usetex",
    "savefig.directory",
    "ps.usedistiller",
    "figure.hooks",
    "interactive",
    "docstring.hardcopy",
];

/// Environment variables matplotlib reads at import: a backend name, a config folder whose
/// `matplotlibrc` is loaded, an rc file.
const ENV_BACKEND: &[&str] = &["MPLBACKEND"];
const ENV_PATH: &[&str] = &["MPLCONFIGDIR", "MATPLOTLIBRC"];

pub(crate) enum SettingKey {
    /// An rcParams key, with the value when it is visible.
    Rc(String),
    /// A key computed at run time.
    Computed,
    /// Settings read from a file, URL or package named by the program.
    File(String),
    /// An environment variable.
    Env(String),
}

pub(crate) struct Setting<'e> {
    pub(crate) key: SettingKey,
    pub(crate) value: Option<&'e Expr>,
    pub(crate) offset: usize,
}

#[derive(PartialEq, Eq)]
pub(crate) enum SettingClass {
    Backend,
    ProgramOrPath,
    Computed,
    Harmless,
}

impl Setting<'_> {
    pub(crate) fn class(&self) -> SettingClass {
        match &self.key {
            SettingKey::Rc(key) => {
                if BACKEND_KEYS.contains(&key.as_str()) {
                    SettingClass::Backend
                } else if PROGRAM_OR_PATH_KEYS.contains(&key.as_str())
                    || PROGRAM_OR_PATH_PREFIXES.iter().any(|p| key.starts_with(p))
                    || (key == "axes.prop_cycle" && self.value.is_some_and(is_text))
                {
                    SettingClass::ProgramOrPath
                } else {
                    SettingClass::Harmless
                }
            }
            SettingKey::Computed => SettingClass::Computed,
            SettingKey::File(_) => SettingClass::ProgramOrPath,
            SettingKey::Env(name) if ENV_BACKEND.contains(&name.as_str()) => SettingClass::Backend,
            SettingKey::Env(name) if ENV_PATH.contains(&name.as_str()) => {
                SettingClass::ProgramOrPath
            }
            SettingKey::Env(_) => SettingClass::Harmless,
        }
    }

    /// How the setting is shown in a message.
    pub(crate) fn spelling(&self) -> String {
        match &self.key {
            SettingKey::Rc(key) => format!("rcParams[\"{key}\"]"),
            SettingKey::Computed => "a computed setting".to_string(),
            SettingKey::File(name) => name.clone(),
            SettingKey::Env(name) => format!("os.environ[\"{name}\"]"),
        }
    }
}

/// `axes.prop_cycle` given as text is parsed and evaluated by matplotlib.
fn is_text(value: &Expr) -> bool {
    matches!(
        value,
        Expr::JoinedStr(_)
            | Expr::BinOp(_)
            | Expr::Constant(ast::ExprConstant {
                value: Constant::Str(_),
                ..
            })
    )
}

/// True when `expr` stands for one of matplotlib's settings objects.
pub(crate) fn is_rc_object(checker: &Checker, expr: &Expr) -> bool {
    RC_OBJECTS
        .iter()
        .any(|segments| checker.imports.matches(expr, segments))
}

/// The registry of named styles: a style added there can set what `style.use` would refuse
/// to read from a file.
const STYLE_LIBRARIES: &[&[&str]] = &[
    &["matplotlib", "style", "library"],
    &["matplotlib", "style", "core", "library"],
    &["matplotlib", "pyplot", "style", "library"],
];

pub(crate) fn is_style_library(checker: &Checker, expr: &Expr) -> bool {
    STYLE_LIBRARIES
        .iter()
        .any(|segments| checker.imports.matches(expr, segments))
}

fn style_library_setting(offset: usize) -> Setting<'static> {
    Setting {
        key: SettingKey::File("a style added to `style.library`".to_string()),
        value: None,
        offset,
    }
}

/// Settings written by `target |= value` (`plt.rcParams |= {...}`, `os.environ |= {...}`).
pub(crate) fn settings_in_augmented_assignment<'e>(
    checker: &Checker,
    target: &'e Expr,
    value: &'e Expr,
) -> Vec<Setting<'e>> {
    let offset = target.start().to_usize();
    let mut settings = Vec::new();
    if is_rc_object(checker, target) {
        mapping_settings(
            value,
            |k| SettingKey::Rc(k.to_string()),
            offset,
            &mut settings,
        );
    } else if is_environ(checker, target) {
        mapping_settings(
            value,
            |k| SettingKey::Env(k.to_string()),
            offset,
            &mut settings,
        );
    } else if is_style_library(checker, target) {
        settings.push(style_library_setting(offset));
    } else {
        return settings_in_assignment(checker, target, value);
    }
    settings
}

fn is_environ(checker: &Checker, expr: &Expr) -> bool {
    checker.imports.matches(expr, &["os", "environ"])
}

/// Settings written by `target = value` (`plt.rcParams["backend"] = ...`,
/// `os.environ["MPLBACKEND"] = ...`).
pub(crate) fn settings_in_assignment<'e>(
    checker: &Checker,
    target: &'e Expr,
    value: &'e Expr,
) -> Vec<Setting<'e>> {
    let Expr::Subscript(subscript) = target else {
        return Vec::new();
    };
    let offset = subscript.start().to_usize();
    if is_style_library(checker, &subscript.value) {
        return vec![style_library_setting(offset)];
    }
    let key = string_literal(&subscript.slice);
    let key = if is_rc_object(checker, &subscript.value) {
        key.map_or(SettingKey::Computed, |k| SettingKey::Rc(k.to_string()))
    } else if is_environ(checker, &subscript.value) {
        key.map_or(SettingKey::Computed, |k| SettingKey::Env(k.to_string()))
    } else {
        return Vec::new();
    };
    vec![Setting {
        key,
        value: Some(value),
        offset,
    }]
}

/// Settings written by a call: `rcParams.update(...)`, `rcParams.setdefault(...)`,
/// `matplotlib.rc(...)`, `rc_context(...)`, `rc_file(...)`, `style.use(...)`,
/// `os.environ.update(...)`.
pub(crate) fn settings_in_call<'e>(checker: &Checker, call: &'e ast::ExprCall) -> Vec<Setting<'e>> {
    let mut settings = Vec::new();
    let offset = call.start().to_usize();
    let imports = &checker.imports;
    let func = call.func.as_ref();
    if let Expr::Attribute(method) = func {
        if is_style_library(checker, &method.value)
            && matches!(method.attr.as_str(), "update" | "setdefault")
        {
            return vec![style_library_setting(offset)];
        }
        let rc = is_rc_object(checker, &method.value);
        let environ = is_environ(checker, &method.value);
        let make: fn(&str) -> SettingKey = if environ {
            |k| SettingKey::Env(k.to_string())
        } else {
            |k| SettingKey::Rc(k.to_string())
        };
        if rc || environ {
            match method.attr.as_str() {
                "update" => {
                    for arg in &call.args {
                        mapping_settings(arg, make, offset, &mut settings);
                    }
                    keyword_settings(call, "", make, offset, &mut settings);
                }
                "setdefault" => {
                    let key = call.args.first().and_then(string_literal);
                    settings.push(Setting {
                        key: key.map_or(SettingKey::Computed, make),
                        value: call.args.get(1),
                        offset,
                    });
                }
                _ => {}
            }
            return settings;
        }
    }
    let is = |segments: &[&[&str]]| segments.iter().any(|s| imports.matches(func, s));
    if is(&[&["matplotlib", "rc"], &["matplotlib", "pyplot", "rc"]]) {
        let groups: Vec<String> = match call.args.first() {
            Some(Expr::Tuple(tuple)) => tuple
                .elts
                .iter()
                .map(|g| string_literal(g).map(str::to_string))
                .collect::<Option<_>>()
                .unwrap_or_default(),
            Some(group) => string_literal(group)
                .map(|g| vec![g.to_string()])
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if groups.is_empty() {
            settings.push(Setting {
                key: SettingKey::Computed,
                value: None,
                offset,
            });
        }
        for group in groups {
            let prefix = format!("{group}.");
            keyword_settings(
                call,
                &prefix,
                |k| SettingKey::Rc(k.to_string()),
                offset,
                &mut settings,
            );
        }
    } else if is(&[
        &["matplotlib", "rc_context"],
        &["matplotlib", "pyplot", "rc_context"],
    ]) {
        if let Some(rc) = argument(call, 0, "rc") {
            mapping_settings(rc, |k| SettingKey::Rc(k.to_string()), offset, &mut settings);
        }
        if let Some(fname) = argument(call, 1, "fname").filter(|f| !is_none(f)) {
            settings.push(file_setting(fname, offset));
        }
    } else if is(&[
        &["matplotlib", "rc_file"],
        &["matplotlib", "rc_params_from_file"],
        &["matplotlib", "pyplot", "rc_file"],
    ]) {
        let fname = call
            .args
            .first()
            .or(call.keywords.first().map(|kw| &kw.value));
        settings.push(match fname {
            Some(fname) => file_setting(fname, offset),
            None => Setting {
                key: SettingKey::Computed,
                value: None,
                offset,
            },
        });
    } else if is(&[
        &["matplotlib", "style", "use"],
        &["matplotlib", "style", "context"],
        &["matplotlib", "pyplot", "style", "use"],
        &["matplotlib", "pyplot", "style", "context"],
        &["matplotlib", "style", "core", "use"],
        &["matplotlib", "style", "core", "context"],
    ]) {
        match argument(call, 0, "style") {
            Some(Expr::List(ast::ExprList { elts, .. }))
            | Some(Expr::Tuple(ast::ExprTuple { elts, .. })) => {
                for style in elts {
                    style_setting(style, offset, &mut settings);
                }
            }
            Some(style) => style_setting(style, offset, &mut settings),
            None => {}
        }
    }
    settings
}

fn is_none(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Constant(ast::ExprConstant {
            value: Constant::None,
            ..
        })
    )
}

fn file_setting(fname: &Expr, offset: usize) -> Setting<'_> {
    let shown = string_literal(fname).map_or("a settings file".to_string(), |f| {
        format!("the settings file `{f}`")
    });
    Setting {
        key: SettingKey::File(shown),
        value: None,
        offset,
    }
}

/// A style is a library style name (`"ggplot"`), or a dict of settings. A path, a URL or a
/// dotted package name loads settings (or imports a package) the program chose.
fn style_setting<'e>(style: &'e Expr, offset: usize, settings: &mut Vec<Setting<'e>>) {
    if let Expr::Dict(_) = style {
        mapping_settings(style, |k| SettingKey::Rc(k.to_string()), offset, settings);
        return;
    }
    let named = string_literal(style).is_some_and(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if !named {
        let shown = string_literal(style).map_or("a computed style".to_string(), |s| {
            format!("the style file `{s}`")
        });
        settings.push(Setting {
            key: SettingKey::File(shown),
            value: None,
            offset,
        });
    }
}

/// The settings of a dict literal; anything else is a computed setting.
fn mapping_settings<'e>(
    mapping: &'e Expr,
    make: fn(&str) -> SettingKey,
    offset: usize,
    settings: &mut Vec<Setting<'e>>,
) {
    if is_none(mapping) {
        return;
    }
    let Expr::Dict(dict) = mapping else {
        settings.push(Setting {
            key: SettingKey::Computed,
            value: None,
            offset,
        });
        return;
    };
    for (key, value) in dict.keys.iter().zip(&dict.values) {
        let key = key.as_ref().and_then(string_literal);
        settings.push(Setting {
            key: key.map_or(SettingKey::Computed, make),
            value: Some(value),
            offset,
        });
    }
}

/// `f(name=value)` sets `prefix + name`; `f(**mapping)` is a computed setting.
fn keyword_settings<'e>(
    call: &'e ast::ExprCall,
    prefix: &str,
    make: fn(&str) -> SettingKey,
    offset: usize,
    settings: &mut Vec<Setting<'e>>,
) {
    for kw in &call.keywords {
        let key = match &kw.arg {
            Some(arg) => make(&format!("{prefix}{arg}")),
            None => SettingKey::Computed,
        };
        settings.push(Setting {
            key,
            value: Some(&kw.value),
            offset,
        });
    }
}
