//! The project's baseline in the editor: the findings it accepts are not shown, as `refhound
//! check` does not report them (see [`crate::baseline`]). A document's baseline is its
//! workspace folder's, found as `refhound check` run in that folder finds it; it is read once
//! and again when the settings change (the store of settings holds them) or a watched baseline
//! file does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tree_sitter::Tree;

use super::State;
use crate::analysis::findings::Finding;
use crate::baseline::Baseline;
use crate::files::{BaselineFile, ConfigFiles};

/// The baselines read, by project directory.
#[derive(Default)]
pub struct Baselines {
    by_directory: Mutex<HashMap<PathBuf, Arc<Loaded>>>,
}

struct Loaded {
    file: BaselineFile,
    /// `None` when there is none, or it could not be read (then it was reported).
    baseline: Option<Baseline>,
}

impl Baselines {
    /// Forgets every baseline read, so that the next documents read them again.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Whether `path` is a baseline file read (or looked for) for some document.
    pub fn is_baseline(&self, path: &Path) -> bool {
        self.lock().values().any(|loaded| loaded.file.path == path)
    }

    /// The baseline of the project `directory` holds, read on first use; the problem with it,
    /// worded for the user, the first time.
    fn of(&self, directory: &Path, named: Option<&Path>) -> (Arc<Loaded>, Option<String>) {
        if let Some(loaded) = self.lock().get(directory) {
            return (Arc::clone(loaded), None);
        }
        // Read outside the lock: two threads may both read it, and either result is right.
        let file = BaselineFile::locate(&mut ConfigFiles::discover(), directory, named);
        let (baseline, problem) = match file.read() {
            Ok(baseline) => (baseline, None),
            Err(message) => (None, Some(format!("{message}; its findings are shown"))),
        };
        let loaded = Arc::new(Loaded { file, baseline });
        self.lock()
            .insert(directory.to_path_buf(), Arc::clone(&loaded));
        (loaded, problem)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Loaded>>> {
        self.by_directory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Leaves out of the findings of the file at `path` (found in `text`, whose tree `tree` gives:
/// parsed only when a baseline is read) those its project's baseline accepts. Returns a problem
/// with the baseline, the first time.
pub fn drop_baselined(
    state: &State,
    path: &Path,
    text: &str,
    tree: impl FnOnce() -> Tree,
    findings: &mut Vec<Finding>,
) -> Vec<String> {
    if findings.is_empty() {
        return Vec::new();
    }
    let folder = state
        .roots
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|root| path.starts_with(root))
        .max_by_key(|root| root.components().count())
        .cloned();
    let Some(directory) = folder.or_else(|| path.parent().map(Path::to_path_buf)) else {
        return Vec::new();
    };
    let named = state
        .settings
        .editor_baseline()
        .map(|named| directory.join(named));
    let (loaded, problem) = state.settings.baselines.of(&directory, named.as_deref());
    if let Some(baseline) = &loaded.baseline {
        let name = loaded.file.name_of(path);
        let all = std::mem::take(findings);
        *findings = baseline.filter_findings(&name, text, &tree(), all).kept;
    }
    problem.into_iter().collect()
}
