//! Small helpers over tree-sitter nodes, shared by the scope model and the rules.

use std::sync::LazyLock;

use tree_sitter::{Node, TreeCursor};

use super::parse::python_language;

/// A field of the Python grammar's nodes that the analysis reads. `Node::child_by_field_name`
/// finds a field's id by comparing its name with every field name of the grammar, on every call
/// (a fifth of a keystroke's analysis once); a `Field`'s id is found once per process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Alias,
    Alternative,
    Argument,
    Arguments,
    Attribute,
    Body,
    Condition,
    Consequence,
    Definition,
    Function,
    Key,
    Left,
    ModuleName,
    Name,
    Object,
    Operator,
    Parameters,
    ReturnType,
    Right,
    Subject,
    Subscript,
    Superclasses,
    Type,
    TypeParameters,
    Value,
}

impl Field {
    const ALL: [Field; 25] = [
        Field::Alias,
        Field::Alternative,
        Field::Argument,
        Field::Arguments,
        Field::Attribute,
        Field::Body,
        Field::Condition,
        Field::Consequence,
        Field::Definition,
        Field::Function,
        Field::Key,
        Field::Left,
        Field::ModuleName,
        Field::Name,
        Field::Object,
        Field::Operator,
        Field::Parameters,
        Field::ReturnType,
        Field::Right,
        Field::Subject,
        Field::Subscript,
        Field::Superclasses,
        Field::Type,
        Field::TypeParameters,
        Field::Value,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Alias => "alias",
            Field::Alternative => "alternative",
            Field::Argument => "argument",
            Field::Arguments => "arguments",
            Field::Attribute => "attribute",
            Field::Body => "body",
            Field::Condition => "condition",
            Field::Consequence => "consequence",
            Field::Definition => "definition",
            Field::Function => "function",
            Field::Key => "key",
            Field::Left => "left",
            Field::ModuleName => "module_name",
            Field::Name => "name",
            Field::Object => "object",
            Field::Operator => "operator",
            Field::Parameters => "parameters",
            Field::ReturnType => "return_type",
            Field::Right => "right",
            Field::Subject => "subject",
            Field::Subscript => "subscript",
            Field::Superclasses => "superclasses",
            Field::Type => "type",
            Field::TypeParameters => "type_parameters",
            Field::Value => "value",
        }
    }

    pub fn id(self) -> u16 {
        static IDS: LazyLock<Vec<u16>> = LazyLock::new(|| {
            let language = python_language();
            Field::ALL
                .iter()
                .map(|field| {
                    language
                        .field_id_for_name(field.name())
                        .map_or(0, |id| id.get())
                })
                .collect()
        });
        IDS[self as usize]
    }
}

/// Lookups on a node that tree-sitter's own methods make slow, each from a table made once per
/// process.
pub trait NodeLookups<'t> {
    /// The child in `field`, as `child_by_field_name` would find it.
    fn field(&self, field: Field) -> Option<Node<'t>>;

    /// The node's kind, as `Node::kind` names it: that one measures and validates the grammar's
    /// C string on every call (a tenth of the scope model's time, once).
    fn kind_name(&self) -> &'static str;
}

impl<'t> NodeLookups<'t> for Node<'t> {
    fn field(&self, field: Field) -> Option<Node<'t>> {
        self.child_by_field_id(field.id())
    }

    fn kind_name(&self) -> &'static str {
        kind_name_of(self.kind_id())
    }
}

/// The name of the node kind whose id is `id` (see [`NodeLookups::kind_name`]): for a caller
/// that has the id already, since each read of it asks tree-sitter.
pub fn kind_name_of(id: u16) -> &'static str {
    static LANGUAGE: LazyLock<tree_sitter::Language> = LazyLock::new(python_language);
    static NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        (0..LANGUAGE.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| LANGUAGE.node_kind_for_id(id))
                    .unwrap_or_default()
            })
            .collect()
    });
    // Only `ERROR` has an id past the table's end.
    NAMES.get(usize::from(id)).copied().unwrap_or("ERROR")
}

