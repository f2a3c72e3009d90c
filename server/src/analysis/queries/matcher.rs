//! The patterns of `queries/*.scm`, matched by one walk of the tree.
//!
//! tree-sitter's query engine, given all the files' patterns at once, still costs several times a
//! plain walk of the tree (it keeps states for every pattern that could start at each node), and
//! is the largest part of a file's analysis after the parse. These patterns are all of one
//! shape, a node of a given kind with a few fields, so each is checked here where the walk meets
//! its outermost node, by kind, then field by field. The `.scm` files stay the specification:
//! a test runs both on real files, with edits that break their syntax, and requires the same
//! matches in the same order.
//!
//! The order is the query engine's: a match comes out when the walk reaches the last node its
//! pattern names (for `(call function: ... arguments: (argument_list) @arguments)`, the
//! arguments), so a call inside another call's receiver comes before it.

use std::sync::OnceLock;

use tree_sitter::Node;

use super::super::parse::python_language;
use super::{Captures, Family};
use crate::analysis::syntax::{Field, Met, NodeLookups, walk_named};

/// The grammar's ids of the node kinds the patterns name.
struct Ids {
    identifier: u16,
    attribute: u16,
    subscript: u16,
    call: u16,
    argument_list: u16,
    assignment: u16,
    augmented_assignment: u16,
    function_definition: u16,
    decorated_definition: u16,
    class_definition: u16,
    lambda: u16,
    block: u16,
    import_statement: u16,
    import_from_statement: u16,
    /// The right sides `queries/caches.scm` keeps.
    container_values: [u16; 7],
}

fn ids() -> &'static Ids {
    static IDS: OnceLock<Ids> = OnceLock::new();
    IDS.get_or_init(|| {
        let language = python_language();
        let kind = |name: &str| {
            let id = language.id_for_node_kind(name, true);
            assert_ne!(id, 0, "the grammar has no node kind {name}");
            id
        };
        Ids {
            identifier: kind("identifier"),
            attribute: kind("attribute"),
            subscript: kind("subscript"),
            call: kind("call"),
            argument_list: kind("argument_list"),
            assignment: kind("assignment"),
            augmented_assignment: kind("augmented_assignment"),
            function_definition: kind("function_definition"),
            decorated_definition: kind("decorated_definition"),
            class_definition: kind("class_definition"),
            lambda: kind("lambda"),
            block: kind("block"),
            import_statement: kind("import_statement"),
            import_from_statement: kind("import_from_statement"),
            container_values: [
                kind("dictionary"),
                kind("list"),
                kind("set"),
                kind("dictionary_comprehension"),
                kind("list_comprehension"),
                kind("set_comprehension"),
                kind("call"),
            ],
        }
    })
}

/// `(cycles.scm)` the methods that add to a container.
const ADDING_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "add",
    "insert",
    "extend",
    "update",
    "setdefault",
];

/// `(thread_locals.scm)` the methods that hand a function to a pool.
const POOL_METHODS: &[&str] = &[
    "submit",
    "map",
    "apply",
    "apply_async",
    "map_async",
    "imap",
    "imap_unordered",
    "starmap",
    "starmap_async",
    "run_in_executor",
    "to_thread",
];

/// One match found, with where the query engine would have finished it.
struct Found<'t> {
    /// The start of the last node the pattern names, then the walk's count at its outermost
    /// node: the order the query engine reports matches in.
    order: (usize, usize),
    family: Family,
    captures: Captures<'t>,
}

/// Calls `found` with each match in the tree under `root`, in the query engine's order.
///
/// The walk does not go below `pruned`'s children (the caller matches them apart), though it
/// matches `pruned` itself.
pub(super) fn for_each_match<'t>(
    root: Node<'t>,
    pruned: Option<Node<'t>>,
    text: &str,
    found: impl FnMut(Family, Captures<'t>),
) {
    let ids = ids();
    let mut all = Vec::new();
    let mut count = 0;
    walk_named(root, |node| {
        match_node(ids, Met::new(node), text, count, &mut all);
        count += 1;
        Some(node) != pruned
    });
    InOrder::new(all).for_each(found);
}

