//! Notebooks: their code cells joined into one module, as the kernel runs them in one namespace,
//! with IPython's own syntax (`%magic`, `%%cell magic`, `!shell`, `?help`) masked so that it
//! keeps its place and yields nothing. Offsets in the joined text map back to a cell and an
//! offset in it; fixes are applied to the cells they change.

use std::ops::Range;

use tree_sitter::Tree;

use super::findings::{Edit, Finding};
use super::fix_all::{Kept, select_fixes_keeping};
use super::fixes::{Allowed, apply_edits};
use super::line_index::LineIndex;
use super::parse::{parse_checked, parse_note};
use super::settings::Settings;

/// The code cells of a notebook joined into one module: each cell's text, masked, followed by
/// one newline, so that an offset at a cell's end (an insertion there) still belongs to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notebook {
    /// The joined text, IPython syntax masked: what is parsed and analysed.
    pub text: String,
    /// The joined text as the cells hold it: same offsets as `text`, for showing code.
    pub original: String,
    pub cells: Vec<CellSpan>,
}

/// Where one code cell lies in the joined text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellSpan {
    /// The caller's name for the cell: its index among the notebook's cells.
    pub index: usize,
    /// The cell's text in the joined text (without the newline that follows it).
    pub range: Range<usize>,
}

impl Notebook {
    /// Joins code cells, given as (the caller's index, text) in notebook order.
    pub fn new<'c>(cells: impl IntoIterator<Item = (usize, &'c str)>) -> Notebook {
        let (mut text, mut original, mut spans) = (String::new(), String::new(), Vec::new());
        for (index, cell) in cells {
            let start = text.len();
            text.push_str(&mask_ipython(cell));
            original.push_str(cell);
            spans.push(CellSpan {
                index,
                range: start..text.len(),
            });
            text.push('\n');
            original.push('\n');
        }
        Notebook {
            text,
            original,
            cells: spans,
        }
    }

    /// The cells' ranges in the joined text, for [`super::check_cells`].
    pub fn ranges(&self) -> Vec<Range<usize>> {
        self.cells.iter().map(|c| c.range.clone()).collect()
    }

    /// The cell holding `offset` of the joined text, and the offset in the cell. An offset on
    /// the newline after a cell is that cell's end.
    pub fn locate(&self, offset: usize) -> Option<(&CellSpan, usize)> {
        let after = self.cells.partition_point(|c| c.range.start <= offset);
        let cell = self.cells.get(after.checked_sub(1)?)?;
        (offset <= cell.range.end).then(|| (cell, offset - cell.range.start))
    }

    /// The offset in the joined text of `offset` in the cell at `position` of [`Notebook::cells`].
    pub fn offset(&self, position: usize, offset: usize) -> Option<usize> {
        let cell = self.cells.get(position)?;
        (offset <= cell.range.len()).then(|| cell.range.start + offset)
    }

    /// Parses the joined text and returns its findings, a cell's `# refhound: ignore` applying
    /// to its own lines as in a file.
    pub fn check(&self, settings: &Settings) -> Checked {
        let (tree, refusal) = parse_checked(&self.text);
        let mut findings = super::check_cells(&self.text, &tree, settings, &self.ranges());
        for finding in &mut findings {
            self.in_cells_finding(finding);
        }
        let note = parse_note(&self.text, &tree, refusal.as_ref()).map(|note| self.in_cells(&note));
        Checked {
            tree,
            findings,
            note,
        }
    }

    /// `words` (a message, a parse note) with each "line N" of the joined text said as
    /// "cell C, line n": C counted from 1 among all cells, as notebooks number them, n in the
    /// cell.
    pub fn in_cells(&self, words: &str) -> String {
        let lines = LineIndex::new(&self.text);
        let mut out = String::with_capacity(words.len());
        let mut rest = words;
        while let Some(at) = rest.find("line ") {
            let (before, after) = rest.split_at(at + "line ".len());
            let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let line = after[..digits].parse::<usize>().ok();
            let place = line
                .and_then(|line| self.locate(lines.line_start(line)))
                .filter(|_| !before[..at].ends_with(|c: char| c.is_alphanumeric()));
            match place {
                Some((cell, in_cell)) => {
                    let cell_line = self.text[cell.range.start..cell.range.start + in_cell]
                        .matches('\n')
                        .count()
                        + 1;
                    out.push_str(&before[..at]);
                    out.push_str(&format!("cell {}, line {cell_line}", cell.index + 1));
                }
                None => out.push_str(&rest[..at + "line ".len() + digits]),
            }
            rest = &after[digits..];
        }
        out.push_str(rest);
        out
    }

    /// `finding`'s words with its lines given in their cells (see [`Notebook::in_cells`]).
    fn in_cells_finding(&self, finding: &mut Finding) {
        finding.message = self.in_cells(&finding.message);
        for related in &mut finding.related {
            related.message = self.in_cells(&related.message);
        }
        for fix in &mut finding.fixes {
            fix.title = self.in_cells(&fix.title);
        }
    }

    /// The cell a fix's edits all fall in, or `None` when they reach over a cell boundary or
    /// into masked IPython syntax (a fix is made for Python; it must not rewrite what it did
    /// not parse).
    pub fn cell_of_edits(&self, edits: &[Edit]) -> Option<usize> {
        let mut cells = edits
            .iter()
            .map(|edit| self.cell_edit(edit).map(|(cell, _)| cell));
        let first = cells.next()??;
        cells.all(|c| c == Some(first)).then_some(first)
    }

    /// `edit` of the joined text as an edit of one cell's text: the cell's position in
    /// [`Notebook::cells`] and the edit in its offsets. A removal that takes the newline after
    /// the cell's last line (the one joining it to the next cell) leaves that newline.
    pub fn cell_edit(&self, edit: &Edit) -> Option<(usize, Edit)> {
        let (cell, start) = self.locate(edit.range.start)?;
        let position = self.cells.iter().position(|c| c.index == cell.index)?;
        let mut end = edit.range.end;
        if end == cell.range.end + 1 && edit.text.is_empty() {
            end -= 1;
        }
        let unmasked = self.text[edit.range.start..end] == self.original[edit.range.start..end];
        (end <= cell.range.end && unmasked).then(|| {
            let edit = Edit {
                range: start..start + (end - edit.range.start),
                text: edit.text.clone(),
            };
            (position, edit)
        })
    }
}

