//! Notebooks (LSP 3.17 `notebookDocumentSync`, notebook type `jupyter-notebook`, Python cells).
//!
//! An open notebook keeps its cells in order and each cell's text by URI. The text is kept by
//! URI, not by place: a moved cell arrives as a deletion and an insertion in one structure
//! change, with its text sent again in `didOpen` or not at all, and must not lose it. Its code
//! cells whose language is Python are joined into one module and analysed by
//! [`crate::analysis::notebook`], the one place that joins cells, masks IPython syntax and maps
//! findings and fixes to cells; this module only converts positions at cell URIs.
//!
//! Diagnostics are pushed to every cell of the notebook after each change (an empty list for a
//! cell without findings, and for a cell that left the notebook or stopped being Python), to
//! clients that pull too: clients do not pull for notebook cells. A pull on a cell URI is
//! answered as well. Hovers, code actions and inlay hints on a cell URI are computed in the
//! joined module and mapped back. `notebook.source.fixAll.refhound` applies the safe fixes of
//! every cell, as `refhound check --fix` does, and edits only the cells it changes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use ropey::Rope;
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tree_sitter::Tree;

use super::actions::{FIX_ALL, fix_all_wanted, kind_wanted};
use super::diagnostics::{DiagnosticData, FixData, diagnostic, lsp_range};
use super::document::{Change, Document, next_revision};
use super::position::{Encoding, offset_of, position_of};
use super::{MAX_ANALYSED_BYTES, State, blocking, show_problems, spawn_rounds, too_large};
use crate::analysis::capture_hints::capture_hints;
use crate::analysis::findings::{Edit, Finding};
use crate::analysis::fixes::Allowed;
use crate::analysis::notebook::{Notebook as Joined, fix_cells};
use crate::analysis::scope::ScopeTree;
use crate::analysis::settings::Settings;

/// The action that applies every safe fix of a notebook, across its cells.
pub const NOTEBOOK_FIX_ALL: CodeActionKind = CodeActionKind::new("notebook.source.fixAll.refhound");

/// The notebooks the server syncs: Jupyter's, their Python cells.
pub fn sync_options() -> OneOf<NotebookDocumentSyncOptions, NotebookDocumentSyncRegistrationOptions>
{
    OneOf::Left(NotebookDocumentSyncOptions {
        notebook_selector: vec![NotebookSelector::ByNotebook {
            notebook: Notebook::String("jupyter-notebook".to_string()),
            cells: Some(vec![NotebookCellSelector {
                language: "python".to_string(),
            }]),
        }],
        // Saving changes nothing the analysis reads: a notebook is no module others import.
        save: None,
    })
}

/// The open notebooks, by notebook URI.
#[derive(Default)]
pub struct Notebooks {
    open: DashMap<Uri, OpenNotebook>,
    /// Notebooks whose diagnostics a task is pushing (see [`super::spawn_rounds`]).
    publishing: Mutex<HashMap<Uri, bool>>,
}

struct OpenNotebook {
    /// The notebook's cells, in order.
    cells: Vec<Cell>,
    /// Each cell's text, by the cell's URI.
    texts: HashMap<Uri, CellText>,
    /// This state's number, never given before (see `document::next_revision`).
    revision: u64,
    analysis: Option<Arc<NotebookAnalysis>>,
    /// The cells that were last sent diagnostics: those that leave get an empty list.
    pushed: HashSet<Uri>,
    /// The last (revision, settings generation) whose diagnostics were pushed.
    published: Option<(u64, u64)>,
}

#[derive(Clone)]
struct Cell {
    uri: Uri,
    code: bool,
}

impl From<NotebookCell> for Cell {
    fn from(cell: NotebookCell) -> Cell {
        Cell {
            uri: cell.document,
            code: cell.kind == NotebookCellKind::CODE,
        }
    }
}

struct CellText {
    /// The cell's text and version (never parsed on its own: the notebook is parsed whole).
    document: Document,
    language: String,
}