/// A node a walk of the tree met, with the children it read from it on the way (a call's
/// function and arguments, an assignment's left and right sides), by field. A later reader of
/// the node takes them from here: each read of a field from tree-sitter descends again through
/// the grammar's hidden nodes.
#[derive(Clone, Copy)]
pub struct Met<'t> {
    pub node: Node<'t>,
    /// The two fields read, each with its child (`None`: the node has none there).
    read: Option<[(Field, Option<Node<'t>>); 2]>,
}

impl<'t> Met<'t> {
    /// `node`, nothing read of it yet.
    pub fn new(node: Node<'t>) -> Met<'t> {
        Met { node, read: None }
    }

    /// Keeps what was read of the node: the child in each field.
    pub fn keep(&mut self, fields: [(Field, Option<Node<'t>>); 2]) {
        self.read = Some(fields);
    }

    /// The node's child in `field`: as the walk read it, or read now.
    pub fn field(&self, field: Field) -> Option<Node<'t>> {
        match self.read.iter().flatten().find(|(read, _)| *read == field) {
            Some(&(_, child)) => child,
            None => self.node.field(field),
        }
    }
}

/// The class a statement defines (through its decorators, if any) and the class's body, when
/// the statement parsed cleanly.
pub fn clean_class(statement: Node) -> Option<(Node, Node)> {
    let class = match statement.kind_name() {
        "decorated_definition" => statement.field(Field::Definition)?,
        _ => statement,
    };
    (class.kind_name() == "class_definition" && !statement.has_error())
        .then(|| Some((class, class.field(Field::Body)?)))
        .flatten()
}

/// The module node of a file: the root of its tree, or of each tree of a file parsed in parts
/// at once, each part a run of whole top-level statements (see [`super::check_parts`]), in
/// order. What walks "the whole module" starts from.
#[derive(Clone, Copy)]
pub struct Module<'t> {
    roots: &'t [Node<'t>],
}

impl<'t> Module<'t> {
    /// `roots`: one or more module nodes, each over the part of the text after the one before.
    pub fn new(roots: &'t [Node<'t>]) -> Module<'t> {
        assert!(!roots.is_empty(), "a module has a root");
        Module { roots }
    }

    /// The module node(s), in order.
    pub fn roots(self) -> &'t [Node<'t>] {
        self.roots
    }

    /// The module node holding byte `at` (the first one for a byte before any).
    pub fn root_at(self, at: usize) -> Node<'t> {
        let after = self.roots.partition_point(|root| root.start_byte() <= at);
        self.roots[after.saturating_sub(1)]
    }

    pub fn is_root(self, node: Node) -> bool {
        self.roots.iter().any(|root| root.id() == node.id())
    }

    pub fn has_error(self) -> bool {
        self.roots.iter().any(|root| root.has_error())
    }

    /// The bytes the module's nodes span.
    pub fn byte_range(self) -> std::ops::Range<usize> {
        let last = self.roots[self.roots.len() - 1];
        self.roots[0].start_byte()..last.end_byte()
    }

    /// The top-level statements, comments left out ([`named_children`] of each root).
    pub fn statements(self) -> impl Iterator<Item = Node<'t>> {
        self.roots.iter().flat_map(|&root| named_children(root))
    }
}

/// A node's named children, comments left out.
pub fn named_children<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    // The count is kept in the node: one allocation instead of a vector grown step by step.
    let mut children = Vec::with_capacity(node.named_child_count());
    push_named_children(node, &mut None, &mut children);
    let comment = comment_kind();
    children.retain(|n| n.kind_id() != comment);
    children
}

/// Pushes `node`'s named children (comments included) onto `out`. A few are found by index
/// (each search starts over, but needs no cursor, whose stack is allocated); more by `cursor`,
/// made the first time it is needed, whose steps do not start over.
fn push_named_children<'t>(
    node: Node<'t>,
    cursor: &mut Option<TreeCursor<'t>>,
    out: &mut Vec<Node<'t>>,
) {
    let count = node.named_child_count();
    if count <= FEW_CHILDREN {
        out.extend((0..count as u32).filter_map(|index| node.named_child(index)));
    } else {
        let cursor = cursor.get_or_insert_with(|| node.walk());
        cursor.reset(node);
        out.extend(node.named_children(cursor));
    }
}

