//! Parsing Python with tree-sitter.
//!
//! tree-sitter always yields a tree: syntax errors become `ERROR` / `MISSING` nodes and the rest of
//! the file still parses, so every later stage works on whatever parsed.
//!
//! One weakness of tree-sitter-python needs help: a continuation line inside brackets that is
//! indented *less* than its block (legal Python) derails its indentation scanner, and the whole
//! file can end up one `ERROR` node. When a parse has errors, [`parse`] tries again on a copy in
//! which line breaks (and comments) inside brackets are spaces, same length byte for byte, and
//! keeps that tree if it is clean. Byte offsets then match the text; rows do not, so positions
//! are computed from byte offsets ([`super::line_index::LineIndex`]).

use std::ops::Range;

use tree_sitter::{Language, Parser, Tree};

use super::indentation::Refusal;

/// The tree-sitter grammar for Python.
pub fn python_language() -> Language {
    tree_sitter_python::LANGUAGE.into()
}

/// A parser set up for Python.
pub fn python_parser() -> Parser {
    let mut parser = Parser::new();
    parser
        .set_language(&python_language())
        .expect("the bundled tree-sitter-python grammar matches the tree-sitter runtime");
    parser
}

/// The tree's every node, one per line, indented by depth, as `kind start..end` (byte offsets;
/// `MISSING` and `ERROR` nodes as such): what a debugging view shows, and what tests compare
/// when two trees must be the same.
pub fn outline(tree: &Tree) -> String {
    outline_bounded(tree, usize::MAX)
}

/// [`outline`], stopped once it passes `limit` bytes, with a last line that says so: indentation
/// makes the outline grow with the square of the nesting depth.
pub fn outline_bounded(tree: &Tree, limit: usize) -> String {
    let mut out = String::new();
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        let kind = if node.is_missing() {
            format!("MISSING {}", node.kind())
        } else {
            node.kind().to_string()
        };
        let field = cursor
            .field_name()
            .map(|f| format!("{f}: "))
            .unwrap_or_default();
        for _ in 0..depth {
            out.push_str("  ");
        }
        out.push_str(&format!(
            "{field}{kind} {}..{}\n",
            node.start_byte(),
            node.end_byte()
        ));
        if out.len() > limit {
            out.push_str(&format!(
                "… the outline stops here: more than {limit} bytes\n"
            ));
            return out;
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return out;
            }
            depth -= 1;
        }
    }
}

/// Parses `text` from scratch, retrying with bracketed lines joined when that parses cleanly.
/// A text the parser cannot take (see [`super::indentation`]) gives the tree of a blank text of
/// the same length: every later stage finds nothing in it. [`parse_checked`] says why.
pub fn parse(text: &str) -> Tree {
    parse_checked(text).0
}

/// [`parse`], and why the text was not parsed when it was not.
pub fn parse_checked(text: &str) -> (Tree, Option<Refusal>) {
    let mut parser = python_parser();
    if let Some(refusal) = super::indentation::check(text) {
        return (parse_with(&mut parser, &blank(text)), Some(refusal));
    }
    (parse_unguarded(&mut parser, text), None)
}

/// `text` parsed as two trees at once, on two threads: the first over its statements before a
/// top-level statement near the middle, the second over the rest, each tree's byte offsets
/// those of `text`. For a caller that waits for a large file no analysis has seen (an editor
/// opening it): the parse takes most of the wait, and two halves at once take about half.
/// [`super::check_parts`] analyses them as one module.
///
/// `None`, and the caller parses the whole text, when the text is small, has no place to split
/// (a line at column 0 starting a statement, the line before not continued by a backslash),
/// needs [`parse`]'s help (a lone carriage return, a text it refuses), or a half does not parse
/// cleanly: a split inside a string or brackets, or before `else:`, leaves one half with an
/// error, so two clean halves are the whole file's statements (and a file with syntax errors
/// is parsed whole, as [`parse`] does).
pub fn parse_in_halves(text: &str) -> Option<[Tree; 2]> {
    const SMALLEST: usize = 64 * 1024;
    if text.len() < SMALLEST
        || has_lone_cr(text.as_bytes())
        || super::indentation::check(text).is_some()
    {
        return None;
    }
    let split = statement_start_after(text, text.len() / 2)?;
    let range = |start: usize, end: usize| tree_sitter::Range {
        start_byte: start,
        end_byte: end,
        start_point: point_at(text, start),
        end_point: point_at(text, end),
    };
    let parse_range = |range: tree_sitter::Range| {
        let mut parser = python_parser();
        parser.set_included_ranges(&[range]).ok()?;
        Some(parse_with(&mut parser, text)).filter(|tree| !tree.root_node().has_error())
    };
    let (first, second) = super::beside(
        true,
        || parse_range(range(0, split)),
        || parse_range(range(split, text.len())),
    );
    Some([first?, second?])
}

