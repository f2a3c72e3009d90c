//! Nodes of a unit found again in the next version of its tree without a walk, when the
//! incremental parse reused the unit's subtree.
//!
//! An incremental parse reuses the subtrees of the last tree that the edit left alone: the very
//! objects, shared by both trees, never changed in place while shared (an edit copies what it
//! changes). A node handle is a pointer to the slot holding the node's subtree in its parent's
//! child list, plus the node's position. So below the top of a reused subtree every handle
//! keeps its pointer, and its position moves by as much as the subtree did. [`UnitNodes`]
//! records nodes of a unit so, and [`UnitNodes::find`] makes their handles in a later tree when
//! the unit there is the subtree it recorded. That comparison of addresses proves something
//! only while the tree recorded in is alive (a freed subtree's address may be reused): the
//! caller keeps that tree.
//!
//! This reads what tree-sitter's API does not promise (its `node.c`): what a handle's four
//! context numbers are (start byte, row, column, alias) and that its id points at its subtree's
//! slot. tree-sitter is pinned to the version read (`server/Cargo.toml`); `tests/incremental.rs`
//! compares nodes found so with the query engine's, positions and parents included, over random
//! edits parsed incrementally.

use tree_sitter::{Node, ffi::TSNode};

/// Some nodes of one unit, as they were in the tree they were recorded in.
pub struct UnitNodes {
    /// The unit's subtree.
    subtree: usize,
    nodes: Vec<Recorded>,
}

/// A node by its slot (`None` for the unit itself, whose slot is its parent's) and its
/// position relative to the unit's start (`column` too when on the unit's first row).
struct Recorded {
    slot: Option<usize>,
    byte: u32,
    row: u32,
    column: u32,
    alias: u32,
}

impl UnitNodes {
    /// Records `nodes`, in order.
    ///
    /// # Safety
    /// Every node of `nodes` is `unit` or lies in its subtree (else its slot belongs to a
    /// subtree that a later tree need not share).
    pub unsafe fn record<'t>(unit: Node<'t>, nodes: impl Iterator<Item = Node<'t>>) -> UnitNodes {
        let top = unit.into_raw().context;
        let nodes = nodes
            .map(|node| {
                let [byte, row, column, alias] = node.into_raw().context;
                let row = row - top[1];
                Recorded {
                    slot: (node != unit).then(|| node.id()),
                    byte: byte - top[0],
                    row,
                    column: if row == 0 { column - top[2] } else { column },
                    alias,
                }
            })
            .collect();
        UnitNodes {
            subtree: subtree(unit),
            nodes,
        }
    }

    /// The recorded nodes in `unit`'s tree, in order, if `unit` is the subtree they were
    /// recorded in. (The parse often makes a unit's node again, reading its first token again,
    /// while reusing its other children: then the unit's nodes are looked for.)
    ///
    /// # Safety
    /// The tree these nodes were recorded in is alive.
    pub unsafe fn find<'a, 't: 'a>(
        &'a self,
        unit: Node<'t>,
    ) -> Option<impl Iterator<Item = Node<'t>> + 'a> {
        if subtree(unit) != self.subtree {
            return None;
        }
        let raw = unit.into_raw();
        let [byte, row, column, _] = raw.context;
        Some(self.nodes.iter().map(move |node| {
            let Some(slot) = node.slot else {
                return unit;
            };
            let handle = TSNode {
                context: [
                    byte + node.byte,
                    row + node.row,
                    if node.row == 0 {
                        column + node.column
                    } else {
                        node.column
                    },
                    node.alias,
                ],
                id: slot as *const std::ffi::c_void,
                tree: raw.tree,
            };
            // SAFETY: the slot lies in `unit`'s subtree (`record`'s contract), which is the one
            // recorded: while the tree recorded in is alive no other subtree can have its
            // address, so it is this tree's too, unchanged (shared), and the handle's position
            // is where the subtree now puts the node.
            unsafe { Node::from_raw(handle) }
        }))
    }
}

/// The subtree a node stands for: what its slot holds (a pointer for every node with children).
fn subtree(node: Node) -> usize {
    // SAFETY: a node's id points at its live, aligned slot (`ts_node__subtree` reads it so).
    unsafe { (node.id() as *const usize).read() }
}