/// A notebook's analysis.
pub struct Checked {
    pub tree: Tree,
    pub findings: Vec<Finding>,
    /// What was not analysed ([`parse_note`]), its line given in its cell.
    pub note: Option<String>,
}

/// What fixing a notebook came to: its code cells' new texts, and what is left to report.
#[derive(Debug)]
pub struct FixedCells {
    /// Every code cell as (index, text), changed or not.
    pub cells: Vec<(usize, String)>,
    pub applied: usize,
    /// The joined notebook of the final texts, which `remaining` refers to.
    pub notebook: Notebook,
    pub remaining: Vec<Finding>,
    /// What was not analysed of the final texts.
    pub note: Option<String>,
    /// A round's fixes would have broken the syntax; that round was dropped.
    pub stopped_at_syntax_error: bool,
}

/// Applies the allowed fixes to the code cells `cells` ((index, text) in notebook order) in
/// rounds, as [`super::fix_all::fix_all`] does for a file: each fix whose edits lie in one cell
/// and outside IPython syntax is applied to that cell's own text.
pub fn fix_cells(cells: Vec<(usize, String)>, settings: &Settings, allowed: Allowed) -> FixedCells {
    let mut cells = cells;
    let join = |cells: &[(usize, String)]| Notebook::new(cells.iter().map(|(i, t)| (*i, &**t)));
    let mut notebook = join(&cells);
    let Checked {
        mut tree,
        mut findings,
        mut note,
    } = notebook.check(settings);
    let (mut applied, mut stopped_at_syntax_error) = (0, false);
    for _ in 0..super::fix_all::MAX_FIX_ROUNDS {
        let fixable: Vec<Finding> = findings
            .iter()
            .filter(|f| {
                allowed
                    .fix_for(f)
                    .is_some_and(|fix| notebook.cell_of_edits(&fix.edits).is_some())
            })
            .cloned()
            .collect();
        let (edits, fixes) =
            select_fixes_keeping(&notebook.text, &fixable, allowed, &Kept::default());
        if fixes == 0 {
            break;
        }
        let mut rewritten = cells.clone();
        let in_cells: Vec<(usize, Edit)> =
            edits.iter().filter_map(|e| notebook.cell_edit(e)).collect();
        for (position, (_, text)) in rewritten.iter_mut().enumerate() {
            let own: Vec<Edit> = in_cells
                .iter()
                .filter(|(p, _)| *p == position)
                .map(|(_, e)| e.clone())
                .collect();
            if !own.is_empty() {
                *text = apply_edits(text, &own);
            }
        }
        let next = join(&rewritten);
        let checked = next.check(settings);
        if checked.tree.root_node().has_error() && !tree.root_node().has_error() {
            stopped_at_syntax_error = true;
            break;
        }
        (cells, notebook) = (rewritten, next);
        (tree, findings, note) = (checked.tree, checked.findings, checked.note);
        applied += fixes;
    }
    FixedCells {
        cells,
        applied,
        notebook,
        remaining: findings,
        note,
        stopped_at_syntax_error,
    }
}