impl From<TextDocumentItem> for CellText {
    fn from(item: TextDocumentItem) -> CellText {
        CellText {
            document: Document::new(&item.text, item.version),
            language: item.language_id,
        }
    }
}

/// One cell as analysed.
struct AnalysedCell {
    uri: Uri,
    text: Rope,
    version: i32,
    diagnostics: Vec<Diagnostic>,
}

/// The analysis of one state of a notebook.
struct NotebookAnalysis {
    revision: u64,
    generation: u64,
    /// Every cell of the notebook, in order; [`Joined`]'s cell indexes point into it.
    cells: Vec<AnalysedCell>,
    joined: Joined,
    tree: Tree,
    settings: Arc<Settings>,
    encoding: Encoding,
    /// Some finding has a safe fix that lies in one cell: fix-all has something to do.
    safe_fixes: bool,
    /// Why (part of) the notebook was not analysed.
    note: Option<String>,
}

impl OpenNotebook {
    fn new(notebook: NotebookDocument, texts: Vec<TextDocumentItem>) -> OpenNotebook {
        OpenNotebook {
            cells: notebook.cells.into_iter().map(Cell::from).collect(),
            texts: texts
                .into_iter()
                .map(|t| (t.uri.clone(), t.into()))
                .collect(),
            revision: next_revision(),
            analysis: None,
            pushed: HashSet::new(),
            published: None,
        }
    }

    /// Applies a `notebookDocument/didChange` in the order the protocol gives: the cell array,
    /// the cells' kinds, then their texts.
    fn apply(&mut self, change: NotebookDocumentChangeEvent, encoding: Encoding) {
        if let Some(cells) = change.cells {
            if let Some(structure) = cells.structure {
                let start = (structure.array.start as usize).min(self.cells.len());
                let end = (start + structure.array.delete_count as usize).min(self.cells.len());
                let inserted = structure.array.cells.unwrap_or_default();
                self.cells
                    .splice(start..end, inserted.into_iter().map(Cell::from));
                for opened in structure.did_open.unwrap_or_default() {
                    self.texts.insert(opened.uri.clone(), opened.into());
                }
                // A cell closed here but still in the array was moved (or changed language,
                // reopened above): its text stays.
                for closed in structure.did_close.unwrap_or_default() {
                    if !self.cells.iter().any(|c| c.uri == closed.uri) {
                        self.texts.remove(&closed.uri);
                    }
                }
            }
            for data in cells.data.unwrap_or_default() {
                if let Some(cell) = self.cells.iter_mut().find(|c| c.uri == data.document) {
                    *cell = data.into();
                }
            }
            for content in cells.text_content.unwrap_or_default() {
                let changes = content
                    .changes
                    .into_iter()
                    .map(|c| Change {
                        range: c.range,
                        text: c.text,
                    })
                    .collect();
                if let Some(cell) = self.texts.get_mut(&content.document.uri) {
                    cell.document
                        .apply_changes(changes, content.document.version, encoding);
                }
            }
        }
        self.revision = next_revision();
        self.analysis = None;
    }

    /// What the analysis needs, for a blocking thread.
    fn snapshot(&self) -> NotebookSnapshot {
        let cells = self
            .cells
            .iter()
            .map(|cell| {
                let text = self.texts.get(&cell.uri);
                SnapshotCell {
                    uri: cell.uri.clone(),
                    text: text.map(|t| t.document.text.clone()).unwrap_or_default(),
                    version: text.map_or(0, |t| t.document.version),
                    python: cell.code && text.is_some_and(|t| t.language == "python"),
                }
            })
            .collect();
        NotebookSnapshot {
            revision: self.revision,
            cells,
        }
    }
}

struct NotebookSnapshot {
    revision: u64,
    cells: Vec<SnapshotCell>,
}

struct SnapshotCell {
    uri: Uri,
    text: Rope,
    version: i32,
    python: bool,
}

