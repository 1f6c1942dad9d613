//! Validator rules against their fixtures: every registered rule has a fixture in
//! `tests/fixtures/validate/<CODE>.py` whose lines marked `# <CODE>` are exactly the lines the
//! rule flags (look-alikes marked `# OK` must pass), and a corpus of realistic programs in
//! `tests/fixtures/validate/ok/` must pass every rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use office_core::{Lifecycle, Policy, Rule, Violation, rules, validate};

#[path = "support/planner.rs"]
mod planner;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read fixture {}: {error}", path.display()))
}

/// Rules that guard the parser need a smaller policy to be shown in a fixture of readable size.
fn policy_for(rule: Rule) -> Policy {
    match rule.code() {
        "OFF002" => Policy {
            max_source_bytes: 64,
            ..Policy::default()
        },
        "OFF003" => Policy {
            max_nesting_depth: 3,
            ..Policy::default()
        },
        _ => Policy::default(),
    }
}

/// Line numbers (1-based) whose text carries the marker `# <code>`.
fn marked_lines(source: &str, code: &str) -> BTreeSet<u32> {
    let marker = format!("# {code}");
    source
        .lines()
        .enumerate()
        .filter(|(_, line)| {
            line.match_indices(&marker).any(|(at, _)| {
                // `# OFF10` must not match `# OFF101`.
                !line[at + marker.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
            })
        })
        .map(|(index, _)| index as u32 + 1)
        .collect()
}

fn check_fixture(rule: Rule) {
    let code = rule.code();
    let path = fixtures_dir().join(format!("{code}.py"));
    let source = read(&path);
    let violations = validate(&source, &policy_for(rule));
    let flagged: BTreeSet<u32> = violations
        .iter()
        .filter(|v| v.code == code)
        .map(|v| v.line)
        .collect();
    let expected = marked_lines(&source, code);
    assert!(
        !expected.is_empty(),
        "{} marks no line with `# {code}`",
        path.display()
    );
    let missed: Vec<&u32> = expected.difference(&flagged).collect();
    let extra: Vec<&Violation> = violations
        .iter()
        .filter(|v| v.code == code && !expected.contains(&v.line))
        .collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "{code} on {}:\n  marked but not flagged: lines {missed:?}\n  flagged but not marked: \
         {extra:#?}\n  all violations: {violations:#?}",
        path.display()
    );
    for violation in violations.iter().filter(|v| v.code == code) {
        assert!(
            violation.col >= 1
                && !violation.message.is_empty()
                && !violation.message.contains('\n'),
            "{violation:?} has no column or a message that is not one line"
        );
    }
}

macro_rules! fixture_tests {
    ($($test:ident => $code:literal,)*) => {
        $(
            #[test]
            fn $test() {
                let rule = Rule::from_code($code).expect(concat!($code, " is registered"));
                check_fixture(rule);
            }
        )*

        /// The list above covers every registered rule.
        #[test]
        fn every_rule_has_a_fixture_test() {
            let tested: BTreeSet<&str> = [$($code),*].into_iter().collect();
            for rule in rules() {
                if rule.lifecycle() == Lifecycle::Stable {
                    assert!(tested.contains(rule.code()), "no fixture test for {}", rule.code());
                }
            }
        }
    };
}

fixture_tests! {
    syntax_error => "OFF001",
    source_too_large => "OFF002",
    nesting_too_deep => "OFF003",
    encoding_declaration => "OFF004",
    non_ascii_identifier => "OFF005",
    disallowed_import => "OFF101",
    forbidden_builtin => "OFF102",
    restricted_open => "OFF103",
    disallowed_os_attribute => "OFF104",
    module_escape_chain => "OFF105",
    private_attribute_access => "OFF106",
    dunder_name => "OFF107",
    pickle_deserialization => "OFF108",
    plotting_backend => "OFF109",
    program_or_path_setting => "OFF110",
    pandas_expression => "OFF111",
    format_string_traversal => "OFF112",
    class_creation_hook => "OFF113",
    unknown_decorator => "OFF114",
    match_class_pattern => "OFF115",
    disallowed_module_attribute => "OFF116",
    computed_attribute_name => "OFF117",
    name_bound_by_many_imports => "OFF118",
    reexported_member => "OFF119",
    library_attribute_assignment => "OFF120",
    pandas_internal_module => "OFF121",
    array_memory_protocol => "OFF122",
    matplotlib_settings_file => "OFF123",
    formatter_template => "OFF124",
}