/// Cell magics whose body is Python run as is (`%%time` times the cell): only their first line
/// is masked. Any other cell magic's body is another language (`%%bash`, `%%html`, `%%sql`).
const PYTHON_BODY_CELL_MAGICS: &[&str] = &["time", "timeit", "capture", "prun", "debug"];

/// The cell's text with IPython syntax replaced by Python that does nothing (`0`, then spaces),
/// byte for byte the same length and with the same line breaks, so offsets need no mapping.
/// Only lines that start a statement are looked at: `%` or `!` inside brackets or strings is
/// Python's own (`a % b` over two lines).
pub fn mask_ipython(cell: &str) -> String {
    let mut masked = cell.as_bytes().to_vec();
    let first_line = cell.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if let Some(magic) = first_line.trim_start().strip_prefix("%%") {
        let name = magic.split_whitespace().next().unwrap_or("");
        let start = cell.find("%%").unwrap_or(0);
        let end = if PYTHON_BODY_CELL_MAGICS.contains(&name) {
            start + first_line.trim_start().len()
        } else {
            cell.len()
        };
        blank(&mut masked, start..end);
        return String::from_utf8(masked).unwrap_or_else(|_| cell.to_string());
    }
    for line in statement_starts(cell) {
        let end_of_line = |from: usize| logical_line_end(cell, from);
        let text = &cell[line..];
        let indented = text.len() - text.trim_start_matches([' ', '\t']).len();
        let start = line + indented;
        let rest = &cell[start..cell[start..].find('\n').map_or(cell.len(), |n| start + n)];
        let code = rest.trim_end();
        let help = code.ends_with('?') && !code.starts_with('#') && !has_comment(code);
        if code.starts_with(['%', '!', '?', '/', ',', ';']) || help {
            blank(&mut masked, start..end_of_line(start));
        } else if let Some(at) = assigned_escape(code) {
            blank(&mut masked, start + at..end_of_line(start + at));
        }
    }
    String::from_utf8(masked).unwrap_or_else(|_| cell.to_string())
}

/// Replaces `range` of `bytes` with `0` and spaces, keeping its line breaks.
fn blank(bytes: &mut [u8], range: Range<usize>) {
    let mut first = true;
    for byte in &mut bytes[range] {
        if *byte == b'\n' || *byte == b'\r' {
            continue;
        }
        *byte = if std::mem::take(&mut first) {
            b'0'
        } else {
            b' '
        };
    }
}

/// The end of the line `from` is on, following backslash continuations (an IPython command
/// goes on over a trailing `\` as Python does).
fn logical_line_end(cell: &str, from: usize) -> usize {
    let mut end = cell[from..].find('\n').map_or(cell.len(), |n| from + n);
    while end < cell.len() && cell[..end].trim_end_matches('\r').ends_with('\\') {
        end = cell[end + 1..]
            .find('\n')
            .map_or(cell.len(), |n| end + 1 + n);
    }
    end
}

