//! The language server (`refhound server`): tower-lsp glue over the analysis. Only this module
//! knows LSP types; it converts at its edge.
//!
//! - `document`: an open document (rope, tree, version) and its snapshots;
//! - `position`: LSP positions ⇄ byte offsets, in the negotiated encoding;
//! - `diagnostics`: findings as diagnostics, fixes in `Diagnostic.data`;
//! - `actions`: code actions (ignore comment, the rules' fixes, fix-all);
//! - `inlay_hints`: what each closure captures, after its parameters (setting `inlay-hints`);
//! - `notebook`: Jupyter notebooks (`notebookDocumentSync`): their cells joined into one module,
//!   diagnostics, hovers, actions and hints per cell URI;
//! - `settings`: defaults ← configuration file ← editor settings;
//! - `workspace`: the background scan of the workspace's files, and what its modules use of
//!   each other;
//! - `panic`: a panicking request answers with an error instead of ending the server;
//! - `transport`: the wire under tower-lsp-server: bad frames answered, the rest passed on.
//!
//! Ordering: tower-lsp may run several handlers at once, notifications included. So every
//! notification changes the document store before its first `.await`, no `DashMap` guard or lock
//! lives across an `.await`, and parsing and analysis run on `spawn_blocking` over a snapshot
//! whose version travels with the results: results for a version the document has left are
//! dropped.

mod actions;
mod baseline;
mod diagnostics;
mod document;
mod inlay_hints;
mod notebook;
mod panic;
mod position;
mod settings;
mod transport;
mod workspace;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, ClientSocket, LanguageServer, LspService, Server};
use tree_sitter::Tree;

use crate::analysis::Cache;
use crate::analysis::scope::ScopeTree;
use crate::analysis::settings::Settings;
use crate::project::ProjectUses;
use crate::project::releases::WorkspaceReleases;
use diagnostics::Analysis;
use document::{Change, Document, Snapshot};
use position::{Encoding, offset_of, position_of};
use settings::SettingsStore;

/// The server: a client handle and the state its tasks share.
pub struct Backend {
    client: Client,
    state: Arc<State>,
}

/// Everything the handlers and the background tasks share.
#[derive(Default)]
struct State {
    documents: DashMap<Uri, Document>,
    /// Open notebooks, each with its cells.
    notebooks: notebook::Notebooks,
    /// The findings of workspace files on disk, from the scan and watched-file changes.
    disk: DashMap<Uri, Arc<Analysis>>,
    settings: SettingsStore,
    /// Set at `initialize`.
    client: OnceLock<ClientSupport>,
    /// The workspace folders, as paths.
    roots: Mutex<Vec<PathBuf>>,
    /// Problems found before the client may be told (settings in `initializationOptions`).
    early_problems: Mutex<Vec<String>>,
    workspace: workspace::Scans,
    /// What the workspace's modules use of each other, by file: from the scan, the files
    /// analysed on disk and the documents saved.
    uses: RwLock<ProjectUses>,
    /// Where the workspace's modules let go of the attributes findings ask about (see
    /// `project::releases`).
    releases: Mutex<WorkspaceReleases>,
    /// `shutdown` was received: `exit` then ends the process with status 0, else 1.
    shut_down: AtomicBool,
    /// Documents whose diagnostics a task is pushing, each with whether a newer version
    /// arrived meanwhile (see [`Backend::publish`]).
    publishing: Mutex<std::collections::HashMap<Uri, bool>>,
    /// Analyses of open documents running at once: no more than the cores can run, so that
    /// two hundred documents opened together do not start two hundred blocking threads.
    analysing: Analysing,
}

/// Documents larger than this are not parsed or analysed (a log line says so): generated
/// modules of that size are not where leaks are fixed, and one would hold a blocking thread for
/// seconds and a gigabyte of trees on every keystroke.
const MAX_ANALYSED_BYTES: usize = 5 * 1024 * 1024;

/// How many open documents keep their syntax tree (and, for those being edited, the analysis
/// cache): the ones used last (opened, edited, asked about). A tree costs many times its text:
/// two hundred open standard-library modules (3.2 MB) held 51 MB of trees (`bench/lsp.sh` part
/// (b)), for documents nobody looks at; a handful covers the files a user moves
/// between while editing (the one typed in, its split, the ones hovered), and a document beyond
/// them is parsed again when it is next asked about (`refhound parse`: about 10 ms for a module
/// of 2,000 lines, 60 ms for 8,500), and keeps its text and last findings meanwhile.
const TREES_KEPT: usize = 8;

/// How long after a document's first analysis [`State::prepare_for_edits`] starts: long enough
/// for its diagnostics to be converted and sent without that work beside them, shorter than a
/// person takes to start typing in a file just opened.
const PREPARE_AFTER_OPEN: Duration = Duration::from_millis(50);

