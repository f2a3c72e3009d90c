//! One open document: its text as a rope, its tree-sitter tree and its version.
//!
//! Only the documents used last keep their tree (see `State::keep_recent_trees`): a tree is many
//! times the size of its text, and an open tab nobody looks at needs only its text and its last
//! findings. A document whose tree was dropped is parsed again when it is next needed.
//!
//! A change is applied to the text and, through `Tree::edit`, to the last tree at once (cheap,
//! before the handler's first `.await`); the reparse happens later, on a blocking thread, from a
//! [`Snapshot`]: one incremental reparse for however many edits arrived meanwhile. A whole-document
//! change leaves nothing to reuse, so the next parse starts afresh.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ropey::Rope;
use tree_sitter::{InputEdit, Point, Tree};

use super::diagnostics::Analysis;
use super::position::{Encoding, offset_of};
use crate::analysis::Cache;
use crate::analysis::indentation::{Guard, Refusal};
use crate::analysis::parse::{blank, lone_cr_as_lf, python_parser};

/// Every state of every document gets a number never given before: the client's versions may go
/// backwards (a document reopened, a client that restarts its count), these never do.
static REVISIONS: AtomicU64 = AtomicU64::new(1);

pub fn next_revision() -> u64 {
    REVISIONS.fetch_add(1, Ordering::Relaxed)
}

/// When each document was last used (opened, edited, its tree needed): a clock of its own, so
/// that the documents used last are known whatever their revisions.
static TOUCHES: AtomicU64 = AtomicU64::new(1);

fn next_touch() -> u64 {
    TOUCHES.fetch_add(1, Ordering::Relaxed)
}

/// One content change as the client sends it: a range (absent for a whole-document change) and
/// the new text.
pub struct Change {
    pub range: Option<tower_lsp_server::ls_types::Range>,
    pub text: String,
}

pub struct Document {
    pub text: Rope,
    pub version: i32,
    /// This state's number (see [`REVISIONS`]): what "is this result still current" compares.
    pub revision: u64,
    tree: TreeState,
    /// The findings of this version, once computed; dropped by the next change.
    pub analysis: Option<Arc<Analysis>>,
    /// The last (revision, settings generation) whose diagnostics were pushed.
    published: Option<(u64, u64)>,
    /// What the last analysis keeps for the next one, whichever version that is for: built in
    /// the background once the document is opened (for the one the user is in), else by its
    /// first edit; dropped with its tree.
    cache: Option<Arc<Mutex<Cache>>>,
    /// When the document was last used (see [`TOUCHES`]).
    touched: u64,
}

/// Where a document's tree stands against its text.
#[derive(Clone)]
enum TreeState {
    /// The parse of the text as it is.
    Parsed(Tree),
    /// The last tree parsed, with every edit since applied by `Tree::edit`: it seeds an
    /// incremental reparse. `accepted`: the text is known to pass the indentation guard without
    /// measuring it again, as every edit since the parse kept every line's indentation (see
    /// [`keeps_indentation`]); a stored parse is of an accepted text.
    Edited { tree: Tree, accepted: bool },
    /// Nothing to reuse: not parsed yet, or the whole text was replaced since.
    Unparsed,
}

/// A document's state at one version, for work off the serving task. Cloning the rope and the
/// tree is cheap (both share their nodes).
#[derive(Clone)]
pub struct Snapshot {
    pub text: Rope,
    pub version: i32,
    pub revision: u64,
    tree: TreeState,
    pub cache: Option<Arc<Mutex<Cache>>>,
}

impl Snapshot {
    /// The syntax tree of this version: the stored one, or an incremental reparse of it.
    pub fn tree(&self) -> Tree {
        match &self.tree {
            TreeState::Parsed(tree) => tree.clone(),
            TreeState::Edited { tree, .. } => parse(&self.text.to_string(), Some(tree)),
            TreeState::Unparsed => parse(&self.text.to_string(), None),
        }
    }

    /// Why this text is not parsed (its tree is then a blank one), if it is not.
    pub fn refusal(&self) -> Option<Refusal> {
        let mut guard = Guard::new();
        for chunk in self.text.chunks() {
            guard.feed(chunk.as_bytes());
        }
        guard.finish()
    }

    /// Whether nothing of an earlier parse is at hand: the next [`Snapshot::tree_or_refusal`]
    /// parses the whole text.
    pub fn is_unparsed(&self) -> bool {
        matches!(self.tree, TreeState::Unparsed)
    }

