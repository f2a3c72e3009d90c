//! Notebooks in the language server (`notebookDocumentSync`), in process (see `support`): a
//! Jupyter notebook opened, its cells' texts edited, cells inserted, deleted, moved, turned into
//! markdown or another language, and closed; after each step, the diagnostics last pushed to
//! every cell URI are the findings of that cell (the right URI, ranges in the cell's own lines),
//! an empty list where a cell has none or left. Pulls on a cell agree. A hover, the quick fixes
//! and "ignore" actions on a cell, and the notebook's fix-all, which edits only the cells it
//! changes.
//!
//! The cases include the notebook bugs other servers had: a moved cell losing its text,
//! diagnostics left behind when a cell's language changes, text inserted at a cell's boundary,
//! and a suppression comment on a cell's last line.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use support::{Client, Encoding, TIMEOUT, run, text};
use tower_lsp_server::ls_types::notification::{
    DidChangeNotebookDocument, DidCloseNotebookDocument, DidOpenNotebookDocument,
};
use tower_lsp_server::ls_types::request::{
    CodeActionRequest, DocumentDiagnosticRequest, HoverRequest, InlayHintRequest,
};
use tower_lsp_server::ls_types::*;

const NOTEBOOK: &str = "file:///work/demo.ipynb";

const IMPORTS: &str = "import gc\nimport json\nimport pandas as pd";
const DEBUG: &str = "gc.set_debug(gc.DEBUG_SAVEALL)";
const HANDLER: &str = "def handler(path):\n    rows = [line for line in open(path)]\n\n    \
                       def count():\n        return len(rows)\n\n    return count";
const FRAME: &str = "%%time\nframe = pd.read_csv(\"events.csv\")\nframe";

/// The client's copy of a notebook: what it sends, and what a test expects of it.
struct Notebook {
    uri: Uri,
    version: i32,
    cells: Vec<Cell>,
    /// How many `publishDiagnostics` the client had received when the last wait settled.
    seen: usize,
}

#[derive(Clone)]
struct Cell {
    uri: Uri,
    markdown: bool,
    language: String,
    text: String,
    version: i32,
}

/// A cell URI as VS Code makes them: the notebook's path, a fragment per cell.
fn cell_uri(name: &str) -> Uri {
    format!("vscode-notebook-cell:/work/demo.ipynb#{name}")
        .parse()
        .unwrap()
}

fn code(name: &str, text: &str) -> Cell {
    Cell {
        uri: cell_uri(name),
        markdown: false,
        language: "python".into(),
        text: text.into(),
        version: 1,
    }
}

fn markdown(name: &str, text: &str) -> Cell {
    Cell {
        markdown: true,
        language: "markdown".into(),
        ..code(name, text)
    }
}

impl Cell {
    fn lsp(&self) -> NotebookCell {
        NotebookCell {
            kind: if self.markdown {
                NotebookCellKind::MARKUP
            } else {
                NotebookCellKind::CODE
            },
            document: self.uri.clone(),
            metadata: None,
            execution_summary: None,
        }
    }

    fn item(&self) -> TextDocumentItem {
        TextDocumentItem::new(
            self.uri.clone(),
            self.language.clone(),
            self.version,
            self.text.clone(),
        )
    }
}

impl Notebook {
    /// The demo: imports, a markdown cell, then one finding per cell (RH601, RH101, RH701).
    fn demo() -> Notebook {
        Notebook {
            uri: NOTEBOOK.parse().unwrap(),
            version: 1,
            seen: 0,
            cells: vec![
                code("W0", IMPORTS),
                markdown("W1", "# Loading"),
                code("W2", DEBUG),
                code("W3", HANDLER),
                code("W4", FRAME),
            ],
        }
    }

    fn cell(&self, name: &str) -> &Cell {
        let uri = cell_uri(name);
        self.cells.iter().find(|c| c.uri == uri).unwrap()
    }

