use rustpython_parser::ast::{Expr, Ranged};

use super::ViolationKind;
use crate::validate::registry::Rule;
use crate::validate::settings::{Setting, SettingClass, is_rc_object, is_style_library};
use crate::validate::visitor::{Checker, Role};

violation! {
    /// ## What it does
    /// Rejects matplotlib settings that name a program, a path or code to load: the
    /// `animation.*` keys (`animation.ffmpeg_path`, `animation.convert_path`, writers and
    /// their arguments), `text.usetex` and `text.latex.*`, `pgf.*`, `ps.usedistiller`,
    /// `savefig.directory`, `figure.hooks`, `webagg.*`, `interactive`, and `axes.prop_cycle`
    /// given as text; settings read from a file (`matplotlib.rc_file`, `rc_context(fname=...)`,
    /// a style given as a path, URL or dotted package name); `os.environ["MPLCONFIGDIR"]` and
    /// `os.environ["MATPLOTLIBRC"]`; and settings whose key is computed
    /// (`plt.rcParams[key] = ...`, `rcParams.update(options)`, `plt.rc(group, ...)` with a
    /// variable group). `rcParams` may be read and written in place but not handed around
    /// (`rc = plt.rcParams`), since the rule could not follow it. Fonts, sizes, colours,
    /// grids and library styles (`plt.style.use("ggplot")`) are fine.
    ///
    /// ## Why is this bad?
    /// matplotlib runs the programs these settings name (ffmpeg, ImageMagick, latex, dvipng,
    /// ghostscript), pastes preambles into TeX it runs, imports `figure.hooks` entries, and
    /// evaluates `axes.prop_cycle` text. A settings file can set all of them at once.
    ///
    /// ## Known problems
    /// A settings dict built in a variable is refused; pass it literally:
    /// `plt.rcParams.update({"font.size": 12})`.
    ///
    /// ## Example
    /// ```python
    /// plt.rcParams["animation.ffmpeg_path"] = "/tmp/x/ffmpeg"
    /// plt.rcParams.update({"text.usetex": True})
    /// plt.style.use("https://example.org/evil.mplstyle")
    /// ```
    ///
    /// Use instead:
    /// ```python
    /// plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 11})
    /// plt.style.use("ggplot")
    /// ```
    pub(crate) struct ProgramOrPathSetting {
        construct: String,
        problem: Problem,
    }
}

enum Problem {
    Names,
    Computed,
    Aliased,
}

impl ViolationKind for ProgramOrPathSetting {
    const RULE: Rule = Rule::ProgramOrPathSetting;

    fn message(&self) -> String {
        let construct = &self.construct;
        match self.problem {
            Problem::Names => {
                format!("`{construct}` makes matplotlib run a program, read a path or load code")
            }
            Problem::Computed => format!(
                "{construct} of matplotlib cannot be checked; write the setting's key literally"
            ),
            Problem::Aliased => format!(
                "`{construct}` may only be read or written in place (`{construct}[\"font.size\"] = 12`), not used as a value"
            ),
        }
    }
}

/// OFF110 on settings that name programs or paths, or that are computed.
pub(crate) fn program_or_path_settings(checker: &mut Checker, settings: &[Setting]) {
    for setting in settings {
        let problem = match setting.class() {
            SettingClass::ProgramOrPath => Problem::Names,
            SettingClass::Computed => Problem::Computed,
            _ => continue,
        };
        let construct = setting.spelling();
        checker.report(setting.offset, ProgramOrPathSetting { construct, problem });
    }
}

/// OFF110 on `rcParams` used as a value (`rc = plt.rcParams`, `dict.update(rcParams, ...)`).
pub(crate) fn rc_object_reference(checker: &mut Checker, expr: &Expr, role: Role) {
    if matches!(role, Role::AttributeBase | Role::SubscriptBase) {
        return;
    }
    if is_rc_object(checker, expr) || is_style_library(checker, expr) {
        checker.report(
            expr.start().to_usize(),
            ProgramOrPathSetting {
                construct: "rcParams".to_string(),
                problem: Problem::Aliased,
            },
        );
    }
}
