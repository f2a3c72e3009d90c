//! The workspace scan: after start (and after settings change), every Python file of the
//! workspace folders (for a client that names none, of the first opened document's project) is
//! analysed in the background, as `refhound check` would find them
//! (`.gitignore` honoured, installed packages skipped), with work-done progress. Findings of
//! closed files are pushed, or served to `workspace/diagnostic` for clients that pull. An open
//! document always wins over its file on disk.
//!
//! The scan also keeps what the workspace's modules use of each other ([`ProjectUses`]), read
//! again from each file the server analyses on disk and from each document saved: a fix that
//! would unbind a module-level name another module uses is not offered (see `actions`); and
//! where the workspace's modules let go of the attributes findings ask about
//! ([`WorkspaceReleases`]), so that a finding another module answers is strict, as in `check`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use ropey::Rope;
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::*;

use super::diagnostics::Analysis;
use super::document::Snapshot;
use super::{State, blocking};
use crate::analysis::findings::Finding;
use crate::analysis::parse::parse;
use crate::files::{EXCLUDED_DIRECTORIES, PythonFile, pool, python_files, read_source};
use crate::project::releases::WorkspaceReleases;
use crate::project::{ProjectUses, file_references, module_name};

/// Scans in flight: a newer scan (or shutdown) makes older ones stop.
#[derive(Default)]
pub struct Scans {
    generation: AtomicU64,
}

