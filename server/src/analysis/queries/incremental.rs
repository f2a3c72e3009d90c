//! The query matches of an edited file, found again only where the file changed.
//!
//! No query pattern spans two statements, so each unit's matches depend on its text alone; a
//! unit is a top-level statement, or, in a top-level class, a statement of its body (a method
//! typed in is not a whole test class walked again). [`MatchCache`] keeps the matches per
//! unit, keyed by the unit's text, as positions relative to the unit's start;
//! [`Matches::incremental`] runs the queries only over units it has not seen. The kept captures'
//! nodes it takes from the unit's subtree when the parse reused it (see [`reused`]), and finds
//! them otherwise in the new tree by position and kind (a short descent from the previous
//! capture's node, much cheaper than the query engine's walk). A capture it cannot find again
//! sends its unit through the queries; units with syntax errors always go through them.

use std::sync::{Arc, Mutex};

use tree_sitter::{Node, Tree};

use super::matcher::for_each_match;
use super::reused::{UnitNodes, descend};
use super::{Captures, Family, Matches, Unit};
use crate::analysis::statement_text::ByStatementText;
use crate::analysis::syntax::clean_class;

/// The matches of each unit (see the module docs) of one document's last analysis.
#[derive(Default)]
pub struct MatchCache {
    statements: ByStatementText<KeptUnit>,
    /// How many units the analysis that made this cache ran the queries over.
    queried: usize,
    /// How many units' nodes it took from a subtree the parse reused.
    reused: usize,
    /// How many matches of each family it found.
    counts: [usize; Family::COUNT],
    /// The tree every unit's nodes were recorded in (or found again in, the same subtree),
    /// kept alive for [`UnitNodes::find`]; `None` in an empty cache.
    tree: Option<Tree>,
}

impl MatchCache {
    /// How many units the analysis that made this cache ran the queries over (the others'
    /// matches it found again from the last one's; a class's own few nodes are not counted).
    pub fn queried(&self) -> usize {
        self.queried
    }

    /// How many units' nodes the analysis that made this cache took from a subtree the parse
    /// reused (without looking for them).
    pub fn reused(&self) -> usize {
        self.reused
    }
}

/// A unit's matches. Shared: an entry goes into the next cache without copying them.
#[derive(Clone)]
struct KeptUnit {
    matches: Arc<[KeptMatch]>,
    /// Their captures' nodes, in order, in [`MatchCache::tree`].
    nodes: Arc<UnitNodes>,
    /// What rules found about them.
    memo: Arc<UnitMemo>,
}