/// What a document's analysis parsed: its whole text, or (opened, large, nothing analysed it
/// yet) its two halves at once ([`crate::analysis::parse::parse_in_halves`]).
enum Trees {
    Whole(Tree),
    Halves([Tree; 2]),
}

/// See [`State::analysing`]: the permits, and how many there are.
struct Analysing(Arc<tokio::sync::Semaphore>, usize);

impl Default for Analysing {
    fn default() -> Analysing {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Analysing(
            Arc::new(tokio::sync::Semaphore::new(cores.max(2))),
            cores.max(2),
        )
    }
}

impl Analysing {
    /// Whether an analysis of an open document is running (or preparing for its edits): the
    /// workspace scan lets it have the cores.
    fn busy(&self) -> bool {
        self.0.available_permits() < self.1
    }
}

/// What the client said it supports, as far as the server's behaviour depends on it.
#[derive(Debug, Default, Clone, Copy)]
struct ClientSupport {
    /// The position encoding negotiated (UTF-16 until `initialize`).
    encoding: Encoding,
    /// `textDocument/diagnostic`: the client pulls, so the server does not push.
    pull_diagnostics: bool,
    /// `workspace/diagnostic/refresh`.
    diagnostic_refresh: bool,
    /// `window/workDoneProgress/create`.
    progress: bool,
    /// `workspace/configuration`.
    configuration: bool,
    /// Dynamic registration of `workspace/didChangeWatchedFiles`.
    watch_files: bool,
    /// `codeAction/resolve` for an action's `edit`: actions are sent without their edits, which
    /// are computed for the one the user picks.
    resolve_edits: bool,
    /// `workspace/inlayHint/refresh`: asked after the settings change (`inlay-hints` among them).
    inlay_hint_refresh: bool,
}

impl ClientSupport {
    fn of(capabilities: &ClientCapabilities) -> ClientSupport {
        let workspace = capabilities.workspace.as_ref();
        let offered = capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref());
        ClientSupport {
            encoding: Encoding::negotiate(offered),
            pull_diagnostics: capabilities
                .text_document
                .as_ref()
                .is_some_and(|t| t.diagnostic.is_some()),
            diagnostic_refresh: workspace
                .and_then(|w| w.diagnostics.as_ref())
                .and_then(|d| d.refresh_support)
                .unwrap_or(false),
            progress: capabilities
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
            watch_files: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false),
            resolve_edits: capabilities
                .text_document
                .as_ref()
                .and_then(|t| t.code_action.as_ref())
                .and_then(|c| c.resolve_support.as_ref())
                .is_some_and(|r| r.properties.iter().any(|p| p == "edit")),
            inlay_hint_refresh: workspace
                .and_then(|w| w.inlay_hint.as_ref())
                .and_then(|i| i.refresh_support)
                .unwrap_or(false),
        }
    }
}

impl State {
    fn encoding(&self) -> Encoding {
        self.support().encoding
    }

    fn support(&self) -> ClientSupport {
        self.client.get().copied().unwrap_or_default()
    }

    /// The document `uri` was used at `snapshot` and `tree` is that snapshot's tree: the
    /// document keeps it, if it has none (its own may have been dropped meanwhile) and has not
    /// moved on, and only the [`TREES_KEPT`] documents used last keep theirs. No document guard
    /// may be held here.
    fn keep_tree(&self, uri: &Uri, snapshot: &Snapshot, tree: Tree) {
        if let Some(mut document) = self.documents.get_mut(uri) {
            document.touch();
            document.store_tree(snapshot.revision, tree);
        }
        self.keep_recent_trees();
    }

    /// Takes the trees and analysis caches of the documents used least recently, so that no more
    /// than [`TREES_KEPT`] documents hold one. No document guard may be held here.
    fn keep_recent_trees(&self) {
        if self.documents.iter().filter(|d| d.holds_tree()).count() <= TREES_KEPT {
            return;
        }
        let mut holding: Vec<(u64, Uri)> = self
            .documents
            .iter()
            .filter(|d| d.holds_tree())
            .map(|d| (d.touched(), d.key().clone()))
            .collect();
        holding.sort_unstable_by_key(|&(touched, _)| std::cmp::Reverse(touched));
        for (touched, uri) in holding.into_iter().skip(TREES_KEPT) {
            // Used again since it was listed: it stays.
            let dropped = match self.documents.get_mut(&uri) {
                Some(mut document) if document.touched() == touched => Some(document.drop_tree()),
                _ => None,
            };
            drop(dropped);
        }
    }

