//! Every fix fixture in `tests/fixtures/fixes/` (see the README there) is fixed with all fixes,
//! safe and unsafe; the result is snapshotted, compiled and run beside the original with
//! `python3` (strict settings: a fix is the same at either level), and the same file with CRLF
//! line ends must fix to the same result.

use std::path::{Path, PathBuf};
use std::process::Command;

use refhound::analysis::findings::Safety;
use refhound::analysis::fix_all::fix_all;
use refhound::analysis::fixes::Allowed;
use refhound::analysis::parse::parse;
use refhound::analysis::settings::Settings;

fn fixtures() -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/fixes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .expect("tests/fixtures/fixes exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "py"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fix fixtures in {directory:?}");
    files
}

/// The settings the fixtures are fixed with: strict, since a fixture is a small program that
/// makes its objects once, and a fix is the same at either level.
fn settings() -> Settings {
    Settings {
        strict: true,
        ..Settings::default()
    }
}

/// The fixes first offered for `text`, one line each: line, safety, title.
fn offered(text: &str) -> String {
    let settings = settings();
    let findings = refhound::analysis::check(text, &parse(text), &settings);
    let mut lines = Vec::new();
    for finding in &findings {
        let line = text[..finding.range.start].matches('\n').count() + 1;
        if finding.fixes.is_empty() {
            lines.push(format!("{line}: {} (no fix)", finding.rule.code()));
        }
        for fix in &finding.fixes {
            let safety = match fix.safety {
                Safety::Safe => "safe",
                Safety::Unsafe => "unsafe",
            };
            lines.push(format!(
                "{line}: {} {safety}: {}",
                finding.rule.code(),
                fix.title
            ));
        }
    }
    lines.join("\n")
}

/// What a program run printed, split into its probe lines and the rest.
struct Run {
    status: Option<i32>,
    output: Vec<String>,
    probes: Vec<String>,
    errors: String,
}

fn run_python(path: &Path) -> Run {
    let out = Command::new("python3")
        .arg(path)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (probes, output) = stdout
        .lines()
        .map(str::to_string)
        .partition(|line| line.starts_with("probe:"));
    Run {
        status: out.status.code(),
        output,
        probes,
        errors: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn compiles(path: &Path) -> Result<(), String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; p = sys.argv[1]; compile(open(p, 'rb').read(), p, 'exec')",
        ])
        .arg(path)
        .output()
        .expect("python3 runs");
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn fixes_rewrite_compile_and_behave_the_same() {
    let scratch =
        std::env::temp_dir().join(format!("refhound-fix-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    let settings = settings();
    for before_path in fixtures() {
        let name = before_path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        let before = std::fs::read_to_string(&before_path).expect("a UTF-8 fixture");
        let fixed = fix_all(&before, &settings, Allowed::All);
        assert!(
            !fixed.stopped_at_syntax_error,
            "{name}: a fix broke the syntax"
        );
        insta::assert_snapshot!(
            name.clone(),
            format!("{}\n----- after -----\n{}", offered(&before), fixed.text)
        );

        let after_path = scratch.join(format!("{name}.py"));
        std::fs::write(&after_path, &fixed.text).expect("the scratch file is written");
        if let Err(error) = compiles(&after_path) {
            panic!("{name}: the fixed file does not compile:\n{error}");
        }
        let old = run_python(&before_path);
        let new = run_python(&after_path);
        assert_eq!(
            old.status,
            Some(0),
            "{name} (before) fails:\n{}",
            old.errors
        );
        assert_eq!(new.status, Some(0), "{name} (after) fails:\n{}", new.errors);
        assert_eq!(old.output, new.output, "{name}: the fix changed the output");
        assert_eq!(
            old.probes.len(),
            new.probes.len(),
            "{name}: the programs print different numbers of probes"
        );
        assert!(
            old.probes.iter().all(|p| p == "probe: alive"),
            "{name}: before fixing, the probes should show the leak: {:?}",
            old.probes
        );
        assert!(
            new.probes.iter().all(|p| p == "probe: released"),
            "{name}: after fixing, the probes should show no leak: {:?}",
            new.probes
        );

        let crlf = |text: &str| text.replace('\n', "\r\n");
        let fixed_crlf = fix_all(&crlf(&before), &settings, Allowed::All);
        assert_eq!(
            fixed_crlf.text,
            crlf(&fixed.text),
            "{name}: with CRLF line ends the fixes differ"
        );
    }
    std::fs::remove_dir_all(&scratch).ok();
}