/// The start of the first line at or after byte `from` that begins at column 0 with a letter or
/// `_` (a statement, unless inside a string or brackets) and does not continue the line before
/// it (`\` at its end).
fn statement_start_after(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        at += memchr::memchr(b'\n', bytes.get(at..)?)? + 1;
        let starts_statement = bytes
            .get(at)
            .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_');
        let continued = bytes[..at - 1].ends_with(b"\\") || bytes[..at - 1].ends_with(b"\\\r");
        if starts_statement && !continued {
            return Some(at);
        }
    }
}

/// The row and column (in bytes) of byte `at`.
fn point_at(text: &str, at: usize) -> tree_sitter::Point {
    let before = &text.as_bytes()[..at];
    let row = memchr::memchr_iter(b'\n', before).count();
    let column = at - memchr::memrchr(b'\n', before).map_or(0, |newline| newline + 1);
    tree_sitter::Point::new(row, column)
}

/// What a user should know about a file's parse: it was not parsed (why), or had syntax errors
/// (from which line), so findings cover only what parsed. `None` for a clean parse.
pub fn parse_note(text: &str, tree: &Tree, refusal: Option<&Refusal>) -> Option<String> {
    if let Some(refusal) = refusal {
        return Some(format!("not analysed: {refusal}"));
    }
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    let mut cursor = root.walk();
    let first = loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            break Some(node);
        }
        let descended = node.has_error() && cursor.goto_first_child();
        if !descended {
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break;
                }
            }
            if cursor.node() == root {
                break None;
            }
        }
    };
    let line = first.map_or(1, |node| {
        super::line_index::LineIndex::new(text).line_of(node.start_byte())
    });
    Some(format!(
        "syntax error at line {line}: the findings cover only what parsed"
    ))
}

/// A text of `text`'s length in which every byte but line feeds is a space.
pub fn blank(text: &str) -> String {
    text.bytes()
        .map(|b| if b == b'\n' { '\n' } else { ' ' })
        .collect()
}

/// Where `bytes` holds a carriage return that is not followed by a line feed. Asked of every
/// file before its parse: looked at byte by byte, it cost about 1 % of the parse (Django's
/// files); a vectorised search for `\r` costs next to nothing.
fn lone_crs(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\r', bytes).filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
}

/// Whether `bytes` holds a carriage return that is not followed by a line feed.
pub fn has_lone_cr(bytes: &[u8]) -> bool {
    lone_crs(bytes).next().is_some()
}

/// `text` with every lone carriage return a line feed: the same length, and the line breaks
/// CPython's tokenizer sees (tree-sitter-python takes a lone `\r` for plain whitespace).
pub fn lone_cr_as_lf(text: &str) -> Option<String> {
    let lone: Vec<usize> = lone_crs(text.as_bytes()).collect();
    if lone.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for i in lone {
        bytes[i] = b'\n';
    }
    Some(String::from_utf8(bytes).expect("one ASCII byte for another keeps UTF-8"))
}

fn parse_unguarded(parser: &mut Parser, text: &str) -> Tree {
    if let Some(respelled) = lone_cr_as_lf(text) {
        return parse_unguarded(parser, &respelled);
    }
    let tree = parse_with(parser, text);
    if !tree.root_node().has_error() {
        return tree;
    }
    match join_bracketed_lines(text) {
        Some(joined) => {
            let retry = parse_with(parser, &joined);
            if retry.root_node().has_error() {
                tree
            } else {
                retry
            }
        }
        None => tree,
    }
}