/// The notebook holding the cell `uri`, if an open one does.
fn owner(state: &State, uri: &Uri) -> Option<Uri> {
    state
        .notebooks
        .open
        .iter()
        .find(|open| open.cells.iter().any(|c| &c.uri == uri))
        .map(|open| open.key().clone())
}

pub async fn did_open(client: &Client, state: &Arc<State>, params: DidOpenNotebookDocumentParams) {
    let uri = params.notebook_document.uri.clone();
    let open = OpenNotebook::new(params.notebook_document, params.cell_text_documents);
    state.notebooks.open.insert(uri.clone(), open);
    publish(client, state, uri);
}

pub async fn did_change(
    client: &Client,
    state: &Arc<State>,
    params: DidChangeNotebookDocumentParams,
) {
    let uri = params.notebook_document.uri;
    // The guard is dropped before the first `.await`.
    let applied = match state.notebooks.open.get_mut(&uri) {
        Some(mut open) => {
            open.apply(params.change, state.encoding());
            true
        }
        None => false,
    };
    if applied {
        publish(client, state, uri);
    } else {
        let message = format!(
            "didChange for a notebook that is not open: {}",
            uri.as_str()
        );
        client.log_message(MessageType::WARNING, message).await;
    }
}

/// Clears the diagnostics of every cell the notebook had, or was sent them.
pub async fn did_close(
    client: &Client,
    state: &Arc<State>,
    params: DidCloseNotebookDocumentParams,
) {
    let mut cells: Vec<Uri> = params
        .cell_text_documents
        .into_iter()
        .map(|c| c.uri)
        .collect();
    if let Some((_, open)) = state.notebooks.open.remove(&params.notebook_document.uri) {
        cells.extend(open.cells.into_iter().map(|c| c.uri));
        cells.extend(open.pushed);
    }
    let mut seen = HashSet::new();
    for cell in cells {
        if seen.insert(cell.clone()) {
            client.publish_diagnostics(cell, Vec::new(), None).await;
        }
    }
}

/// Pushes every open notebook's diagnostics again (the settings changed).
pub fn publish_all(client: &Client, state: &Arc<State>) {
    let open: Vec<Uri> = state
        .notebooks
        .open
        .iter()
        .map(|n| n.key().clone())
        .collect();
    for uri in open {
        publish(client, state, uri);
    }
}

/// Pushes the notebook's newest diagnostics, off the handler, one task per notebook at a time.
fn publish(client: &Client, state: &Arc<State>, notebook: Uri) {
    let client = client.clone();
    spawn_rounds(
        state,
        |state| &state.notebooks.publishing,
        notebook,
        move |state, notebook| {
            let client = client.clone();
            async move { publish_newest(&client, &state, &notebook).await }
        },
    );
}

async fn publish_newest(client: &Client, state: &Arc<State>, notebook: &Uri) {
    let analysis = match analysis(state, notebook).await {
        Ok((analysis, problems)) => {
            show_problems(client, problems).await;
            analysis
        }
        Err(error) => {
            client.log_message(MessageType::ERROR, error.message).await;
            None
        }
    };
    let Some(analysis) = analysis else {
        return;
    };
    if let Some(note) = &analysis.note {
        let message = format!("{}: {note}", notebook.as_str());
        client.log_message(MessageType::INFO, message).await;
    }
    let now: HashSet<Uri> = analysis.cells.iter().map(|c| c.uri.clone()).collect();
    let gone: Vec<Uri> = match state.notebooks.open.get_mut(notebook) {
        Some(mut open) => {
            let key = (analysis.revision, analysis.generation);
            if open.revision != analysis.revision || open.published.is_some_and(|p| p >= key) {
                return;
            }
            open.published = Some(key);
            let gone = open.pushed.difference(&now).cloned().collect();
            open.pushed = now;
            gone
        }
        None => return,
    };
    for cell in gone {
        client.publish_diagnostics(cell, Vec::new(), None).await;
    }
    for cell in &analysis.cells {
        // A change or a close that came meanwhile makes these stale: its own round follows.
        let current = state
            .notebooks
            .open
            .get(notebook)
            .is_some_and(|open| open.revision == analysis.revision);
        if !current {
            return;
        }
        client
            .publish_diagnostics(
                cell.uri.clone(),
                cell.diagnostics.clone(),
                Some(cell.version),
            )
            .await;
    }
}