/// Whether a line holds a `#` comment outside a string (a line ending in `?` after a comment is
/// Python).
fn has_comment(code: &str) -> bool {
    let mut quote = None;
    for c in code.chars() {
        match (quote, c) {
            (None, '#') => return true,
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    false
}

/// In `names = %magic` or `names = !command`, where the command starts.
fn assigned_escape(code: &str) -> Option<usize> {
    let equals = code.find('=')?;
    let (targets, value) = (&code[..equals], &code[equals + 1..]);
    let plain = |c: char| c.is_alphanumeric() || "_., []()".contains(c);
    if targets.trim().is_empty() || !targets.chars().all(plain) || value.starts_with('=') {
        return None;
    }
    let command = value.trim_start();
    command
        .starts_with(['%', '!'])
        .then(|| code.len() - command.len())
}

/// The byte offsets where a statement can start in `cell`: line starts outside brackets,
/// strings and continuation lines.
fn statement_starts(cell: &str) -> Vec<usize> {
    let bytes = cell.as_bytes();
    let mut starts = vec![0];
    let (mut depth, mut i) = (0usize, 0);
    let mut quote: Option<(&[u8], bool)> = None; // the closing quote, whether it is triple
    let mut continued = false;
    while i < bytes.len() {
        let byte = bytes[i];
        if let Some((close, triple)) = quote {
            if byte == b'\\' {
                i += 2;
                continue;
            }
            if bytes[i..].starts_with(close) {
                quote = None;
                i += close.len();
                continue;
            }
            if byte == b'\n' && !triple {
                quote = None;
            } else {
                i += 1;
                continue;
            }
        }
        match byte {
            b'#' => {
                i = cell[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'\'' | b'"' => {
                let triple = bytes[i..].starts_with(&[byte; 3]);
                let close: &[u8] = if triple {
                    &bytes[i..i + 3]
                } else {
                    &bytes[i..i + 1]
                };
                quote = Some((close, triple));
                i += close.len();
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => continued = true,
            b'\n' => {
                if depth == 0 && !continued {
                    starts.push(i + 1);
                }
                continued = false;
            }
            _ => {}
        }
        i += 1;
    }
    starts.retain(|&s| s < bytes.len());
    starts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    #[test]
    fn magics_are_masked_in_place() {
        let cell = "%matplotlib inline\nimport os\n!ls -l \\\n  /tmp\nfiles = !ls\nos?\n??os\n\
                    x = (1 %\n     2)\ns = '''\n%not magic\n'''\n";
        let masked = mask_ipython(cell);
        assert_eq!(masked.len(), cell.len());
        assert_eq!(
            masked,
            "0                 \nimport os\n0       \n      \nfiles = 0  \n0  \n0   \n\
             x = (1 %\n     2)\ns = '''\n%not magic\n'''\n"
        );
        assert!(!parse(&masked).root_node().has_error());
    }

    #[test]
    fn cell_magics_mask_the_cell_or_only_their_line() {
        assert_eq!(mask_ipython("%%bash\necho hi\n"), "0     \n       \n");
        assert_eq!(mask_ipython("%%time\nx = f()\n"), "0     \nx = f()\n");
        let indented = mask_ipython("for x in y:\n    %time f(x)\n");
        assert_eq!(indented, "for x in y:\n    0         \n");
        assert!(!parse(&indented).root_node().has_error());
    }

    #[test]
    fn python_that_looks_like_ipython_is_kept() {
        for python in [
            "x = a % b\n",
            "y = a != b\n",
            "z = 'what?'\n",
            "w = 1  # why?\n",
            "if a == !b: pass\n",
        ] {
            assert_eq!(mask_ipython(python), python);
        }
    }

    #[test]
    fn lines_are_said_in_their_cells() {
        let notebook = Notebook::new([(1, "a = 1\n"), (3, "b = 2\nc = 3")]);
        assert_eq!(
            notebook.in_cells("made at line 4 (line 1); online 3, line 9, line x"),
            "made at cell 4, line 2 (cell 2, line 1); online 3, line 9, line x"
        );
    }

    #[test]
    fn offsets_map_to_cells_and_back() {
        let notebook = Notebook::new([(0, "a = 1\n"), (2, "b = 2")]);
        assert_eq!(notebook.text, "a = 1\n\nb = 2\n");
        assert_eq!(notebook.cells[1].range, 7..12);
        let (cell, offset) = notebook.locate(9).unwrap();
        assert_eq!((cell.index, offset), (2, 2));
        assert_eq!(notebook.locate(6).map(|(c, o)| (c.index, o)), Some((0, 6)));
        assert_eq!(notebook.offset(1, 2), Some(9));
        assert_eq!(notebook.offset(1, 9), None);
    }
}
