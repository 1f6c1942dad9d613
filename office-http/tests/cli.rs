//! The `office` command as a user runs it: a real process, real files.

use std::path::PathBuf;
use std::process::Command;

fn office() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_office"));
    let python = std::env::var_os("OFFICE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"));
    cmd.env("OFFICE_PYTHON", python).env("OFFICE_LOG", "warn");
    cmd
}

#[test]
fn validate_accepts_a_clean_program() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ok.py");
    std::fs::write(
        &file,
        "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\nprint(df.sum())\n",
    )
    .unwrap();
    let out = office().arg("validate").arg(&file).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["accepted"], true);
    assert_eq!(report["violations"].as_array().unwrap().len(), 0);
}

#[test]
fn validate_rejects_with_findings_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.py");
    std::fs::write(
        &file,
        "import pandas as pd\nimport os as o\no.system('id')\neval('1')\n",
    )
    .unwrap();
    let out = office().arg("validate").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["accepted"], false);
    let lines: Vec<u64> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["line"].as_u64().unwrap())
        .collect();
    assert!(lines.contains(&3) && lines.contains(&4), "{report:#}");
    for v in report["violations"].as_array().unwrap() {
        assert!(v["code"].as_str().unwrap().starts_with("OFF"), "{v}");
        assert!(v["col"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn validate_missing_file_is_a_clear_error() {
    let out = office()
        .arg("validate")
        .arg("/nonexistent/x.py")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/x.py"));
}

#[test]
fn validate_explains_a_rule_by_code_or_name() {
    for rule in ["OFF111", "pandas-expression"] {
        let out = office()
            .args(["validate", "--explain", rule])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("OFF111 (pandas-expression)"), "{text}");
        assert!(
            text.contains("## What it does") && text.contains("Use instead:"),
            "{text}"
        );
    }
    let out = office()
        .args(["validate", "--explain", "OFF999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no rule is called \"OFF999\"") && stderr.contains("OFF117"),
        "{stderr}"
    );
}

#[test]
fn run_one_job_and_print_where_outputs_are() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sales.csv");
    std::fs::write(&input, "region,revenue\nNorth,10\nSouth,5\nNorth,7\n").unwrap();
    let out_dir = dir.path().join("out");
    let out = office()
        .current_dir(dir.path())
        .env("DATA_DIR", dir.path().join("data"))
        .args(["run", "--file"])
        .arg(&input)
        .args(["--prompt", "total revenue by region", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("succeeded") && stdout.contains(&out_dir.display().to_string()),
        "{stdout}"
    );
    for name in ["output.xlsx", "generated.py", "summary.json"] {
        assert!(out_dir.join(name).exists(), "{name} missing; {stdout}");
    }
}

#[test]
fn run_reports_a_failed_job_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sales.csv");
    std::fs::write(&input, "region,revenue\nNorth,10\n").unwrap();
    let out = office()
        .current_dir(dir.path())
        .env("DATA_DIR", dir.path().join("data"))
        .args(["run", "--file"])
        .arg(&input)
        .args(["--prompt", "sort by colour"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("failed") && stdout.contains("colour"),
        "{stdout}"
    );
}

#[test]
fn doctor_says_when_the_sandbox_is_degraded() {
    let dir = tempfile::tempdir().unwrap();
    let out = office()
        .arg("doctor")
        .env("DATA_DIR", dir.path())
        .env("OFFICE_SANDBOX", "degraded")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mode = stdout
        .lines()
        .skip_while(|l| *l != "sandbox mode")
        .nth(1)
        .unwrap_or_default();
    assert!(
        mode.contains("DEGRADED (OFFICE_SANDBOX=degraded)"),
        "{stdout}"
    );
    // This host gives jobs every layer: the canaries hold, and the verdict still warns.
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("OFFICE_SANDBOX=degraded would run jobs without it"),
        "{stdout}"
    );

    let out = office()
        .arg("doctor")
        .env("DATA_DIR", dir.path())
        .env_remove("OFFICE_SANDBOX")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("  ok   full (OFFICE_SANDBOX unset"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("the sandbox holds"), "{stdout}");
}

#[test]
fn a_misspelt_sandbox_mode_is_refused_by_name() {
    let out = office()
        .arg("doctor")
        .env("OFFICE_SANDBOX", "degrade")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("OFFICE_SANDBOX=\"degrade\""), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("sandbox holds"));
}

