//! `refhound check --write-baseline` / `--update-baseline` as a team adopting refhound runs
//! them: on a copy of the demo project, the baseline silences today's findings, survives edits
//! elsewhere, lets new findings through, and shrinks as findings are fixed; the language server
//! leaves out the same findings, and reads the file again when it changes.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{Client, run};
use tower_lsp_server::ls_types::notification::{
    DidChangeWatchedFiles, DidOpenNotebookDocument, DidOpenTextDocument, PublishDiagnostics,
    ShowMessage,
};
use tower_lsp_server::ls_types::*;

fn refhound(directory: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_refhound"))
        .args(args)
        .current_dir(directory)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of `tests/demo` with a `pyproject.toml` at its root (the project root), so that no
/// configuration above the temporary directory counts.
fn demo_project() -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/demo"),
        directory.path(),
    );
    std::fs::write(
        directory.path().join("pyproject.toml"),
        "[project]\nname = \"demo\"\n\n[tool.refhound]\n",
    )
    .unwrap();
    directory
}

fn baseline_path(project: &Path) -> PathBuf {
    project.join(".refhound/baseline.json")
}

/// The findings of a JSON run, as (file, code).
fn findings(project: &Path, extra: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["check", "--format", "json"];
    args.extend(extra);
    let output = refhound(project, &args);
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["filename"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A leak added at the end of a module.
const NEW_LEAK: &str = "\n\nimport gc\n\n\ndef hunt():\n    gc.set_debug(gc.DEBUG_LEAK)\n";

fn edit(path: &Path, change: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(path).unwrap();
    let changed = change(text.clone());
    assert_ne!(text, changed, "the edit changes {}", path.display());
    std::fs::write(path, changed).unwrap();
}

#[test]
fn a_baseline_silences_todays_findings_and_only_those() {
    let project = demo_project();
    let project = project.path();
    let before = findings(project, &[]);
    assert!(before.len() >= 5, "{before:?}");
    assert!(
        before.iter().any(|(file, _)| file.ends_with(".ipynb")),
        "{before:?}"
    );

    let written = refhound(project, &["check", "--write-baseline"]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let summary = format!("({} baselined).", before.len());
    assert!(stdout(&written).contains(&summary), "{}", stdout(&written));
    assert!(
        stderr(&written).contains(&format!("recorded {} findings", before.len())),
        "{}",
        stderr(&written)
    );
    let baseline = std::fs::read_to_string(baseline_path(project)).unwrap();
    assert!(baseline.ends_with("}\n"));
    // Project-relative names with `/`, no line numbers.
    assert!(
        baseline.contains("\"file\": \"leaky_service/reports.py\""),
        "{baseline}"
    );
    assert!(
        baseline.contains("\"file\": \"explore.ipynb\""),
        "{baseline}"
    );
    assert!(!baseline.contains("\"line\""), "{baseline}");

    let again = refhound(project, &["check"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(
        stdout(&again).contains("No findings in ") && stdout(&again).contains(&summary),
        "{}",
        stdout(&again)
    );
    assert!(findings(project, &[]).is_empty());
    let sarif = refhound(project, &["check", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 0);

    // Unrelated edits: blank lines and a new function at the top of a file, an unrelated
    // function re-indented and re-formatted, functions reordered, a notebook cell added
    // before the flagged one.
    let reports = project.join("leaky_service/reports.py");
    edit(&reports, |text| {
        let text = text.replacen(
            "import functools\n",
            "import functools\n\n\n\ndef version():\n    return \"1.0\"\n\n\n",
            1,
        );
        // `render` re-indented with two spaces and its call spread over lines.
        text.replace(
            "def render(dataset):\n    summary = dataset.summary()\n    return f",
            "def render(dataset):\n  summary = dataset.summary(\n  )\n  return f",
        )
    });
    let events = project.join("leaky_service/events.py");
    edit(&events, |text| {
        // `watch` (flagged) moved above `add_listener`.
        let watch_at = text.find("def watch(").unwrap();
        let watch = text[watch_at..].to_string();
        let rest = &text[..watch_at];
        rest.replacen(
            "def add_listener(",
            &format!("{}\n\ndef add_listener(", watch.trim_end()),
            1,
        )
    });
    let notebook = project.join("explore.ipynb");
    edit(&notebook, |text| {
        let mut nb: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cell = serde_json::json!({
            "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
            "source": ["print('hello')\n", "x = 1"]
        });
        nb["cells"].as_array_mut().unwrap().insert(1, cell);
        serde_json::to_string_pretty(&nb).unwrap()
    });
    let edited = refhound(project, &["check"]);
    assert_eq!(edited.status.code(), Some(0), "{}", stdout(&edited));
    assert!(stdout(&edited).contains(&summary), "{}", stdout(&edited));

    // A new leak is reported, alone; the exit status counts it only.
    edit(&events, |text| text + NEW_LEAK);
    let new = refhound(project, &["check"]);
    assert_eq!(new.status.code(), Some(1), "{}", stdout(&new));
    assert_eq!(
        findings(project, &[]),
        [("leaky_service/events.py".to_string(), "RH601".to_string())]
    );
    assert!(
        stdout(&new).contains("Found 1 finding(s) in 1 of "),
        "{}",
        stdout(&new)
    );
    assert!(stdout(&new).contains(&summary), "{}", stdout(&new));
    let github = refhound(project, &["check", "--format", "github"]);
    assert_eq!(stdout(&github).lines().count(), 1, "{}", stdout(&github));
}

#[test]
fn update_baseline_drops_exactly_the_fixed_finding() {
    let project = demo_project();
    let project = project.path();
    assert_eq!(
        refhound(project, &["check", "--write-baseline"])
            .status
            .code(),
        Some(0)
    );
    let before = std::fs::read_to_string(baseline_path(project)).unwrap();

    // Nothing fixed: the file is left as it is.
    let unchanged = refhound(project, &["check", "--update-baseline"]);
    assert_eq!(unchanged.status.code(), Some(0), "{}", stderr(&unchanged));
    assert!(
        stderr(&unchanged).contains("is up to date"),
        "{}",
        stderr(&unchanged)
    );
    assert_eq!(
        std::fs::read_to_string(baseline_path(project)).unwrap(),
        before
    );

    // RH302 fixed (the cache made per instance), and a new finding added: the update removes
    // the fixed entry, does not add the new one, and the new one is reported.
    let reports = project.join("leaky_service/reports.py");
    edit(&reports, |text| {
        text.replace("    @functools.lru_cache(maxsize=None)\n", "")
    });
    let events = project.join("leaky_service/events.py");
    edit(&events, |text| text + NEW_LEAK);
    let updated = refhound(project, &["check", "--update-baseline"]);
    assert_eq!(updated.status.code(), Some(1), "{}", stdout(&updated));
    assert!(
        stderr(&updated).contains("removed 1 finding no longer found"),
        "{}",
        stderr(&updated)
    );
    let after = std::fs::read_to_string(baseline_path(project)).unwrap();
    let removed: Vec<_> = diff_lines(&before, &after);
    // One entry of six lines (braces, four fields... and count) went, nothing else changed.
    assert!(removed.iter().all(|(sign, _)| *sign == '-'), "{removed:?}");
    assert!(
        removed.iter().any(|(_, line)| line.contains("\"RH302\"")),
        "{removed:?}"
    );
    assert!(
        removed
            .iter()
            .any(|(_, line)| line.contains("\"scope\": \"Dataset.summary\"")),
        "{removed:?}"
    );
    let entries = |text: &str| text.matches("\"fingerprint\"").count();
    assert_eq!(entries(&after), entries(&before) - 1);
    assert_eq!(
        findings(project, &[]),
        [("leaky_service/events.py".to_string(), "RH601".to_string())]
    );

    // A run limited to one rule does not drop the entries of the others.
    let selected = refhound(
        project,
        &["check", "--select", "RH601", "--update-baseline"],
    );
    assert!(
        stderr(&selected).contains("is up to date"),
        "{}",
        stderr(&selected)
    );
    assert_eq!(
        std::fs::read_to_string(baseline_path(project)).unwrap(),
        after
    );
}

/// The lines removed ('-') and added ('+') from `before` to `after`, with the rest of `after`
/// checked to be `before`'s lines in the same order.
fn diff_lines(before: &str, after: &str) -> Vec<(char, String)> {
    let diff = similar::TextDiff::from_lines(before, after);
    diff.iter_all_changes()
        .filter_map(|change| match change.tag() {
            similar::ChangeTag::Equal => None,
            similar::ChangeTag::Delete => Some(('-', change.value().to_string())),
            similar::ChangeTag::Insert => Some(('+', change.value().to_string())),
        })
        .collect()
}

#[test]
fn a_malformed_baseline_is_an_error_and_every_finding_is_reported() {
    let project = demo_project();
    let project = project.path();
    let all = findings(project, &[]);
    std::fs::create_dir_all(project.join(".refhound")).unwrap();
    std::fs::write(baseline_path(project), "{\"version\": 1, \"findings\": [").unwrap();
    let output = refhound(project, &["check", "--exit-zero"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(".refhound/baseline.json: not valid JSON"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("every finding is reported"),
        "{}",
        stderr(&output)
    );
    assert_eq!(findings(project, &[]), all);
    // A named baseline that does not exist is an error too; the default one missing is not.
    let missing = refhound(project, &["check", "--baseline", "nowhere.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("nowhere.json: "),
        "{}",
        stderr(&missing)
    );
    std::fs::remove_file(baseline_path(project)).unwrap();
    assert_eq!(refhound(project, &["check"]).status.code(), Some(1));
    // Updating a baseline that is not there is a usage error.
    let update = refhound(project, &["check", "--update-baseline"]);
    assert_eq!(update.status.code(), Some(2));
    assert!(
        stderr(&update).contains("no baseline to update"),
        "{}",
        stderr(&update)
    );
}

#[test]
fn the_configuration_names_the_baseline_and_the_root_is_its_directory() {
    let project = demo_project();
    let project = project.path();
    std::fs::write(
        project.join("pyproject.toml"),
        "[tool.refhound]\nbaseline = \"ci/accepted.json\"\n",
    )
    .unwrap();
    // Written from a subdirectory: the root is still the configuration's directory.
    let inner = project.join("leaky_service");
    let written = refhound(&inner, &["check", "--write-baseline", "."]);
    assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    let text = std::fs::read_to_string(project.join("ci/accepted.json")).unwrap();
    assert!(
        text.contains("\"file\": \"leaky_service/events.py\""),
        "{text}"
    );
    assert!(!baseline_path(project).exists());
    // Read from the root.
    let root = refhound(project, &["check", "leaky_service"]);
    assert_eq!(root.status.code(), Some(0), "{}", stdout(&root));
    // The notebook was not in that run: its findings are reported, not baselined.
    let notebook = refhound(project, &["check"]);
    assert_eq!(notebook.status.code(), Some(1));
    assert!(
        stdout(&notebook).contains("explore.ipynb:cell "),
        "{}",
        stdout(&notebook)
    );
    // A bad value is reported and ignored as other bad settings are.
    std::fs::write(
        project.join("pyproject.toml"),
        "[tool.refhound]\nbaseline = 3\n",
    )
    .unwrap();
    let bad = refhound(project, &["check"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("baseline: expected a file's path"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn write_baseline_takes_its_file_only_after_an_equals_sign() {
    let project = demo_project();
    let project = project.path();
    // `--write-baseline leaky_service` checks that directory into the default file.
    let output = refhound(project, &["check", "--write-baseline", "leaky_service"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(baseline_path(project).exists());
    let named = refhound(project, &["check", "--write-baseline=accepted.json"]);
    assert_eq!(named.status.code(), Some(0), "{}", stderr(&named));
    let text = std::fs::read_to_string(project.join("accepted.json")).unwrap();
    assert!(text.contains("explore.ipynb"), "{text}");
    let checked = refhound(project, &["check", "--baseline", "accepted.json"]);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
}

#[test]
fn the_server_leaves_out_the_baselined_findings_and_rereads_the_file() {
    let project = demo_project();
    let root = project.path().to_path_buf();
    let debug = root.join("leaky_service/debug.py");
    let before = std::fs::read_to_string(&debug).unwrap();
    assert_eq!(
        refhound(&root, &["check", "--write-baseline"])
            .status
            .code(),
        Some(0)
    );
    // A second leak of the same rule, after the baselined one: the server shows it alone.
    let text = format!("{before}\n\ndef later():\n    gc.set_debug(gc.DEBUG_LEAK)\n");
    run(async move {
        let mut client = Client::start();
        let capabilities = ClientCapabilities {
            workspace: Some(WorkspaceClientCapabilities {
                did_change_watched_files: Some(DidChangeWatchedFilesClientCapabilities {
                    dynamic_registration: Some(true),
                    relative_pattern_support: None,
                }),
                ..WorkspaceClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        };
        client
            .initialize_with(InitializeParams {
                capabilities,
                workspace_folders: Some(vec![WorkspaceFolder {
                    uri: Uri::from_file_path(&root).unwrap(),
                    name: "demo".into(),
                }]),
                ..InitializeParams::default()
            })
            .await;
        let registered = client.server_request("client/registerCapability").await;
        let globs =
            registered.params["registrations"][0]["registerOptions"]["watchers"].to_string();
        assert!(globs.contains("**/*.json"), "{globs}");
        let uri = Uri::from_file_path(&debug).unwrap();
        client.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
            text_document: TextDocumentItem::new(uri.clone(), "python".into(), 1, text.clone()),
        });
        let shown = client.diagnostics(&uri, 1).await;
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert_eq!(shown[0].range.start.line as usize, text.lines().count() - 1);

        // The baseline emptied: both findings are shown again.
        let baseline = root.join(".refhound/baseline.json");
        std::fs::write(&baseline, "{\"version\": 1, \"findings\": []}\n").unwrap();
        client.notify::<DidChangeWatchedFiles>(DidChangeWatchedFilesParams {
            changes: vec![FileEvent::new(
                Uri::from_file_path(&baseline).unwrap(),
                FileChangeType::CHANGED,
            )],
        });
        client
            .notification::<PublishDiagnostics>(|p| {
                p.uri == uri && p.version == Some(1) && p.diagnostics.len() == 2
            })
            .await;

        // A broken baseline is shown as a bad setting, and every finding still is.
        std::fs::write(&baseline, "[").unwrap();
        client.notify::<DidChangeWatchedFiles>(DidChangeWatchedFilesParams {
            changes: vec![FileEvent::new(
                Uri::from_file_path(&baseline).unwrap(),
                FileChangeType::CHANGED,
            )],
        });
        client
            .notification::<ShowMessage>(|m| m.message.contains("baseline.json: not valid JSON"))
            .await;
        client
            .notification::<PublishDiagnostics>(|p| {
                p.uri == uri && p.version == Some(1) && p.diagnostics.len() == 2
            })
            .await;
        client.exit().await;
    });
}

#[test]
fn the_server_leaves_out_a_notebooks_baselined_findings_whatever_its_cells_order() {
    let project = demo_project();
    let root = project.path().to_path_buf();
    assert_eq!(
        refhound(&root, &["check", "--write-baseline"])
            .status
            .code(),
        Some(0)
    );
    let path = root.join("explore.ipynb");
    let ipynb: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let source = |cell: &serde_json::Value| -> String {
        match &cell["source"] {
            serde_json::Value::Array(lines) => lines.iter().map(|l| l.as_str().unwrap()).collect(),
            text => text.as_str().unwrap().to_string(),
        }
    };
    // A new code cell with a new finding, first: every other cell's index moves by one.
    let mut cells = vec![(true, "import gc\ngc.set_debug(gc.DEBUG_LEAK)\n".to_string())];
    cells.extend(
        ipynb["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|cell| (cell["cell_type"] == "code", source(cell))),
    );
    let baselined = cells
        .iter()
        .position(|(_, text)| text.ends_with("\nevents"))
        .expect("the demo's cell displaying the frame");
    let notebook = Uri::from_file_path(&path).unwrap();
    let cell_uri = move |index: usize| -> Uri {
        format!("vscode-notebook-cell:{}#C{index}", path.display())
            .parse()
            .unwrap()
    };
    run(async move {
        let mut client = Client::start();
        client
            .initialize_with(InitializeParams {
                workspace_folders: Some(vec![WorkspaceFolder {
                    uri: Uri::from_file_path(&root).unwrap(),
                    name: "demo".into(),
                }]),
                ..InitializeParams::default()
            })
            .await;
        client.notify::<DidOpenNotebookDocument>(DidOpenNotebookDocumentParams {
            notebook_document: NotebookDocument {
                uri: notebook,
                notebook_type: "jupyter-notebook".into(),
                version: 1,
                metadata: None,
                cells: cells
                    .iter()
                    .enumerate()
                    .map(|(index, (code, _))| NotebookCell {
                        kind: if *code {
                            NotebookCellKind::CODE
                        } else {
                            NotebookCellKind::MARKUP
                        },
                        document: cell_uri(index),
                        metadata: None,
                        execution_summary: None,
                    })
                    .collect(),
            },
            cell_text_documents: cells
                .iter()
                .enumerate()
                .map(|(index, (code, text))| {
                    let language = if *code { "python" } else { "markdown" };
                    TextDocumentItem::new(cell_uri(index), language.into(), 1, text.clone())
                })
                .collect(),
        });
        let new = client.diagnostics(&cell_uri(0), 1).await;
        let codes: Vec<_> = new.iter().map(|d| d.code.clone()).collect();
        assert_eq!(
            codes,
            [Some(NumberOrString::String("RH601".into()))],
            "{new:?}"
        );
        let old = client.diagnostics(&cell_uri(baselined), 1).await;
        assert!(old.is_empty(), "{old:?}");
        client.exit().await;
    });
}