/// The analysis of the notebook's current state: the one kept, or one computed on a blocking
/// thread. `None` when the notebook is not open or moved on meanwhile. Problems of
/// configuration files read on the way come with it.
async fn analysis(
    state: &Arc<State>,
    notebook: &Uri,
) -> Result<(Option<Arc<NotebookAnalysis>>, Vec<String>)> {
    let generation = state.settings.generation();
    let snapshot = match state.notebooks.open.get(notebook) {
        None => return Ok((None, Vec::new())),
        Some(open) => match &open.analysis {
            Some(analysis) if analysis.generation == generation => {
                return Ok((Some(Arc::clone(analysis)), Vec::new()));
            }
            _ => open.snapshot(),
        },
    };
    let permit = Arc::clone(&state.analysing.0).acquire_owned().await;
    let (state, notebook) = (Arc::clone(state), notebook.clone());
    blocking(move || {
        let _permit = permit;
        let revision = snapshot.revision;
        let current = |state: &State| {
            state
                .notebooks
                .open
                .get(&notebook)
                .is_some_and(|open| open.revision == revision)
        };
        if !current(&state) {
            return (None, Vec::new());
        }
        let path = notebook.to_file_path();
        let (settings, mut problems) = state.settings.for_path(path.as_deref());
        let drop_baselined = |text: &str, tree: &Tree, findings: &mut Vec<Finding>| {
            if let Some(path) = &path {
                let dropped =
                    super::baseline::drop_baselined(&state, path, text, || tree.clone(), findings);
                problems.extend(dropped);
            }
        };
        let analysis = Arc::new(analyse(
            snapshot,
            &notebook,
            settings,
            generation,
            state.encoding(),
            drop_baselined,
        ));
        if let Some(mut open) = state.notebooks.open.get_mut(&notebook)
            && open.revision == analysis.revision
        {
            open.analysis = Some(Arc::clone(&analysis));
        }
        (current(&state).then_some(analysis), problems)
    })
    .await
}

/// Joins the Python cells, analyses them and gives each cell its diagnostics, leaving out the
/// findings `drop_baselined` drops (those of the project's baseline).
fn analyse(
    snapshot: NotebookSnapshot,
    notebook: &Uri,
    settings: Arc<Settings>,
    generation: u64,
    encoding: Encoding,
    drop_baselined: impl FnOnce(&str, &Tree, &mut Vec<Finding>),
) -> NotebookAnalysis {
    let texts: Vec<(usize, String)> = snapshot
        .cells
        .iter()
        .enumerate()
        .filter(|(_, cell)| cell.python)
        .map(|(index, cell)| (index, cell.text.to_string()))
        .collect();
    let joined = Joined::new(texts.iter().map(|(index, text)| (*index, text.as_str())));
    let mut cells: Vec<AnalysedCell> = snapshot
        .cells
        .into_iter()
        .map(|cell| AnalysedCell {
            uri: cell.uri,
            text: cell.text,
            version: cell.version,
            diagnostics: Vec::new(),
        })
        .collect();
    let (tree, findings, note) = if joined.text.len() > MAX_ANALYSED_BYTES {
        let tree = crate::analysis::parse::parse("");
        (
            tree,
            Vec::new(),
            Some(too_large(notebook, joined.text.len())),
        )
    } else {
        let mut checked = joined.check(&settings);
        drop_baselined(&joined.text, &checked.tree, &mut checked.findings);
        (checked.tree, checked.findings, checked.note)
    };
    let mut safe_fixes = false;
    for finding in &findings {
        let Some((cell, diagnostic)) =
            cell_diagnostic(&joined, &cells, finding, &settings, encoding)
        else {
            continue;
        };
        safe_fixes |= Allowed::Safe
            .fix_for(finding)
            .is_some_and(|fix| joined.cell_of_edits(&fix.edits).is_some());
        cells[cell].diagnostics.push(diagnostic);
    }
    NotebookAnalysis {
        revision: snapshot.revision,
        generation,
        cells,
        joined,
        tree,
        settings,
        encoding,
        safe_fixes,
        note,
    }
}

