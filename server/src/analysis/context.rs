//! What a rule sees of one file: its text, tree, scope model and imports.

use tree_sitter::{Node, Tree};

use super::imports::Imports;
use super::line_index::LineIndex;
use super::queries::{Captures, Family, Matches};
use super::scope::ScopeTree;
use super::settings::Settings;

pub struct Context<'a> {
    pub text: &'a str,
    pub tree: &'a Tree,
    pub scopes: &'a ScopeTree,
    pub lines: &'a LineIndex,
    pub imports: &'a Imports,
    pub settings: &'a Settings,
    pub matches: &'a Matches<'a>,
}

impl<'a> Context<'a> {
    /// The query matches of one pattern family.
    pub fn matches(&self, family: Family) -> &'a [Captures<'a>] {
        self.matches.of(family)
    }

    pub fn text_of(&self, node: Node) -> &'a str {
        &self.text[node.byte_range()]
    }

    /// The dotted name an expression refers to through the file's imports: with
    /// `import functools as ft`, `ft.lru_cache` is `functools.lru_cache`. `None` when the
    /// expression is not a name or attribute chain whose first name was imported.
    pub fn qualified_name(&self, node: Node) -> Option<String> {
        self.imports.qualified_name(node, self.text)
    }
}