impl Scans {
    /// Makes every scan so far stop; returns the number of the scan that may go on.
    pub fn supersede(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    fn current(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// The workspace folders of `initialize`, else its `rootUri`, else its `rootPath` (older
/// clients send a root alone; Helix sends only `rootPath`, its own workspace, when it finds
/// none of the language's root markers). A root alone that is the home directory `home` or
/// above it is not taken (Helix names `~` when started there): it would scan every Python file
/// the user has. Empty when the client names no directory: the project of the first document
/// opened is scanned then (see [`opened`]).
#[allow(deprecated)]
pub fn roots(params: &InitializeParams, home: Option<&Path>) -> Vec<PathBuf> {
    let path_of = |uri: &Uri| uri.to_file_path().map(|p| p.into_owned());
    let paths: Vec<PathBuf> = match &params.workspace_folders {
        Some(folders) if !folders.is_empty() => {
            folders.iter().filter_map(|f| path_of(&f.uri)).collect()
        }
        _ => {
            let root = match (&params.root_uri, params.root_path.as_deref()) {
                (Some(uri), _) => path_of(uri),
                (None, Some(path)) if !path.is_empty() => Some(PathBuf::from(path)),
                (None, _) => None,
            };
            root.filter(|root| below_home(root, home))
                .into_iter()
                .collect()
        }
    };
    paths.into_iter().filter(|path| path.is_dir()).collect()
}

/// Whether `dir` lies below the home directory `home` (or, without one, below `/`): not `home`
/// itself nor one of its ancestors.
fn below_home(dir: &Path, home: Option<&Path>) -> bool {
    match home {
        Some(home) => !home.starts_with(dir),
        None => dir.parent().is_some(),
    }
}

/// The user's home directory, where scans stop (see [`roots`], [`project_of`]).
pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
}

/// Files and directories that mark a project's top directory.
const PROJECT_MARKERS: [&str; 5] = [
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "refhound.toml",
    ".git",
];

/// The project the file at `path` belongs to, for a client that named no workspace: the nearest
/// directory above it holding one of [`PROJECT_MARKERS`], else the file's own directory. Never
/// the home directory `home` or one above it (a dotfiles repository puts `.git` in `~`, and
/// opening one file does not ask for every Python file of the user): `None` for a file there,
/// and for one whose directory does not exist (a document not saved yet).
pub fn project_of(path: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let directory = path.parent()?;
    if !below_home(directory, home) || !directory.is_dir() {
        return None;
    }
    let marked = directory
        .ancestors()
        .take_while(|dir| below_home(dir, home))
        .find(|dir| PROJECT_MARKERS.iter().any(|m| dir.join(m).exists()));
    Some(marked.unwrap_or(directory).to_path_buf())
}

/// A document was opened: when the client named no workspace directory, the document's project
/// (see [`project_of`]) becomes the workspace, and its scan starts. Once: later documents
/// outside it are analysed alone, as documents outside the workspace folders are.
pub fn opened(client: &Client, state: &Arc<State>, uri: &Uri) {
    let Some(path) = uri.to_file_path() else {
        return;
    };
    {
        let mut roots = state
            .roots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !roots.is_empty() {
            return;
        }
        let Some(project) = project_of(&path, home().as_deref()) else {
            return;
        };
        roots.push(project);
    }
    start_scan(client.clone(), Arc::clone(state));
}

/// Starts a scan in the background, stopping any older one.
pub fn start_scan(client: Client, state: Arc<State>) {
    tokio::spawn(scan(client, state));
}

/// How many files a progress report covers.
const REPORT_EVERY: usize = 50;

async fn scan(client: Client, state: Arc<State>) {
    let generation = state.workspace.supersede();
    // An editor opens the documents it shows right after `initialized`: theirs come first.
    tokio::time::sleep(SCAN_AFTER_START).await;
    if state.workspace.current() != generation {
        return;
    }
    let roots = state
        .roots
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    if roots.is_empty() {
        return;
    }
    let listed = blocking(move || python_files(&roots, EXCLUDED_DIRECTORIES)).await;
    let files = match listed {
        Ok(Ok(files)) => files,
        Ok(Err(message)) => {
            client
                .log_message(MessageType::ERROR, format!("workspace scan: {message}"))
                .await;
            return;
        }
        Err(error) => {
            client
                .log_message(
                    MessageType::ERROR,
                    format!("workspace scan: {}", error.message),
                )
                .await;
            return;
        }
    };
    let total = files.len();
    let listed: HashSet<PathBuf> = files.iter().map(|file| file.path.clone()).collect();
    releases_mut(&state).set_files(files.iter().map(|file| file.path.clone()).collect());
    let progress = if state.support().progress {
        let token = NumberOrString::String(format!("refhound/scan/{generation}"));
        match super::ask(client.create_work_done_progress(token.clone())).await {
            Ok(()) => Some(
                client
                    .progress(token, "refhound")
                    .with_message(format!("analysing {total} Python files"))
                    .with_percentage(0)
                    .begin()
                    .await,
            ),
            Err(_) => None,
        }
    } else {
        None
    };

    // The analysis runs on a pool one thread short of the cores, so a typist's edits still find
    // one free; results come back file by file.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let worker = Arc::clone(&state);
    let analysing = tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().max(2) - 1);
        // Files open in the editor whose analysis has not finished (just opened, or just
        // edited): the user waits for that one, so their files on disk come last, once it has.
        let opening = std::sync::Mutex::new(Vec::new());
        pool(threads).install(|| {
            files.par_iter().for_each(|file: &PythonFile| {
                if worker.workspace.current() != generation {
                    return;
                }
                defer_to_open_documents(&worker);
                if being_opened(&worker, &file.path) {
                    opening
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(file.path.clone());
                    return;
                }
                let _ = sender.send(analyse_path(&worker, &file.path));
            })
        });
        let opening = opening
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for path in opening {
            let waited = Instant::now();
            while being_opened(&worker, &path) && waited.elapsed() < WAIT_FOR_OPENING {
                std::thread::sleep(Duration::from_millis(10));
            }
            if worker.workspace.current() != generation {
                return;
            }
            let _ = sender.send(analyse_path(&worker, &path));
        }
    });
    let mut done = 0;
    let mut findings = 0;
    let mut problems = Vec::new();
    while let Some(result) = receiver.recv().await {
        done += 1;
        if let Some((uri, analysis, file_problems)) = result {
            findings += analysis.diagnostics.len();
            problems.extend(file_problems);
            store(&client, &state, uri, Some(analysis)).await;
        }
        if let Some(progress) = &progress
            && done % REPORT_EVERY == 0
        {
            let percentage = (done * 100 / total.max(1)) as u32;
            progress
                .report_with_message(format!("{done}/{total} files"), percentage)
                .await;
        }
    }
    let _ = analysing.await;
    for problem in problems {
        client.show_message(MessageType::WARNING, problem).await;
    }
    let finished = state.workspace.current() == generation;
    if let Some(progress) = progress {
        let message = if finished {
            format!("{total} files, {findings} findings")
        } else {
            "stopped".to_string()
        };
        progress.finish_with_message(message).await;
    }
    if finished {
        // Files gone since the last scan use nothing any more; open documents not on disk
        // (yet) keep what their last save recorded.
        let open: HashSet<PathBuf> = state
            .documents
            .iter()
            .filter_map(|d| d.key().to_file_path().map(|p| p.into_owned()))
            .collect();
        uses_mut(&state).retain(|path| listed.contains(path) || open.contains(path));
        refresh(&client, &state).await;
    }
}

