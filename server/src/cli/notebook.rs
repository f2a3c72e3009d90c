//! `refhound check` on a notebook file: its code cells analysed as one module, `--fix` writing
//! back only the cells it changed, `--diff` showing them cell by cell.

use super::fix::{FileFix, Mode, unified_diff, write_atomically};
use crate::analysis::fixes::Allowed;
use crate::analysis::notebook::{Notebook, fix_cells};
use crate::analysis::settings::Settings;
use crate::files::{PythonFile, SourceFile};
use crate::ipynb::Ipynb;

/// Checks (and with `fixing`, fixes) one notebook. The result's text is the code cells joined
/// as analysed, its cells say where each lies; a notebook whose kernel is not Python has no
/// cells and no findings.
pub fn check_notebook(
    file: &PythonFile,
    settings: &Settings,
    fixing: Option<(Mode, Allowed)>,
) -> Result<FileFix, String> {
    let bytes = std::fs::read(&file.path).map_err(|e| format!("{}: {e}", file.display))?;
    let text = String::from_utf8(bytes.clone())
        .map_err(|_| format!("{}: not a valid notebook: not UTF-8", file.display))?;
    let ipynb = Ipynb::parse(text).map_err(|e| format!("{}: {e}", file.display))?;
    if !ipynb.is_python() {
        return Ok(FileFix::unfixed(String::new(), (Vec::new(), None), None));
    }
    let cells: Vec<(usize, String)> = ipynb
        .code_cells()
        .map(|(index, source)| (index, source.to_string()))
        .collect();
    let Some((mode, allowed)) = fixing else {
        let notebook = Notebook::new(ipynb.code_cells());
        let checked = notebook.check(settings);
        return Ok(notebook_fix(
            notebook,
            (checked.findings, checked.note),
            None,
        ));
    };
    let fixed = fix_cells(cells.clone(), settings, allowed);
    let not_fixed = fixed.stopped_at_syntax_error.then(|| {
        format!(
            "{}: some fixes were not applied: together they would have broken the syntax",
            file.display
        )
    });
    if fixed.applied == 0 {
        return Ok(notebook_fix(
            fixed.notebook,
            (fixed.remaining, fixed.note),
            not_fixed,
        ));
    }
    let changed: Vec<(usize, String)> = fixed
        .cells
        .iter()
        .zip(&cells)
        .filter(|(new, old)| new.1 != old.1)
        .map(|(new, _)| new.clone())
        .collect();
    if mode == Mode::Diff {
        let diff = changed
            .iter()
            .map(|(index, new)| {
                let label = format!("{}:cell {}", file.display, index + 1);
                unified_diff(&label, &ipynb.cells[*index].source, new)
            })
            .collect();
        let original = Notebook::new(ipynb.code_cells());
        let mut result = notebook_fix(original, (fixed.remaining, fixed.note), not_fixed);
        result.fixed = fixed.applied;
        result.diff = Some(diff);
        return Ok(result);
    }
    let rewritten = ipynb.with_sources(&changed);
    let read = SourceFile {
        bytes,
        text: ipynb.text.clone(),
    };
    match write_atomically(&file.path, &read, rewritten.as_bytes()) {
        Ok(()) => {
            let mut result = notebook_fix(fixed.notebook, (fixed.remaining, fixed.note), not_fixed);
            result.fixed = fixed.applied;
            Ok(result)
        }
        Err(why) => {
            let notebook = Notebook::new(ipynb.code_cells());
            let checked = notebook.check(settings);
            let why = format!("{}: {why}, not fixed", file.display);
            Ok(notebook_fix(
                notebook,
                (checked.findings, checked.note),
                Some(why),
            ))
        }
    }
}

/// A notebook's findings as a file's, with its cells.
fn notebook_fix(
    notebook: Notebook,
    checked: (Vec<crate::analysis::findings::Finding>, Option<String>),
    not_fixed: Option<String>,
) -> FileFix {
    let mut fix = FileFix::unfixed(notebook.original, checked, not_fixed);
    fix.cells = notebook.cells;
    fix
}
