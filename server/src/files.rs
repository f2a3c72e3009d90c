//! Finding Python files and their configuration files, and reading them into text: the I/O that
//! the command line and the language server share.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::analysis::line_index::LineIndex;
use crate::analysis::scope::STACK_SIZE;
use crate::analysis::source::decode;
use crate::config::{self, Config, ConfigKind};

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

impl PythonFile {
    /// Whether the file is a Jupyter notebook (`.ipynb`) rather than Python source.
    pub fn is_notebook(&self) -> bool {
        self.path.extension().is_some_and(|e| e == "ipynb")
    }
}

/// The Python files named by `paths`: files as given, directories searched for `*.py` (honouring
/// `.gitignore` and skipping directories named in `excluded`), each directory's files sorted by
/// path.
pub fn python_files(
    paths: &[PathBuf],
    excluded: &'static [&'static str],
) -> Result<Vec<PythonFile>, String> {
    files_with(paths, excluded, &["py"])
}

/// [`python_files`], with the Jupyter notebooks (`*.ipynb`) found in the directories too.
pub fn python_files_and_notebooks(
    paths: &[PathBuf],
    excluded: &'static [&'static str],
) -> Result<Vec<PythonFile>, String> {
    files_with(paths, excluded, &["py", "ipynb"])
}

fn files_with(
    paths: &[PathBuf],
    excluded: &'static [&'static str],
    extensions: &[&str],
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
                && path
                    .extension()
                    .is_some_and(|e| extensions.iter().any(|x| e == *x))
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
    read_source_file(file).map(|source| source.text)
}

/// A file's bytes as read, and their text.
pub struct SourceFile {
    pub bytes: Vec<u8>,
    pub text: String,
}

impl SourceFile {
    /// Whether the file is stored as UTF-8 (after a byte order mark or not): its bytes are its
    /// text's. A file in another encoding (a coding cookie naming one, with bytes UTF-8 would
    /// read differently) is not rewritten: re-encoding it is not done, and writing it as
    /// UTF-8 could change its meaning.
    pub fn is_utf8(&self) -> bool {
        self.bytes.strip_prefix(UTF8_BOM).unwrap_or(&self.bytes) == self.text.as_bytes()
    }

    /// The bytes that store `text` as this UTF-8 file stores its own: after a byte order mark
    /// when the file has one. `None` when the file is not UTF-8 (see [`SourceFile::is_utf8`]).
    pub fn encode_like(&self, text: &str) -> Option<Vec<u8>> {
        if !self.is_utf8() {
            return None;
        }
        let bom = if self.bytes.starts_with(UTF8_BOM) {
            UTF8_BOM
        } else {
            &[]
        };
        Some([bom, text.as_bytes()].concat())
    }
}

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Reads and decodes a file, keeping its bytes; the error names the file.
pub fn read_source_file(file: &PythonFile) -> Result<SourceFile, String> {
    let bytes = std::fs::read(&file.path).map_err(|e| format!("{}: {e}", file.display))?;
    let text = decode(&bytes).map_err(|e| format!("{}: {e}", file.display))?;
    Ok(SourceFile { bytes, text })
}

/// Runs `work` on every file (or job about a file) in parallel, on threads with room for deeply
/// nested sources, and returns the results in the files' order.
pub fn for_each_file<F: Sync, T: Send>(files: &[F], work: impl Fn(&F) -> T + Sync) -> Vec<T> {
    pool(0).install(|| files.par_iter().map(&work).collect())
}

/// A thread pool with room for deeply nested sources: `threads` threads, or one per core for 0.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(STACK_SIZE)
        .build()
        .expect("building a thread pool only fails when threads cannot be spawned")
}

/// A configuration file read, with its problems worded for the terminal.
#[derive(Debug)]
pub struct ConfigFile {
    /// Where the file is: its directory is the root of the project it governs.
    pub path: PathBuf,
    /// The file's settings, without the keys that had problems.
    pub config: Config,
    /// Each problem as `PATH:LINE:COLUMN: message`.
    pub errors: Vec<String>,
}

/// Finds the configuration governing each analysed file, as ruff does: walking up from the
/// file's directory, the nearest directory holding a `refhound.toml`, or a `pyproject.toml` with
/// a `[tool.refhound]` table, wins (`refhound.toml` first when a directory holds both); a
/// `pyproject.toml` without the table is walked past. Settings are not merged across
/// directories. Each directory is looked at and each file read once.
#[derive(Debug, Default)]
pub struct ConfigFiles {
    /// The configurations found, in the order found.
    pub found: Vec<ConfigFile>,
    /// Directory (absolute) → index in `found` of the configuration governing it, `None` for
    /// the defaults.
    by_directory: HashMap<PathBuf, Option<usize>>,
    /// `--config PATH`: this one governs every file and nothing is searched.
    fixed: Option<usize>,
}

impl ConfigFiles {
    /// Searches for each file's configuration.
    pub fn discover() -> ConfigFiles {
        ConfigFiles::default()
    }

    /// Uses one configuration file for every file (`--config PATH`). A `pyproject.toml` must
    /// have a `[tool.refhound]` table; any other name is read as a `refhound.toml`.
    pub fn fixed(path: &Path) -> Result<ConfigFiles, String> {
        let kind = ConfigKind::for_file_name(
            &path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
        );
        let file = load(path, kind)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .ok_or_else(|| format!("{}: no [tool.refhound] table", path.display()))?;
        Ok(ConfigFiles {
            found: vec![file],
            by_directory: HashMap::new(),
            fixed: Some(0),
        })
    }

