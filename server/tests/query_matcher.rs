//! The matcher that finds the patterns of `queries/*.scm` in one walk of the tree must find what
//! tree-sitter's query engine finds running those files: the same matches, with the same
//! captures, in the same order, on real files and on the same files after random edits (which
//! leave syntax errors for the parser to recover from). So must the matches made from the nodes
//! the scope model's walk hands over (`Matches::among`), which the whole-file analysis uses
//! (`scopes_and_matches`).

use refhound::analysis::line_index::LineIndex;
use refhound::analysis::parse::parse;
use refhound::analysis::queries::{Family, Matches, for_each_match_by_engine};
use refhound::analysis::scopes_and_matches;
use refhound::analysis::settings::{PythonVersion, Settings};
use refhound::analysis::syntax::Module;

#[path = "support/random.rs"]
mod random;
use random::Lcg;
#[path = "support/corpus.rs"]
mod corpus;
use corpus::{PIECES, boundary, corpus};
#[path = "support/stdlib.rs"]
mod stdlib;

const FAMILIES: &[Family] = &[
    Family::Imports,
    Family::Closures,
    Family::Cycles,
    Family::Caches,
    Family::ThreadLocals,
    Family::Listeners,
    Family::Gc,
];

/// A match as the test compares it: each capture's name, byte range and kind, in the order of
/// the nodes (`Captures::get` finds a capture by name: their order is no one's concern).
type Seen = Vec<(&'static str, std::ops::Range<usize>, u16)>;

fn seen<'t>(captures: impl Iterator<Item = (&'static str, tree_sitter::Node<'t>)>) -> Seen {
    let mut seen: Seen = captures
        .map(|(name, node)| (name, node.byte_range(), node.kind_id()))
        .collect();
    seen.sort_by_key(|(name, range, _)| (range.start, std::cmp::Reverse(range.end), *name));
    seen
}

fn by_engine(text: &str, tree: &tree_sitter::Tree, family: Family) -> Vec<Seen> {
    let mut found = Vec::new();
    for_each_match_by_engine(tree.root_node(), text, |f, nodes| {
        if f == family {
            found.push(seen(nodes.into_iter()));
        }
    });
    found
}

fn by_matcher(matches: &Matches, family: Family) -> Vec<Seen> {
    matches
        .of(family)
        .iter()
        .map(|captures| seen(captures.iter()))
        .collect()
}

#[test]
fn the_matcher_finds_what_the_query_engine_finds() {
    let mut random = Lcg(17);
    let mut matches = 0;
    let mut with_errors = 0;
    let mut without_errors = 0;
    for path in corpus() {
        let Ok(mut text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for round in 0..4 {
            if round > 0 {
                for _ in 0..3 {
                    let start = boundary(&text, random.below(text.len() + 1));
                    let end = boundary(&text, (start + random.below(8)).min(text.len()));
                    text.replace_range(start..end, PIECES[random.below(PIECES.len())]);
                }
            }
            let tree = parse(&text);
            with_errors += usize::from(tree.root_node().has_error());
            without_errors += usize::from(!tree.root_node().has_error());
            let walked = Matches::new(tree.root_node(), &text);
            // The scope model's walk differs between the versions it models (dead code).
            let version = [PythonVersion::new(3, 8), PythonVersion::new(3, 13)][round % 2];
            let settings = Settings {
                target_version: version,
                ..Settings::default()
            };
            let roots = [tree.root_node()];
            let module = Module::new(&roots);
            let (_, among) = scopes_and_matches(&text, module, &LineIndex::new(&text), &settings);
            for &family in FAMILIES {
                let expected = by_engine(&text, &tree, family);
                for (how, matches) in [("matcher", &walked), ("scopes' walk", &among)] {
                    let found = by_matcher(matches, family);
                    if let Some(at) = (0..expected.len().max(found.len()))
                        .find(|&i| expected.get(i) != found.get(i))
                    {
                        panic!(
                            "{} after {round} round(s) of edits, {family:?} match {at}:\nengine  {:?}\n{how} {:?}",
                            path.display(),
                            expected.get(at),
                            found.get(at),
                        );
                    }
                }
                matches += expected.len();
            }
        }
    }
    assert!(matches > 10_000, "{matches} matches");
    assert!(with_errors > 20, "{with_errors} trees with syntax errors");
    // Those without are the ones whose matches come from the scope model's walk.
    assert!(
        without_errors > 40,
        "{without_errors} trees without syntax errors"
    );
}

/// Every file of the standard library: the matches made from the nodes the scope model's walk
/// hands over equal the matcher's own walk's (which the test above holds to the engine's).
#[test]
fn the_scope_models_walk_hands_over_every_node_the_matcher_needs() {
    use rayon::prelude::*;
    let files = stdlib::files();
    let compared: usize = files
        .par_iter()
        .map(|path| {
            let Ok(text) = std::fs::read_to_string(path) else {
                return 0;
            };
            let tree = parse(&text);
            let walked = Matches::new(tree.root_node(), &text);
            let roots = [tree.root_node()];
            let module = Module::new(&roots);
            let (_, among) =
                scopes_and_matches(&text, module, &LineIndex::new(&text), &Settings::default());
            for &family in FAMILIES {
                assert_eq!(
                    by_matcher(&walked, family),
                    by_matcher(&among, family),
                    "{} {family:?}",
                    path.display()
                );
            }
            usize::from(!tree.root_node().has_error())
        })
        .sum();
    assert!(compared > 1000, "{compared} files without syntax errors");
}
