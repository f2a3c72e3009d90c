//! The `refhound` binary as CI runs it: exit codes, formats, rule selection, rule docs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn refhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_refhound"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/demo")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn check_exits_1_on_findings_and_shows_the_snippet() {
    let output = refhound(&["check", demo().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("RH302 `functools.lru_cache` on method `summary`"),
        "{text}"
    );
    assert!(
        text.contains("    @functools.lru_cache(maxsize=None)\n"),
        "{text}"
    );
    assert!(
        text.contains("^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ RH302"),
        "{text}"
    );
    assert!(text.contains("RH601"), "{text}");
}

#[test]
fn select_ignore_and_exit_zero() {
    let demo = demo();
    let only_gc = refhound(&["check", "--select", "RH601", demo.to_str().unwrap()]);
    assert!(!stdout(&only_gc).contains("RH302"));
    let none = refhound(&[
        "check",
        "--ignore",
        "RH601,cached-instance-method",
        demo.to_str().unwrap(),
    ]);
    assert_eq!(none.status.code(), Some(0), "{}", stdout(&none));
    let zero = refhound(&["check", "--exit-zero", demo.to_str().unwrap()]);
    assert_eq!(zero.status.code(), Some(0));
}

#[test]
fn unknown_rule_is_a_usage_error() {
    let output = refhound(&["check", "--select", "RH999", demo().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown rule RH999"));
}

#[test]
fn json_lists_every_finding_with_positions() {
    let output = refhound(&["check", "--format", "json", demo().to_str().unwrap()]);
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let findings = findings.as_array().unwrap();
    assert_eq!(findings.len(), 2);
    let cache = findings.iter().find(|f| f["code"] == "RH302").unwrap();
    assert_eq!(cache["location"]["row"], 13);
    assert_eq!(cache["location"]["column"], 5);
    assert!(
        cache["filename"]
            .as_str()
            .unwrap()
            .ends_with("leaky_service/reports.py")
    );
    assert_eq!(cache["related"][0]["location"]["row"], 14);
}

#[test]
fn unreadable_files_are_reported_and_the_rest_checked() {
    let dir = std::env::temp_dir().join(format!("refhound-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.py"), b"# coding: no-such-codec\nx = 1\n").unwrap();
    std::fs::write(
        dir.join("good.py"),
        "import gc\ngc.set_debug(gc.DEBUG_LEAK)\n",
    )
    .unwrap();
    let output = refhound(&["check", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.py: unknown encoding"));
    assert!(stdout(&output).contains("RH601"));
}

#[test]
fn rule_prints_documentation() {
    let output = refhound(&["rule", "RH302"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(
        text.starts_with("# RH302 cached-instance-method\n"),
        "{text}"
    );
    assert!(text.contains("## Why it leaks"));
    assert_eq!(refhound(&["rule", "RH999"]).status.code(), Some(2));
}

#[test]
fn unreadable_file_without_findings_exits_2() {
    let dir = std::env::temp_dir().join(format!("refhound-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bad.py"), b"x = '\xff'\n").unwrap();
    std::fs::write(dir.join("clean.py"), "x = 1\n").unwrap();
    let output = refhound(&["check", dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("bad.py: line 1 is not valid utf-8"));
}
