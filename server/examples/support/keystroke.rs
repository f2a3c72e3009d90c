//! The keystroke both profiling examples replay: one character typed after `self.` in a method
//! in mid-file, then deleted, each version parsed incrementally from the last as the server
//! parses it (so that the parse shares the subtrees the edit left alone).

use tree_sitter::{InputEdit, Parser, Point, Tree};

/// The two versions a keystroke alternates between, with the edit that makes each.
pub struct Keystroke {
    versions: [(String, InputEdit); 2],
    typed: usize,
}

impl Keystroke {
    pub fn new(text: &str) -> Keystroke {
        let at = text.len() / 2 + text[text.len() / 2..].find("self.").map_or(0, |i| i + 5);
        let row = text[..at].matches('\n').count();
        let column = at - text[..at].rfind('\n').map_or(0, |n| n + 1);
        let (before, after) = (Point::new(row, column), Point::new(row, column + 1));
        let typed = InputEdit {
            start_byte: at,
            old_end_byte: at,
            new_end_byte: at + 1,
            start_position: before,
            old_end_position: before,
            new_end_position: after,
        };
        let deleted = InputEdit {
            old_end_byte: at + 1,
            new_end_byte: at,
            old_end_position: after,
            new_end_position: before,
            ..typed
        };
        let edited = format!("{}x{}", &text[..at], &text[at..]);
        Keystroke {
            versions: [(edited, typed), (text.to_string(), deleted)],
            typed: 0,
        }
    }

    /// The next version's text and its tree, parsed incrementally from `last` (the tree of the
    /// version before it).
    pub fn next(&mut self, parser: &mut Parser, last: &mut Tree) -> (&str, Tree) {
        let (text, edit) = &self.versions[self.typed % 2];
        self.typed += 1;
        last.edit(edit);
        let tree = parser.parse(text, Some(last)).expect("a tree");
        (text, tree)
    }
}