#[test]
fn every_rule_has_a_fixture_and_documentation() {
    for rule in rules() {
        let path = fixtures_dir().join(format!("{}.py", rule.code()));
        assert!(
            path.is_file(),
            "{} has no fixture at {}",
            rule.code(),
            path.display()
        );
        let doc = rule.explain();
        let mut last = 0;
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "Use instead:",
        ] {
            let at = doc.find(section).unwrap_or_else(|| {
                panic!(
                    "the documentation of {} lacks `{section}`:\n{doc}",
                    rule.code()
                )
            });
            assert!(at >= last, "{}: `{section}` is out of order", rule.code());
            last = at;
        }
        assert!(
            doc.contains("```python"),
            "{}: the example is not a Python block",
            rule.code()
        );
        assert!(
            !doc.lines().any(|line| line.starts_with(" ##")),
            "{}: not dedented",
            rule.code()
        );
    }
}

#[test]
fn realistic_programs_pass_every_rule() {
    let mut programs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir().join("ok"))
        .expect("the ok corpus exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
        .collect();
    programs.sort();
    assert!(
        programs.len() >= 8,
        "the ok corpus has only {} programs",
        programs.len()
    );
    for path in &programs {
        let violations = validate(&read(path), &Policy::default());
        assert!(
            violations.is_empty(),
            "{} was rejected: {violations:#?}",
            path.display()
        );
    }
}

/// The corpus must be real Python: CPython compiles every program (skipped, with a note, when
/// the repo's virtual environment has not been set up).
#[test]
fn ok_corpus_compiles_with_cpython() {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    if !python.exists() {
        eprintln!(
            "skipped: {} does not exist (run the set-up command)",
            python.display()
        );
        return;
    }
    let status = std::process::Command::new(&python)
        .args(["-m", "compileall", "-q", "-f", "-x", "__pycache__"])
        .arg(fixtures_dir().join("ok"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env(
            "PYTHONPYCACHEPREFIX",
            std::env::temp_dir().join("office-validate-pycache"),
        )
        .status()
        .expect("python runs");
    assert!(status.success(), "CPython could not compile the ok corpus");
}

#[test]
fn violations_come_sorted_by_position_with_every_finding() {
    let source = "import subprocess\nx = eval('1')\nimport os\nos.system('id')\nexec('y')\n";
    let violations = validate(source, &Policy::default());
    let positions: Vec<(u32, u32, &str)> = violations
        .iter()
        .map(|v| (v.line, v.col, v.code.as_str()))
        .collect();
    assert_eq!(
        positions,
        [
            (1, 8, "OFF101"),
            (2, 5, "OFF102"),
            (4, 4, "OFF104"),
            (5, 1, "OFF102")
        ]
    );
    assert_eq!(
        violations[0].message.split(';').next(),
        Some("Import of `subprocess` is not allowed")
    );
}

#[test]
fn syntax_error_reports_the_parser_position() {
    let violations = validate("x = 1\ny = (2 +\n", &Policy::default());
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].code, "OFF001");
    assert!(violations[0].line >= 2, "{violations:?}");
}

#[test]
fn a_bom_and_an_empty_program_are_accepted() {
    assert_eq!(validate("", &Policy::default()), []);
    assert_eq!(
        validate("\u{feff}import pandas as pd\n", &Policy::default()),
        []
    );
}

#[test]
fn policy_allowlist_is_exact_and_configurable() {
    let source = "import numpy.linalg\n";
    assert_eq!(validate(source, &Policy::default())[0].code, "OFF101");
    let mut policy = Policy::default();
    policy.allowed_modules.insert("numpy.linalg".to_string());
    assert_eq!(validate(source, &policy), []);
}

