//! The tree-sitter queries in `queries/*.scm`, compiled once.

use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::{Node, Query, QueryCursor, StreamingIterator};

use super::parse::python_language;

/// One compiled query per pattern family.
pub struct Queries {
    pub caches: Query,
    pub gc: Query,
}

/// The query files, by name, as compiled into the binary.
pub const SOURCES: &[(&str, &str)] = &[
    ("caches.scm", include_str!("../../../queries/caches.scm")),
    ("gc.scm", include_str!("../../../queries/gc.scm")),
];

fn compile(name: &str) -> Query {
    let source = SOURCES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, source)| *source);
    let source = source.unwrap_or_else(|| panic!("no query file {name}"));
    Query::new(&python_language(), source).unwrap_or_else(|e| panic!("queries/{name}: {e}"))
}

pub fn queries() -> &'static Queries {
    static QUERIES: OnceLock<Queries> = OnceLock::new();
    QUERIES.get_or_init(|| Queries {
        caches: compile("caches.scm"),
        gc: compile("gc.scm"),
    })
}

/// The captures of one match, by capture name.
pub struct Captures<'t> {
    nodes: HashMap<&'static str, Node<'t>>,
}

impl<'t> Captures<'t> {
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        self.nodes.get(name).copied()
    }
}

/// Every match of `query` under `root`, with its captures.
pub fn matches<'t>(query: &'static Query, root: Node<'t>, text: &str) -> Vec<Captures<'t>> {
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut found = Vec::new();
    let mut iter = cursor.matches(query, root, text.as_bytes());
    while let Some(m) = iter.next() {
        let nodes = m
            .captures()
            .iter()
            .map(|c| (names[c.index as usize], c.node))
            .collect();
        found.push(Captures { nodes });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_file_compiles_against_the_grammar() {
        for (name, _) in SOURCES {
            compile(name);
        }
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../queries"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "scm"))
            .count();
        assert_eq!(
            on_disk,
            SOURCES.len(),
            "every queries/*.scm file is compiled in"
        );
    }
}