/// `office run --parent ID` follows up a job run before in the same DATA_DIR: it works on
/// that job's workbook (no --file), says which job it follows, and keeps the earlier change.
#[test]
fn run_follows_up_an_earlier_job_with_parent() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sales.csv");
    std::fs::write(
        &input,
        "Product,Units,Revenue\nA,5,100\nB,12,40\nC,8,300\nD,1,50\n",
    )
    .unwrap();
    let run = |args: &[&str], out: &std::path::Path| {
        let out = office()
            .current_dir(dir.path())
            .env("DATA_DIR", dir.path().join("data"))
            .arg("run")
            .args(args)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    };
    let first_out = dir.path().join("first");
    let stdout = run(
        &[
            "--file",
            input.to_str().unwrap(),
            "--prompt",
            "sort by Units descending",
        ],
        &first_out,
    );
    let parent = stdout
        .lines()
        .find_map(|l| l.strip_prefix("job "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id in {stdout}"))
        .to_string();

    let second_out = dir.path().join("second");
    let stdout = run(
        &[
            "--parent",
            &parent,
            "--prompt",
            "add a column Margin = Revenue * 0.2",
        ],
        &second_out,
    );
    assert!(
        stdout.contains(&format!("follows up job {parent} (thread {parent})")),
        "{stdout}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(second_out.join("summary.json")).unwrap()).unwrap();
    // It worked on the parent's workbook, named as the user's file.
    assert_eq!(summary["inputs"][0]["name"], "sales.xlsx", "{summary:#}");
    // Three columns in (the sorted workbook), four out, the new one named in the steps.
    assert_eq!(
        summary["before"][0]["sheets"][0]["columns"], 3,
        "{summary:#}"
    );
    assert_eq!(
        summary["after"][0]["sheets"][0]["columns"], 4,
        "{summary:#}"
    );
    assert!(
        summary["steps"].to_string().contains("Margin"),
        "{summary:#}"
    );
    assert!(second_out.join("output.xlsx").exists());

    // A parent that does not exist is refused with its reason, and nothing runs.
    let out = office()
        .current_dir(dir.path())
        .env("DATA_DIR", dir.path().join("data"))
        .args(["run", "--parent", "0190a5b2-0000-7000-8000-000000000000"])
        .args(["--prompt", "sort by Units"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not found"), "{stderr}");
}

/// `office keys add|list|revoke` on a keys file: the key is printed once and only its
/// hash is kept; list shows the tenants and their hash prefixes; revoke takes a tenant
/// or a hash prefix.
#[test]
fn keys_are_added_listed_and_revoked() {
    keys_file_is_managed("keys.json");
}

/// The same on a TOML keys file, which stays TOML.
#[test]
fn keys_are_added_listed_and_revoked_in_toml() {
    keys_file_is_managed("keys.toml");
}

fn keys_file_is_managed(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    let keys = |args: &[&str]| {
        let out = office()
            .arg("keys")
            .args(args)
            .arg("--file")
            .arg(&file)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stdout, stderr)
    };
    let (code, key, stderr) = keys(&["add", "acme"]);
    assert_eq!(code, Some(0), "{stderr}");
    let key = key.trim().to_string();
    assert!(key.starts_with("office_") && key.len() > 40, "{key}");
    let (code, admin_key, _) = keys(&["add", "ops", "--admin"]);
    assert_eq!(code, Some(0));
    let (_, second, _) = keys(&["add", "acme"]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains(&key) && !text.contains(admin_key.trim()),
        "{text}"
    );
    let format = office_core::KeysFormat::of(&file).unwrap();
    let parsed = office_core::KeysFile::parse_as(format, &text).unwrap();
    assert_eq!(
        text.trim_start().starts_with('{'),
        format == office_core::KeysFormat::Json,
        "{text}"
    );
    assert_eq!(parsed.tenants.len(), 2);
    assert_eq!(parsed.tenants[0].keys.len(), 2);
    assert!(parsed.tenants[1].admin);

    let hash = office_core::KeyHash::of(second.trim()).to_hex();
    let (code, list, _) = keys(&["list"]);
    assert_eq!(code, Some(0));
    assert!(
        list.contains("acme") && list.contains("ops (admin)"),
        "{list}"
    );
    assert!(list.contains(&hash[..12]), "{list}");

    let (code, said, _) = keys(&["revoke", &hash[..8]]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("acme"), "{said}");
    let (code, said, _) = keys(&["revoke", "ops"]);
    assert_eq!(code, Some(0), "{said}");
    let parsed = office_core::KeysFile::read(&file).unwrap();
    assert_eq!(parsed.tenants.len(), 1);
    assert_eq!(parsed.tenants[0].keys, vec![office_core::KeyHash::of(&key)]);
    let (code, _, stderr) = keys(&["revoke", "nobody"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("nobody"), "{stderr}");
    let (code, _, stderr) = keys(&["add", "not a name"]);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("tenant name"), "{stderr}");
}

/// `office run --tenant`: the job is that tenant's, and another tenant cannot follow it
/// up (its id is not found for them), while the same tenant can.
#[test]
fn run_records_the_tenant_and_keeps_follow_ups_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sales.csv");
    std::fs::write(&input, "Product,Units\nA,5\nB,12\nC,8\n").unwrap();
    let run = |args: &[&str]| {
        let out = office()
            .current_dir(dir.path())
            .env("DATA_DIR", dir.path().join("data"))
            .arg("run")
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), stdout, stderr)
    };
    let (code, stdout, stderr) = run(&[
        "--tenant",
        "acme",
        "--file",
        input.to_str().unwrap(),
        "--prompt",
        "sort by Units descending",
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("job "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id in {stdout}"))
        .to_string();
    let follow_up = ["--parent", &id, "--prompt", "sort by Product"];
    let (code, _, stderr) = run(&[&["--tenant", "other"], &follow_up[..]].concat());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("parent job {id} not found")),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(&[&["--tenant", "acme"], &follow_up[..]].concat());
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("follows up job {id}")), "{stdout}");
}
