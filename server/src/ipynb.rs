//! Jupyter notebook files (`.ipynb`, nbformat 4): their cells read from the JSON, and cell
//! sources written back into it. Only the `source` values of the cells that change are
//! rewritten; every other byte of the file (metadata, outputs, key order, indentation, the
//! trailing newline) stays as it was.

use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

/// One cell of a notebook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub kind: CellKind,
    /// The cell's source, its lines joined.
    pub source: String,
    /// Where the `source` value lies in the file's text.
    span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Code,
    /// Markdown and raw cells: not run, not analysed.
    Other,
}

/// A notebook file's text and its cells.
#[derive(Debug, Clone)]
pub struct Ipynb {
    pub text: String,
    pub cells: Vec<Cell>,
    /// The kernel's language when the notebook names one (`metadata.kernelspec.language`, else
    /// `metadata.language_info.name`); code cells are Python unless it names another.
    pub language: Option<String>,
}

#[derive(Deserialize)]
struct RawNotebook<'a> {
    #[serde(borrow)]
    cells: Vec<RawCell<'a>>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize)]
struct RawCell<'a> {
    cell_type: String,
    #[serde(borrow)]
    source: &'a RawValue,
}

#[derive(Deserialize, Default)]
struct Metadata {
    kernelspec: Option<Named>,
    language_info: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    language: Option<String>,
    name: Option<String>,
}

/// A cell's source as nbformat stores it: a list of lines (each but the last ending in `\n`) or
/// one string.
#[derive(Deserialize)]
#[serde(untagged)]
enum Source {
    Lines(Vec<String>),
    Text(String),
}

