//! Edits that rules' fixes share.

use tree_sitter::Node;

use super::findings::Edit;

/// Removes a simple statement that has its line(s) to itself: the whole lines go, comment
/// included. When it is the only statement of its block, it becomes `pass` instead, so the
/// block stays valid. `None` when the statement shares a line (`a; b`): no edit is safer than a
/// clever one.
pub fn remove_statement(text: &str, statement: Node) -> Option<Edit> {
    let parent = statement.parent()?;
    // Comments are children too, but a block of only comments is no block.
    let statements = (0..parent.named_child_count())
        .filter_map(|i| parent.named_child(i as u32))
        .filter(|child| child.kind() != "comment")
        .count();
    let alone_in_block = parent.kind() == "block" && statements == 1;
    if alone_in_block {
        return Some(Edit {
            range: statement.byte_range(),
            text: "pass".to_string(),
        });
    }
    let line_start = text[..statement.start_byte()]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    if !text[line_start..statement.start_byte()].trim().is_empty() {
        return None;
    }
    let rest = &text[statement.end_byte()..];
    let line_end = rest
        .find('\n')
        .map_or(text.len(), |i| statement.end_byte() + i + 1);
    let tail = text[statement.end_byte()..line_end].trim();
    if !(tail.is_empty() || tail.starts_with('#')) {
        return None;
    }
    Some(Edit {
        range: line_start..line_end,
        text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    /// Applies `remove_statement` to the first statement whose text is `target`.
    fn removed(text: &str, target: &str) -> Option<String> {
        let tree = parse(text);
        let mut found = None;
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() == "expression_statement" && &text[node.byte_range()] == target {
                found = Some(node);
                break;
            }
            stack.extend((0..node.child_count()).filter_map(|i| node.child(i)));
        }
        let edit = remove_statement(text, found.expect("the statement exists"))?;
        let mut out = text.to_string();
        out.replace_range(edit.range, &edit.text);
        Some(out)
    }

    #[test]
    fn removes_lines_keeps_blocks_valid_and_leaves_shared_lines() {
        assert_eq!(
            removed("def f():\n    a()\n    b()  # note\n    c()\n", "b()").as_deref(),
            Some("def f():\n    a()\n    c()\n")
        );
        assert_eq!(
            removed("if x:\n    b()\nelse:\n    c()\n", "b()").as_deref(),
            Some("if x:\n    pass\nelse:\n    c()\n")
        );
        assert_eq!(removed("a()\r\nb()\r\n", "b()").as_deref(), Some("a()\r\n"));
        assert_eq!(removed("b()", "b()").as_deref(), Some(""));
        assert_eq!(removed("a(); b()\n", "b()"), None);
        assert_eq!(
            removed("def f():\n    b()\n    # only a comment left\n", "b()").as_deref(),
            Some("def f():\n    pass\n    # only a comment left\n")
        );
    }
}
