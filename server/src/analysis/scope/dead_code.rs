//! Pass 3 (run during the walk): which code objects CPython's compiler drops as unreachable.
//!
//! CPython 3.8 to 3.11 compile unreachable code too, then remove unreachable blocks and trim only
//! the *trailing* constants that no remaining instruction loads. From 3.12 the compiler removes
//! every constant no instruction loads, so every code object made only in dead code is dropped. So a `def` after `return` or under
//! `if 0:` loses its code object only when no reachable instruction loads a constant that was
//! added after it. (Its names still count for the symbol table either way.)
//!
//! Which statements are unreachable follows the compiler's control flow: after `return`,
//! `raise`, `break`, `continue`, after an `if` whose every branch ends so, a `while True:` without
//! `break`, a `try` that cannot complete; and the bodies of `if` / `while` under a constant false
//! test. This module keeps, per code unit, the order in which constants are first added and which
//! dead code objects are still trailing. Constants are keyed by their source spelling, which is
//! close to CPython's value-based keys; the difference matters only for dead code followed by
//! reachable code whose only new constants are respellings of earlier ones.

use std::borrow::Cow;

use foldhash::HashMap;

use tree_sitter::Node;

use super::ScopeId;
use super::build::field_children;
use crate::analysis::syntax::{Field, NodeLookups, named_children};

/// A constant's key: what kind of constant it is and its spelling (`("integer", "0x1")`,
/// `("str", "'''doc'''")`), mostly borrowed from the source text `'a`: a module has thousands
/// of constants, each looked up once or more.
pub(super) type ConstKey<'a> = (&'static str, Cow<'a, str>);

/// The constant table of one code unit, as far as dropping dead code objects needs it.
#[derive(Debug, Default)]
pub(super) struct ConstTracker<'a> {
    /// Each constant's position in the table.
    index: HashMap<ConstKey<'a>, u32>,
    len: u32,
    /// Code objects made only in dead code, with their positions, not yet known to be kept.
    trailing_dead: Vec<(u32, ScopeId)>,
    /// Every code object made only in dead code.
    all_dead: Vec<ScopeId>,
    /// The line and text of the code objects 3.12 merges when they repeat (see `build`).
    code_texts: foldhash::HashSet<String>,
}

impl<'a> ConstTracker<'a> {
    /// A constant is added (if new) and, when `reachable`, loaded.
    pub(super) fn constant(&mut self, key: ConstKey<'a>, reachable: bool) {
        let next = self.len;
        let position = *self.index.entry(key).or_insert(next);
        if position == next {
            self.push();
        }
        if reachable {
            self.loaded(position);
        }
    }

    /// Records a code object's line and text; false when the unit already has one like it.
    pub(super) fn code_text(&mut self, key: String) -> bool {
        self.code_texts.insert(key)
    }

    /// A nested code object is added; each one is a new constant.
    pub(super) fn code_object(&mut self, id: ScopeId, dead: bool) {
        let position = self.push();
        if dead {
            self.trailing_dead.push((position, id));
            self.all_dead.push(id);
        } else {
            self.loaded(position);
        }
    }

    /// The dead code objects CPython drops: before 3.12 those that no reachable load came after
    /// (`every_unused` false), from 3.12 all of them.
    pub(super) fn dropped(self, every_unused: bool) -> Vec<ScopeId> {
        if every_unused {
            self.all_dead
        } else {
            self.trailing_dead.into_iter().map(|(_, id)| id).collect()
        }
    }

    fn push(&mut self) -> u32 {
        self.len += 1;
        self.len - 1
    }

    fn loaded(&mut self, position: u32) {
        self.trailing_dead
            .retain(|&(dead_position, _)| dead_position > position);
    }
}

/// The truth value of a condition CPython folds to a constant, if it is one.
pub(super) fn constant_truth(node: Node, src: &str) -> Option<bool> {
    match node.kind_name() {
        "true" => Some(true),
        "false" | "none" => Some(false),
        "integer" => {
            let digits = src[node.byte_range()].to_ascii_lowercase().replace('_', "");
            let digits = ["0x", "0o", "0b"]
                .iter()
                .find_map(|prefix| digits.strip_prefix(prefix))
                .unwrap_or(&digits);
            Some(digits.chars().any(|c| c != '0'))
        }
        _ => None,
    }
}

/// Which blocks end control (a statement in them never falls through), by node id: what
/// [`never_falls_through`] asks of a compound statement's blocks, which the walk has already
/// visited. Without it, a statement would be asked again by every enclosing one.
#[derive(Debug, Default)]
pub(super) struct BlockEnds(HashMap<usize, bool>);

