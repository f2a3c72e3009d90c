//! Parsing Python with tree-sitter.
//!
//! tree-sitter always yields a tree: syntax errors become `ERROR` / `MISSING` nodes and the rest of
//! the file still parses, so every later stage works on whatever parsed.

use tree_sitter::{Language, Parser, Tree};

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

/// Parses `text` from scratch.
pub fn parse(text: &str) -> Tree {
    python_parser()
        .parse(text, None)
        .expect("parsing without a timeout or cancellation flag always yields a tree")
}
