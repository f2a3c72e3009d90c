//! Comparing two sets of query matches, family by family, as the rules read them.

use refhound::analysis::queries::{Captures, Matches, SOURCES};

/// Asserts that `actual` holds `expected`'s matches of every family, in order, each capture of
/// the same name, kind, place and parent; `what` names the case in a failure. With `one_tree`
/// (both of the same tree) a parent is compared by identity and bytes, as tree-sitter finds it
/// from the root; otherwise by kind (a file parsed in parts has a root per part).
pub fn assert_same_matches(expected: &Matches, actual: &Matches, one_tree: bool, what: &str) {
    for (family, _, _) in SOURCES {
        assert_eq!(
            described(expected.of(*family), one_tree),
            described(actual.of(*family), one_tree),
            "{what}: the {family:?} matches differ"
        );
    }
}

fn described(matches: &[Captures<'_>], one_tree: bool) -> Vec<Vec<String>> {
    matches
        .iter()
        .map(|captures| {
            captures
                .iter()
                .map(|(name, node)| {
                    let parent = if one_tree {
                        format!("{:?}", node.parent().map(|p| (p.id(), p.byte_range())))
                    } else {
                        format!("{:?}", node.parent().map(|p| p.kind()))
                    };
                    format!(
                        "{name} {} {:?} {:?}..{:?} {parent}",
                        node.kind(),
                        node.byte_range(),
                        node.start_position(),
                        node.end_position(),
                    )
                })
                .collect()
        })
        .collect()
}