    /// The analysis of the document's current version: the one kept with the document, or one
    /// computed on a blocking thread. `None` when the document is not open, or moved on before
    /// the analysis finished. Problems of configuration files read on the way come with it.
    async fn analysis(self: &Arc<Self>, uri: &Uri) -> Result<(Option<Arc<Analysis>>, Vec<String>)> {
        let generation = self.settings.generation();
        let snapshot = match self.documents.get(uri) {
            None => return Ok((None, Vec::new())),
            Some(document) => match &document.analysis {
                Some(analysis) if analysis.generation == generation => {
                    return Ok((Some(Arc::clone(analysis)), Vec::new()));
                }
                _ => document.snapshot(),
            },
        };
        let snapshot_revision = snapshot.revision;
        let permit = Arc::clone(&self.analysing.0).acquire_owned().await;
        let state = Arc::clone(self);
        let uri = uri.clone();
        let (analysis, problems, opened) = blocking(move || {
            let _permit = permit;
            let current = |state: &State| {
                state
                    .documents
                    .get(&uri)
                    .is_some_and(|d| d.revision == snapshot.revision)
            };
            // A fast typist leaves versions behind before their turn comes: skip those.
            if !current(&state) {
                return (None, Vec::new(), None);
            }
            let parsed = if snapshot.text.len_bytes() > MAX_ANALYSED_BYTES {
                Err(too_large(&uri, snapshot.text.len_bytes()))
            } else {
                let text = snapshot.text.to_string();
                // A large document opened before any analysis saw it: its halves are parsed at
                // once (the parse is most of the wait); the whole tree its edits need is parsed
                // after the diagnostics are out (`prepare_for_edits`).
                let halves = (snapshot.cache.is_none() && snapshot.is_unparsed())
                    .then(|| crate::analysis::parse::parse_in_halves(&text))
                    .flatten();
                match halves {
                    Some(halves) => Ok((text, Trees::Halves(halves))),
                    None => match snapshot.tree_or_refusal(&text) {
                        Ok(tree) => Ok((text, Trees::Whole(tree))),
                        Err(refusal) => {
                            Err(format!("{} was not analysed: {refusal}", uri.as_str()))
                        }
                    },
                }
            };
            let (text, trees) = match parsed {
                Ok(parsed) => parsed,
                Err(skipped) => {
                    let skipped = Analysis {
                        version: snapshot.version,
                        revision: snapshot.revision,
                        generation,
                        diagnostics: Vec::new(),
                        fix_all: Vec::new(),
                        fixable: Vec::new(),
                        skipped: Some(skipped),
                        source: None,
                    };
                    return (Some(Arc::new(skipped)), Vec::new(), None);
                }
            };
            let path = uri.to_file_path();
            let (settings, mut problems) = state.settings.for_path(path.as_deref());
            // Someone waits for this one file: two threads, and for a document being edited, only
            // what changed is redone.
            let mut findings = match (&trees, &snapshot.cache) {
                (Trees::Whole(tree), Some(cache)) => {
                    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
                    crate::analysis::check_edited(&text, tree, &settings, &mut cache)
                }
                (Trees::Whole(tree), None) => crate::analysis::check_opened(&text, tree, &settings),
                (Trees::Halves(halves), _) => {
                    crate::analysis::check_parts(&text, halves, &settings)
                }
            };
            if let Some(path) = &path {
                workspace::settle_releases(&state, path, &mut findings, settings.strict);
                let whole_tree = || match &trees {
                    Trees::Whole(tree) => tree.clone(),
                    Trees::Halves(_) => crate::analysis::parse::parse(&text),
                };
                problems.extend(baseline::drop_baselined(
                    &state,
                    path,
                    &text,
                    whole_tree,
                    &mut findings,
                ));
            }
            let analysis = Arc::new(Analysis::new(
                &findings,
                &snapshot.text,
                (snapshot.version, snapshot.revision),
                generation,
                &settings,
                state.encoding(),
                &uri,
            ));
            if let Some(mut document) = state.documents.get_mut(&uri)
                && document.revision == snapshot.revision
            {
                document.analysis = Some(Arc::clone(&analysis));
            }
            match trees {
                Trees::Whole(tree) => state.keep_tree(&uri, &snapshot, tree),
                // Freed beside, not before the diagnostics go out: 6 ms for the standard
                // library's largest file, in a fresh server.
                Trees::Halves(halves) => crate::analysis::drop_beside(halves),
            }
            let still = current(&state);
            let opened = (still && snapshot.cache.is_none()).then_some((uri, settings));
            (still.then_some(analysis), problems, opened)
        })
        .await?;
        if let Some((uri, settings)) = opened {
            self.prepare_for_edits(uri, snapshot_revision, settings);
        }
        Ok((analysis, problems))
    }