/// A finding of the joined module as a diagnostic of its cell (the cell's index among
/// `cells`): related locations in whichever cell they are, each fix whose edits lie in one cell
/// as edits of that cell (`FixData::cell`).
fn cell_diagnostic(
    joined: &Joined,
    cells: &[AnalysedCell],
    finding: &Finding,
    settings: &Settings,
    encoding: Encoding,
) -> Option<(usize, Diagnostic)> {
    let (span, start) = joined.locate(finding.range.start)?;
    let cell = &cells[span.index];
    let end = finding.range.end.min(span.range.end) - span.range.start;
    let local = Finding {
        range: start..end.max(start),
        related: Vec::new(),
        fixes: Vec::new(),
        ..finding.clone()
    };
    let mut diagnostic = diagnostic(&local, &cell.text, settings, encoding, &cell.uri);
    let related: Vec<DiagnosticRelatedInformation> = finding
        .related
        .iter()
        .filter_map(|related| {
            let (index, range) = cell_range(joined, cells, &related.range, encoding)?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(cells[index].uri.clone(), range),
                message: related.message.clone(),
            })
        })
        .collect();
    diagnostic.related_information = (!related.is_empty()).then_some(related);
    let fixes: Vec<FixData> = finding
        .fixes
        .iter()
        .filter_map(|fix| {
            let position = joined.cell_of_edits(&fix.edits)?;
            let target = &cells[joined.cells[position].index];
            let edits = fix
                .edits
                .iter()
                .filter_map(|edit| joined.cell_edit(edit))
                .map(|(_, edit)| TextEdit {
                    range: lsp_range(&target.text, &edit.range, encoding),
                    new_text: edit.text,
                })
                .collect();
            Some(FixData {
                title: fix.title.clone(),
                safe: fix.safety == crate::analysis::findings::Safety::Safe,
                edits,
                cell: Some(target.uri.clone()),
            })
        })
        .collect();
    diagnostic.data = (!fixes.is_empty())
        .then(|| serde_json::to_value(DiagnosticData { fixes }).ok())
        .flatten();
    Some((span.index, diagnostic))
}

/// A byte range of the joined text as a range of the cell holding its start (cut at the
/// cell's end), with that cell's index among `cells`.
fn cell_range(
    joined: &Joined,
    cells: &[AnalysedCell],
    range: &std::ops::Range<usize>,
    encoding: Encoding,
) -> Option<(usize, Range)> {
    let (span, start) = joined.locate(range.start)?;
    let end = range.end.min(span.range.end).max(range.start) - span.range.start;
    Some((
        span.index,
        lsp_range(&cells[span.index].text, &(start..end), encoding),
    ))
}

impl NotebookAnalysis {
    /// The cell `uri`'s index among the cells, and its place among the joined cells.
    fn cell(&self, uri: &Uri) -> Option<(usize, usize)> {
        let index = self.cells.iter().position(|c| &c.uri == uri)?;
        let place = self.joined.cells.iter().position(|c| c.index == index)?;
        Some((index, place))
    }

    /// The offset in the joined text of `position` in the cell `uri`.
    fn offset(&self, uri: &Uri, position: Position) -> Option<usize> {
        let (index, place) = self.cell(uri)?;
        let offset = offset_of(&self.cells[index].text, position, self.encoding);
        self.joined.offset(place, offset)
    }
}