/// What rules found about one unit's matches, by question: kept with the matches while the
/// unit's text is unchanged ([`crate::analysis::semantic::unit_answers`]).
#[derive(Default)]
pub struct UnitMemo(Mutex<Vec<(&'static str, u64, Vec<u32>)>>);

impl UnitMemo {
    /// `read` of the answer to `question` asked under `key` (what else the answer depends on),
    /// which `ask` gives when this unit has none yet.
    pub fn answer<R>(
        &self,
        question: &'static str,
        key: u64,
        ask: impl FnOnce() -> Vec<u32>,
        read: impl FnOnce(&[u32]) -> R,
    ) -> R {
        let mut answers = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let at = match answers.iter().position(|(q, _, _)| *q == question) {
            Some(at) if answers[at].1 == key => at,
            Some(at) => {
                answers[at] = (question, key, ask());
                at
            }
            None => {
                answers.push((question, key, ask()));
                answers.len() - 1
            }
        };
        read(&answers[at].2)
    }
}

struct KeptMatch {
    family: Family,
    captures: Vec<KeptCapture>,
}

/// A captured node by its byte range relative to its statement's start, and its kind.
struct KeptCapture {
    name: &'static str,
    start: usize,
    end: usize,
    kind: u16,
}

impl<'t> Matches<'t> {
    /// [`Matches::new`] over the top-level statements of `tree` (`statements`, in source
    /// order), reusing from `last` the matches of every unit whose text is unchanged since the
    /// last analysis. Returns the matches and the next analysis's cache.
    pub fn incremental(
        tree: &'t Tree,
        statements: &[Node<'t>],
        text: &str,
        mut last: MatchCache,
    ) -> (Matches<'t>, MatchCache) {
        let mut matches = Matches::with_capacity(&last.counts);
        matches.units.reserve(last.statements.len());
        let mut kept = MatchCache {
            tree: Some(tree.clone()),
            ..MatchCache::default()
        };
        let root = tree.root_node().into_raw().tree;
        assert!(
            statements.iter().all(|s| s.into_raw().tree == root),
            "statements of another tree"
        );
        for &statement in statements {
            match class_body(statement) {
                Some(body) => {
                    // The class's own matches (its name, bases and decorators, few nodes) are
                    // found every time, those of its body's statements unit by unit.
                    for_each_match(statement, Some(body), text, |family, captures| {
                        matches.push(family, captures)
                    });
                    let mut cursor = body.walk();
                    for unit in body.named_children(&mut cursor) {
                        kept.add(unit, text, &mut last, &mut matches);
                    }
                }
                None => kept.add(statement, text, &mut last, &mut matches),
            }
        }
        kept.counts = matches.counts();
        (matches, kept)
    }
}

/// The body of a top-level statement defining a class, when it parsed cleanly: its statements
/// are units of their own. A pattern's match lies inside its outermost node, so no match spans
/// two of them, and the class's own matches come before its body's in the query engine's order
/// (they end at its name, bases, or the start of its body).
fn class_body(statement: Node) -> Option<Node> {
    clean_class(statement).map(|(_, body)| body)
}

impl MatchCache {
    /// Adds the matches of `unit` (a top-level statement or a statement of a top-level class's
    /// body) to `matches`, found again from `last` when its text is unchanged, and keeps them;
    /// the unit goes to [`Matches::units`]. A unit's entry moves from `last` to this cache, its
    /// text and memo with it (not copied).
    fn add<'t>(
        &mut self,
        unit: Node<'t>,
        text: &str,
        last: &mut MatchCache,
        matches: &mut Matches<'t>,
    ) {
        let first = matches.counts();
        let memo = self.add_matches(unit, text, last, matches);
        let end = matches.counts();
        matches.units.push(Unit {
            matches: std::array::from_fn(|family| (first[family] as u32, end[family] as u32)),
            memo,
        });
    }

    /// [`MatchCache::add`]'s matches; the memo of the unit's entry, `None` for a unit with
    /// syntax errors (it keeps none).
    fn add_matches<'t>(
        &mut self,
        unit: Node<'t>,
        text: &str,
        last: &mut MatchCache,
        matches: &mut Matches<'t>,
    ) -> Option<Arc<UnitMemo>> {
        let source = &text[unit.byte_range()];
        let clean = !unit.has_error();
        if clean {
            let from_last = last.statements.remove_entry(source);
            // The unit's subtree reused by the parse: its nodes are where they were recorded.
            // SAFETY: `last.tree`, which its entries were recorded in, is alive.
            let reused = match &from_last {
                Some((_, entry)) if last.tree.is_some() => unsafe { entry.nodes.find(unit) }
                    .map(|nodes| push_found(&entry.matches, nodes, matches))
                    .is_some(),
                _ => false,
            };
            if reused {
                let (key, entry) = from_last.expect("the nodes were its");
                self.reused += 1;
                let memo = entry.memo.clone();
                // A unit of the same text met earlier keeps its entry.
                self.statements.entry(key).or_insert(entry);
                return Some(memo);
            }
            // Else found again by position (or from a unit of the same text met earlier).
            let again = self
                .statements
                .get(source)
                .or(from_last.as_ref().map(|(_, e)| e))
                .and_then(|entry| {
                    let found = find_again(unit, &entry.matches)?;
                    let kept = KeptUnit {
                        matches: entry.matches.clone(),
                        nodes: record(unit, &found),
                        memo: entry.memo.clone(),
                    };
                    Some((kept, found))
                });
            if let Some((entry, found)) = again {
                let key = from_last.map_or_else(|| source.into(), |(key, _)| key);
                let memo = entry.memo.clone();
                // A unit of the same text met earlier keeps its entry.
                self.statements.entry(key).or_insert(entry);
                for (family, captures) in found {
                    matches.push(family, captures);
                }
                return Some(memo);
            }
        }
        self.queried += 1;
        let mut found = Vec::new();
        for_each_match(unit, None, text, |family, captures| {
            found.push((family, captures))
        });
        let memo = clean.then(|| {
            let entry = KeptUnit {
                matches: keep(&found, unit.start_byte()),
                nodes: record(unit, &found),
                memo: Arc::default(),
            };
            let memo = entry.memo.clone();
            self.statements.insert(source.into(), entry);
            memo
        });
        for (family, captures) in found {
            matches.push(family, captures);
        }
        memo
    }
}

/// Adds the kept matches to `matches`, their captures' nodes taken in order from `nodes`
/// (straight in: a match's captures are a few hundred bytes, and there are thousands).
fn push_found<'t>(
    kept: &[KeptMatch],
    mut nodes: impl Iterator<Item = Node<'t>>,
    matches: &mut Matches<'t>,
) {
    for m in kept {
        let captures = m
            .captures
            .iter()
            .map(|c| (c.name, nodes.next().expect("a node per capture")));
        matches.push(m.family, Captures::from_pairs(captures));
    }
}

/// The nodes of `found`'s captures, all in `unit`'s subtree, recorded for the next tree.
fn record<'t>(unit: Node<'t>, found: &[(Family, Captures<'t>)]) -> Arc<UnitNodes> {
    let nodes = found
        .iter()
        .flat_map(|(_, captures)| captures.iter().map(|(_, node)| node));
    // SAFETY: the matches of a unit, found by the queries or again, lie in its subtree.
    Arc::new(unsafe { UnitNodes::record(unit, nodes) })
}

fn keep(found: &[(Family, Captures)], base: usize) -> Arc<[KeptMatch]> {
    found
        .iter()
        .map(|(family, captures)| KeptMatch {
            family: *family,
            captures: captures
                .iter()
                .map(|(name, node)| KeptCapture {
                    name,
                    start: node.start_byte() - base,
                    end: node.end_byte() - base,
                    kind: node.kind_id(),
                })
                .collect(),
        })
        .collect()
}

/// The kept matches of `statement` with their nodes found in its tree; `None` when one is not
/// there.
fn find_again<'t>(statement: Node<'t>, kept: &[KeptMatch]) -> Option<Vec<(Family, Captures<'t>)>> {
    let base = statement.start_byte();
    let mut cursor = statement.walk();
    kept.iter()
        .map(|m| {
            let nodes = m
                .captures
                .iter()
                .map(|c| {
                    let node = descend(&mut cursor, base + c.start, base + c.end, c.kind)?;
                    Some((c.name, node))
                })
                .collect::<Option<Vec<_>>>()?;
            Some((m.family, Captures::from_slice(&nodes)))
        })
        .collect()
}