    /// Whether `uri` is the document opened or changed last, and is still at `revision`: the
    /// one the user is in. No document guard may be held here.
    fn changed_last(&self, uri: &Uri, revision: u64) -> bool {
        self.documents
            .get(uri)
            .is_some_and(|d| d.revision == revision)
            && self.documents.iter().all(|d| d.revision <= revision)
    }

    /// Prepares a document just opened and analysed for its first edit, in the background, so
    /// that it costs what a later one does: its tree settled (see [`document::settled`]) and its
    /// analysis cache built (see [`Cache::new`]). Only while no other document was opened or
    /// changed since (two hundred documents opened at once do not each build a cache that the
    /// next ones drop, see [`TREES_KEPT`]), and not when an edit came first.
    fn prepare_for_edits(self: &Arc<Self>, uri: Uri, revision: u64, settings: Arc<Settings>) {
        if !self.changed_last(&uri, revision) {
            return;
        }
        let state = Arc::clone(self);
        tokio::spawn(async move {
            // The open's diagnostics are sent first, without this work beside them.
            tokio::time::sleep(PREPARE_AFTER_OPEN).await;
            let permit = Arc::clone(&state.analysing.0).acquire_owned().await;
            let _ = blocking(move || {
                let _permit = permit;
                // Taken from the document now (not held while waiting): it may have dropped it.
                // A document opened in halves has no tree yet: it is parsed here.
                let snapshot = state.documents.get(&uri).map(|d| d.snapshot());
                let Some(snapshot) = snapshot.filter(|_| state.changed_last(&uri, revision)) else {
                    return;
                };
                let text = snapshot.text.to_string();
                let Ok(tree) = snapshot.tree_or_refusal(&text) else {
                    return;
                };
                let tree = document::settled(&text, tree);
                let cache = Arc::new(Mutex::new(Cache::default()));
                // Locked before the document holds it: an edit arriving meanwhile waits for it
                // rather than starting from nothing.
                let mut building = cache.lock().unwrap_or_else(|p| p.into_inner());
                let holds = match state.documents.get_mut(&uri) {
                    Some(mut document) => document.hold_cache(revision, &cache, tree.clone()),
                    None => false,
                };
                if holds {
                    *building = Cache::new(&text, &tree, &settings);
                    // One more document may hold a tree now (one opened in halves had none).
                    drop(building);
                    state.keep_recent_trees();
                }
            })
            .await;
        });
    }
}

/// Tells the user about bad settings: a message they see, and the log.
async fn show_problems(client: &Client, problems: Vec<String>) {
    for problem in problems {
        client.log_message(MessageType::WARNING, &problem).await;
        client.show_message(MessageType::WARNING, problem).await;
    }
}

/// Pushes the diagnostics of the document's current version.
async fn publish_newest(client: &Client, state: &Arc<State>, uri: Uri) {
    match state.analysis(&uri).await {
        Ok((Some(analysis), problems)) => {
            show_problems(client, problems).await;
            if let Some(skipped) = &analysis.skipped {
                client.log_message(MessageType::INFO, skipped).await;
            }
            // Checked right before sending, so results that finished late for a version the
            // document has left never overtake newer ones.
            let fresh = match state.documents.get_mut(&uri) {
                Some(mut document) => {
                    document.mark_published(analysis.revision, analysis.generation)
                }
                None => false,
            };
            if !fresh {
                return;
            }
            client
                .publish_diagnostics(uri, analysis.diagnostics.clone(), Some(analysis.version))
                .await;
        }
        Ok((None, problems)) => show_problems(client, problems).await,
        Err(error) => {
            client.log_message(MessageType::ERROR, error.message).await;
        }
    }
}

/// Runs `round` for `key` on a task of its own, one task per key at a time (`running` says which
/// keys have one, and whether they were asked again meanwhile): requests that come while a round
/// runs are coalesced into one more round when it ends, for the newest state.
fn spawn_rounds<R, F>(
    state: &Arc<State>,
    running: fn(&State) -> &Mutex<std::collections::HashMap<Uri, bool>>,
    key: Uri,
    round: R,
) where
    R: Fn(Arc<State>, Uri) -> F + Send + 'static,
    F: std::future::Future<Output = ()> + Send,
{
    {
        let mut running = running(state)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(again) = running.get_mut(&key) {
            *again = true;
            return;
        }
        running.insert(key.clone(), false);
    }
    let state = Arc::clone(state);
    tokio::spawn(async move {
        loop {
            round(Arc::clone(&state), key.clone()).await;
            let mut running = running(&state)
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match running.get_mut(&key) {
                Some(again) if *again => *again = false,
                _ => {
                    running.remove(&key);
                    return;
                }
            }
        }
    });
}

