//! Every rule fixture in `tests/fixtures/rules/` (see the README there; `.py` files and notebooks)
//! is analysed and its
//! findings compared with the caret annotations written under the flagged code.

use std::collections::BTreeSet;
use std::path::Path;

use refhound::analysis::findings::Finding;
use refhound::analysis::line_index::LineIndex;
use refhound::analysis::notebook::Notebook;
use refhound::analysis::parse::parse;
use refhound::analysis::settings::Settings;
use refhound::ipynb::Ipynb;

/// (1-based line, first column, end column in characters, rule code).
type Mark = (usize, usize, usize, String);

fn annotations(text: &str) -> BTreeSet<Mark> {
    let mut marks = BTreeSet::new();
    let mut target = 0;
    for (index, line) in text.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let hash = line.trim_start();
        let is_annotation = hash.starts_with('#') && hash[1..].trim_start().starts_with('^');
        if !is_annotation {
            target = index + 1;
            continue;
        }
        let first = chars
            .iter()
            .position(|&c| c == '^')
            .expect("an annotation has carets");
        let last = chars
            .iter()
            .rposition(|&c| c == '^')
            .expect("an annotation has carets");
        let start = if first > 0 && chars[first - 1] == '#' {
            first - 1
        } else {
            first
        };
        let code: String = chars[last + 1..]
            .iter()
            .collect::<String>()
            .trim()
            .to_string();
        marks.insert((target, start, last + 1, code));
    }
    marks
}

/// The findings of a fixture: a Python file, or a notebook whose code cells, joined, are the
/// text its annotations are read in (each cell's annotations under its own code).
fn findings(path: &Path, text: &str) -> (String, BTreeSet<Mark>) {
    if path.extension().is_some_and(|e| e == "ipynb") {
        let notebook = Ipynb::parse(text.to_string()).unwrap();
        let joined = Notebook::new(notebook.code_cells());
        let found = joined.check(&Settings::default()).findings;
        return (joined.original.clone(), marks(&joined.original, found));
    }
    let found = refhound::analysis::check(text, &parse(text), &Settings::default());
    (text.to_string(), marks(text, found))
}

fn marks(text: &str, findings: Vec<Finding>) -> BTreeSet<Mark> {
    let lines = LineIndex::new(text);
    let column = |offset: usize| {
        text[lines.line_start(lines.line_of(offset))..offset]
            .chars()
            .count()
    };
    findings
        .into_iter()
        .map(|finding| {
            let line = lines.line_of(finding.range.start);
            let line_end = text[finding.range.start..]
                .find('\n')
                .map_or(text.len(), |n| finding.range.start + n);
            let end = finding.range.end.min(line_end);
            (
                line,
                column(finding.range.start),
                column(end),
                finding.rule.code().to_string(),
            )
        })
        .collect()
}

#[test]
fn rule_fixtures_match_their_annotations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/rules");
    let mut failures = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "py" && e != "ipynb") {
            continue;
        }
        files += 1;
        let (text, actual) = findings(&path, &std::fs::read_to_string(&path).unwrap());
        let expected = annotations(&text);
        let source: Vec<&str> = text.lines().collect();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (line, start, end, code) in expected.difference(&actual) {
            failures.push(format!(
                "{name}:{line}: expected {code} at columns {start}..{end} not reported\n    {}",
                source[line - 1]
            ));
        }
        for (line, start, end, code) in actual.difference(&expected) {
            failures.push(format!(
                "{name}:{line}: unexpected {code} at columns {start}..{end}\n    {}",
                source[line - 1]
            ));
        }
    }
    assert!(files > 0, "no fixtures found in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