impl BlockEnds {
    /// Records what the walk found for `block`.
    pub(super) fn record(&mut self, block: Node, ends: bool) {
        self.0.insert(block.id(), ends);
    }

    fn of(&mut self, block: Node, src: &str) -> bool {
        if let Some(&ends) = self.0.get(&block.id()) {
            return ends;
        }
        let ends = named_children(block)
            .into_iter()
            .any(|stmt| never_falls_through(stmt, src, self));
        self.record(block, ends);
        ends
    }
}

/// Whether control never reaches the statement after `stmt` by falling through it.
pub(super) fn never_falls_through(stmt: Node, src: &str, blocks: &mut BlockEnds) -> bool {
    let mut block_ends = |block: Option<Node>| block.is_some_and(|b| blocks.of(b, src));
    match stmt.kind_name() {
        "return_statement" | "raise_statement" | "break_statement" | "continue_statement" => true,
        "if_statement" => {
            // Every branch must end, and there must be an `else` (or a constant true test).
            let mut clauses = vec![stmt];
            clauses.extend(field_children(stmt, Field::Alternative));
            for clause in clauses {
                if clause.kind_name() == "else_clause" {
                    return block_ends(clause.field(Field::Body));
                }
                let truth = clause
                    .field(Field::Condition)
                    .and_then(|c| constant_truth(c, src));
                let body_ends = block_ends(clause.field(Field::Consequence));
                match truth {
                    Some(true) => return body_ends,
                    Some(false) => {}
                    None if !body_ends => return false,
                    None => {}
                }
            }
            false
        }
        "while_statement" => {
            let truth = stmt
                .field(Field::Condition)
                .and_then(|c| constant_truth(c, src));
            truth == Some(true) && stmt.field(Field::Body).is_some_and(|b| !breaks_out(b))
        }
        "try_statement" => {
            let mut body_ends = false;
            let mut handlers_end = true;
            for child in named_children(stmt) {
                match child.kind_name() {
                    "block" => body_ends = block_ends(Some(child)),
                    "else_clause" => {
                        body_ends |= block_ends(child.field(Field::Body));
                    }
                    "except_clause" | "except_group_clause" => {
                        let block = named_children(child)
                            .into_iter()
                            .find(|n| n.kind_name() == "block");
                        handlers_end &= block_ends(block);
                    }
                    "finally_clause" => {
                        let block = named_children(child)
                            .into_iter()
                            .find(|n| n.kind_name() == "block");
                        if block_ends(block) {
                            return true;
                        }
                    }
                    _ => {}
                }
            }
            body_ends && handlers_end
        }
        // `assert False` always raises (asserts are compiled in; `-O` is not the default).
        "assert_statement" => {
            stmt.named_child(0)
                .and_then(|test| constant_truth(test, src))
                == Some(false)
        }
        // Every case must end, and the last must match anything (`case _:` or a capture).
        "match_statement" => {
            let cases: Vec<Node> = stmt
                .field(Field::Body)
                .map(named_children)
                .unwrap_or_default()
                .into_iter()
                .filter(|c| c.kind_name() == "case_clause")
                .collect();
            let every_case_ends = cases.iter().all(|case| {
                let block = named_children(*case)
                    .into_iter()
                    .find(|n| n.kind_name() == "block");
                block_ends(block)
            });
            every_case_ends && cases.last().is_some_and(|last| is_irrefutable(*last))
        }
        _ => false,
    }
}

/// A `case` without guard whose pattern is `_` or a bare name: it matches every subject.
fn is_irrefutable(case: Node) -> bool {
    let children = named_children(case);
    if children.iter().any(|n| n.kind_name() == "if_clause") {
        return false;
    }
    let patterns: Vec<&Node> = children
        .iter()
        .filter(|n| n.kind_name() == "case_pattern")
        .collect();
    let [pattern] = patterns.as_slice() else {
        return false;
    };
    match named_children(**pattern).as_slice() {
        [] => true, // `_`
        [capture] => capture.kind_name() == "dotted_name" && capture.named_child_count() == 1,
        _ => false,
    }
}

/// Whether a loop body holds a `break` for this loop (not for a nested loop or function).
fn breaks_out(node: Node) -> bool {
    named_children(node)
        .into_iter()
        .any(|child| match child.kind_name() {
            "break_statement" => true,
            "for_statement" | "while_statement" => {
                // A nested loop's `else` still belongs to this loop's body.
                field_children(child, Field::Alternative)
                    .into_iter()
                    .any(breaks_out)
            }
            "function_definition" | "class_definition" | "decorated_definition" | "lambda" => false,
            _ => breaks_out(child),
        })
}