/// The error for a document that changed while its request's work ran: the client asks again.
fn content_modified() -> Error {
    Error {
        code: ErrorCode::ServerError(-32802),
        message: "the document changed".into(),
        data: serde_json::to_value(DiagnosticServerCancellationData {
            retrigger_request: true,
        })
        .ok(),
    }
}

/// A pull-diagnostics report: "unchanged" when the client holds `result_id` already.
fn diagnostic_report(
    result_id: String,
    previous: Option<&str>,
    items: Vec<Diagnostic>,
) -> DocumentDiagnosticReportResult {
    let report = if previous == Some(result_id.as_str()) {
        DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
            related_documents: None,
            unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport { result_id },
        })
    } else {
        DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: Some(result_id),
                items,
            },
        })
    };
    DocumentDiagnosticReportResult::Report(report)
}

/// How long the server waits for the client to answer one of its requests.
const CLIENT_ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

/// A request to the client, given up (as an error) when no answer comes in time: a client that
/// never answers must not hold a handler, nor the server's exit, forever.
async fn ask<T>(request: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(CLIENT_ANSWER_TIMEOUT, request)
        .await
        .unwrap_or_else(|_| {
            Err(Error {
                code: ErrorCode::RequestCancelled,
                message: format!(
                    "no answer from the client in {} s",
                    CLIENT_ANSWER_TIMEOUT.as_secs()
                )
                .into(),
                data: None,
            })
        })
}

/// Runs `work` on tokio's blocking pool; a panic there becomes an internal error.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        let message = match error.try_into_panic() {
            Ok(panic) => panic::panic_message(panic.as_ref()),
            Err(error) => error.to_string(),
        };
        Error {
            code: ErrorCode::InternalError,
            message: format!("refhound: the request's work failed: {message}").into(),
            data: None,
        }
    })
}

impl Backend {
    /// Tells the user about bad settings: a message they see, and the log.
    async fn show_problems(&self, problems: Vec<String>) {
        show_problems(&self.client, problems).await;
    }

    /// What a document's own first analysis does besides its findings, for one that took the
    /// workspace scan's over (see `did_open`), in the background: its tree parsed and kept, then
    /// its caches prepared for edits. Only for the document the user is in, as
    /// [`State::prepare_for_edits`] does.
    fn parse_taken_over(&self, uri: Uri, revision: u64) {
        if !self.state.changed_last(&uri, revision) {
            return;
        }
        let (client, state) = (self.client.clone(), Arc::clone(&self.state));
        tokio::spawn(async move {
            let permit = Arc::clone(&state.analysing.0).acquire_owned().await;
            let parsing = Arc::clone(&state);
            let parsed_uri = uri.clone();
            let parsed = blocking(move || {
                let _permit = permit;
                let snapshot = parsing
                    .documents
                    .get(&parsed_uri)
                    .filter(|d| d.revision == revision)
                    .map(|d| d.snapshot())?;
                let tree = snapshot.tree_or_refusal(&snapshot.text.to_string()).ok()?;
                parsing.keep_tree(&parsed_uri, &snapshot, tree);
                Some(
                    parsing
                        .settings
                        .for_path(parsed_uri.to_file_path().as_deref()),
                )
            })
            .await;
            if let Ok(Some((settings, problems))) = parsed {
                show_problems(&client, problems).await;
                state.prepare_for_edits(uri, revision, settings);
            }
        });
    }

    /// Pushes the diagnostics of the document's newest version (clients that do not pull), off
    /// the handler: the handler returns at once, so input is always read. One task per document
    /// at a time; versions that arrive while it analyses are coalesced into one more round for
    /// the newest.
    fn publish(&self, uri: Uri) {
        if self.state.support().pull_diagnostics {
            return;
        }
        let client = self.client.clone();
        spawn_rounds(
            &self.state,
            |state| &state.publishing,
            uri,
            move |state, uri| {
                let client = client.clone();
                async move { publish_newest(&client, &state, uri).await }
            },
        );
    }

    /// Settings changed: every open document's diagnostics and the workspace scan are redone,
    /// and the client asked to fetch inlay hints again (they may have been turned on or off).
    async fn settings_changed(&self) {
        if self.state.support().pull_diagnostics {
            if self.state.support().diagnostic_refresh {
                let _ = ask(self.client.workspace_diagnostic_refresh()).await;
            }
        } else {
            let open: Vec<Uri> = self
                .state
                .documents
                .iter()
                .map(|d| d.key().clone())
                .collect();
            for uri in open {
                self.publish(uri);
            }
        }
        // Notebooks' cells are pushed to, pulling clients or not.
        notebook::publish_all(&self.client, &self.state);
        workspace::start_scan(self.client.clone(), Arc::clone(&self.state));
        if self.state.support().inlay_hint_refresh {
            let _ = ask(self.client.inlay_hint_refresh()).await;
        }
    }