    /// The index in `found` of the configuration governing `file`, `None` when none does.
    pub fn config_for(&mut self, file: &Path) -> Option<usize> {
        let directory = match file.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        self.config_for_directory(directory)
    }

    /// The index in `found` of the configuration governing the files of `directory`.
    pub fn config_for_directory(&mut self, directory: &Path) -> Option<usize> {
        if self.fixed.is_some() {
            return self.fixed;
        }
        let mut walked = Vec::new();
        let mut current = Some(absolute(directory));
        let governing = loop {
            let Some(directory) = current else {
                break None;
            };
            if let Some(&known) = self.by_directory.get(&directory) {
                break known;
            }
            if let Some(index) = self.load_in(&directory) {
                walked.push(directory);
                break Some(index);
            }
            current = directory.parent().map(Path::to_path_buf);
            walked.push(directory);
        };
        for directory in walked {
            self.by_directory.insert(directory, governing);
        }
        governing
    }

    /// The configuration file in `directory` itself, read into `found`.
    fn load_in(&mut self, directory: &Path) -> Option<usize> {
        for kind in [ConfigKind::Refhound, ConfigKind::Pyproject] {
            let path = directory.join(kind.file_name());
            if !path.is_file() {
                continue;
            }
            let file = match load(&path, kind) {
                Ok(Some(file)) => file,
                Ok(None) => continue,
                // Unreadable: it may or may not be ours, but silence would hide a broken setup.
                Err(e) => ConfigFile {
                    path: path.clone(),
                    errors: vec![format!("{}: {e}; its settings are ignored", path.display())],
                    config: Config::default(),
                },
            };
            self.found.push(file);
            return Some(self.found.len() - 1);
        }
        None
    }
}

/// Reads a configuration file; `Ok(None)` when it is a `pyproject.toml` without refhound
/// settings.
fn load(path: &Path, kind: ConfigKind) -> Result<Option<ConfigFile>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())?;
    let Some(parsed) = config::parse(kind, &text) else {
        return Ok(None);
    };
    let lines = LineIndex::new(&text);
    let errors = parsed
        .errors
        .iter()
        .map(|error| match &error.range {
            Some(range) => {
                let offset = range.start.min(text.len());
                let line = lines.line_of(offset);
                let column = text[lines.line_start(line)..offset].chars().count() + 1;
                format!("{}:{line}:{column}: {error}", path.display())
            }
            None => format!("{}: {error}", path.display()),
        })
        .collect();
    Ok(Some(ConfigFile {
        path: path.to_path_buf(),
        config: parsed.config,
        errors,
    }))
}

/// `path` made absolute against the current directory, with `.` and `..` resolved by name (not
/// through symbolic links), so `pkg/../x.py` is searched from the directory holding `x.py`.
pub fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// Where a project's baseline file is (see [`crate::baseline`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineFile {
    /// The project root: the directory of the configuration governing the starting
    /// directory, else the starting directory. Baseline entries name files relative to it.
    pub root: PathBuf,
    pub path: PathBuf,
    /// Whether the command line or a configuration named the file: then it must exist.
    pub named: bool,
}

impl BaselineFile {
    /// The baseline of the project `directory` belongs to (the current directory for `refhound
    /// check`, a workspace folder for the server): `named` (already resolved by the caller)
    /// wins, then the `baseline` key of the configuration governing `directory` (relative to
    /// that file), then `.refhound/baseline.json` in the project root.
    pub fn locate(
        configs: &mut ConfigFiles,
        directory: &Path,
        named: Option<&Path>,
    ) -> BaselineFile {
        let directory = absolute(directory);
        let config = configs
            .config_for_directory(&directory)
            .map(|index| &configs.found[index]);
        let root = config
            .and_then(|c| c.path.parent())
            .map_or_else(|| directory.clone(), absolute);
        let configured = config.and_then(|c| c.config.baseline.as_deref());
        let (path, named) = match (named, configured) {
            (Some(path), _) => (absolute(path), true),
            (None, Some(path)) => (absolute(&root.join(path)), true),
            (None, None) => (root.join(crate::baseline::DEFAULT_PATH), false),
        };
        BaselineFile { root, path, named }
    }

    /// `file`'s name in the baseline: relative to the root with `/` separators, or absolute
    /// when it lies outside.
    pub fn name_of(&self, file: &Path) -> String {
        let file = absolute(file);
        match file.strip_prefix(&self.root) {
            Ok(relative) => relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => file.to_string_lossy().replace('\\', "/"),
        }
    }

    /// Where a name of the baseline ([`BaselineFile::name_of`]) is on disk.
    pub fn path_of(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Reads the baseline: `Ok(None)` when the default file does not exist (no baseline); a
    /// named file that does not exist, or a file that is not a baseline, is an error naming it.
    pub fn read(&self) -> Result<Option<crate::baseline::Baseline>, String> {
        let shown = self.path.display();
        let text = match std::fs::read(&self.path) {
            Ok(bytes) => String::from_utf8(bytes).map_err(|_| format!("{shown}: not UTF-8"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.named => return Ok(None),
            Err(e) => return Err(format!("{shown}: {e}")),
        };
        crate::baseline::Baseline::parse(&text)
            .map(Some)
            .map_err(|e| format!("{shown}: {e}"))
    }

    /// Writes the baseline, making its directory when needed.
    pub fn write(&self, baseline: &crate::baseline::Baseline) -> Result<(), String> {
        let shown = self.path.display();
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{shown}: {e}"))?;
        }
        std::fs::write(&self.path, baseline.to_json()).map_err(|e| format!("{shown}: {e}"))
    }
}