/// The notebook holding the cell `uri` and its current analysis; `None` when no open notebook
/// holds the cell (it is then a document of its own), an error when the notebook moved on before
/// its analysis finished.
async fn cell_analysis(
    client: &Client,
    state: &Arc<State>,
    uri: &Uri,
) -> Option<Result<Arc<NotebookAnalysis>>> {
    let notebook = owner(state, uri)?;
    Some(match analysis(state, &notebook).await {
        Ok((analysis, problems)) => {
            show_problems(client, problems).await;
            analysis.ok_or_else(super::content_modified)
        }
        Err(error) => Err(error),
    })
}

/// `textDocument/diagnostic` on a cell: its diagnostics in the notebook's current state.
pub async fn pulled(
    client: &Client,
    state: &Arc<State>,
    params: &DocumentDiagnosticParams,
) -> Option<Result<DocumentDiagnosticReportResult>> {
    let uri = &params.text_document.uri;
    let analysis = match cell_analysis(client, state, uri).await? {
        Ok(analysis) => analysis,
        Err(error) => return Some(Err(error)),
    };
    let index = analysis.cells.iter().position(|c| &c.uri == uri)?;
    let result_id = format!("{}:{}", analysis.generation, analysis.revision);
    Some(Ok(super::diagnostic_report(
        result_id,
        params.previous_result_id.as_deref(),
        analysis.cells[index].diagnostics.clone(),
    )))
}

/// `textDocument/hover` on a cell.
pub async fn hover(
    client: &Client,
    state: &Arc<State>,
    params: &HoverParams,
) -> Option<Result<Option<Hover>>> {
    let position = &params.text_document_position_params;
    let uri = position.text_document.uri.clone();
    let analysis = match cell_analysis(client, state, &uri).await? {
        Ok(analysis) => analysis,
        Err(error) => return Some(Err(error)),
    };
    let at = position.position;
    Some(
        blocking(move || {
            let offset = analysis.offset(&uri, at)?;
            let (text, tree) = (&analysis.joined.text, &analysis.tree);
            let scopes = ScopeTree::new(text, tree, analysis.settings.target_version);
            let hover = crate::analysis::hover::hover(text, tree, &scopes, offset)?;
            let range = cell_range(
                &analysis.joined,
                &analysis.cells,
                &hover.range,
                analysis.encoding,
            )
            .map(|(_, range)| range);
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: hover.markdown,
                }),
                range,
            })
        })
        .await,
    )
}

/// `textDocument/inlayHint` on a cell (setting `inlay-hints`): what each closure of the cell
/// captures, each name linked to its binding in whichever cell it is.
pub async fn inlay_hints(
    client: &Client,
    state: &Arc<State>,
    params: &InlayHintParams,
) -> Option<Result<Option<Vec<InlayHint>>>> {
    let uri = params.text_document.uri.clone();
    let analysis = match cell_analysis(client, state, &uri).await? {
        Ok(analysis) => analysis,
        Err(error) => return Some(Err(error)),
    };
    let range = params.range;
    Some(
        blocking(move || {
            let Some((index, place)) = analysis.cell(&uri) else {
                return Some(Vec::new());
            };
            if !analysis.settings.inlay_hints {
                return Some(Vec::new());
            }
            let text = &analysis.cells[index].text;
            let span = analysis.joined.cells[place].range.clone();
            let within = span.start + offset_of(text, range.start, analysis.encoding)
                ..span.start + offset_of(text, range.end, analysis.encoding);
            let (joined, tree) = (&analysis.joined.text, &analysis.tree);
            let scopes = ScopeTree::new(joined, tree, analysis.settings.target_version);
            let hints = capture_hints(joined, tree, &scopes, within)
                .into_iter()
                .filter(|hint| span.contains(&hint.offset) || hint.offset == span.end)
                .map(|hint| {
                    let mut label = vec![super::inlay_hints::part("captures(")];
                    for (i, capture) in hint.captures.into_iter().enumerate() {
                        if i > 0 {
                            label.push(super::inlay_hints::part(", "));
                        }
                        let location = capture.binding.and_then(|binding| {
                            cell_range(
                                &analysis.joined,
                                &analysis.cells,
                                &binding,
                                analysis.encoding,
                            )
                            .map(|(cell, range)| {
                                Location::new(analysis.cells[cell].uri.clone(), range)
                            })
                        });
                        label.push(InlayHintLabelPart {
                            value: capture.name,
                            tooltip: Some(InlayHintLabelPartTooltip::String(capture.description)),
                            location,
                            command: None,
                        });
                    }
                    label.push(super::inlay_hints::part(")"));
                    let position = position_of(text, hint.offset - span.start, analysis.encoding);
                    super::inlay_hints::hint(position, label, &hint.closure)
                })
                .collect();
            Some(hints)
        })
        .await
        .map(|hints| hints.or(Some(Vec::new()))),
    )
}

