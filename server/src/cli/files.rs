//! Finding Python files and reading them into text.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analysis::scope::STACK_SIZE;
use crate::analysis::source::decode;

/// A Python file found from a command-line argument.
#[derive(Debug, Clone)]
pub struct PythonFile {
    pub path: PathBuf,
    /// How output names the file: relative to the directory argument it was found under (with
    /// `/` separators), or the argument itself.
    pub display: String,
}

/// Directories `check` does not search below a directory argument: installed packages and build
/// output, as ruff leaves them out too. (Hidden directories such as `.venv` and `.git` are skipped by
/// the walker; a directory named on the command line is always searched.)
pub const EXCLUDED_DIRECTORIES: &[&str] = &[
    "site-packages",
    "dist-packages",
    "node_modules",
    "__pypackages__",
    "venv",
    "_build",
    "buck-out",
];

/// The Python files named by `paths`: files as given, directories searched for `*.py` (honouring
/// `.gitignore` and skipping directories named in `excluded`), each directory's files sorted by
/// path.
pub fn python_files(
    paths: &[PathBuf],
    excluded: &'static [&'static str],
) -> Result<Vec<PythonFile>, String> {
    let mut files = Vec::new();
    for root in paths {
        let metadata = std::fs::metadata(root).map_err(|e| format!("{}: {e}", root.display()))?;
        if !metadata.is_dir() {
            files.push(PythonFile {
                path: root.clone(),
                display: root.display().to_string(),
            });
            continue;
        }
        let mut found = Vec::new();
        let walk = ignore::WalkBuilder::new(root)
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                let name = entry.file_name().to_string_lossy();
                !(entry.depth() > 0 && is_dir && excluded.contains(&name.as_ref()))
            })
            .build();
        for entry in walk {
            let entry = entry.map_err(|e| e.to_string())?;
            let path = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file())
                && path.extension().is_some_and(|e| e == "py")
            {
                found.push(PythonFile {
                    path: path.to_path_buf(),
                    display: relative(root, path),
                });
            }
        }
        found.sort_by(|a, b| a.display.cmp(&b.display));
        files.extend(found);
    }
    Ok(files)
}

fn relative(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads and decodes a file; the error names the file.
pub fn read_source(file: &PythonFile) -> Result<String, String> {
    let bytes = std::fs::read(&file.path).map_err(|e| format!("{}: {e}", file.display))?;
    decode(&bytes).map_err(|e| format!("{}: {e}", file.display))
}

/// Runs `work` on every file in parallel, on threads with room for deeply nested sources, and
/// returns the results in the files' order.
pub fn for_each_file<T: Send>(
    files: &[PythonFile],
    work: impl Fn(&PythonFile) -> T + Sync,
) -> Vec<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_SIZE)
        .build()
        .expect("building a thread pool only fails when threads cannot be spawned");
    pool.install(|| files.par_iter().map(&work).collect())
}
