//! Pass 3 (run during the walk): which code objects CPython's compiler drops as unreachable.
//!
//! CPython 3.11 compiles unreachable code too, then removes unreachable blocks and trims only the
//! *trailing* constants that no remaining instruction loads. So a `def` after `return` or under
//! `if 0:` loses its code object only when no reachable instruction loads a constant that was
//! added after it. (Its names still count for the symbol table either way.)
//!
//! This module keeps, per code unit, the order in which constants are first added and which
//! dead code objects are still trailing. Constants are keyed by their source spelling, which is
//! close to CPython's value-based keys; the difference matters only for dead code followed by
//! reachable code whose only new constants are respellings of earlier ones.

use std::collections::HashMap;

use super::ScopeId;

/// The constant table of one code unit, as far as dropping dead code objects needs it.
#[derive(Debug, Default)]
pub(super) struct ConstTracker {
    /// Each constant's position in the table.
    index: HashMap<String, u32>,
    len: u32,
    /// Code objects made only in dead code, with their positions, not yet known to be kept.
    trailing_dead: Vec<(u32, ScopeId)>,
}

impl ConstTracker {
    /// A constant is added (if new) and, when `reachable`, loaded.
    pub(super) fn constant(&mut self, key: &str, reachable: bool) {
        let position = match self.index.get(key) {
            Some(&position) => position,
            None => {
                let position = self.push();
                self.index.insert(key.to_string(), position);
                position
            }
        };
        if reachable {
            self.loaded(position);
        }
    }

    /// A nested code object is added; each one is a new constant.
    pub(super) fn code_object(&mut self, id: ScopeId, dead: bool) {
        let position = self.push();
        if dead {
            self.trailing_dead.push((position, id));
        } else {
            self.loaded(position);
        }
    }

    /// The dead code objects that no reachable load came after: CPython trims them.
    pub(super) fn dropped(self) -> impl Iterator<Item = ScopeId> {
        self.trailing_dead.into_iter().map(|(_, id)| id)
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