    /// [`Snapshot::tree`], or why the text is not parsed: one look at the text for both (a
    /// stored tree's text was accepted when it was parsed). `text` is the snapshot's text as one
    /// string, which the caller needs anyway: tree-sitter reads it faster than the rope's chunks
    /// (a whole parse of test_typing.py 38 ms against 43).
    pub fn tree_or_refusal(&self, text: &str) -> Result<Tree, Refusal> {
        let (old, accepted) = match &self.tree {
            TreeState::Parsed(tree) => return Ok(tree.clone()),
            TreeState::Edited { tree, accepted } => (Some(tree), *accepted),
            TreeState::Unparsed => (None, false),
        };
        // Measuring the indentation of test_typing.py again took 0.3 ms of a keystroke.
        if !accepted && let Some(refusal) = crate::analysis::indentation::check(text) {
            return Err(refusal);
        }
        Ok(parse_accepted(text, old))
    }
}

impl Document {
    /// A document not parsed yet: the first [`Snapshot::tree`] parses it.
    pub fn new(text: &str, version: i32) -> Document {
        Document {
            text: Rope::from_str(text),
            version,
            revision: next_revision(),
            tree: TreeState::Unparsed,
            analysis: None,
            published: None,
            cache: None,
            touched: next_touch(),
        }
    }

    /// When the document was last opened, edited or used (see [`Document::touch`]).
    pub fn touched(&self) -> u64 {
        self.touched
    }

    /// The document was used: asked about, or analysed.
    pub fn touch(&mut self) {
        self.touched = next_touch();
    }

    /// Whether the document holds a tree or an analysis cache: what [`Document::drop_tree`]
    /// gives back.
    pub fn holds_tree(&self) -> bool {
        !matches!(self.tree, TreeState::Unparsed) || self.cache.is_some()
    }

    /// Takes the tree and the analysis cache away (for the caller to drop once the document's
    /// guard is released: freeing a large tree takes a while); the text and the last analysis
    /// stay. The next [`Snapshot::tree`] parses the whole text, and the next analysis builds its
    /// cache again.
    pub fn drop_tree(&mut self) -> impl Sized + use<> {
        (
            std::mem::replace(&mut self.tree, TreeState::Unparsed),
            self.cache.take(),
        )
    }

    /// Keeps `cache` as the document's analysis cache and `tree` (a parse of its text, see
    /// [`settled`]) as its tree, if it is still at `revision` (no edit came since: it holds the
    /// parse of its text, or none, when it was analysed in halves) and has no cache yet.
    /// Returns whether it does.
    pub fn hold_cache(&mut self, revision: u64, cache: &Arc<Mutex<Cache>>, tree: Tree) -> bool {
        let holds = self.revision == revision
            && self.cache.is_none()
            && matches!(self.tree, TreeState::Parsed(_) | TreeState::Unparsed);
        if holds {
            self.cache = Some(Arc::clone(cache));
            self.tree = TreeState::Parsed(tree);
        }
        holds
    }