    fn open(&self, client: &Client) {
        client.notify::<DidOpenNotebookDocument>(DidOpenNotebookDocumentParams {
            notebook_document: NotebookDocument {
                uri: self.uri.clone(),
                notebook_type: "jupyter-notebook".into(),
                version: self.version,
                metadata: None,
                cells: self.cells.iter().map(Cell::lsp).collect(),
            },
            cell_text_documents: self.cells.iter().map(Cell::item).collect(),
        });
    }

    fn change(&mut self, client: &Client, change: NotebookDocumentChangeEvent) {
        self.version += 1;
        client.notify::<DidChangeNotebookDocument>(DidChangeNotebookDocumentParams {
            notebook_document: VersionedNotebookDocumentIdentifier {
                version: self.version,
                uri: self.uri.clone(),
            },
            change,
        });
    }

    /// Replaces `range` of the cell `name` with `new_text` (one incremental text change).
    fn edit(&mut self, client: &Client, name: &str, range: Range, new_text: &str) {
        let uri = cell_uri(name);
        let cell = self.cells.iter_mut().find(|c| c.uri == uri).unwrap();
        text::apply_change(&mut cell.text, range, new_text, Encoding::Utf16);
        cell.version += 1;
        let content = NotebookDocumentChangeTextContent {
            document: VersionedTextDocumentIdentifier::new(uri, cell.version),
            changes: vec![TextDocumentContentChangeEvent {
                range: Some(range),
                range_length: None,
                text: new_text.into(),
            }],
        };
        self.change(client, cells_change(None, None, Some(vec![content])));
    }

    /// Splices the cell array as a client does: `delete` cells from `start`, then `inserted`,
    /// with the texts of `opened` and the closing of `closed` in the same change.
    fn splice(
        &mut self,
        client: &Client,
        (start, delete): (usize, usize),
        inserted: Vec<Cell>,
        opened: &[&str],
        closed: &[&str],
    ) {
        let removed: Vec<Cell> = self
            .cells
            .splice(start..start + delete, inserted.iter().cloned())
            .collect();
        let every: Vec<Cell> = self.cells.iter().chain(&removed).cloned().collect();
        let find = |name: &str| every.iter().find(|c| c.uri == cell_uri(name)).unwrap();
        let structure = NotebookDocumentCellChangeStructure {
            array: NotebookCellArrayChange {
                start: start as u32,
                delete_count: delete as u32,
                cells: Some(inserted.iter().map(Cell::lsp).collect()),
            },
            did_open: Some(opened.iter().map(|n| find(n).item()).collect()),
            did_close: Some(
                closed
                    .iter()
                    .map(|n| TextDocumentIdentifier::new(cell_uri(n)))
                    .collect(),
            ),
        };
        self.change(client, cells_change(Some(structure), None, None));
    }

    fn position(&self, name: &str) -> usize {
        let uri = cell_uri(name);
        self.cells.iter().position(|c| c.uri == uri).unwrap()
    }
}

fn cells_change(
    structure: Option<NotebookDocumentCellChangeStructure>,
    data: Option<Vec<NotebookCell>>,
    text_content: Option<Vec<NotebookDocumentChangeTextContent>>,
) -> NotebookDocumentChangeEvent {
    NotebookDocumentChangeEvent {
        metadata: None,
        cells: Some(NotebookDocumentCellChange {
            structure,
            data,
            text_content,
        }),
    }
}

/// A diagnostic as a test states it: code, (line, column) of start and end in its cell.
type Found = (String, (u32, u32), (u32, u32));

fn found(diagnostics: &[Diagnostic]) -> Vec<Found> {
    diagnostics
        .iter()
        .map(|d| {
            let code = match &d.code {
                Some(NumberOrString::String(code)) => code.clone(),
                other => panic!("a string code, not {other:?}"),
            };
            let (s, e) = (d.range.start, d.range.end);
            (code, (s.line, s.character), (e.line, e.character))
        })
        .collect()
}