/// `textDocument/codeAction` on a cell: the rules' fixes (edits of the cell they lie in),
/// "Ignore RHxxx on this line", and the notebook's fix-all.
pub async fn code_actions(
    client: &Client,
    state: &Arc<State>,
    params: &CodeActionParams,
) -> Option<Result<Option<CodeActionResponse>>> {
    let uri = params.text_document.uri.clone();
    owner(state, &uri)?;
    let only = params.context.only.as_deref();
    let ours: Vec<(&Diagnostic, &String)> = if kind_wanted(only, &CodeActionKind::QUICKFIX) {
        super::actions::ours(&params.context.diagnostics).collect()
    } else {
        Vec::new()
    };
    // Fix-all under the notebook's kind; under the file's too when a client names it for a cell.
    let fix_all_kinds: Vec<CodeActionKind> = if fix_all_wanted(&params.context) {
        [NOTEBOOK_FIX_ALL, FIX_ALL]
            .into_iter()
            .filter(|kind| match only {
                None => *kind == NOTEBOOK_FIX_ALL,
                Some(_) => kind_wanted(only, kind),
            })
            .collect()
    } else {
        Vec::new()
    };
    if ours.is_empty() && fix_all_kinds.is_empty() {
        return Some(Ok(Some(Vec::new())));
    }
    let analysis = match cell_analysis(client, state, &uri).await? {
        Ok(analysis) => analysis,
        Err(error) => return Some(Err(error)),
    };
    let mut actions = Vec::new();
    let action = |title: String, kind: CodeActionKind, diagnostic: Option<&Diagnostic>, edit| {
        CodeActionOrCommand::CodeAction(CodeAction {
            title,
            kind: Some(kind),
            diagnostics: diagnostic.map(|d| vec![d.clone()]),
            edit: Some(edit),
            ..CodeAction::default()
        })
    };
    for (diagnostic, code) in ours {
        for (index, fix) in DiagnosticData::of(diagnostic).fixes.into_iter().enumerate() {
            let target = fix.cell.clone().unwrap_or_else(|| uri.clone());
            let mut quick_fix = action(
                fix.title,
                CodeActionKind::QUICKFIX,
                Some(diagnostic),
                workspace_edit(HashMap::from([(target, fix.edits)])),
            );
            if let CodeActionOrCommand::CodeAction(quick_fix) = &mut quick_fix {
                quick_fix.is_preferred = (index == 0 && fix.safe).then_some(true);
            }
            actions.push(quick_fix);
        }
        if let Some((target, edit)) = ignore_edit(&analysis, &uri, diagnostic, code) {
            actions.push(action(
                format!("Ignore {code} on this line"),
                CodeActionKind::QUICKFIX,
                Some(diagnostic),
                workspace_edit(HashMap::from([(target, vec![edit])])),
            ));
        }
    }
    if !fix_all_kinds.is_empty() && analysis.safe_fixes {
        let worker = Arc::clone(&analysis);
        let edits = match blocking(move || fix_all(&worker)).await {
            Ok(edits) => edits,
            Err(error) => return Some(Err(error)),
        };
        if !edits.is_empty() {
            for kind in fix_all_kinds {
                actions.push(action(
                    "Fix all safe refhound findings in the notebook".to_string(),
                    kind,
                    None,
                    workspace_edit(edits.clone()),
                ));
            }
        }
    }
    Some(Ok(Some(actions)))
}