/// The workspace's uses, to change.
fn uses_mut(state: &State) -> std::sync::RwLockWriteGuard<'_, ProjectUses> {
    state
        .uses
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Where the workspace lets go of attributes, to change.
fn releases_mut(state: &State) -> std::sync::MutexGuard<'_, WorkspaceReleases> {
    state
        .releases
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Settles the findings of the file at `path` against the rest of the workspace (see
/// `project::releases`), as `refhound check` does.
pub fn settle_releases(state: &State, path: &Path, findings: &mut Vec<Finding>, strict: bool) {
    if findings.iter().any(|f| f.release_elsewhere.is_some()) {
        releases_mut(state).settle(path, findings, strict);
    }
}

/// The module-level names of the document `uri`'s module that other modules of the workspace
/// use (`module.name` after `import module`, `from module import name`): a fix must leave them
/// bound. Empty for documents outside the workspace folders, and for files that are not a
/// module (no file on disk).
pub fn used_elsewhere(state: &State, uri: &Uri) -> HashSet<String> {
    let Some(path) = uri.to_file_path() else {
        return HashSet::new();
    };
    if !in_workspace(state, &path) {
        return HashSet::new();
    }
    let Some(module) = module_name(&path) else {
        return HashSet::new();
    };
    state
        .uses
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .names_used_of(&module, &path)
}

/// A workspace document was saved: what it uses of other modules is read from its text.
pub async fn saved(state: &Arc<State>, uri: &Uri, snapshot: Snapshot) {
    let Some(path) = uri.to_file_path().map(|p| p.into_owned()) else {
        return;
    };
    if !in_workspace(state, &path)
        || snapshot.text.len_bytes() > super::MAX_ANALYSED_BYTES
        || snapshot.refusal().is_some()
    {
        return;
    }
    let worker = Arc::clone(state);
    let _ = blocking(move || {
        let text = snapshot.text.to_string();
        let references = file_references(&path, &text, &snapshot.tree());
        uses_mut(&worker).set(path, references);
        releases_mut(&worker).forget();
    })
    .await;
}

/// How long the scan waits before it starts: the documents an editor opens with the workspace
/// are analysed without the scan beside them (see [`being_opened`] for what the scan of the
/// same file costs an opening on two cores).
const SCAN_AFTER_START: Duration = Duration::from_millis(300);

/// Waits, before the scan's next file, while an open document is being analysed (for at most
/// [`WAIT_FOR_OPENING`]): the user waits for that one, and on a machine of few cores the scan
/// would take a core from it. The scan polls: nothing tells it when an analysis ends.
fn defer_to_open_documents(state: &State) {
    let waited = Instant::now();
    while state.analysing.busy() && waited.elapsed() < WAIT_FOR_OPENING {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How long the scan waits for an open document's analysis before it analyses the document's
/// file on disk anyway (a typist may keep it unanalysed for long).
const WAIT_FOR_OPENING: Duration = Duration::from_secs(2);

/// Whether the file at `path` is open in the editor and its current version's analysis has not
/// finished (it was just opened, or just edited). The scan analysing the same file at the same
/// time would take half of a two-core machine from it (test_typing.py: didOpen to diagnostics
/// 88.6 ms against 74.6 ms with the file outside the workspace). The scan polls: nothing tells
/// it when an analysis ends.
fn being_opened(state: &State, path: &Path) -> bool {
    Uri::from_file_path(path).is_some_and(|uri| {
        state
            .documents
            .get(&uri)
            .is_some_and(|document| document.analysis.is_none())
    })
}

/// Reads, parses and analyses one file on disk.
fn analyse_path(state: &State, path: &Path) -> Option<(Uri, Arc<Analysis>, Vec<String>)> {
    let uri = Uri::from_file_path(path)?;
    let file = PythonFile {
        path: path.to_path_buf(),
        display: path.display().to_string(),
    };
    let text = read_source(&file).ok()?;
    if text.len() > super::MAX_ANALYSED_BYTES {
        return None;
    }
    let tree = parse(&text);
    let references = file_references(path, &text, &tree);
    uses_mut(state).set(path.to_path_buf(), references);
    let (settings, mut problems) = state.settings.for_path(Some(path));
    // The scan is parallel across files already: one thread per file.
    let mut findings = crate::analysis::check(&text, &tree, &settings);
    settle_releases(state, path, &mut findings, settings.strict);
    problems.extend(super::baseline::drop_baselined(
        state,
        path,
        &text,
        || tree.clone(),
        &mut findings,
    ));
    let mut analysis = Analysis::new(
        &findings,
        &Rope::from_str(&text),
        (0, super::document::next_revision()),
        state.settings.generation(),
        &settings,
        state.encoding(),
        &uri,
    );
    analysis.source = Some(super::diagnostics::source_hash(&text));
    Some((uri, Arc::new(analysis), problems))
}

/// The workspace scan's analysis of the file `uri` when `text` is the text it analysed and the
/// settings have not changed since: what the document opened with that text would get.
pub fn analysed_on_disk(state: &State, uri: &Uri, text: &str) -> Option<Analysis> {
    let disk = state.disk.get(uri)?;
    let same = disk.source == Some(super::diagnostics::source_hash(text))
        && disk.generation == state.settings.generation()
        && disk.skipped.is_none();
    same.then(|| Analysis::clone(&disk))
}

/// Keeps a closed file's findings (`None`: the file is gone) and pushes them to clients that do
/// not pull, unless the document is open: then the editor's text wins.
async fn store(client: &Client, state: &State, uri: Uri, analysis: Option<Arc<Analysis>>) {
    let before = match &analysis {
        Some(analysis) => state.disk.insert(uri.clone(), Arc::clone(analysis)),
        None => state.disk.remove(&uri).map(|(_, a)| a),
    };
    if state.support().pull_diagnostics || state.documents.contains_key(&uri) {
        return;
    }
    let diagnostics = analysis.map(|a| a.diagnostics.clone()).unwrap_or_default();
    let had = before.is_some_and(|a| !a.diagnostics.is_empty());
    if had || !diagnostics.is_empty() {
        client.publish_diagnostics(uri, diagnostics, None).await;
    }
}

/// Asks clients that pull to pull again.
async fn refresh(client: &Client, state: &State) {
    let support = state.support();
    if support.pull_diagnostics && support.diagnostic_refresh {
        let _ = super::ask(client.workspace_diagnostic_refresh()).await;
    }
}

/// Whether `path` lies in a workspace folder.
fn in_workspace(state: &State, path: &Path) -> bool {
    state
        .roots
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .any(|root| path.starts_with(root))
}

/// The findings of a workspace file as it is on disk (a document was closed), kept for
/// `workspace/diagnostic`; `None` for files outside the workspace.
pub async fn analyse_file(state: &Arc<State>, uri: &Uri) -> Option<Arc<Analysis>> {
    let path = uri.to_file_path()?.into_owned();
    if !in_workspace(state, &path) || !path.is_file() {
        return None;
    }
    let worker = Arc::clone(state);
    let (uri, analysis, _) = blocking(move || analyse_path(&worker, &path))
        .await
        .ok()??;
    state.disk.insert(uri, Arc::clone(&analysis));
    Some(analysis)
}

/// Python files changed on disk (watched files): analysed again, or forgotten when deleted.
pub async fn files_changed(client: &Client, state: &Arc<State>, changes: Vec<FileEvent>) {
    if changes.is_empty() {
        return;
    }
    for change in changes {
        let uri = change.uri;
        releases_mut(state).forget();
        let analysis = if change.typ == FileChangeType::DELETED {
            if let Some(path) = uri.to_file_path() {
                uses_mut(state).remove(&path);
            }
            None
        } else {
            match analyse_file(state, &uri).await {
                Some(analysis) => Some(analysis),
                None => continue,
            }
        };
        store(client, state, uri, analysis).await;
    }
    refresh(client, state).await;
}

/// `workspace/diagnostic`: the findings of every scanned file that is not open.
pub fn report(state: &State) -> WorkspaceDiagnosticReport {
    let items = state
        .disk
        .iter()
        .filter(|entry| !state.documents.contains_key(entry.key()))
        .map(|entry| {
            WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
                uri: entry.key().clone(),
                version: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(entry.value().result_id()),
                    items: entry.value().diagnostics.clone(),
                },
            })
        })
        .collect();
    WorkspaceDiagnosticReport { items }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory standing for a home directory, under the system's temporary one.
    fn fake_home(name: &str) -> PathBuf {
        let home = std::env::temp_dir()
            .join(format!("refhound-workspace-{}-{name}", std::process::id()))
            .join("home");
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        home
    }

    fn write(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }

    #[test]
    fn a_file_belongs_to_the_nearest_marked_directory_below_home() {
        let home = fake_home("project-of");
        // A dotfiles repository: `~/.git` marks no project.
        std::fs::create_dir_all(home.join(".git")).unwrap();
        write(&home.join("work/app/pyproject.toml"));
        write(&home.join("work/app/src/app/nested/setup.cfg"));
        std::fs::create_dir_all(home.join("work/app/src/app/nested/deep")).unwrap();
        let project = |file: &str| project_of(&home.join(file), Some(home.as_path()));

        assert_eq!(
            project("work/app/src/app/main.py"),
            Some(home.join("work/app"))
        );
        assert_eq!(
            project("work/app/src/app/nested/deep/m.py"),
            Some(home.join("work/app/src/app/nested")),
            "the nearest marker wins"
        );
        // No marker below home: the file's own directory, not `~`.
        std::fs::create_dir_all(home.join("scratch/notes")).unwrap();
        assert_eq!(
            project("scratch/notes/try.py"),
            Some(home.join("scratch/notes"))
        );
        assert_eq!(project("loose.py"), None, "a file in ~ scans nothing");
        assert_eq!(project("nowhere/new.py"), None, "no such directory");
        assert_eq!(project_of(Path::new("/x.py"), Some(home.as_path())), None);
        assert_eq!(project_of(Path::new("/x.py"), None), None);
    }

    #[test]
    #[allow(deprecated)]
    fn roots_come_from_folders_then_root_uri_then_root_path_never_home() {
        let home = fake_home("roots");
        let project = home.join("project");
        std::fs::create_dir_all(&project).unwrap();
        let uri = |path: &Path| Uri::from_file_path(path).unwrap();
        let params =
            |folders: Option<Vec<&Path>>, root_uri: Option<&Path>, root_path| InitializeParams {
                workspace_folders: folders.map(|folders| {
                    folders
                        .into_iter()
                        .map(|f| WorkspaceFolder {
                            uri: uri(f),
                            name: "f".into(),
                        })
                        .collect()
                }),
                root_uri: root_uri.map(uri),
                root_path,
                ..InitializeParams::default()
            };
        let roots = |p: InitializeParams| roots(&p, Some(home.as_path()));
        let path = |p: &Path| Some(p.to_string_lossy().into_owned());

        let (project, home) = (project.as_path(), home.as_path());
        assert_eq!(roots(params(Some(vec![project]), None, None)), [project]);
        assert_eq!(roots(params(None, Some(project), None)), [project]);
        // What Helix sends when none of Python's root markers is found.
        assert_eq!(roots(params(Some(vec![]), None, path(project))), [project]);
        assert!(roots(params(Some(vec![]), None, None)).is_empty());
        // A root alone that is `~` (Helix started there) is not scanned; a folder the user
        // chose is.
        assert!(roots(params(Some(vec![]), None, path(home))).is_empty());
        assert!(roots(params(None, Some(home), None)).is_empty());
        assert_eq!(roots(params(Some(vec![home]), None, None)), [home]);
    }
}