    /// `workspace/configuration` for section `refhound`, when the client offers it.
    async fn pull_configuration(&self) -> bool {
        if !self.state.support().configuration {
            return false;
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("refhound".to_string()),
        }];
        match ask(self.client.configuration(items)).await {
            // `null`: the client knows no such section; the settings stay as they are
            // (`initializationOptions`, say).
            Ok(values) => match values.into_iter().next() {
                Some(value) if !value.is_null() => {
                    let problems = self.state.settings.set_editor(&value);
                    self.show_problems(problems).await;
                    true
                }
                _ => false,
            },
            Err(error) => {
                self.client
                    .log_message(
                        MessageType::WARNING,
                        format!("workspace/configuration failed: {}", error.message),
                    )
                    .await;
                false
            }
        }
    }

    async fn watch_configuration_files(&self) {
        if !self.state.support().watch_files {
            return;
        }
        // `*.json`: the baseline, wherever the configuration puts it.
        let watchers = [
            "**/pyproject.toml",
            "**/refhound.toml",
            "**/*.py",
            "**/*.json",
        ]
        .into_iter()
        .map(|glob| FileSystemWatcher {
            glob_pattern: GlobPattern::String(glob.to_string()),
            kind: None,
        })
        .collect();
        let registration = Registration {
            id: "refhound-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        if let Err(error) = ask(self.client.register_capability(vec![registration])).await {
            self.client
                .log_message(
                    MessageType::WARNING,
                    format!("could not watch configuration files: {}", error.message),
                )
                .await;
        }
    }
}

/// `refhound/syntaxTree`: a document as the server holds it, for debugging and for tests that
/// check the server's incremental state against a fresh parse.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyntaxTreeParams {
    pub text_document: TextDocumentIdentifier,
}

#[derive(Debug, serde::Serialize)]
pub struct SyntaxTree {
    pub version: i32,
    pub text: String,
    /// [`crate::analysis::parse::outline`] of the document's tree.
    pub tree: String,
}

/// The most `refhound/syntaxTree` writes of a tree (a deeply nested file's outline grows with the
/// square of its depth).
const MAX_OUTLINE_BYTES: usize = 16 * 1024 * 1024;

