//! The tree-sitter queries in `queries/*.scm`, matched by one walk of a file's tree ([`matcher`],
//! which a test keeps equal to tree-sitter's query engine running the files); each match is filed
//! under the family (file) it came from.

use std::sync::OnceLock;

use tree_sitter::{Node, Query, QueryCursor, StreamingIterator};

use super::parse::python_language;
use super::syntax::{Met, Module};

mod incremental;
mod matcher;
mod reused;

pub use incremental::{MatchCache, UnitMemo};
pub(crate) use reused::UnitNodes;

/// A pattern family: one `queries/*.scm` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Imports,
    Closures,
    Cycles,
    Caches,
    ThreadLocals,
    Listeners,
    Gc,
}

impl Family {
    /// How many families there are (`Gc` is the last): [`Matches`] keeps one list for each.
    const COUNT: usize = Family::Gc as usize + 1;
}

// Each family has its query file.
const _: () = assert!(SOURCES.len() == Family::COUNT);

/// The query files as compiled into the binary.
pub const SOURCES: &[(Family, &str, &str)] = &[
    (
        Family::Imports,
        "imports.scm",
        include_str!("../../../queries/imports.scm"),
    ),
    (
        Family::Closures,
        "closures.scm",
        include_str!("../../../queries/closures.scm"),
    ),
    (
        Family::Cycles,
        "cycles.scm",
        include_str!("../../../queries/cycles.scm"),
    ),
    (
        Family::Caches,
        "caches.scm",
        include_str!("../../../queries/caches.scm"),
    ),
    (
        Family::ThreadLocals,
        "thread_locals.scm",
        include_str!("../../../queries/thread_locals.scm"),
    ),
    (
        Family::Listeners,
        "listeners.scm",
        include_str!("../../../queries/listeners.scm"),
    ),
    (
        Family::Gc,
        "gc.scm",
        include_str!("../../../queries/gc.scm"),
    ),
];

struct Compiled {
    query: Query,
    /// The family of each pattern, by pattern index.
    families: Vec<Family>,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let mut source = String::new();
        let mut starts = Vec::new();
        for (family, name, text) in SOURCES {
            // Each file must compile on its own, so that an error names the file.
            Query::new(&python_language(), text).unwrap_or_else(|e| panic!("queries/{name}: {e}"));
            starts.push((source.len(), *family));
            source.push_str(text);
            source.push('\n');
        }
        let query =
            Query::new(&python_language(), &source).expect("the query files compile together");
        let families = (0..query.pattern_count())
            .map(|i| {
                let start = query.start_byte_for_pattern(i);
                starts
                    .iter()
                    .rev()
                    .find(|(offset, _)| *offset <= start)
                    .expect("a pattern lies in a file")
                    .1
            })
            .collect();
        Compiled { query, families }
    })
}

/// The most captures a pattern has.
const MAX_CAPTURES: usize = 4;

/// The captures of one match, by capture name. A match has a handful of captures, so a list
/// searched in order, kept inline, beats a map or a vector made for each of the thousands of
/// matches in a file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Captures<'t> {
    nodes: [Option<(&'static str, Node<'t>)>; MAX_CAPTURES],
}

impl<'t> Captures<'t> {
    /// `nodes`, at most [`MAX_CAPTURES`] of them.
    fn from_slice(nodes: &[(&'static str, Node<'t>)]) -> Captures<'t> {
        Captures::from_pairs(nodes.iter().copied())
    }

    /// The first [`MAX_CAPTURES`] of `nodes`, without a slice to hold them first.
    fn from_pairs(nodes: impl IntoIterator<Item = (&'static str, Node<'t>)>) -> Captures<'t> {
        let mut captures = Captures {
            nodes: [None; MAX_CAPTURES],
        };
        for (slot, node) in captures.nodes.iter_mut().zip(nodes) {
            *slot = Some(node);
        }
        captures
    }

    /// The named captures, in pattern order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Node<'t>)> + '_ {
        self.nodes.iter().map_while(|&n| n)
    }

    /// The node captured as `name` (the last one, for a quantified capture).
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        // From the end, so the first found is the last (the rules ask thousands of times).
        self.nodes
            .iter()
            .rev()
            .flatten()
            .find(|(capture, _)| *capture == name)
            .map(|&(_, node)| node)
    }
}

/// Calls `found` with each match in the tree under `root`, in the order tree-sitter's query
/// engine finds them.
fn for_each_match<'t>(root: Node<'t>, text: &str, found: impl FnMut(Family, Captures<'t>)) {
    matcher::for_each_match(root, None, text, found);
}