/// The grammar's id of `comment`, found once.
fn comment_kind() -> u16 {
    static COMMENT: LazyLock<u16> =
        LazyLock::new(|| python_language().id_for_node_kind("comment", true));
    *COMMENT
}

/// How many named children [`push_named_children`] finds by index rather than with a cursor.
const FEW_CHILDREN: usize = 6;

/// Calls `visit` with every named node under `root`, `root` first, in source order (a node
/// before the nodes inside it), and goes below a node only when `visit` returns true. Cheaper
/// than a tree cursor's walk, which steps through every keyword and punctuation token too:
/// those have no named nodes inside them.
pub fn walk_named<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    let mut cursor = None;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if !visit(node) {
            continue;
        }
        let first = stack.len();
        push_named_children(node, &mut cursor, &mut stack);
        // Popped from the end: the first child goes last.
        stack[first..].reverse();
    }
}

/// The outermost node of kind `kind` that starts at byte `at`, in one descent from `root`
/// (cheaper than finding the token there and asking for its parent, which descends again).
pub fn node_starting_at<'t>(root: Node<'t>, at: usize, kind: &str) -> Option<Node<'t>> {
    let mut cursor = root.walk();
    while cursor.goto_first_child_for_byte(at).is_some() {
        let node = cursor.node();
        if node.start_byte() > at {
            return None;
        }
        if node.start_byte() == at && node.kind_name() == kind {
            return Some(node);
        }
    }
    None
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

/// The innermost `def` among `ancestors` (innermost first).
pub fn innermost_def<'t>(ancestors: impl IntoIterator<Item = Node<'t>>) -> Option<Node<'t>> {
    ancestors
        .into_iter()
        .find(|a| a.kind_name() == "function_definition")
}

/// The name a chain of attributes and items starts from: `a` in `a.b[c].d`.
pub fn chain_base(mut node: Node) -> Node {
    loop {
        let next = match node.kind_name() {
            "attribute" => node.field(Field::Object),
            "subscript" => node.field(Field::Value),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return node,
        }
    }
}

/// The whole attribute and item chain `node` starts: `a.b[c].d` for `a`.
pub fn chain_top(node: Node) -> Node {
    chain_top_among(node, std::iter::successors(node.parent(), |n| n.parent())).0
}

/// [`chain_top`] with `node`'s ancestors given, innermost first (asking a node for its parent
/// descends from the root), and how many of them the chain climbs.
pub fn chain_top_among<'t>(
    mut node: Node<'t>,
    ancestors: impl IntoIterator<Item = Node<'t>>,
) -> (Node<'t>, usize) {
    let mut climbed = 0;
    for parent in ancestors {
        let inner = match parent.kind_name() {
            "attribute" => parent.field(Field::Object),
            "subscript" => parent.field(Field::Value),
            _ => None,
        };
        if inner.is_none_or(|inner| inner.id() != node.id()) {
            break;
        }
        node = parent;
        climbed += 1;
    }
    (node, climbed)
}

/// The decorator expressions above a `def` or `class` (`bus.on("x")` for `@bus.on("x")`), or
/// none when it is not decorated.
pub fn decorators(definition: Node) -> Vec<Node> {
    // `parent()` descends from the root: asked only when `definition` is not the decorated one.
    let decorated = if definition.kind_name() == "decorated_definition" {
        Some(definition)
    } else {
        definition
            .parent()
            .filter(|p| p.kind_name() == "decorated_definition")
    };
    let Some(decorated) = decorated else {
        return Vec::new();
    };
    named_children(decorated)
        .into_iter()
        .filter(|n| n.kind_name() == "decorator")
        .filter_map(|d| d.named_child(0))
        .collect()
}

