//! One open document: its text as a rope, its tree-sitter tree and its version. Every change is
//! applied with `Tree::edit` and one incremental reparse; a whole-document change replaces all.

use ropey::Rope;
use tree_sitter::{InputEdit, Parser, Point, Tree};

use super::position::{Encoding, offset_of};
use crate::analysis::parse::python_language;

/// One content change as the client sends it: a range (absent for a whole-document change) and
/// the new text.
pub struct Change {
    pub range: Option<tower_lsp_server::ls_types::Range>,
    pub text: String,
}

#[derive(Clone)]
pub struct Document {
    pub text: Rope,
    pub tree: Tree,
    pub version: i32,
}

impl Document {
    pub fn new(text: &str, version: i32) -> Document {
        let text = Rope::from_str(text);
        let tree = parse(&text, None);
        Document {
            text,
            tree,
            version,
        }
    }

    /// Applies a notification's changes in order, then reparses once, reusing the old tree.
    pub fn apply_changes(&mut self, changes: Vec<Change>, version: i32, encoding: Encoding) {
        let mut whole = false;
        for change in changes {
            match change.range {
                None => {
                    self.text = Rope::from_str(&change.text);
                    whole = true;
                }
                Some(range) => {
                    let start = offset_of(&self.text, range.start, encoding);
                    let end = offset_of(&self.text, range.end, encoding).max(start);
                    let start_position = point(&self.text, start);
                    let old_end_position = point(&self.text, end);
                    let char_start = self.text.byte_to_char(start);
                    self.text.remove(char_start..self.text.byte_to_char(end));
                    self.text.insert(char_start, &change.text);
                    let new_end_byte = start + change.text.len();
                    let edit = InputEdit {
                        start_byte: start,
                        old_end_byte: end,
                        new_end_byte,
                        start_position,
                        old_end_position,
                        new_end_position: point(&self.text, new_end_byte),
                    };
                    self.tree.edit(&edit);
                }
            }
        }
        let old = (!whole).then_some(&self.tree);
        self.tree = parse(&self.text, old);
        self.version = version;
    }
}

/// tree-sitter's point (row, byte column) of a byte offset.
fn point(text: &Rope, offset: usize) -> Point {
    let row = text.byte_to_line(offset);
    Point::new(row, offset - text.line_to_byte(row))
}

/// Parses the rope chunk by chunk, incrementally when an edited old tree is given.
fn parse(text: &Rope, old: Option<&Tree>) -> Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&python_language())
        .expect("the Python grammar loads");
    let mut read = |offset: usize, _: Point| -> &[u8] {
        if offset >= text.len_bytes() {
            return &[];
        }
        let (chunk, chunk_start, _, _) = text.chunk_at_byte(offset);
        &chunk.as_bytes()[offset - chunk_start..]
    };
    parser
        .parse_with_options(&mut read, old, None)
        .expect("parsing without a timeout or cancellation always yields a tree")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::{Position, Range};

    fn change(start: (u32, u32), end: (u32, u32), text: &str) -> Change {
        Change {
            range: Some(Range::new(
                Position::new(start.0, start.1),
                Position::new(end.0, end.1),
            )),
            text: text.to_string(),
        }
    }

    /// A tiny deterministic generator, so the test needs no crate and always replays the same.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, bound: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % bound.max(1)
        }
    }

    #[test]
    fn a_thousand_edits_give_the_fresh_parse() {
        let mut document = Document::new("def f(x):\n    return x\n", 1);
        let pieces = [
            "a",
            "(",
            ")",
            "\n",
            "    ",
            "lambda: y",
            "def g():\n    pass\n",
            "é",
            "😀",
            "\r\n",
            "[i for i in x]",
            ":",
            "#c",
            "\"s\"",
        ];
        let mut random = Lcg(7);
        for version in 2..1002 {
            let lines = document.text.len_lines() as u32;
            let line = random.next(lines as usize) as u32;
            let column = random.next(12) as u32;
            let length = random.next(4) as u32;
            let piece = pieces[random.next(pieces.len())];
            let inserted = if random.next(3) == 0 { "" } else { piece };
            document.apply_changes(
                vec![change((line, column), (line, column + length), inserted)],
                version,
                Encoding::Utf16,
            );
        }
        let text = document.text.to_string();
        let fresh = parse(&Rope::from_str(&text), None);
        assert_eq!(
            document.tree.root_node().to_sexp(),
            fresh.root_node().to_sexp()
        );
        assert_eq!(document.version, 1001);
    }

    #[test]
    fn changes_apply_in_order_and_whole_text_replaces() {
        let mut document = Document::new("x = 1\n", 1);
        document.apply_changes(
            vec![
                change((0, 4), (0, 5), "[0] * 10"),
                change((1, 0), (1, 0), "y = x\n"),
            ],
            2,
            Encoding::Utf16,
        );
        assert_eq!(document.text.to_string(), "x = [0] * 10\ny = x\n");
        document.apply_changes(
            vec![Change {
                range: None,
                text: "z = 2\n".into(),
            }],
            3,
            Encoding::Utf16,
        );
        assert_eq!(document.text.to_string(), "z = 2\n");
        assert_eq!(document.version, 3);
        assert!(!document.tree.root_node().has_error());
    }
}