/// [`for_each_match`] by tree-sitter's query engine running `queries/*.scm`: the specification
/// the matcher is tested against, and the profiling example's comparison.
pub fn for_each_match_by_engine<'t>(
    root: Node<'t>,
    text: &str,
    mut found: impl FnMut(Family, Vec<(&'static str, Node<'t>)>),
) {
    let compiled = compiled();
    let names = compiled.query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut iter = cursor.matches(&compiled.query, root, text.as_bytes());
    while let Some(m) = iter.next() {
        // Captures named `_...` only serve the patterns' predicates; no rule reads them.
        let nodes = m
            .captures()
            .iter()
            .map(|c| (names[c.index as usize], c.node))
            .filter(|(name, _)| !name.starts_with('_'))
            .collect();
        found(compiled.families[m.pattern_index], nodes);
    }
}

/// One unit of an editor's matches ([`Matches::units`]).
pub struct Unit {
    /// Where its matches lie in each family's list: from the first to the second index.
    matches: [(u32, u32); Family::COUNT],
    /// What rules found about its matches, kept with them while its text is unchanged;
    /// `None` for a unit with syntax errors.
    pub memo: Option<std::sync::Arc<UnitMemo>>,
}

impl Unit {
    /// Its matches of `family`: their indices in [`Matches::of`]`(family)`.
    pub fn matches(&self, family: Family) -> std::ops::Range<usize> {
        let (first, end) = self.matches[family as usize];
        first as usize..end as usize
    }
}

/// Every match in one tree, by family (indexed by the family's number).
#[derive(Default)]
pub struct Matches<'t> {
    by_family: [Vec<Captures<'t>>; Family::COUNT],
    /// Found for an editor ([`Matches::incremental`]): the units the matches were kept by, in
    /// order (see [`Matches::units`]); empty otherwise.
    units: Vec<Unit>,
}

impl<'t> Matches<'t> {
    /// Runs all the queries over the tree under `root`, once.
    pub fn new(root: Node<'t>, text: &str) -> Matches<'t> {
        let mut matches = Matches::default();
        matches.add_under(root, text);
        matches
    }

    /// [`Matches::new`] over each of the module's nodes, in order.
    pub fn of_module(module: Module<'t>, text: &str) -> Matches<'t> {
        let mut matches = Matches::default();
        for &root in module.roots() {
            matches.add_under(root, text);
        }
        matches
    }

    /// Adds the matches in the tree under `root`, after those already found.
    fn add_under(&mut self, root: Node<'t>, text: &str) {
        for_each_match(root, text, |family, captures| self.push(family, captures));
    }

    /// [`Matches::new`] from the nodes another walk of the whole tree collected: each node of
    /// the [`Matches::outer_kinds`] in the tree, in any order, some maybe more than once, with
    /// what that walk read of them.
    pub fn among(nodes: Vec<Met<'t>>, text: &str) -> Matches<'t> {
        let found = matcher::matches_among(nodes, text);
        // Room for each family's matches at once: growing by doubling copies them several times.
        let mut matches = Matches::with_capacity(&found.counts());
        found.for_each(|family, captures| matches.push(family, captures));
        matches
    }

    /// Adds `later`'s matches after these: those of a tree whose statements follow this one's
    /// (no pattern spans two top-level statements).
    pub fn append(&mut self, later: Matches<'t>) {
        for (these, more) in self.by_family.iter_mut().zip(later.by_family) {
            these.extend(more);
        }
    }

    /// The kinds of node the patterns start at: what [`Matches::among`] needs to be given.
    pub fn outer_kinds() -> &'static [u16] {
        matcher::outer_kinds()
    }

    /// No matches yet, with room for as many of each family as `counts` says (the last
    /// analysis's: growing by doubling copies thousands of captures several times).
    fn with_capacity(counts: &[usize; Family::COUNT]) -> Matches<'t> {
        Matches {
            by_family: std::array::from_fn(|family| Vec::with_capacity(counts[family])),
            units: Vec::new(),
        }
    }

    /// How many matches of each family there are.
    fn counts(&self) -> [usize; Family::COUNT] {
        std::array::from_fn(|family| self.by_family[family].len())
    }

    fn push(&mut self, family: Family, captures: Captures<'t>) {
        self.by_family[family as usize].push(captures);
    }

    pub fn of(&self, family: Family) -> &[Captures<'t>] {
        &self.by_family[family as usize]
    }

    /// The units of an editor's matches, in order: each top-level statement, but for a class
    /// that parsed cleanly each statement of its body instead. A match lies in one unit, or in
    /// none (a class's name, bases and decorators). Empty unless found by
    /// [`Matches::incremental`].
    pub fn units(&self) -> &[Unit] {
        &self.units
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_file_compiles_against_the_grammar() {
        let compiled = compiled();
        for (family, name, _) in SOURCES {
            assert!(compiled.families.contains(family), "{name} has no pattern");
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