    /// Whether diagnostics for `revision` under settings `generation` may be pushed now: it is
    /// the current revision and nothing as new was pushed before. Marks them pushed.
    pub fn mark_published(&mut self, revision: u64, generation: u64) -> bool {
        let fresh =
            self.revision == revision && self.published.is_none_or(|p| p < (revision, generation));
        if fresh {
            self.published = Some((revision, generation));
        }
        fresh
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            text: self.text.clone(),
            version: self.version,
            revision: self.revision,
            tree: self.tree.clone(),
            cache: self.cache.clone(),
        }
    }

    /// Keeps the tree parsed for `revision`, unless the document has moved on (then its edits
    /// were applied to the older tree, which the next parse starts from). The blank tree of a
    /// text that was not parsed is not kept: it cannot seed an incremental parse.
    pub fn store_tree(&mut self, revision: u64, tree: Tree) {
        let blank = tree.root_node().child_count() == 0 && self.text.len_bytes() > 0;
        if self.revision == revision && !blank && !matches!(self.tree, TreeState::Parsed(_)) {
            self.tree = TreeState::Parsed(tree);
        }
    }

    /// Applies a notification's changes in order to the text and the tree; the reparse is left
    /// to the next [`Snapshot::tree`].
    pub fn apply_changes(&mut self, changes: Vec<Change>, version: i32, encoding: Encoding) {
        for change in changes {
            match change.range {
                None => {
                    self.text = Rope::from_str(&change.text);
                    self.tree = TreeState::Unparsed;
                }
                Some(range) => {
                    let start = offset_of(&self.text, range.start, encoding);
                    let end = offset_of(&self.text, range.end, encoding).max(start);
                    // A carriage return just before the change may stop or start being a line
                    // break of its own (the parser sees a lone one as a line feed): the tree's
                    // edit covers it too.
                    let edit_start = if start > 0 && self.text.byte(start - 1) == b'\r' {
                        start - 1
                    } else {
                        start
                    };
                    let kept = keeps_indentation(&self.text, start, end, &change.text);
                    let start_position = point(&self.text, edit_start);
                    let old_end_position = point(&self.text, end);
                    let char_start = self.text.byte_to_char(start);
                    self.text.remove(char_start..self.text.byte_to_char(end));
                    self.text.insert(char_start, &change.text);
                    let new_end_byte = start + change.text.len();
                    // The text after the change is the same before and after it: the edit may
                    // say it reaches into it.
                    let reach = past_block_end(&self.text, new_end_byte);
                    let changed_end = point(&self.text, new_end_byte);
                    let new_end_position = point(&self.text, new_end_byte + reach);
                    let old_end_position = if new_end_position.row == changed_end.row {
                        Point::new(old_end_position.row, old_end_position.column + reach)
                    } else {
                        let rows = new_end_position.row - changed_end.row;
                        Point::new(old_end_position.row + rows, new_end_position.column)
                    };
                    let edit = InputEdit {
                        start_byte: edit_start,
                        old_end_byte: end + reach,
                        new_end_byte: new_end_byte + reach,
                        start_position,
                        old_end_position,
                        new_end_position,
                    };
                    self.tree = match std::mem::replace(&mut self.tree, TreeState::Unparsed) {
                        TreeState::Parsed(mut tree) => {
                            tree.edit(&edit);
                            TreeState::Edited {
                                tree,
                                accepted: kept,
                            }
                        }
                        TreeState::Edited { mut tree, accepted } => {
                            tree.edit(&edit);
                            TreeState::Edited {
                                tree,
                                accepted: accepted && kept,
                            }
                        }
                        TreeState::Unparsed => TreeState::Unparsed,
                    };
                }
            }
        }
        self.analysis = None;
        self.version = version;
        self.revision = next_revision();
        self.touched = next_touch();
        self.cache.get_or_insert_with(Arc::default);
    }
}

/// How far past `offset` an edit ending there should say it reaches, for tree-sitter to parse
/// it again cheaply: to the first character of the next line that is not blank when that line
/// is indented less than the edit's (the edit is in the last line of a block), else nowhere.
///
/// After an edit in a block's last line (typing at the end of a function, the commonest place
/// to type), tree-sitter lexes that line again up to the zero-width tokens that close the block
/// (newline, dedent). Before lexing them it compares its scanner's state with the old tree's,
/// finds it different, and passes over the whole next part of the module (a node holding many
/// statements) instead of looking inside it: it parses the rest of the file again (test_typing.py,
/// line 98, `    pass`: 33–41 ms at its end, 22–25 ms at its start). An edit that reaches the
/// next statement's first character marks that part changed, and tree-sitter looks inside it
/// (0.3–1.0 ms both). Saying an edit reaches further is always correct: it only allows that
/// more may have changed.
fn past_block_end(text: &Rope, offset: usize) -> usize {
    /// Blank lines looked past for the next statement.
    const LOOK_AHEAD: usize = 100;
    let is_space = |b: u8| b == b' ' || b == b'\t' || b == b'\r';
    let line = text.byte_to_line(offset);
    let bytes_of = |line: usize| text.line(line).bytes();
    let indent = |line: usize| bytes_of(line).take_while(|&b| is_space(b)).count();
    let next = (line + 1..text.len_lines().min(line + 1 + LOOK_AHEAD))
        .find(|&next| bytes_of(next).any(|b| !is_space(b) && b != b'\n'));
    match next {
        Some(next) if indent(next) < indent(line) => {
            text.line_to_byte(next) + indent(next) + 1 - offset
        }
        _ => 0,
    }
}

