//! `refhound check` on Jupyter notebooks, as CI runs it: the findings of a notebook are those of
//! the same code as a `.py` file, per cell; `--fix` changes only the cells it rewrites; a broken
//! notebook is reported and the other files are checked.
//!
//! `tests/fixtures/notebooks/service.ipynb` holds magics, markdown cells, outputs, a cell magic
//! whose body is bash, a cell with a syntax error and a suppression at a cell's end;
//! `service.py` is the same notebook in the percent format (`# %%` starts a cell, IPython syntax
//! commented out, as jupytext writes it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn refhound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_refhound"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/notebooks")
        .join(name)
}

/// `check --format json --strict` on one file: its findings as JSON values.
fn json_findings(path: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["check", "--format", "json", "--strict"];
    args.extend(extra);
    args.push(path.to_str().unwrap());
    let output = refhound(&args);
    serde_json::from_slice(&output.stdout).expect("JSON output")
}

/// (code, cell, row in the cell, column) of each finding.
type Placed = (String, u64, u64, u64);

fn placed(finding: &Value, cell: u64, row: u64) -> Placed {
    (
        finding["code"].as_str().unwrap_or("none").to_string(),
        cell,
        row,
        finding["location"]["column"].as_u64().unwrap(),
    )
}

#[test]
fn a_notebook_has_the_findings_of_the_same_code_in_a_file_per_cell() {
    let notebook: BTreeSet<Placed> = json_findings(&fixture("service.ipynb"), &[])
        .iter()
        .filter(|f| f["code"].is_string())
        .map(|f| {
            let cell = f["cell"]
                .as_u64()
                .expect("a notebook finding names its cell");
            placed(f, cell, f["location"]["row"].as_u64().unwrap())
        })
        .collect();
    // The file's cells start after each `# %%` line; its findings placed the same way.
    let text = std::fs::read_to_string(fixture("service.py")).unwrap();
    let markers: Vec<u64> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| *line == "# %%" || line.starts_with("# %% ["))
        .map(|(i, _)| i as u64 + 1)
        .collect();
    let file: BTreeSet<Placed> = json_findings(&fixture("service.py"), &[])
        .iter()
        .filter(|f| f["code"].is_string())
        .map(|f| {
            let row = f["location"]["row"].as_u64().unwrap();
            let cell = markers.partition_point(|&m| m < row);
            placed(f, cell as u64, row - markers[cell - 1])
        })
        .collect();
    let notebook_only: BTreeSet<Placed> = notebook
        .iter()
        .filter(|f| f.0 == "RH701")
        .cloned()
        .collect();
    // The `%%time` cell displays a DataFrame; that is the only finding a file cannot have.
    assert_eq!(
        notebook_only,
        BTreeSet::from([("RH701".to_string(), 6, 3, 1)])
    );
    let shared: BTreeSet<Placed> = notebook.difference(&notebook_only).cloned().collect();
    assert_eq!(shared, file);
    let codes: BTreeSet<&str> = shared.iter().map(|f| f.0.as_str()).collect();
    // The leaks of the cells: after the broken cell too; the suppressed one at a cell's end not.
    assert_eq!(codes, BTreeSet::from(["RH101", "RH102", "RH601"]));
    assert!(
        shared.contains(&("RH101".to_string(), 9, 4, 9)),
        "{shared:?}"
    );
    assert!(!shared.iter().any(|f| f.1 == 11), "{shared:?}");
}

#[test]
fn findings_name_their_cell_in_every_format() {
    let path = fixture("service.ipynb");
    let path = path.to_str().unwrap();
    let text = String::from_utf8(refhound(&["check", path]).stdout).unwrap();
    assert!(text.contains("service.ipynb:cell 3:3:1: RH601"), "{text}");
    // A message's own lines are counted in the cells too.
    assert!(
        text.contains("`rows` is a `json.load(...)` result (cell 5, line 2)"),
        "{text}"
    );
    assert!(
        text.contains("service.ipynb: syntax error at cell 8, line 1"),
        "{text}"
    );
    let github =
        String::from_utf8(refhound(&["check", "--format", "github", path]).stdout).unwrap();
    assert!(github.contains(",line=3,col=1,"), "{github}");
    assert!(github.contains("::cell 3: `gc.set_debug`"), "{github}");
    let sarif: Value =
        serde_json::from_slice(&refhound(&["check", "--format", "sarif", path]).stdout).unwrap();
    let regions: Vec<&Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["region"])
        .collect();
    assert!(
        regions
            .iter()
            .any(|r| r["properties"]["cell"] == 3 && r["startLine"] == 3),
        "{regions:?}"
    );
}

#[test]
fn select_and_ignore_apply_to_notebooks() {
    let path = fixture("service.ipynb");
    let codes = |extra: &[&str]| -> BTreeSet<String> {
        json_findings(&path, extra)
            .iter()
            .filter_map(|f| f["code"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(
        codes(&["--select", "RH701"]),
        BTreeSet::from(["RH701".into()])
    );
    assert!(!codes(&["--ignore", "notebook-output-history"]).contains("RH701"));
}

#[test]
fn fix_rewrites_only_the_cells_it_changes() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("service.ipynb");
    let before = std::fs::read_to_string(fixture("service.ipynb")).unwrap();
    std::fs::write(&path, &before).unwrap();
    let output = refhound(&["check", "--fix", "--unsafe-fixes", path.to_str().unwrap()]);
    let after = std::fs::read_to_string(&path).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Fixed "), "{stdout}");
    // Every line the fix changed is an item of a cell's `source` list; all else is as it was.
    let diff = similar::TextDiff::from_lines(&before, &after);
    let changed: Vec<String> = diff
        .iter_all_changes()
        .filter(|c| c.tag() != similar::ChangeTag::Equal)
        .map(|c| c.value().to_string())
        .collect();
    assert!(!changed.is_empty());
    for line in &changed {
        assert!(
            line.starts_with("    \"") && (line.ends_with("\",\n") || line.ends_with("\"\n")),
            "a changed line outside a cell's source: {line:?}"
        );
    }
    let (old, new): (Value, Value) = (
        serde_json::from_str(&before).unwrap(),
        serde_json::from_str(&after).unwrap(),
    );
    assert_eq!(old["metadata"], new["metadata"]);
    let source = |v: &Value, i: usize| -> String {
        v["cells"][i]["source"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect()
    };
    for i in 0..old["cells"].as_array().unwrap().len() {
        assert_eq!(old["cells"][i]["outputs"], new["cells"][i]["outputs"]);
        if ![2, 4, 5, 8].contains(&i) {
            assert_eq!(source(&old, i), source(&new, i), "cell {}", i + 1);
        }
    }
    // The safe fix removed the `gc.set_debug` call; the unsafe one ended the display with `;`.
    assert_eq!(source(&new, 2), "!pip list | head -3\nfiles = !ls\n");
    assert!(source(&new, 5).ends_with("frame;"), "{}", source(&new, 5));
    let left = json_findings(&path, &[]);
    assert!(
        left.iter()
            .all(|f| f["code"] != "RH601" && f["code"] != "RH701"),
        "{left:?}"
    );
}

#[test]
fn a_broken_notebook_is_reported_and_the_others_are_checked() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("broken.ipynb"), "{\"cells\": [").unwrap();
    std::fs::copy(
        fixture("service.ipynb"),
        directory.path().join("good.ipynb"),
    )
    .unwrap();
    let output = refhound(&["check", directory.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.ipynb: not a valid notebook: "),
        "{stderr}"
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).contains("good.ipynb:cell 3:3:1: RH601"));
}