#[test]
fn every_rule_is_explained() {
    for rule in rules() {
        assert_eq!(Rule::from_code(rule.name()), Some(*rule));
        assert!(
            rule.explain().starts_with("## What it does"),
            "{}",
            rule.explain()
        );
    }
}

/// The embedded offline planner's programs must pass the validator unchanged.
#[test]
fn offline_planner_programs_pass() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real/vega/seattle-weather.csv");
    let profile = office_core::profile_file(&path, "seattle-weather.csv")
        .expect("the Seattle weather CSV profiles");
    let prompts = [
        "sort by temp_max descending",
        "keep rows where weather = rain",
        "remove duplicate rows",
        "add a column range = temp_max - temp_min",
        "sum of precipitation by weather",
        "summary statistics",
    ];
    let mut planned = 0;
    for prompt in prompts {
        let Ok(plan) = planner::plan_excel(prompt, std::slice::from_ref(&profile)) else {
            continue;
        };
        planned += 1;
        let violations = validate(&plan.code, &Policy::default());
        assert!(
            violations.is_empty(),
            "{prompt:?} planned a rejected program: {violations:#?}"
        );
    }
    assert!(
        planned >= 3,
        "the planner handled only {planned} of {} prompts",
        prompts.len()
    );
}

/// Programs the policy wrongly rejected (issue 12): each passes every rule.
#[test]
fn former_false_rejects_are_accepted() {
    let programs = [
        "import numpy as np\nm = np.lib.format.open_memmap('m.npy', mode='w+', dtype='f8', shape=(2,))\n",
        "import datetime\nd = datetime.date(2024, 1, 31)\nlabel = \"{0.year}\".format(d)\n",
        "r = {'Region': 'North'}\nlabel = \"{row[Region]}\".format(row=r)\n",
        "import os\ntmp_file = os.path.join(os.environ['OUTPUT_DIR'], 'tmp.csv')\nos.remove(tmp_file)\n",
    ];
    for program in programs {
        assert_eq!(validate(program, &Policy::default()), [], "{program}");
    }
}

/// Well-known ways around a naive policy, each with the rule that must catch it.
#[test]
fn known_escapes_are_caught() {
    let cases = [
        ("import os as o\no.system('id')\n", "OFF104"),
        ("from subprocess import run\nrun(['id'])\n", "OFF101"),
        ("__import__('os').system('id')\n", "OFF102"),
        (
            "import builtins\ngetattr(builtins, 'exec')('x')\n",
            "OFF102",
        ),
        (
            "import importlib\nimportlib.import_module('os')\n",
            "OFF101",
        ),
        (
            "import pandas as pd\npd.io.common.os.system('id')\n",
            "OFF105",
        ),
        ("import numpy as np\nnp.os.system('id')\n", "OFF105"),
        ("import matplotlib\nmatplotlib.os.system('id')\n", "OFF105"),
        ("().__class__.__base__.__subclasses__()\n", "OFF106"),
        ("__builtins__['eval']('1')\n", "OFF107"),
        ("from os import system as s\ns('id')\n", "OFF104"),
        ("import os\nrunner = os\nrunner.system('id')\n", "OFF104"),
        ("import os\ndef f():\n    return os.popen('id')\n", "OFF104"),
        ("ｅｘｅｃ('x = 1')\n", "OFF005"),
        ("# -*- coding: utf-7 -*-\nx = 1\n", "OFF004"),
        ("'{0.__globals__}'.format(print)\n", "OFF106"),
        (
            "g = (i for i in ())\ng.gi_frame.f_builtins['eval']('1')\n",
            "OFF106",
        ),
        (
            "import operator\noperator.attrgetter('__class__')(1)\n",
            "OFF102",
        ),
        ("with open('/etc/shadow') as f:\n    f.read()\n", "OFF103"),
        (
            "import pandas as pd\npd.DataFrame().query(\"@pd.compat.os.system('id')\")\n",
            "OFF111",
        ),
        (
            "import matplotlib\nmatplotlib.use('module://x')\n",
            "OFF109",
        ),
        (
            "import numpy as np\nnp.load('a.npy', allow_pickle=True)\n",
            "OFF108",
        ),
        ("'{0.real.imag}'.format(1)\n", "OFF112"),
        ("class A(metaclass=type):\n    pass\n", "OFF113"),
        (
            "match 1:\n    case object(real=r):\n        pass\n",
            "OFF115",
        ),
    ];
    for (source, code) in cases {
        let violations = validate(source, &Policy::default());
        assert!(
            violations.iter().any(|v| v.code == code),
            "{code} did not catch {source:?}: {violations:#?}"
        );
    }
}