/// Whether replacing `text[start..end]` with `inserted` leaves every line's indentation as
/// the indentation guard measures it (see [`crate::analysis::indentation`]): neither side holds
/// a line break, and the change starts past the line's first character that is not
/// indentation, after which the guard reads nothing but the line's end. Typing within a line's
/// code does; typing in its indentation, or a new line, does not.
fn keeps_indentation(text: &Rope, start: usize, end: usize, inserted: &str) -> bool {
    let breaks = |b: u8| b == b'\n' || b == b'\r';
    if inserted.bytes().any(breaks) || text.byte_slice(start..end).bytes().any(breaks) {
        return false;
    }
    let mut before = text.bytes_at(start);
    while let Some(b) = before.prev() {
        match b {
            b'\n' => return false,
            b' ' | b'\t' | b'\r' | b'\x0c' | b'\\' => {}
            _ => return true,
        }
    }
    false
}

/// tree-sitter's point (row, byte column) of a byte offset.
fn point(text: &Rope, offset: usize) -> Point {
    let row = text.byte_to_line(offset);
    Point::new(row, offset - text.line_to_byte(row))
}

/// `tree`, a parse of `text`, parsed again twice with nothing changed (a tree with syntax
/// errors is left as it is: recovering again might place them differently). tree-sitter's first
/// reparses after a whole parse redo much more of the tree than later ones: typing one character
/// in test_typing.py reparses in 5–6 ms, then 2.7 ms, then under 1 ms; after these two, the
/// first keystroke's takes 1.3 ms.
pub fn settled(text: &str, tree: Tree) -> Tree {
    if tree.root_node().has_error() {
        return tree;
    }
    let once = parse(text, Some(&tree));
    parse(text, Some(&once))
}

/// Parses the text, incrementally when an edited old tree is given. A text the parser cannot
/// take gives the tree of a blank text; one with lone carriage returns is parsed with them as
/// line feeds, as CPython reads them.
fn parse(text: &str, old: Option<&Tree>) -> Tree {
    if crate::analysis::indentation::check(text).is_some() {
        return python_parser()
            .parse(blank(text), None)
            .expect("parsing without a timeout or cancellation always yields a tree");
    }
    parse_accepted(text, old)
}