impl Backend {
    async fn syntax_tree(&self, params: SyntaxTreeParams) -> Result<SyntaxTree> {
        let uri = params.text_document.uri;
        let Some(snapshot) = self.state.documents.get(&uri).map(|d| d.snapshot()) else {
            return Err(unknown_document(&uri));
        };
        blocking(move || SyntaxTree {
            version: snapshot.version,
            text: snapshot.text.to_string(),
            tree: crate::analysis::parse::outline_bounded(&snapshot.tree(), MAX_OUTLINE_BYTES),
        })
        .await
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let support = ClientSupport::of(&params.capabilities);
        let encoding = support.encoding;
        let _ = self.state.client.set(support);
        *self
            .state
            .roots
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            workspace::roots(&params, workspace::home().as_deref());
        if let Some(options) = &params.initialization_options {
            let problems = self.state.settings.set_editor(options);
            self.state
                .early_problems
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(problems);
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "refhound".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        // What a saved module uses of the others (see `workspace::saved`).
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..TextDocumentSyncOptions::default()
                    },
                )),
                notebook_document_sync: Some(notebook::sync_options()),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            actions::FIX_ALL.clone(),
                            notebook::NOTEBOOK_FIX_ALL.clone(),
                        ]),
                        resolve_provider: Some(true),
                        ..CodeActionOptions::default()
                    },
                )),
                diagnostic_provider: support.pull_diagnostics.then(|| {
                    DiagnosticServerCapabilities::Options(DiagnosticOptions {
                        identifier: Some("refhound".to_string()),
                        inter_file_dependencies: false,
                        workspace_diagnostics: true,
                        ..DiagnosticOptions::default()
                    })
                }),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let early = std::mem::take(
            &mut *self
                .state
                .early_problems
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        self.show_problems(early).await;
        if self.pull_configuration().await {
            // Documents opened meanwhile were analysed with the settings before.
            self.settings_changed().await;
        } else {
            workspace::start_scan(self.client.clone(), Arc::clone(&self.state));
        }
        self.watch_configuration_files().await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.state.shut_down.store(true, Ordering::Release);
        self.state.workspace.supersede();
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let mut opened = Document::new(&document.text, document.version);
        // The file as the workspace scan analysed it, under the same settings: its findings are
        // the document's at once. A whole analysis of test_typing.py (parse and rules) takes
        // longer than ruff's didOpen; the scan did it in the background already.
        let revision = opened.revision;
        opened.analysis = workspace::analysed_on_disk(&self.state, &document.uri, &document.text)
            .map(|disk| {
                Arc::new(Analysis {
                    version: document.version,
                    revision,
                    ..disk
                })
            });
        let taken_over = opened.analysis.is_some();
        self.state.documents.insert(document.uri.clone(), opened);
        // A client that named no workspace directory: the document's project becomes it.
        workspace::opened(&self.client, &self.state, &document.uri);
        self.publish(document.uri.clone());
        if taken_over {
            self.parse_taken_over(document.uri, revision);
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let changes = params
            .content_changes
            .into_iter()
            .map(|c| Change {
                range: c.range,
                text: c.text,
            })
            .collect();
        // The guard is dropped before the first `.await`.
        let applied = match self.state.documents.get_mut(&uri) {
            Some(mut document) => {
                let encoding = self.state.encoding();
                document.apply_changes(changes, params.text_document.version, encoding);
                true
            }
            None => false,
        };
        if applied {
            self.publish(uri);
        } else {
            self.client
                .log_message(
                    MessageType::WARNING,
                    format!(
                        "didChange for a document that is not open: {}",
                        uri.as_str()
                    ),
                )
                .await;
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(snapshot) = self.state.documents.get(&uri).map(|d| d.snapshot()) else {
            return;
        };
        workspace::saved(&self.state, &uri, snapshot).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.state.documents.remove(&uri);
        if self.state.support().pull_diagnostics {
            return;
        }
        // The file on disk takes over: its findings if the workspace holds it, else none.
        let on_disk = workspace::analyse_file(&self.state, &uri).await;
        let diagnostics = on_disk.map(|a| a.diagnostics.clone()).unwrap_or_default();
        self.client
            .publish_diagnostics(uri, diagnostics, None)
            .await;
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        if let Some(report) = notebook::pulled(&self.client, &self.state, &params).await {
            return report;
        }
        let uri = params.text_document.uri;
        let (analysis, problems) = self.state.analysis(&uri).await?;
        self.show_problems(problems).await;
        let Some(analysis) = analysis else {
            if !self.state.documents.contains_key(&uri) {
                return Err(unknown_document(&uri));
            }
            return Err(content_modified());
        };
        Ok(diagnostic_report(
            analysis.result_id(),
            params.previous_result_id.as_deref(),
            analysis.diagnostics.clone(),
        ))
    }

    async fn workspace_diagnostic(
        &self,
        _: WorkspaceDiagnosticParams,
    ) -> Result<WorkspaceDiagnosticReportResult> {
        Ok(WorkspaceDiagnosticReportResult::Report(workspace::report(
            &self.state,
        )))
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if self.state.support().configuration {
            self.pull_configuration().await;
        } else {
            // Clients without `workspace/configuration` send the settings themselves.
            let value = match params.settings {
                serde_json::Value::Object(mut map) if map.contains_key("refhound") => {
                    map.remove("refhound").unwrap_or_default()
                }
                other => other,
            };
            if !value.is_null() {
                let problems = self.state.settings.set_editor(&value);
                self.show_problems(problems).await;
            }
        }
        self.settings_changed().await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let mut configuration = false;
        let mut sources = Vec::new();
        for change in params.changes {
            let path = change.uri.to_file_path();
            let name = path
                .as_deref()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned());
            match name.as_deref() {
                Some("pyproject.toml" | "refhound.toml") => configuration = true,
                Some(_)
                    if path
                        .as_deref()
                        .is_some_and(|p| self.state.settings.baselines.is_baseline(p)) =>
                {
                    configuration = true;
                }
                Some(name) if name.ends_with(".py") => sources.push(change),
                _ => {}
            }
        }
        if configuration {
            self.state.settings.reload_files();
            self.settings_changed().await;
            return;
        }
        workspace::files_changed(&self.client, &self.state, sources).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        if let Some(hover) = notebook::hover(&self.client, &self.state, &params).await {
            return hover;
        }
        let position = params.text_document_position_params;
        let uri = position.text_document.uri;
        let Some(snapshot) = self.state.documents.get(&uri).map(|d| d.snapshot()) else {
            return Err(unknown_document(&uri));
        };
        if snapshot.text.len_bytes() > MAX_ANALYSED_BYTES {
            return Err(Error::invalid_params(too_large(
                &uri,
                snapshot.text.len_bytes(),
            )));
        }
        let encoding = self.state.encoding();
        let state = Arc::clone(&self.state);
        blocking(move || {
            let tree = snapshot.tree();
            let offset = offset_of(&snapshot.text, position.position, encoding);
            let text = snapshot.text.to_string();
            // The model of the CPython the file targets (its project's `target-version`).
            let (settings, _) = state.settings.for_path(uri.to_file_path().as_deref());
            let scopes = ScopeTree::new(&text, &tree, settings.target_version);
            let hover =
                crate::analysis::hover::hover(&text, &tree, &scopes, offset).map(|hover| Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: hover.markdown,
                    }),
                    range: Some(Range::new(
                        position_of(&snapshot.text, hover.range.start, encoding),
                        position_of(&snapshot.text, hover.range.end, encoding),
                    )),
                });
            state.keep_tree(&uri, &snapshot, tree);
            hover
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        if let Some(hints) = notebook::inlay_hints(&self.client, &self.state, &params).await {
            return hints;
        }
        inlay_hints::inlay_hints(&self.client, &self.state, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        if let Some(actions) = notebook::code_actions(&self.client, &self.state, &params).await {
            return actions;
        }
        actions::code_actions(&self.state, params).await
    }

    async fn code_action_resolve(&self, action: CodeAction) -> Result<CodeAction> {
        actions::resolve(&self.state, action).await
    }

    async fn notebook_did_open(&self, params: DidOpenNotebookDocumentParams) {
        notebook::did_open(&self.client, &self.state, params).await;
    }

    async fn notebook_did_change(&self, params: DidChangeNotebookDocumentParams) {
        notebook::did_change(&self.client, &self.state, params).await;
    }

    /// Saving a notebook changes nothing the analysis reads (no module imports a notebook), so
    /// `save` is not asked for; one sent anyway is accepted quietly.
    async fn notebook_did_save(&self, _: DidSaveNotebookDocumentParams) {}

    async fn notebook_did_close(&self, params: DidCloseNotebookDocumentParams) {
        notebook::did_close(&self.client, &self.state, params).await;
    }
}