/// The suppression comment for `code` on the line where the diagnostic (of the cell `uri`)
/// starts, as an edit of that cell.
fn ignore_edit(
    analysis: &NotebookAnalysis,
    uri: &Uri,
    diagnostic: &Diagnostic,
    code: &str,
) -> Option<(Uri, TextEdit)> {
    let offset = analysis.offset(uri, diagnostic.range.start)?;
    let (range, text) =
        crate::analysis::suppression::ignore_edit(&analysis.joined.original, offset, code)?;
    let (place, edit) = analysis.joined.cell_edit(&Edit { range, text })?;
    let cell = &analysis.cells[analysis.joined.cells[place].index];
    let edit = TextEdit {
        range: lsp_range(&cell.text, &edit.range, analysis.encoding),
        new_text: edit.text,
    };
    Some((cell.uri.clone(), edit))
}

/// Every safe fix of the notebook, applied as `refhound check --fix` applies them (in rounds,
/// each fix to the cell it lies in): for each cell that changes, one edit that replaces the
/// part of its text that differs.
fn fix_all(analysis: &NotebookAnalysis) -> HashMap<Uri, Vec<TextEdit>> {
    let cells: Vec<(usize, String)> = analysis
        .joined
        .cells
        .iter()
        .map(|span| (span.index, analysis.cells[span.index].text.to_string()))
        .collect();
    let fixed = fix_cells(cells.clone(), &analysis.settings, Allowed::Safe);
    let mut edits = HashMap::new();
    for ((index, old), (_, new)) in cells.iter().zip(&fixed.cells) {
        if old != new {
            let cell = &analysis.cells[*index];
            edits.insert(
                cell.uri.clone(),
                vec![replacement(old, new, &cell.text, analysis.encoding)],
            );
        }
    }
    edits
}

/// One edit that turns `old` (held by `rope`) into `new`: the part between their common start
/// and their common end.
fn replacement(old: &str, new: &str, rope: &Rope, encoding: Encoding) -> TextEdit {
    let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
    let mut prefix = old_bytes
        .iter()
        .zip(new_bytes)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let most = old.len().min(new.len()) - prefix;
    let mut suffix = old_bytes
        .iter()
        .rev()
        .zip(new_bytes.iter().rev())
        .take(most)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    TextEdit {
        range: lsp_range(rope, &(prefix..old.len() - suffix), encoding),
        new_text: new[prefix..new.len() - suffix].to_string(),
    }
}

fn workspace_edit(changes: HashMap<Uri, Vec<TextEdit>>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_covers_only_what_differs() {
        let old = "import gc\ngc.set_debug(gc.DEBUG_LEAK)\nx = 1\n";
        let new = "import gc\nx = 1\n";
        let edit = replacement(old, new, &Rope::from_str(old), Encoding::Utf16);
        assert_eq!(
            edit.range,
            Range::new(Position::new(1, 0), Position::new(2, 0))
        );
        assert_eq!(edit.new_text, "");
        let (old, new) = ("a = 'é'\n", "a = 'è'\n");
        let edit = replacement(old, new, &Rope::from_str(old), Encoding::Utf16);
        assert_eq!(
            edit.range,
            Range::new(Position::new(0, 5), Position::new(0, 6))
        );
        assert_eq!(edit.new_text, "è");
    }
}
