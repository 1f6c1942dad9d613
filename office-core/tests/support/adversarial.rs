//! Adversarial programs for the validator, shared by `tests/validate_linear.rs` and the
//! bench (`benches/benches/bounded.rs`): each is aimed at one way a rule could take time
//! quadratic in the program's size.

/// Size of each adversarial program.
pub const SIZE: usize = 64 << 10;

/// `unit` repeated until the program is `size` bytes, after `head`, then `tail`.
fn fill(size: usize, head: &str, unit: &str, tail: &str) -> String {
    let mut source = String::from(head);
    while source.len() + unit.len() + tail.len() <= size {
        source.push_str(unit);
    }
    source.push_str(tail);
    source
}

/// Half of the program is `first` repeated, the other half `second`.
fn halves(size: usize, head: &str, first: &str, second: &str) -> String {
    let mut source = String::from(head);
    while source.len() < size / 2 {
        source.push_str(first);
    }
    while source.len() + second.len() <= size {
        source.push_str(second);
    }
    source
}

/// Programs of about `size` bytes, each aimed at one way a rule could be quadratic.
pub fn adversarial_programs(size: usize) -> Vec<(&'static str, String)> {
    let nested_spec = {
        let depth = (size - 40) / 3;
        format!(
            "x = \"{}{}\".format(1)\n",
            "{:".repeat(depth),
            "}".repeat(depth)
        )
    };
    vec![
        ("nested format specs", nested_spec),
        (
            "format fields without an end",
            fill(size, "x = \"", "{0:{", "\".format(1)\n"),
        ),
        (
            "pending templates",
            halves(size, "", "t = \"{}\"\n", "t.format(1)\n"),
        ),
        (
            "pending templates, one long",
            format!(
                "t = \"{}\"\nt.format(1)\nt.format(1)\n",
                "{0}".repeat((size - 40) / 3)
            ),
        ),
        (
            "pending method names",
            halves(
                size,
                "import pandas as pd\ndf = pd.DataFrame()\n",
                "f = \"sum\"\n",
                "df.agg(f)\n",
            ),
        ),
        (
            "one long attribute chain",
            fill(size, "import matplotlib\nx = matplotlib", ".rcParams", "\n"),
        ),
        (
            "chains of names rules match",
            fill(
                size,
                "import string\n",
                "string.Formatter.use.hasattr.eval.format.query\n",
                "",
            ),
        ),
        (
            "one name bound by many imports",
            halves(size, "", "from pandas import a as x\n", "x.y\n")
                .split('\n')
                .enumerate()
                .map(|(i, line)| line.replace("import a as", &format!("import a{i} as")))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("violations on one long line", fill(size, "", "eval;", "\n")),
        (
            "violations on one long non-ASCII line",
            fill(size, "s = 'é'; ", "eval;", "\n"),
        ),
        (
            "many string constants with fields",
            fill(size, "", "'{0.__x__}{1}{2}';", "\n"),
        ),
        (
            "a long query",
            fill(
                size,
                "import pandas as pd\npd.DataFrame().query(\"a",
                " + a",
                "\")\n",
            ),
        ),
        (
            "f-string specs",
            fill(size, "w = 3\nx = 1\n", "f\"{x:{w}}{x:>{w+1}}\"\n", ""),
        ),
        (
            "deep but allowed brackets, repeated",
            fill(
                size,
                "",
                &format!("x = {}1{}\n", "(".repeat(90), ")".repeat(90)),
                "",
            ),
        ),
        (
            "rcParams settings",
            fill(
                size,
                "import matplotlib\n",
                "matplotlib.rcParams['savefig.directory'] = 'a'\n",
                "",
            ),
        ),
        ("unterminated brackets in text", fill(size, "x = ", "[", "")),
        (
            "attribute targets on a long chain of aliases",
            numbered(halves(
                size,
                "import pandas as pd\nn = [pd]\n",
                "n# = n\n",
                "#.x = 1\n",
            )),
        ),
        (
            "formatter templates on a long chain of names",
            numbered(halves(
                size,
                "import matplotlib.pyplot as plt\nax = plt.gca()\nt = '{x}'\n",
                "t# = t\n",
                "ax.yaxis.set_major_formatter(#)\n",
            )),
        ),
    ]
}

/// One chain of names through the first half (`n1 = n`, `n2 = n1`, ...: each `#` is the
/// line's number), and in the second half each `#` names the chain's last link, so every
/// use there reaches through the whole chain.
fn numbered(source: String) -> String {
    let mut last = String::new();
    source
        .split('\n')
        .enumerate()
        .map(|(i, line)| match line.split_once(" = ") {
            Some((name, value)) if name.ends_with('#') && value.len() == 1 => {
                let name = name.replacen('#', &i.to_string(), 1);
                let line = format!("{name} = {}", if last.is_empty() { value } else { &last });
                last = name;
                line
            }
            _ => line.replacen('#', &last, 1),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
