//! `refhound check --fix` and `--diff`: the analysis's fixes applied to files on disk, each file
//! rewritten atomically or shown as a unified diff.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use crate::analysis::findings::Finding;
use crate::analysis::fix_all::fix_all_keeping;
use crate::analysis::fixes::Allowed;
use crate::analysis::notebook::CellSpan;
use crate::analysis::parse::{parse_checked, parse_note};
use crate::analysis::settings::Settings;
use crate::files::{PythonFile, SourceFile, read_source_file};

/// What to do with the fixed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write it back to the file (`--fix`).
    Write,
    /// Leave the file alone and keep the text for a diff (`--diff`).
    Diff,
}

/// What fixing one file came to.
pub struct FileFix {
    /// The file's text the findings refer to: the rewritten one when it was written, the one on
    /// disk otherwise.
    pub text: String,
    pub findings: Vec<Finding>,
    /// Fixes applied (written, or shown by the diff).
    pub fixed: usize,
    /// With [`Mode::Diff`], the text `--fix` would write.
    pub rewritten: Option<String>,
    /// Why fixes were not written, worded for the terminal with the file's name.
    pub not_fixed: Option<String>,
    /// What was not analysed in the file's text: it was not parsed, or had syntax errors.
    pub parse_note: Option<String>,
    /// For a notebook: where each code cell lies in `text` (its cells joined).
    pub cells: Vec<CellSpan>,
    /// For a notebook with `--diff`: the diff of each changed cell.
    pub diff: Option<String>,
}

impl FileFix {
    /// A file as it is on disk, with its findings.
    pub fn unfixed(
        text: String,
        (findings, parse_note): (Vec<Finding>, Option<String>),
        not_fixed: Option<String>,
    ) -> FileFix {
        FileFix {
            text,
            findings,
            fixed: 0,
            rewritten: None,
            not_fixed,
            parse_note,
            cells: Vec::new(),
            diff: None,
        }
    }
}

/// Applies the allowed fixes to one file: in rounds until none is left, then writes the result
/// (or keeps it for a diff). No fix may unbind a module-level name of `keep` (names other
/// modules of the checked tree use). A file in an encoding other than UTF-8 is not rewritten, nor a
/// file that changed on disk while it was being fixed.
pub fn fix_file(
    file: &PythonFile,
    settings: &Settings,
    allowed: Allowed,
    mode: Mode,
    keep: &HashSet<String>,
) -> Result<FileFix, String> {
    let source = read_source_file(file)?;
    if !source.is_utf8() {
        let checked = check(&source.text, settings);
        let fixable = checked
            .0
            .iter()
            .filter(|f| allowed.fix_for(f).is_some())
            .count();
        let not_fixed = (fixable > 0).then(|| {
            format!(
                "{}: {fixable} fixable finding(s) not fixed: only UTF-8 files are rewritten",
                file.display
            )
        });
        return Ok(FileFix::unfixed(source.text, checked, not_fixed));
    }
    let fixed = fix_all_keeping(&source.text, settings, allowed, keep);
    let not_fixed = fixed.stopped_at_syntax_error.then(|| {
        format!(
            "{}: some fixes were not applied: together they would have broken the syntax",
            file.display
        )
    });
    let note = |text: &str| {
        let (tree, refusal) = parse_checked(text);
        parse_note(text, &tree, refusal.as_ref())
    };
    if fixed.applied == 0 {
        let parse_note = note(&source.text);
        return Ok(FileFix::unfixed(
            source.text,
            (fixed.remaining, parse_note),
            not_fixed,
        ));
    }
    if mode == Mode::Diff {
        return Ok(FileFix {
            parse_note: note(&fixed.text),
            text: source.text,
            findings: fixed.remaining,
            fixed: fixed.applied,
            rewritten: Some(fixed.text),
            not_fixed,
            cells: Vec::new(),
            diff: None,
        });
    }
    let bytes = source
        .encode_like(&fixed.text)
        .expect("checked above: the file is UTF-8");
    match write_atomically(&file.path, &source, &bytes) {
        Ok(()) => Ok(FileFix {
            parse_note: note(&fixed.text),
            text: fixed.text,
            findings: fixed.remaining,
            fixed: fixed.applied,
            rewritten: None,
            not_fixed,
            cells: Vec::new(),
            diff: None,
        }),
        Err(why) => {
            let checked = check(&source.text, settings);
            let why = format!("{}: {why}, not fixed", file.display);
            Ok(FileFix::unfixed(source.text, checked, Some(why)))
        }
    }
}