/// The kinds of node a pattern's outermost node can be: the only nodes [`match_node`] looks at.
pub(super) fn outer_kinds() -> &'static [u16] {
    static KINDS: OnceLock<[u16; 9]> = OnceLock::new();
    KINDS.get_or_init(|| {
        let ids = ids();
        [
            ids.call,
            ids.assignment,
            ids.augmented_assignment,
            ids.function_definition,
            ids.lambda,
            ids.decorated_definition,
            ids.class_definition,
            ids.import_statement,
            ids.import_from_statement,
        ]
    })
}

/// The matches [`for_each_match`] finds, without its walk, for a caller whose own walk of the
/// tree collected `nodes`: every node of the tree of one of the [`outer_kinds`], in any order,
/// some maybe more than once, with what that walk read of them. The matches and their order are
/// the walk's.
pub(super) fn matches_among<'t>(nodes: Vec<Met<'t>>, text: &str) -> InOrder<'t> {
    // The walk's order: a node before the nodes inside it, siblings left to right. No two
    // nodes of these kinds span the same bytes, so start, then end, outermost first, tells it.
    // The keys are read once: each read asks tree-sitter.
    let mut keyed: Vec<_> = nodes
        .into_iter()
        .map(|met| {
            let n = met.node;
            (
                (n.start_byte(), std::cmp::Reverse(n.end_byte()), n.id()),
                met,
            )
        })
        .collect();
    keyed.sort_unstable_by_key(|(key, _)| *key);
    keyed.dedup_by_key(|(key, _)| *key);
    let ids = ids();
    // Most nodes make one match or none: room for that many at once, rather than copying
    // thousands of matches each time the vector doubles.
    let mut all = Vec::with_capacity(keyed.len());
    for (count, (_, met)) in keyed.into_iter().enumerate() {
        match_node(ids, met, text, count, &mut all);
    }
    InOrder::new(all)
}

/// Matches found, in the query engine's order. A match is large (its captures are kept inline),
/// so their positions are sorted rather than the matches moved about; the position breaks ties
/// as a stable sort would.
pub(super) struct InOrder<'t> {
    all: Vec<Found<'t>>,
    order: Vec<usize>,
}

impl<'t> InOrder<'t> {
    fn new(all: Vec<Found<'t>>) -> InOrder<'t> {
        let mut keyed: Vec<((usize, usize), usize)> = all
            .iter()
            .enumerate()
            .map(|(index, f)| (f.order, index))
            .collect();
        // Mostly in order already (the walk's count grows with the position): a stable sort
        // finds those runs, where an unstable one partitions them again.
        keyed.sort();
        let order = keyed.into_iter().map(|(_, index)| index).collect();
        InOrder { all, order }
    }

    /// How many matches of each family there are (by the family's number).
    pub(super) fn counts(&self) -> [usize; Family::COUNT] {
        let mut counts = [0; Family::COUNT];
        for found in &self.all {
            counts[found.family as usize] += 1;
        }
        counts
    }

    /// Hands each match to `found`, in order.
    pub(super) fn for_each(&self, mut found: impl FnMut(Family, Captures<'t>)) {
        for &index in &self.order {
            found(self.all[index].family, self.all[index].captures);
        }
    }
}

/// The child of `node` in field `field`: the first, as the query engine takes it.
fn text_of<'a>(text: &'a str, node: Node) -> &'a str {
    &text[node.byte_range()]
}