/// [`parse`] for a text the indentation guard accepted.
fn parse_accepted(text: &str, old: Option<&Tree>) -> Tree {
    let respelled = lone_cr_as_lf(text);
    python_parser()
        .parse(respelled.as_deref().unwrap_or(text), old)
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
            // Sometimes the server reparses between notifications, sometimes edits pile up.
            if random.next(2) == 0 {
                let snapshot = document.snapshot();
                document.store_tree(snapshot.revision, snapshot.tree());
            }
        }
        let text = document.text.to_string();
        let fresh = parse(&text, None);
        assert_eq!(
            crate::analysis::parse::outline(&document.snapshot().tree()),
            crate::analysis::parse::outline(&fresh)
        );
        assert_eq!(document.version, 1001);
    }

    #[test]
    fn the_guard_is_skipped_only_for_edits_within_a_lines_code() {
        let text = Rope::from_str("def f():\n    x = 1\n\n  \\ y\n");
        let at = |line: usize, column: usize| text.line_to_byte(line) + column;
        // Within the code of a line, with no line break on either side: skipped.
        assert!(keeps_indentation(&text, at(1, 9), at(1, 9), "0"));
        assert!(keeps_indentation(&text, at(1, 5), at(1, 9), "yy = 2"));
        assert!(keeps_indentation(&text, at(3, 5), at(3, 5), "z"));
        // In or at the end of the indentation, a blank line, or a line break: measured again.
        assert!(!keeps_indentation(&text, at(1, 4), at(1, 4), "  "));
        assert!(!keeps_indentation(&text, at(1, 2), at(1, 2), "x"));
        assert!(!keeps_indentation(&text, at(2, 0), at(2, 0), "y"));
        assert!(!keeps_indentation(&text, at(3, 3), at(3, 3), "y"));
        assert!(!keeps_indentation(&text, at(1, 9), at(1, 9), "\n        y"));
        assert!(!keeps_indentation(&text, at(1, 9), at(1, 9), "\r"));
        assert!(!keeps_indentation(&text, at(1, 9), at(2, 0), ""));
    }

    #[test]
    fn an_edit_that_nests_too_deep_is_refused_after_accepted_edits() {
        let deep: String = (0..120)
            .map(|level| format!("{}if x:\n", " ".repeat(level)))
            .collect();
        let mut document = Document::new("x = 1\n", 1);
        let snapshot = document.snapshot();
        let text = snapshot.text.to_string();
        let tree = snapshot.tree_or_refusal(&text).expect("accepted");
        document.store_tree(snapshot.revision, tree);
        // Typing within the code keeps it accepted, and parsed as a fresh parse would.
        document.apply_changes(vec![change((0, 5), (0, 5), "0")], 2, Encoding::Utf16);
        let snapshot = document.snapshot();
        let text = snapshot.text.to_string();
        let tree = snapshot.tree_or_refusal(&text).expect("accepted");
        assert_eq!(
            crate::analysis::parse::outline(&tree),
            crate::analysis::parse::outline(&parse(&text, None))
        );
        document.store_tree(snapshot.revision, tree);
        // Then pasting lines nested 120 deep within the code is measured, and refused.
        document.apply_changes(
            vec![change((0, 6), (0, 6), &format!("\n{deep}"))],
            3,
            Encoding::Utf16,
        );
        let snapshot = document.snapshot();
        let refusal = snapshot.tree_or_refusal(&snapshot.text.to_string());
        assert_eq!(
            refusal.err().map(|r| r.message),
            Some("too many levels of indentation".to_string())
        );
        // A refused text keeps being measured, even through edits within a line's code.
        document.apply_changes(vec![change((0, 1), (0, 1), "y")], 4, Encoding::Utf16);
        let snapshot = document.snapshot();
        assert!(
            snapshot
                .tree_or_refusal(&snapshot.text.to_string())
                .is_err()
        );
    }

    /// Every node of `tree` with its kind, bytes and rows and columns, in order.
    fn nodes(tree: &Tree) -> Vec<(u16, std::ops::Range<usize>, Point, Point)> {
        let mut found = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            found.push((
                node.kind_id(),
                node.byte_range(),
                node.start_position(),
                node.end_position(),
            ));
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        found
    }

    #[test]
    fn an_edit_closing_a_block_reaches_the_next_statement_and_parses_as_fresh() {
        let source = "class A:\n    def f(self):\n        return 1\n\n\nclass B:\n    x = 1\r\n    y = 2\r\n\r\nz = 3\n";
        let text = Rope::from_str(source);
        let end_of = |line: &str| source.find(line).unwrap() + line.len();
        // The last line of a block: up to the next statement's first character, past blank lines.
        assert_eq!(
            past_block_end(&text, end_of("return 1")),
            source.find("class B").unwrap() + 1 - end_of("return 1")
        );
        assert_eq!(
            past_block_end(&text, end_of("y = 2")),
            source.find("z = 3").unwrap() + 1 - end_of("y = 2")
        );
        // Anywhere in that line.
        assert_eq!(
            past_block_end(&text, end_of("return")),
            source.find("class B").unwrap() + 1 - end_of("return")
        );
        // Inside a block and at the end of the file: nowhere.
        assert_eq!(past_block_end(&text, end_of("x = 1")), 0);
        assert_eq!(past_block_end(&text, end_of("def f")), 0);
        assert_eq!(past_block_end(&text, end_of("z = 3")), 0);
        // Typing at the start and the end of each line, then deleting, gives the fresh parse
        // every time.
        let mut document = Document::new(source, 1);
        let mut version = 1;
        for (line, content) in source.lines().enumerate() {
            let line = line as u32;
            let content = content.trim_end_matches('\r');
            let length = content.len() as u32;
            let start = (content.len() - content.trim_start().len()) as u32;
            for (range, typed) in [
                ((start, start), "x"),
                ((start, start + 1), ""),
                ((length, length), "x"),
                ((length, length + 1), ""),
            ] {
                let snapshot = document.snapshot();
                document.store_tree(snapshot.revision, snapshot.tree());
                version += 1;
                document.apply_changes(
                    vec![change((line, range.0), (line, range.1), typed)],
                    version,
                    Encoding::Utf8,
                );
                let fresh = parse(&document.text.to_string(), None);
                assert_eq!(
                    nodes(&document.snapshot().tree()),
                    nodes(&fresh),
                    "line {line} after typing {typed:?}"
                );
            }
        }
        assert_eq!(document.text.to_string(), source);
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
        assert!(!document.snapshot().tree().root_node().has_error());
    }
}