/// The escape classes public write-ups show against Python sandboxes, each with its own
/// attack and benign cases: lines marked `# OFFnnn [OFFnnn ...]` are attacks that every
/// listed rule must flag; lines marked `# OK` are realistic code no rule may flag.
const ESCAPE_CLASSES: &[(&str, &str)] = &[
    ("object-graph walks", "escapes/object_graph.py"),
    (
        "frame/generator/coroutine/traceback attributes",
        "escapes/frame_attributes.py",
    ),
    ("computed attribute names", "OFF117.py"),
    ("format strings reaching attributes", "OFF112.py"),
    ("pandas query/eval strings", "OFF111.py"),
    ("metaclasses and class hooks", "OFF113.py"),
    ("decorators", "OFF114.py"),
    ("match class patterns", "OFF115.py"),
    ("pickle readers and allow_pickle", "OFF108.py"),
    ("plotting backends by name", "OFF109.py"),
    ("rcParams naming programs or paths", "OFF110.py"),
    (
        "native code and import machinery",
        "escapes/native_and_imports.py",
    ),
    ("star imports", "escapes/star_imports.py"),
    ("module attribute denylist", "OFF116.py"),
    (
        "builtins and getattr-likes re-exported by libraries",
        "OFF119.py",
    ),
    ("replacing a library's methods", "OFF120.py"),
    (
        "pandas internals (pickle, zipfile, urlopen, expressions)",
        "OFF121.py",
    ),
    ("raw memory through array protocols", "OFF122.py"),
    ("matplotlib settings files", "OFF123.py"),
    ("run-time templates handed to formatters", "OFF124.py"),
];

/// The rule codes a line's marker comment lists (`# OFF114 OFF102`).
fn marked_codes(line: &str) -> Vec<&str> {
    let Some(at) = line.rfind("# OFF") else {
        return Vec::new();
    };
    line[at + 2..]
        .split_whitespace()
        .take_while(|token| {
            token.len() == 6
                && token.starts_with("OFF")
                && token[3..].bytes().all(|b| b.is_ascii_digit())
        })
        .collect()
}

#[test]
fn escape_classes_are_caught_without_false_rejects() {
    let mut report = String::from("class | attacks caught | benign false rejects\n");
    let mut failures = Vec::new();
    for (class, file) in ESCAPE_CLASSES {
        let path = fixtures_dir().join(file);
        let source = read(&path);
        let violations = validate(&source, &Policy::default());
        let (mut attacks, mut caught, mut benign, mut rejected) = (0, 0, 0, 0);
        for (index, line) in source.lines().enumerate() {
            let number = index as u32 + 1;
            let on_line: Vec<&Violation> = violations.iter().filter(|v| v.line == number).collect();
            let codes = marked_codes(line);
            if !codes.is_empty() {
                attacks += 1;
                if codes
                    .iter()
                    .all(|code| on_line.iter().any(|v| v.code == *code))
                {
                    caught += 1;
                } else {
                    failures.push(format!("{file}:{number}: missed {codes:?}: {line}"));
                }
            } else if line.contains("# OK") {
                benign += 1;
                if !on_line.is_empty() {
                    rejected += 1;
                    failures.push(format!("{file}:{number}: false reject {on_line:?}"));
                }
            }
        }
        assert!(attacks >= 8, "{class}: only {attacks} attack cases");
        assert!(benign >= 5, "{class}: only {benign} benign cases");
        report.push_str(&format!(
            "{class} | {caught}/{attacks} | {rejected}/{benign}\n"
        ));
    }
    eprintln!("{report}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
