//! Small helpers over tree-sitter nodes, shared by the scope model and the rules.

use tree_sitter::Node;

/// A node's named children, comments left out.
pub fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}