/// The findings of a file's text, and what was not analysed (see [`parse_note`]).
pub fn check(text: &str, settings: &Settings) -> (Vec<Finding>, Option<String>) {
    let (tree, refusal) = parse_checked(text);
    let note = parse_note(text, &tree, refusal.as_ref());
    (crate::analysis::check(text, &tree, settings), note)
}

/// Replaces the file's content with `bytes` as one step: a temporary file in the same directory
/// (so the rename stays on one file system), with the file's permissions, renamed over it. A
/// symbolic link is written through, not replaced. When the file no longer holds what was read
/// (an editor or another tool wrote it meanwhile), nothing is written.
pub(super) fn write_atomically(path: &Path, read: &SourceFile, bytes: &[u8]) -> Result<(), String> {
    let target = std::fs::canonicalize(path).map_err(|e| e.to_string())?;
    let directory = target
        .parent()
        .ok_or_else(|| "no parent directory".to_string())?;
    let permissions = std::fs::metadata(&target)
        .map_err(|e| e.to_string())?
        .permissions();
    let mut temporary = tempfile::Builder::new()
        .prefix(".refhound-")
        .suffix(".tmp")
        .tempfile_in(directory)
        .map_err(|e| format!("cannot create a temporary file beside it: {e}"))?;
    temporary
        .write_all(bytes)
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(|e| e.to_string())?;
    std::fs::set_permissions(temporary.path(), permissions).map_err(|e| e.to_string())?;
    let now = std::fs::read(&target).map_err(|e| e.to_string())?;
    if now != read.bytes {
        return Err("changed while checking".to_string());
    }
    temporary
        .persist(&target)
        .map(|_| ())
        .map_err(|e| e.error.to_string())
}

/// A unified diff of `old` to `new` with three lines of context, headed `--- a/PATH` and
/// `+++ b/PATH`.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary_file(name: &str, text: &str) -> (tempfile::TempDir, PythonFile) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join(name);
        std::fs::write(&path, text).unwrap();
        let file = PythonFile {
            display: name.to_string(),
            path,
        };
        (directory, file)
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_overwritten() {
        let (directory, file) = temporary_file("a.py", "x = 1\n");
        let read = read_source_file(&file).unwrap();
        std::fs::write(&file.path, "x = 2\n").unwrap();
        assert_eq!(
            write_atomically(&file.path, &read, b"x = 3\n"),
            Err("changed while checking".to_string())
        );
        assert_eq!(std::fs::read_to_string(&file.path).unwrap(), "x = 2\n");
        // The temporary file went with the refusal.
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_written_through() {
        let (directory, file) = temporary_file("real.py", "x = 1\n");
        let link = directory.path().join("link.py");
        std::os::unix::fs::symlink(&file.path, &link).unwrap();
        let read = read_source_file(&file).unwrap();
        write_atomically(&link, &read, b"x = 3\n").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&file.path).unwrap(), "x = 3\n");
    }

    #[test]
    fn fix_file_writes_fixes_and_reports_the_rest() {
        let (_directory, file) =
            temporary_file("a.py", "import gc\ngc.set_debug(gc.DEBUG_LEAK)\nx = 1\n");
        let settings = Settings::default();
        let diff = fix_file(&file, &settings, Allowed::Safe, Mode::Diff, &HashSet::new()).unwrap();
        assert_eq!(diff.rewritten.as_deref(), Some("import gc\nx = 1\n"));
        assert_eq!(diff.fixed, 1);
        let written = fix_file(
            &file,
            &settings,
            Allowed::Safe,
            Mode::Write,
            &HashSet::new(),
        )
        .unwrap();
        assert_eq!(
            (written.text.as_str(), written.fixed),
            ("import gc\nx = 1\n", 1)
        );
        assert!(written.findings.is_empty() && written.not_fixed.is_none());
        assert_eq!(
            std::fs::read_to_string(&file.path).unwrap(),
            "import gc\nx = 1\n"
        );
    }
}