/// Every pattern whose outermost node is `node`.
fn match_node<'t>(ids: &Ids, met: Met<'t>, text: &str, count: usize, all: &mut Vec<Found<'t>>) {
    let node = met.node;
    let kind = node.kind_id();
    let mut push = |last: Node<'t>, family: Family, nodes: &[(&'static str, Node<'t>)]| {
        all.push(Found {
            order: (last.start_byte(), count),
            family,
            captures: Captures::from_slice(nodes),
        })
    };
    if kind == ids.call {
        match_call(ids, met, text, &mut push);
    } else if kind == ids.assignment || kind == ids.augmented_assignment {
        let (Some(left), Some(right)) = (met.field(Field::Left), met.field(Field::Right)) else {
            return;
        };
        if kind == ids.assignment
            && left.kind_id() == ids.identifier
            && ids.container_values.contains(&right.kind_id())
        {
            push(
                right,
                Family::Caches,
                &[
                    ("cache_target", left),
                    ("cache_value", right),
                    ("cache_binding", node),
                ],
            );
        }
        let object = if left.kind_id() == ids.attribute {
            left.field(Field::Object)
        } else if left.kind_id() == ids.subscript {
            left.field(Field::Value)
        } else {
            None
        };
        if let Some(object) = object.filter(|o| o.is_named())
            && right.is_named()
        {
            push(
                right,
                Family::Cycles,
                &[("object", object), ("value", right), ("store", node)],
            );
        }
    } else if kind == ids.function_definition {
        if let Some(name) = node
            .field(Field::Name)
            .filter(|n| n.kind_id() == ids.identifier)
        {
            push(
                name,
                Family::Closures,
                &[("name", name), ("function", node)],
            );
        }
    } else if kind == ids.lambda {
        push(node, Family::Closures, &[("lambda", node)]);
    } else if kind == ids.decorated_definition {
        let definition = node
            .field(Field::Definition)
            .filter(|d| d.kind_id() == ids.function_definition)
            .and_then(|d| d.field(Field::Name))
            .filter(|n| n.kind_id() == ids.identifier);
        if let Some(name) = definition {
            push(
                name,
                Family::Caches,
                &[("name", name), ("definition", node)],
            );
        }
    } else if kind == ids.class_definition {
        let Some(name) = node
            .field(Field::Name)
            .filter(|n| n.kind_id() == ids.identifier)
        else {
            return;
        };
        if let Some(body) = node.field(Field::Body).filter(|b| b.kind_id() == ids.block) {
            push(
                body,
                Family::Cycles,
                &[("name", name), ("body", body), ("class", node)],
            );
        }
        if let Some(superclasses) = node
            .field(Field::Superclasses)
            .filter(|s| s.kind_id() == ids.argument_list)
        {
            push(
                superclasses,
                Family::ThreadLocals,
                &[("local_class_name", name), ("local_class", node)],
            );
        }
    } else if kind == ids.import_statement || kind == ids.import_from_statement {
        push(node, Family::Imports, &[("import", node)]);
    }
}

/// The patterns on calls: stores into containers (cycles), `set_debug` (gc), listeners,
/// `local` and pool submissions (thread locals).
fn match_call<'t>(
    ids: &Ids,
    met: Met<'t>,
    text: &str,
    push: &mut impl FnMut(Node<'t>, Family, &[(&'static str, Node<'t>)]),
) {
    let call = met.node;
    let Some(function) = met.field(Field::Function) else {
        return;
    };
    let arguments = met
        .field(Field::Arguments)
        .filter(|a| a.kind_id() == ids.argument_list);
    let is_identifier = function.kind_id() == ids.identifier;
    // For an attribute: its receiver and its attribute name (an identifier).
    let (object, method) = if function.kind_id() == ids.attribute {
        (
            function.field(Field::Object).filter(|o| o.is_named()),
            function
                .field(Field::Attribute)
                .filter(|a| a.kind_id() == ids.identifier),
        )
    } else {
        (None, None)
    };
    // The last node of `function: [(identifier) (attribute attribute: (identifier))]`.
    let function_end = if is_identifier {
        Some(function)
    } else {
        method
    };
    if let (Some(object), Some(method), Some(arguments)) = (object, method, arguments)
        && ADDING_METHODS.contains(&text_of(text, method))
    {
        push(
            arguments,
            Family::Cycles,
            &[
                ("object", object),
                ("method", method),
                ("arguments", arguments),
                ("store", call),
            ],
        );
    }
    if let (Some(_), Some(arguments)) = (function_end, arguments)
        && text_of(text, function).ends_with("set_debug")
    {
        let mut nodes = Vec::with_capacity(4);
        if is_identifier {
            nodes.push(("callee", function));
        }
        nodes.extend([
            ("function", function),
            ("arguments", arguments),
            ("call", call),
        ]);
        push(arguments, Family::Gc, &nodes);
    }
    if let (Some(name), Some(arguments)) = (function_end, arguments) {
        push(
            arguments,
            Family::Listeners,
            &[("name", name), ("function", function), ("call", call)],
        );
    }
    if let Some(last) = function_end
        && text_of(text, function).ends_with("local")
    {
        push(
            last,
            Family::ThreadLocals,
            &[("function", function), ("call", call)],
        );
    }
    if let (Some(object), Some(method), Some(arguments)) = (object, method, arguments)
        && POOL_METHODS.contains(&text_of(text, method))
    {
        push(
            arguments,
            Family::ThreadLocals,
            &[
                ("pool", object),
                ("pool_method", method),
                ("pool_arguments", arguments),
                ("pool_call", call),
            ],
        );
    }
}