impl Ipynb {
    /// Reads a notebook from its file's text; the error says what is wrong with it.
    pub fn parse(text: String) -> Result<Ipynb, String> {
        let raw: RawNotebook =
            serde_json::from_str(&text).map_err(|e| format!("not a valid notebook: {e}"))?;
        let language = raw
            .metadata
            .kernelspec
            .and_then(|k| k.language)
            .or_else(|| raw.metadata.language_info.and_then(|l| l.name));
        let base = text.as_ptr() as usize;
        let cells = raw
            .cells
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                let json = cell.source.get();
                let start = json.as_ptr() as usize - base;
                let source = match serde_json::from_str(json) {
                    Ok(Source::Lines(lines)) => lines.concat(),
                    Ok(Source::Text(text)) => text,
                    Err(_) => {
                        return Err(format!(
                            "not a valid notebook: cell {}'s source is neither a string nor a \
                             list of strings",
                            index + 1
                        ));
                    }
                };
                Ok(Cell {
                    kind: match cell.cell_type.as_str() {
                        "code" => CellKind::Code,
                        _ => CellKind::Other,
                    },
                    source,
                    span: start..start + json.len(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Ipynb {
            cells,
            language,
            text,
        })
    }

    /// Whether the notebook's code cells are Python.
    pub fn is_python(&self) -> bool {
        self.language
            .as_deref()
            .is_none_or(|l| l.eq_ignore_ascii_case("python"))
    }

    /// The code cells as (index among all cells, source), in order.
    pub fn code_cells(&self) -> impl Iterator<Item = (usize, &str)> {
        self.cells
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == CellKind::Code)
            .map(|(i, c)| (i, c.source.as_str()))
    }

    /// The file's text with the cells of `sources` (index, new source) rewritten, each in the
    /// form its old value had (a list of lines laid out as before, or a string).
    pub fn with_sources(&self, sources: &[(usize, String)]) -> String {
        let mut changed: Vec<_> = sources
            .iter()
            .filter(|(i, s)| self.cells.get(*i).is_some_and(|c| &c.source != s))
            .collect();
        changed.sort_by_key(|(i, _)| std::cmp::Reverse(*i));
        let mut text = self.text.clone();
        for (index, source) in changed {
            let span = self.cells[*index].span.clone();
            let json = self.source_json(&span, source);
            text.replace_range(span, &json);
        }
        text
    }

    /// `source` as JSON laid out like the value at `span`.
    fn source_json(&self, span: &Range<usize>, source: &str) -> String {
        let old = &self.text[span.clone()];
        let quote = |s: &str| serde_json::to_string(s).expect("a string always serialises");
        if !old.starts_with('[') {
            return quote(source);
        }
        let lines: Vec<String> = source.split_inclusive('\n').map(quote).collect();
        if lines.is_empty() {
            return "[]".to_string();
        }
        // Where the old list put its items and its closing bracket; nbformat's own layout
        // (one item per line, one space deeper than the key) when it was empty or on one line.
        let line_start = self.text[..span.start].rfind('\n').map_or(0, |n| n + 1);
        let key_indent = &self.text[line_start
            ..line_start
                + self.text[line_start..]
                    .find(|c: char| c != ' ' && c != '\t')
                    .unwrap_or(0)];
        let (item_indent, close_indent) = match old.find('\n') {
            Some(first) if old.len() > 2 => {
                let after = &old[first + 1..];
                let item = &after[..after.find(|c: char| c != ' ' && c != '\t').unwrap_or(0)];
                let last = old.rfind('\n').unwrap_or(first);
                (item.to_string(), old[last + 1..old.len() - 1].to_string())
            }
            _ if old.len() > 2 && !old.contains('\n') => {
                return format!("[{}]", lines.join(", "));
            }
            _ => (format!("{key_indent} "), key_indent.to_string()),
        };
        format!(
            "[\n{item_indent}{}\n{close_indent}]",
            lines.join(&format!(",\n{item_indent}"))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTEBOOK: &str = r##"{
 "cells": [
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": [
    "# Title é"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {},
   "outputs": [{"data": {"text/plain": ["3.0"]}, "output_type": "execute_result"}],
   "source": [
    "%matplotlib inline\n",
    "x = 1\n",
    "x"
   ]
  },
  {
   "cell_type": "code",
   "source": "y = 2",
   "metadata": {}
  },
  {
   "cell_type": "code",
   "source": [],
   "metadata": {}
  }
 ],
 "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
"##;

    #[test]
    fn cells_are_read_with_their_sources() {
        let notebook = Ipynb::parse(NOTEBOOK.to_string()).unwrap();
        assert!(notebook.is_python());
        let code: Vec<_> = notebook.code_cells().collect();
        assert_eq!(
            code,
            [(1, "%matplotlib inline\nx = 1\nx"), (2, "y = 2"), (3, "")]
        );
        assert_eq!(notebook.cells[0].kind, CellKind::Other);
    }

    #[test]
    fn rewriting_a_cell_keeps_every_other_byte() {
        let notebook = Ipynb::parse(NOTEBOOK.to_string()).unwrap();
        assert_eq!(
            notebook.with_sources(&[(1, notebook.cells[1].source.clone())]),
            NOTEBOOK
        );
        let text = notebook.with_sources(&[
            (1, "%matplotlib inline\nx = 1\nx;".to_string()),
            (2, "y = 3\n".to_string()),
            (3, "z = 4\nz".to_string()),
        ]);
        let expected = NOTEBOOK
            .replace("    \"x\"\n", "    \"x;\"\n")
            .replace("\"source\": \"y = 2\"", "\"source\": \"y = 3\\n\"")
            .replace(
                "\"source\": [],",
                "\"source\": [\n    \"z = 4\\n\",\n    \"z\"\n   ],",
            );
        assert_eq!(text, expected);
        let again = Ipynb::parse(text).unwrap();
        assert_eq!(again.cells[3].source, "z = 4\nz");
    }

    #[test]
    fn a_broken_notebook_says_why() {
        let error = Ipynb::parse("{\"cells\": [".to_string()).unwrap_err();
        assert!(error.starts_with("not a valid notebook: "), "{error}");
        let error = Ipynb::parse(r#"{"cells": [{"cell_type": "code", "source": 3}]}"#.to_string())
            .unwrap_err();
        assert!(error.contains("cell 1's source"), "{error}");
        let r =
            Ipynb::parse(r#"{"cells": [], "metadata": {"kernelspec": {"language": "R"}}}"#.into());
        assert!(!r.unwrap().is_python());
    }
}