fn too_large(uri: &Uri, bytes: usize) -> String {
    format!(
        "{} is {:.1} MB, more than the {} MB refhound analyses in the editor; `refhound check` \
         still checks it",
        uri.as_str(),
        bytes as f64 / (1024.0 * 1024.0),
        MAX_ANALYSED_BYTES / (1024 * 1024)
    )
}

fn unknown_document(uri: &Uri) -> Error {
    Error::invalid_params(format!("{} is not open", uri.as_str()))
}

/// A fresh server and the socket its client side talks through; `serve_stdio` runs it over
/// standard streams, tests over an in-memory duplex.
pub fn service() -> (LspService<Backend>, ClientSocket) {
    service_with(Arc::new(State::default()))
}

fn service_with(state: Arc<State>) -> (LspService<Backend>, ClientSocket) {
    LspService::build(move |client| Backend { client, state })
        .custom_method("refhound/syntaxTree", Backend::syntax_tree)
        .finish()
}

/// How long the server goes on after its input ended, to finish what is in flight (no one may
/// be left to answer its own requests).
const GRACE_AFTER_INPUT_ENDS: Duration = Duration::from_secs(2);

/// Serves LSP on standard input and output until the client exits or its input ends, whatever
/// is still in flight. The exit status follows the protocol: 0 when `shutdown` came before `exit`
/// (or the input ended after it), 1 otherwise.
pub fn serve_stdio() -> std::process::ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(crate::analysis::scope::STACK_SIZE)
        .build()
        .expect("a tokio runtime starts");
    let state = Arc::new(State::default());
    let served = Arc::clone(&state);
    let shutdown_read = Arc::new(AtomicBool::new(false));
    let shutdown_seen = Arc::clone(&shutdown_read);
    let writing = Arc::new(tokio::sync::Mutex::new(()));
    // Held from the end of the session on: the frame being written is finished, no other begun.
    let _no_more_frames = runtime.block_on(async move {
        let (service, socket) = service_with(served);
        let (server_input, to_server) = tokio::io::duplex(1 << 16);
        let (server_output, from_server) = tokio::io::duplex(1 << 16);
        let (frames, to_client) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(transport::write_frames(
            tokio::io::stdout(),
            to_client,
            Arc::clone(&writing),
        ));
        tokio::spawn(transport::pump_output(from_server, frames.clone()));
        let input = tokio::spawn(async move {
            transport::pump_input(tokio::io::stdin(), to_server, frames, &shutdown_seen).await
        });
        let serve =
            Server::new(server_input, server_output, socket).serve(panic::CatchPanic(service));
        tokio::pin!(serve);
        tokio::select! {
            () = &mut serve => {}
            end = input => {
                if !matches!(end, Ok(transport::End::Exit)) {
                    let _ = tokio::time::timeout(GRACE_AFTER_INPUT_ENDS, &mut serve).await;
                }
            }
        }
        tokio::time::timeout(GRACE_AFTER_INPUT_ENDS, writing.lock_owned())
            .await
            .ok()
    });
    // Background scans and analyses may still run: they are not waited for.
    runtime.shutdown_background();
    if state.shut_down.load(Ordering::Acquire) || shutdown_read.load(Ordering::Acquire) {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
