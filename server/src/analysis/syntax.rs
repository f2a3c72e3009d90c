//! Small helpers over tree-sitter nodes, shared by the scope model and the rules.

use tree_sitter::Node;

/// A node's named children, comments left out.
pub fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|n| n.kind() != "comment")
        .collect()
}

/// The ancestors of `node` under `root` (the root of its tree), innermost first, without `node`:
/// what `parent()` called in a loop gives, for the cost of one call (tree-sitter finds a node's
/// parent by descending from the root, so a loop of them costs the depth squared).
pub fn ancestors<'t>(root: Node<'t>, node: Node<'t>) -> Vec<Node<'t>> {
    let mut chain = Vec::new();
    let mut current = root;
    while current.id() != node.id() {
        chain.push(current);
        match current.child_with_descendant(node) {
            Some(next) if next.id() != current.id() => current = next,
            _ => break,
        }
    }
    chain.reverse();
    chain
}

/// The name a chain of attributes and items starts from: `a` in `a.b[c].d`.
pub fn chain_base(mut node: Node) -> Node {
    loop {
        let next = match node.kind() {
            "attribute" => node.child_by_field_name("object"),
            "subscript" => node.child_by_field_name("value"),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return node,
        }
    }
}

/// The whole attribute and item chain `node` starts: `a.b[c].d` for `a`.
pub fn chain_top(mut node: Node) -> Node {
    while let Some(parent) = node.parent() {
        let inner = match parent.kind() {
            "attribute" => parent.child_by_field_name("object"),
            "subscript" => parent.child_by_field_name("value"),
            _ => None,
        };
        if inner.is_none_or(|inner| inner.id() != node.id()) {
            break;
        }
        node = parent;
    }
    node
}

/// The decorator expressions above a `def` or `class` (`bus.on("x")` for `@bus.on("x")`), or
/// none when it is not decorated.
pub fn decorators(definition: Node) -> Vec<Node> {
    let Some(decorated) = definition
        .parent()
        .filter(|p| p.kind() == "decorated_definition")
        .or((definition.kind() == "decorated_definition").then_some(definition))
    else {
        return Vec::new();
    };
    named_children(decorated)
        .into_iter()
        .filter(|n| n.kind() == "decorator")
        .filter_map(|d| d.named_child(0))
        .collect()
}

/// The value of the keyword argument `name=...` in an `argument_list`.
pub fn keyword_argument<'t>(arguments: Node<'t>, text: &str, name: &str) -> Option<Node<'t>> {
    named_children(arguments).into_iter().find_map(|argument| {
        (argument.kind() == "keyword_argument"
            && argument
                .child_by_field_name("name")
                .is_some_and(|n| &text[n.byte_range()] == name))
        .then(|| argument.child_by_field_name("value"))
        .flatten()
    })
}

/// A comprehension's first iterable, the one CPython evaluates in the enclosing scope.
pub fn first_iterable(comprehension: Node) -> Option<Node> {
    named_children(comprehension)
        .into_iter()
        .find(|c| c.kind() == "for_in_clause")?
        .child_by_field_name("right")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    #[test]
    fn chains_decorators_keywords_and_iterables() {
        let text = "@bus.on('x')\ndef f(): a.b[c].d\ng(k=1, maxlen=2)\n[y for y in z if y]\n";
        let tree = parse(text);
        let at = |needle: &str| {
            let start = text.find(needle).unwrap();
            tree.root_node()
                .named_descendant_for_byte_range(start, start + needle.len())
                .unwrap()
        };
        let a = at("a");
        let top = chain_top(a);
        assert_eq!(&text[top.byte_range()], "a.b[c].d");
        assert_eq!(chain_base(top).id(), a.id());
        let function = at("def f(): a.b[c].d");
        assert_eq!(function.kind(), "function_definition");
        let decorators = decorators(function);
        assert_eq!(decorators.len(), 1);
        assert_eq!(&text[decorators[0].byte_range()], "bus.on('x')");
        let arguments = at("(k=1, maxlen=2)");
        let maxlen = keyword_argument(arguments, text, "maxlen").unwrap();
        assert_eq!(&text[maxlen.byte_range()], "2");
        assert!(keyword_argument(arguments, text, "add").is_none());
        let comprehension = at("[y for y in z if y]");
        assert_eq!(
            &text[first_iterable(comprehension).unwrap().byte_range()],
            "z"
        );
    }
}