/// The value of the keyword argument `name=...` in an `argument_list`.
pub fn keyword_argument<'t>(arguments: Node<'t>, text: &str, name: &str) -> Option<Node<'t>> {
    named_children(arguments).into_iter().find_map(|argument| {
        (argument.kind_name() == "keyword_argument"
            && argument
                .field(Field::Name)
                .is_some_and(|n| &text[n.byte_range()] == name))
        .then(|| argument.field(Field::Value))
        .flatten()
    })
}

/// A comprehension's first iterable, the one CPython evaluates in the enclosing scope.
pub fn first_iterable(comprehension: Node) -> Option<Node> {
    named_children(comprehension)
        .into_iter()
        .find(|c| c.kind_name() == "for_in_clause")?
        .field(Field::Right)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    #[test]
    fn every_kind_name_is_the_kind() {
        // Errors and missing tokens included, and an alias (`print` as a name).
        let text = "def f(x:\n    return [y for y in x if y] @ print\nclass C(:\n  pass\n";
        let tree = parse(text);
        assert!(tree.root_node().has_error());
        let mut stack = vec![tree.root_node()];
        let mut errors = 0;
        while let Some(node) = stack.pop() {
            assert_eq!(node.kind_name(), node.kind(), "at {:?}", node.byte_range());
            errors += usize::from(node.is_error());
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        assert!(errors > 0);
    }

    #[test]
    fn named_children_leave_comments_out() {
        // A few children (found by index) and many (by a cursor).
        for count in [2, 9] {
            let text: String = (0..count)
                .map(|i| format!("x{i} = 1  # {i}\n# more\n"))
                .collect();
            let tree = parse(&text);
            let kinds: Vec<_> = named_children(tree.root_node())
                .iter()
                .map(|n| n.kind_name())
                .collect();
            assert_eq!(kinds, vec!["expression_statement"; count]);
        }
    }

    #[test]
    fn the_named_walk_visits_what_a_cursor_visits_in_its_order() {
        // Calls with more arguments than are found by index, comments, strings with
        // interpolations, an error, and a body the walk is told not to enter.
        let text = "f(a, b, c, d, e, f, g, h)  # note\n\
                    x = [f'{y!r:>{w}}' for y in z] + g(*k, **v)\n\
                    def skipped(p):\n    return p(q)\n\
                    class C(:\n  pass\n";
        let tree = parse(text);
        let skipped = tree.root_node().named_child(3).unwrap();
        assert_eq!(skipped.kind_name(), "function_definition");
        let mut by_cursor = Vec::new();
        let mut cursor = tree.walk();
        'walk: loop {
            let node = cursor.node();
            if node.is_named() {
                by_cursor.push(node);
            }
            if node != skipped && cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        let mut walked = Vec::new();
        walk_named(tree.root_node(), |node| {
            walked.push(node);
            node != skipped
        });
        assert!(walked.len() > 40, "{} nodes", walked.len());
        assert_eq!(walked, by_cursor);
    }

    #[test]
    fn every_field_finds_what_its_name_finds() {
        // One statement with a node holding each field.
        let text = "from m import a as b\n\
                    if x: y = f(*z, k=-v)[i].o\n\
                    else: pass\n\
                    n: int = 0\n\
                    class C(D):\n    @d\n    def g(self) -> T: return lambda: 1\n\
                    match {k: v}:\n    case _: pass\n\
                    def h[P](): pass\n";
        let tree = parse(text);
        let mut found = std::collections::HashSet::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            for field in Field::ALL {
                let by_name = node.child_by_field_name(field.name());
                assert_eq!(
                    node.field(field),
                    by_name,
                    "{field:?} of {}",
                    node.kind_name()
                );
                if by_name.is_some() {
                    found.insert(field);
                }
            }
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        let missing: Vec<_> = Field::ALL.iter().filter(|f| !found.contains(f)).collect();
        assert!(missing.is_empty(), "no node holds {missing:?}");
    }

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
        assert_eq!(function.kind_name(), "function_definition");
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