fn parse_with(parser: &mut Parser, text: &str) -> Tree {
    parser
        .parse(text, None)
        .expect("parsing without a timeout or cancellation flag always yields a tree")
}

/// A copy of `text` of the same length in which every comment is blanked and every line break
/// inside brackets is a space; `None` when there is nothing to change. Comments go because
/// tree-sitter-python also stumbles on a comment indented less than the code around it (between
/// a decorator and its `def`, say); line breaks in brackets for the reason in the module docs.
fn join_bracketed_lines(text: &str) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    let mut changed = false;
    for comment in comments(text) {
        bytes[comment].fill(b' ');
        changed = true;
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i = skip_string(&bytes, i, quote);
                continue;
            }
            b'\\' => i += 1, // a line continuation: keep the break it escapes
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' | b'\r' if depth > 0 => {
                bytes[i] = b' ';
                changed = true;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes and whole comments were replaced by spaces, so the text is still UTF-8.
    changed.then(|| {
        String::from_utf8(bytes).expect("replacing whole characters with spaces keeps UTF-8")
    })
}

/// The byte ranges of the comments in `text` (from `#` to the end of the line, outside strings),
/// found without a parse, so that they are known even where the tree is broken.
pub fn comments(text: &str) -> Vec<Range<usize>> {
    tokens(text).comments
}

/// The comments and string literals of a text, found by a scan that knows Python's quoting.
pub struct Tokens {
    pub comments: Vec<Range<usize>>,
    /// String literals, quotes included (prefixes such as `f` or `rb` not).
    pub strings: Vec<Range<usize>>,
}

pub fn tokens(text: &str) -> Tokens {
    let bytes = text.as_bytes();
    let mut tokens = Tokens {
        comments: Vec::new(),
        strings: Vec::new(),
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                let end = skip_string(bytes, i, quote);
                tokens.strings.push(i..end);
                i = end;
                continue;
            }
            b'#' => {
                let end = bytes[i..]
                    .iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .map_or(bytes.len(), |n| i + n);
                tokens.comments.push(i..end);
                i = end;
                continue;
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    tokens
}

/// The index just past the string literal that starts at `start` with `quote`.
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let triple = bytes[start..].starts_with(&[quote; 3]);
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b if b == quote && (!triple || bytes[i..].starts_with(&[quote; 3])) => {
                return i + if triple { 3 } else { 1 };
            }
            b'\n' | b'\r' if !triple => return i, // unterminated: the line ends the string
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carriage_return_is_lone_unless_a_line_feed_follows_it() {
        for (text, lone) in [
            ("", false),
            ("x = 1\r\ny = 2\r\n", false),
            ("x = 1\ry = 2\n", true),
            ("x = 1\r\n\ry = 2", true),
            ("x = 1\r", true),
        ] {
            assert_eq!(has_lone_cr(text.as_bytes()), lone, "{text:?}");
            assert_eq!(lone_cr_as_lf(text).is_some(), lone, "{text:?}");
        }
        assert_eq!(lone_cr_as_lf("a\r\n\rb\r").as_deref(), Some("a\r\n\nb\n"));
    }

    #[test]
    fn joins_only_inside_brackets_and_keeps_length() {
        let text = "x = (a, # note\n  b)\ny = '(' \n";
        let joined = join_bracketed_lines(text).unwrap();
        assert_eq!(joined.len(), text.len());
        assert_eq!(
            joined,
            "x = (a,       \n  b)\ny = '(' \n".replacen('\n', " ", 1)
        );
    }

    #[test]
    fn dedented_comment_between_decorator_and_def_parses_after_retry() {
        let text = "class A:\n    @cache\n  # note\n    def f(self):\n        pass\n";
        assert!(!parse(text).root_node().has_error());
    }

    #[test]
    fn dedented_continuation_line_parses_after_retry() {
        let text = "class C:\n    def m(self):\n        def f():\n            (bar.\n        baz)\n        return f\n";
        assert!(
            python_parser()
                .parse(text, None)
                .unwrap()
                .root_node()
                .has_error()
        );
        let tree = parse(text);
        assert!(!tree.root_node().has_error());
        assert_eq!(tree.root_node().end_byte(), text.len());
    }
}
