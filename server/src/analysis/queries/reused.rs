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

use tree_sitter::{Node, TreeCursor, ffi::TSNode};

/// Some nodes of one unit, as they were in the tree they were recorded in.
pub struct UnitNodes {
    /// The unit's subtree.
    subtree: usize,
    nodes: Vec<Recorded>,
}

/// A node by its slot (`None` for the unit itself, whose slot is its parent's) and its
/// position relative to the unit's start (`column` too when on the unit's first row); its
/// length and kind, to look for it where the parse made the unit again.
struct Recorded {
    slot: Option<usize>,
    byte: u32,
    row: u32,
    column: u32,
    alias: u32,
    len: u32,
    kind: u16,
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
                    len: node.byte_range().len() as u32,
                    kind: node.kind_id(),
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

impl UnitNodes {
    /// The recorded nodes in `unit`, in order: [`UnitNodes::find`] when the parse reused the
    /// unit's subtree, else each looked for by its position and kind (a short descent from the
    /// last one found), and then recorded again as they are in `unit`'s tree; `None` when one
    /// is not there. `unit` spans the text the nodes were recorded in.
    ///
    /// # Safety
    /// As for [`UnitNodes::find`]. Afterwards the nodes are recorded in `unit`'s tree (or
    /// found in it, the same subtree): that is the tree to keep alive.
    pub unsafe fn find_or_look_for<'t>(&mut self, unit: Node<'t>) -> Option<Vec<Node<'t>>> {
        // SAFETY: the caller's.
        if let Some(found) = unsafe { self.find(unit) } {
            return Some(found.collect());
        }
        let base = unit.start_byte();
        let mut cursor = unit.walk();
        let found = self
            .nodes
            .iter()
            .map(|node| {
                let start = base + node.byte as usize;
                descend(&mut cursor, start, start + node.len as usize, node.kind)
            })
            .collect::<Option<Vec<_>>>()?;
        // SAFETY: each was found below `unit`.
        *self = unsafe { UnitNodes::record(unit, found.iter().copied()) };
        Some(found)
    }
}

/// Moves `cursor` to the outermost node spanning exactly `start..end` with kind `kind`: on to
/// later siblings or up from where it is until the node contains the range (nodes recorded in
/// source order make this a short way), then down through the children holding it.
pub fn descend<'t>(
    cursor: &mut TreeCursor<'t>,
    start: usize,
    end: usize,
    kind: u16,
) -> Option<Node<'t>> {
    let contains = |node: Node| node.start_byte() <= start && end <= node.end_byte();
    loop {
        let node = cursor.node();
        if contains(node) {
            break;
        }
        if node.end_byte() <= start && cursor.goto_next_sibling() {
            continue;
        }
        if !cursor.goto_parent() {
            return None;
        }
    }
    loop {
        let node = cursor.node();
        if node.start_byte() == start && node.end_byte() == end && node.kind_id() == kind {
            return Some(node);
        }
        cursor.goto_first_child_for_byte(start)?;
        if !contains(cursor.node()) {
            return None;
        }
    }
}

/// The subtree a node stands for: what its slot holds (a pointer for every node with children).
fn subtree(node: Node) -> usize {
    // SAFETY: a node's id points at its live, aligned slot (`ts_node__subtree` reads it so).
    unsafe { (node.id() as *const usize).read() }
}