fn at(code: &str, start: (u32, u32), end: (u32, u32)) -> Found {
    (code.to_string(), start, end)
}

impl Notebook {
    /// Waits until every cell named has been pushed diagnostics since the last wait, and the
    /// last pushed to each are `expected` (an empty list for a cell named with none); returns
    /// them as pushed. A round of pushes is for one state of the notebook and every cell of it,
    /// so the earlier rounds' lists, for states before the last change, are not looked at.
    async fn pushed(
        &mut self,
        client: &mut Client,
        expected: &[(&str, Vec<Found>)],
    ) -> HashMap<String, Diagnostic> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let published = client.published_so_far();
            let mut last: HashMap<Uri, PublishDiagnosticsParams> = HashMap::new();
            for params in &published[self.seen.min(published.len())..] {
                last.insert(params.uri.clone(), params.clone());
            }
            let now: Vec<(&str, Option<Vec<Found>>)> = expected
                .iter()
                .map(|(name, _)| {
                    (
                        *name,
                        last.get(&cell_uri(name)).map(|p| found(&p.diagnostics)),
                    )
                })
                .collect();
            let settled = expected
                .iter()
                .zip(&now)
                .all(|((_, want), (_, got))| got.as_ref() == Some(want));
            if settled {
                self.seen = published.len();
                return expected
                    .iter()
                    .flat_map(|(name, _)| {
                        last[&cell_uri(name)]
                            .diagnostics
                            .iter()
                            .map(|d| (name.to_string(), d.clone()))
                            .collect::<Vec<_>>()
                    })
                    .collect();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "pushed diagnostics never became {expected:?}; pushed since the last change: \
                 {now:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// `textDocument/diagnostic` on a cell.
async fn pulled(client: &Client, name: &str) -> Vec<Diagnostic> {
    let report = client
        .request::<DocumentDiagnosticRequest>(DocumentDiagnosticParams {
            text_document: TextDocumentIdentifier::new(cell_uri(name)),
            identifier: None,
            previous_result_id: None,
            work_done_progress_params: WorkDoneProgressParams::default(),
            partial_result_params: PartialResultParams::default(),
        })
        .await
        .expect("a cell's diagnostics");
    match report {
        DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(full)) => {
            full.full_document_diagnostic_report.items
        }
        other => panic!("a full report, not {other:?}"),
    }
}

fn rh601() -> Found {
    at("RH601", (0, 0), (0, 30))
}
fn rh101() -> Found {
    at("RH101", (3, 8), (3, 13))
}
fn rh701() -> Found {
    at("RH701", (2, 0), (2, 5))
}

/// The demo's diagnostics as first pushed: every cell, markdown included, gets a list.
fn demo_expected() -> Vec<(&'static str, Vec<Found>)> {
    vec![
        ("W0", vec![]),
        ("W1", vec![]),
        ("W2", vec![rh601()]),
        ("W3", vec![rh101()]),
        ("W4", vec![rh701()]),
    ]
}

/// A client with the demo notebook open, and the diagnostics first pushed to its cells.
async fn start() -> (Client, Notebook, HashMap<String, Diagnostic>) {
    let mut client = Client::start();
    client.initialize(ClientCapabilities::default(), None).await;
    let mut notebook = Notebook::demo();
    notebook.open(&client);
    let diagnostics = notebook.pushed(&mut client, &demo_expected()).await;
    (client, notebook, diagnostics)
}

#[test]
fn capabilities_announce_jupyter_notebooks_with_python_cells() {
    run(async {
        let mut client = Client::start();
        let result = client.initialize(ClientCapabilities::default(), None).await;
        let sync = serde_json::to_value(result.capabilities.notebook_document_sync).unwrap();
        assert_eq!(
            sync,
            json!({"notebookSelector": [
                {"notebook": "jupyter-notebook", "cells": [{"language": "python"}]}
            ]})
        );
        let kinds = result.capabilities.code_action_provider.map(|p| match p {
            CodeActionProviderCapability::Options(o) => o.code_action_kinds,
            CodeActionProviderCapability::Simple(_) => None,
        });
        assert!(
            format!("{kinds:?}").contains("notebook.source.fixAll.refhound"),
            "{kinds:?}"
        );
    });
}

#[test]
fn opening_pushes_each_cell_its_findings_in_its_own_lines() {
    run(async {
        let (mut client, notebook, diagnostics) = start().await;
        // Each pushed with its cell's version.
        let versions: Vec<Option<i32>> = client
            .published_so_far()
            .iter()
            .filter(|p| p.uri == cell_uri("W3"))
            .map(|p| p.version)
            .collect();
        assert_eq!(versions, [Some(1)]);
        // Related locations and messages speak of cells: `count` is cell 4's, line 4.
        let rh101 = &diagnostics["W3"];
        assert!(
            rh101.message.contains("cell 4, line 4"),
            "{}",
            rh101.message
        );
        let related = rh101
            .related_information
            .as_ref()
            .expect("related locations");
        assert!(related.iter().all(|r| r.location.uri == cell_uri("W3")));
        assert!(
            related
                .iter()
                .any(|r| r.location.range.start == Position::new(1, 11)),
            "where `rows` is bound: {related:?}"
        );
        // The RH701 finding ignores the `%%time` magic above it, and points at the read.
        let rh701 = &diagnostics["W4"];
        let related = rh701.related_information.as_ref().unwrap();
        assert_eq!(related[0].location.uri, cell_uri("W4"));
        assert_eq!(related[0].location.range.start, Position::new(1, 8));
        // Pulls agree with what was pushed.
        for (name, expected) in demo_expected() {
            assert_eq!(found(&pulled(&client, name).await), expected, "{name}");
        }
        assert_eq!(notebook.cells.len(), 5);
    });
}

#[test]
fn cell_text_edits_move_only_their_cells_findings() {
    run(async {
        let (mut client, mut notebook, _) = start().await;
        // Two lines inserted at the top of the handler's cell: its finding moves down by two.
        notebook.edit(&client, "W3", Range::default(), "# loads\n\n");
        let mut expected = demo_expected();
        expected[3].1 = vec![at("RH101", (5, 8), (5, 13))];
        notebook.pushed(&mut client, &expected).await;

        // Text inserted at a cell's boundary, the end of the imports cell: it stays in that
        // cell, and the next code cell's finding stays where it is.
        let end = text::position(IMPORTS, IMPORTS.len(), Encoding::Utf16);
        notebook.edit(&client, "W0", Range::new(end, end), "\nimport os");
        notebook.pushed(&mut client, &expected).await;
        assert_eq!(notebook.cell("W0").text, format!("{IMPORTS}\nimport os"));
        // ... and at the start of the RH601 cell: its finding moves down a line.
        notebook.edit(&client, "W2", Range::default(), "# debugging\n");
        expected[2].1 = vec![at("RH601", (1, 0), (1, 30))];
        notebook.pushed(&mut client, &expected).await;

        // The call turned harmless: its cell gets an empty list.
        let line = Range::new(Position::new(1, 13), Position::new(1, 29));
        notebook.edit(&client, "W2", line, "0");
        expected[2].1 = vec![];
        notebook.pushed(&mut client, &expected).await;
        assert_eq!(notebook.cell("W2").text, "# debugging\ngc.set_debug(0)");
        assert_eq!(found(&pulled(&client, "W2").await), vec![]);
        assert_eq!(
            found(&pulled(&client, "W3").await),
            vec![at("RH101", (5, 8), (5, 13))]
        );
    });
}

#[test]
fn inserted_deleted_and_moved_cells_keep_their_texts_and_findings() {
    run(async {
        let (mut client, mut notebook, _) = start().await;
        // A new cell after the imports, its text in `didOpen`.
        let leak = code("W5", "gc.set_debug(gc.DEBUG_LEAK)");
        notebook.splice(&client, (1, 0), vec![leak], &["W5"], &[]);
        let mut expected = demo_expected();
        expected.push(("W5", vec![at("RH601", (0, 0), (0, 27))]));
        notebook.pushed(&mut client, &expected).await;
        assert_eq!(notebook.position("W5"), 1);

        // The RH601 cell deleted (and closed): its diagnostics are cleared.
        let at_debug = notebook.position("W2");
        notebook.splice(&client, (at_debug, 1), vec![], &[], &["W2"]);
        expected[2].1 = vec![];
        notebook.pushed(&mut client, &expected).await;
        // Once cleared, it is not pushed to again.
        expected.remove(2);

        // The handler's cell moved to the top, as one splice, without its text (the client
        // sends none for a cell it only moved): it keeps its text and its finding, which now
        // says it is cell 1.
        let handler = notebook.cell("W3").clone();
        let from = notebook.position("W3");
        let before: Vec<Cell> = notebook.cells[..from].to_vec();
        let mut moved = vec![handler];
        moved.extend(before);
        notebook.splice(&client, (0, from + 1), moved, &[], &[]);
        assert_eq!(notebook.position("W3"), 0);
        let diagnostics = notebook.pushed(&mut client, &expected).await;
        assert!(
            diagnostics["W3"].message.contains("cell 1, line 4"),
            "{}",
            diagnostics["W3"].message
        );

        // Moved back down, this time closed and reopened with its text, as VS Code does: the
        // same findings.
        let handler = notebook.cell("W3").clone();
        let last = notebook.cells.len() - 1;
        let mut moved: Vec<Cell> = notebook.cells[1..].to_vec();
        moved.push(handler);
        notebook.splice(&client, (0, last + 1), moved, &["W3"], &["W3"]);
        let diagnostics = notebook.pushed(&mut client, &expected).await;
        assert!(
            diagnostics["W3"]
                .message
                .contains(&format!("cell {}, line 4", last + 1)),
            "{}",
            diagnostics["W3"].message
        );
        for (name, want) in &expected {
            assert_eq!(&found(&pulled(&client, name).await), want, "{name}");
        }
    });
}

#[test]
fn a_cell_that_stops_being_python_loses_its_diagnostics() {
    run(async {
        let (mut client, mut notebook, _) = start().await;
        // The RH701 cell's language changed: the client closes and reopens its text document
        // with the new language, in a splice that keeps the cell.
        let at_frame = notebook.position("W4");
        let mut frame = notebook.cell("W4").clone();
        frame.language = "r".into();
        notebook.splice(&client, (at_frame, 1), vec![frame], &["W4"], &["W4"]);
        let mut expected = demo_expected();
        expected[4].1 = vec![];
        notebook.pushed(&mut client, &expected).await;
        assert_eq!(found(&pulled(&client, "W4").await), vec![]);

        // Back to Python: the finding is back.
        let mut frame = notebook.cell("W4").clone();
        frame.language = "python".into();
        notebook.splice(&client, (at_frame, 1), vec![frame], &["W4"], &["W4"]);
        expected[4].1 = vec![rh701()];
        notebook.pushed(&mut client, &expected).await;

        // The RH601 cell turned into markdown (a kind change in `data`): cleared.
        let mut debug = notebook.cell("W2").clone();
        debug.markdown = true;
        let data = vec![debug.lsp()];
        notebook.change(&client, cells_change(None, Some(data), None));
        expected[2].1 = vec![];
        notebook.pushed(&mut client, &expected).await;
    });
}

fn hover_params(name: &str, position: Position) -> HoverParams {
    HoverParams {
        text_document_position_params: TextDocumentPositionParams::new(
            TextDocumentIdentifier::new(cell_uri(name)),
            position,
        ),
        work_done_progress_params: WorkDoneProgressParams::default(),
    }
}

#[test]
fn hovers_and_inlay_hints_on_a_cell_speak_of_that_cell() {
    run(async {
        let mut client = Client::start();
        client
            .initialize(
                ClientCapabilities::default(),
                Some(json!({"inlayHints": true})),
            )
            .await;
        let mut notebook = Notebook::demo();
        notebook.open(&client);
        notebook.pushed(&mut client, &demo_expected()).await;
        // On `count` (cell W3, line 4): what it captures.
        let hover = client
            .request::<HoverRequest>(hover_params("W3", Position::new(3, 10)))
            .await
            .unwrap()
            .expect("a hover on `count`");
        let HoverContents::Markup(markup) = &hover.contents else {
            panic!("markdown, not {:?}", hover.contents);
        };
        assert!(markup.value.contains("rows"), "{}", markup.value);
        assert_eq!(
            hover.range,
            Some(Range::new(Position::new(3, 8), Position::new(3, 13)))
        );
        // Nothing on the blank line.
        let blank = client
            .request::<HoverRequest>(hover_params("W3", Position::new(2, 0)))
            .await
            .unwrap();
        assert_eq!(blank, None);

        let hints = client
            .request::<InlayHintRequest>(InlayHintParams {
                text_document: TextDocumentIdentifier::new(cell_uri("W3")),
                range: Range::new(Position::new(0, 0), Position::new(7, 0)),
                work_done_progress_params: WorkDoneProgressParams::default(),
            })
            .await
            .unwrap()
            .expect("hints");
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert_eq!(hints[0].position, Position::new(3, 15));
        let InlayHintLabel::LabelParts(parts) = &hints[0].label else {
            panic!("label parts");
        };
        let rows = parts.iter().find(|p| p.value == "rows").expect("`rows`");
        let binding = rows.location.as_ref().expect("linked to its binding");
        assert_eq!(binding.uri, cell_uri("W3"));
        assert_eq!(binding.range.start.line, 1);
        // Other cells get their own hints only: none in the imports.
        let none = client
            .request::<InlayHintRequest>(InlayHintParams {
                text_document: TextDocumentIdentifier::new(cell_uri("W0")),
                range: Range::new(Position::new(0, 0), Position::new(3, 0)),
                work_done_progress_params: WorkDoneProgressParams::default(),
            })
            .await
            .unwrap();
        assert!(none.is_some_and(|h| h.is_empty()));
    });
}

fn action_params(name: &str, range: Range, diagnostics: Vec<Diagnostic>) -> CodeActionParams {
    CodeActionParams {
        text_document: TextDocumentIdentifier::new(cell_uri(name)),
        range,
        context: CodeActionContext {
            diagnostics,
            only: None,
            trigger_kind: None,
        },
        work_done_progress_params: WorkDoneProgressParams::default(),
        partial_result_params: PartialResultParams::default(),
    }
}

fn actions(response: Option<CodeActionResponse>) -> Vec<CodeAction> {
    response
        .unwrap_or_default()
        .into_iter()
        .map(|a| match a {
            CodeActionOrCommand::CodeAction(action) => action,
            CodeActionOrCommand::Command(c) => panic!("an action, not {c:?}"),
        })
        .collect()
}

/// The one cell an action's edit changes, and its edits.
fn cell_edits(action: &CodeAction) -> (Uri, Vec<TextEdit>) {
    let changes = action.edit.as_ref().unwrap().changes.clone().unwrap();
    assert_eq!(changes.len(), 1, "{changes:?}");
    changes.into_iter().next().unwrap()
}

#[test]
fn quick_fixes_and_ignore_comments_edit_the_cell() {
    run(async {
        let (mut client, mut notebook, diagnostics) = start().await;
        let rh601 = diagnostics["W2"].clone();
        let offered = actions(
            client
                .request::<CodeActionRequest>(action_params("W2", rh601.range, vec![rh601.clone()]))
                .await
                .unwrap(),
        );
        let titles: Vec<&str> = offered.iter().map(|a| a.title.as_str()).collect();
        assert!(titles.contains(&"Ignore RH601 on this line"), "{titles:?}");
        assert!(
            offered.iter().all(|a| a.edit.is_some()),
            "edits come with the actions"
        );

        // The ignore comment goes at the end of the cell's last line (the cell has no newline
        // after it); applied, the finding is gone and stays gone.
        let ignore = offered
            .iter()
            .find(|a| a.title == "Ignore RH601 on this line")
            .unwrap();
        let (uri, edits) = cell_edits(ignore);
        assert_eq!(uri, cell_uri("W2"));
        let ignored = text::apply_edits(DEBUG, &edits, Encoding::Utf16);
        assert_eq!(ignored, format!("{DEBUG}  # refhound: ignore[RH601]"));
        notebook.edit(&client, "W2", edits[0].range, &edits[0].new_text);
        let mut expected = demo_expected();
        expected[2].1 = vec![];
        notebook.pushed(&mut client, &expected).await;
        assert_eq!(notebook.cell("W2").text, ignored);

        // The rule's own fix for the handler (unsafe: it says so) edits the handler's cell.
        let rh101 = diagnostics["W3"].clone();
        let offered = actions(
            client
                .request::<CodeActionRequest>(action_params("W3", rh101.range, vec![rh101.clone()]))
                .await
                .unwrap(),
        );
        let fixes: Vec<&CodeAction> = offered
            .iter()
            .filter(|a| !a.title.starts_with("Ignore"))
            .collect();
        assert!(!fixes.is_empty(), "{offered:?}");
        for fix in fixes {
            let (uri, edits) = cell_edits(fix);
            assert_eq!(uri, cell_uri("W3"));
            let fixed = text::apply_edits(HANDLER, &edits, Encoding::Utf16);
            assert_ne!(fixed, HANDLER);
        }
    });
}

#[test]
fn fix_all_applies_the_safe_fixes_across_cells_and_edits_only_those_cells() {
    run(async {
        let (mut client, mut notebook, _) = start().await;
        // A second safe fix in another cell.
        let leak = code("W5", "x = 1\ngc.set_debug(gc.DEBUG_LEAK)\ny = 2");
        notebook.splice(&client, (5, 0), vec![leak], &["W5"], &[]);
        let mut expected = demo_expected();
        expected.push(("W5", vec![at("RH601", (1, 0), (1, 27))]));
        notebook.pushed(&mut client, &expected).await;

        let mut params = action_params("W0", Range::default(), vec![]);
        params.context.only = Some(vec![CodeActionKind::new("notebook.source.fixAll")]);
        let offered = actions(client.request::<CodeActionRequest>(params).await.unwrap());
        assert_eq!(offered.len(), 1, "{offered:?}");
        let fix_all = &offered[0];
        assert_eq!(
            fix_all.kind.as_ref().map(|k| k.as_str()),
            Some("notebook.source.fixAll.refhound")
        );
        let changes = fix_all.edit.as_ref().unwrap().changes.clone().unwrap();
        let mut changed: Vec<&str> = changes
            .keys()
            .map(|u| u.fragment().unwrap().as_str())
            .collect();
        changed.sort();
        // Only the two RH601 cells: RH101's and RH701's fixes are unsafe.
        assert_eq!(changed, ["W2", "W5"]);
        for (uri, edits) in changes {
            let name = uri.fragment().unwrap().as_str().to_string();
            let cell = notebook.cell(&name).clone();
            let fixed = text::apply_edits(&cell.text, &edits, Encoding::Utf16);
            assert!(!fixed.contains("set_debug"), "{name}: {fixed:?}");
            // Applied as the client would: the findings are gone.
            let end = text::position(&cell.text, cell.text.len(), Encoding::Utf16);
            notebook.edit(&client, &name, Range::new(Position::default(), end), &fixed);
        }
        assert_eq!(notebook.cell("W5").text, "x = 1\ny = 2");
        expected[2].1 = vec![];
        expected[5].1 = vec![];
        notebook.pushed(&mut client, &expected).await;

        // Nothing safe left: no fix-all.
        let mut params = action_params("W0", Range::default(), vec![]);
        params.context.only = Some(vec![CodeActionKind::new("notebook.source.fixAll")]);
        let offered = actions(client.request::<CodeActionRequest>(params).await.unwrap());
        assert!(offered.is_empty(), "{offered:?}");
    });
}

#[test]
fn closing_clears_every_cell() {
    run(async {
        let (mut client, mut notebook, _) = start().await;
        client.notify::<DidCloseNotebookDocument>(DidCloseNotebookDocumentParams {
            notebook_document: NotebookDocumentIdentifier {
                uri: notebook.uri.clone(),
            },
            cell_text_documents: notebook
                .cells
                .iter()
                .map(|c| TextDocumentIdentifier::new(c.uri.clone()))
                .collect(),
        });
        let cleared: Vec<(&str, Vec<Found>)> = demo_expected()
            .into_iter()
            .map(|(n, _)| (n, vec![]))
            .collect();
        notebook.pushed(&mut client, &cleared).await;
        // The cells are gone: a pull on one is an error, as for any unknown document.
        let error = client
            .request::<DocumentDiagnosticRequest>(DocumentDiagnosticParams {
                text_document: TextDocumentIdentifier::new(cell_uri("W2")),
                identifier: None,
                previous_result_id: None,
                work_done_progress_params: WorkDoneProgressParams::default(),
                partial_result_params: PartialResultParams::default(),
            })
            .await
            .expect_err("the cell is not open");
        assert!(error.message.contains("not open"), "{}", error.message);
    });
}

#[test]
fn a_client_that_pulls_still_gets_cells_pushed_and_can_pull_them() {
    run(async {
        let mut client = Client::start();
        let pulling = ClientCapabilities {
            text_document: Some(TextDocumentClientCapabilities {
                diagnostic: Some(DiagnosticClientCapabilities::default()),
                ..TextDocumentClientCapabilities::default()
            }),
            ..ClientCapabilities::default()
        };
        client.initialize(pulling, None).await;
        // Clients do not pull for notebook cells (VS Code does not): the server pushes them.
        let mut notebook = Notebook::demo();
        notebook.open(&client);
        notebook.pushed(&mut client, &demo_expected()).await;
        // A pull on a cell agrees, and a second pull with its result id is "unchanged".
        let first = client
            .request::<DocumentDiagnosticRequest>(DocumentDiagnosticParams {
                text_document: TextDocumentIdentifier::new(cell_uri("W4")),
                identifier: None,
                previous_result_id: None,
                work_done_progress_params: WorkDoneProgressParams::default(),
                partial_result_params: PartialResultParams::default(),
            })
            .await
            .unwrap();
        let DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(full)) = first
        else {
            panic!("a full report, not {first:?}");
        };
        let report = full.full_document_diagnostic_report;
        assert_eq!(found(&report.items), vec![rh701()]);
        let again = client
            .request::<DocumentDiagnosticRequest>(DocumentDiagnosticParams {
                text_document: TextDocumentIdentifier::new(cell_uri("W4")),
                identifier: None,
                previous_result_id: report.result_id.clone(),
                work_done_progress_params: WorkDoneProgressParams::default(),
                partial_result_params: PartialResultParams::default(),
            })
            .await
            .unwrap();
        assert!(
            matches!(
                again,
                DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Unchanged(_))
            ),
            "{again:?}"
        );
    });
}
