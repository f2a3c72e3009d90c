//! The cases of the precision review (`shared/cases/` beside the repository, see its README):
//! each false alarm is silent by default (a `debatable` one is reported with `strict = true`),
//! and each missed leak is reported by default.
//!
//! `PENDING` lists the cases the rules do not handle yet; the test fails when one of them starts
//! to behave, so that the list only shrinks.

use std::path::{Path, PathBuf};

use refhound::analysis::parse::parse;
use refhound::analysis::settings::Settings;

/// Cases the rules do not handle yet, by file name.
const PENDING: &[&str] = &[];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/cases")
}

fn codes(text: &str, strict: bool) -> Vec<&'static str> {
    let settings = Settings {
        strict,
        ..Settings::default()
    };
    refhound::analysis::check(text, &parse(text), &settings)
        .into_iter()
        .map(|f| f.rule.code())
        .collect()
}

/// What is wrong with one case, or `None` when it behaves as its folder says.
fn misbehaviour(folder: &str, name: &str, text: &str) -> Option<String> {
    let default = codes(text, false);
    match folder {
        "false-alarms" => {
            if !default.is_empty() {
                return Some(format!("reported by default: {default:?}"));
            }
            let rule = name.split('_').next().unwrap_or_default().to_uppercase();
            let strict = codes(text, true);
            if name.contains("debatable") && !strict.contains(&rule.as_str()) {
                return Some(format!(
                    "debatable, but {rule} not reported with strict: {strict:?}"
                ));
            }
            None
        }
        _ => default
            .is_empty()
            .then(|| "not reported by default".to_string()),
    }
}

#[test]
fn shared_cases_behave_as_their_folders_say() {
    let root = cases_dir();
    assert!(
        root.is_dir(),
        "{} not found: the review's cases live in shared/ beside the repository",
        root.display()
    );
    let mut failures = Vec::new();
    let mut fixed_pending = Vec::new();
    let mut seen = 0;
    for folder in ["false-alarms", "missed"] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "py"))
            .collect();
        paths.sort();
        for path in paths {
            seen += 1;
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let problem = misbehaviour(folder, &name, &text);
            match (problem, PENDING.contains(&name.as_str())) {
                (Some(problem), false) => failures.push(format!("{folder}/{name}: {problem}")),
                (None, true) => fixed_pending.push(name),
                _ => {}
            }
        }
    }
    assert!(seen > 0, "no cases in {}", root.display());
    assert!(
        failures.is_empty(),
        "{} cases misbehave:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        fixed_pending.is_empty(),
        "these cases behave now: remove them from PENDING: {fixed_pending:?}"
    );
}
