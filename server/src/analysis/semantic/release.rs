//! Does the code let go of what an attribute holds? `self.on_data = None`, `del self.root.drag`,
//! `self.pending.clear()`, `del self.pre_run[:]`, `self._timer.cancel()`: each ends a cycle or
//! empties a cache, and with it the retention a rule would report.
//!
//! Attributes are matched by name across the file, whatever the object (`self.pre_run` in one
//! class is drained as `app.pre_run` in another): a release anywhere is evidence enough to keep
//! a finding out of the default level.

use tree_sitter::Node;

use super::containers::REMOVING_METHODS;
use crate::analysis::context::Context;
use crate::analysis::syntax::{Field, NodeLookups, innermost_def};

/// Methods that drop what a handle or registration holds (beside those that empty a container,
/// [`REMOVING_METHODS`]).
const LETTING_GO_METHODS: &[&str] = &["cancel", "close", "disconnect", "unregister"];

/// Methods a server, connection or context manager runs when an object's use ends.
pub const LIFECYCLE_METHODS: &[&str] = &[
    "close",
    "aclose",
    "shutdown",
    "stop",
    "connection_lost",
    "finish",
    "__exit__",
    "__aexit__",
    "cleanup",
    "dispose",
    "teardown",
    "tearDown",
    "release",
    "disconnect",
    "terminate",
    "destroy",
    "detach",
    "reset",
    "cancel",
    "__del__",
];

/// One place that lets go of an attribute's value.
#[derive(Debug, Clone, Copy)]
pub struct Release<'t> {
    /// The releasing statement or call.
    pub node: Node<'t>,
    /// The `def` it runs in, if any.
    pub function: Option<Node<'t>>,
}

impl Release<'_> {
    /// For a message: "`self.on_data = None` in `close()` (line 9)".
    pub fn describe(&self, context: &Context) -> String {
        let text = context.text_of(self.node);
        let text = text.lines().next().unwrap_or_default();
        let line = context.lines.line_of(self.node.start_byte());
        match self.function.and_then(|f| f.field(Field::Name)) {
            Some(name) => format!("`{text}` in `{}()` (line {line})", context.text_of(name)),
            None => format!("`{text}` (line {line})"),
        }
    }

    /// Whether it runs in a lifecycle method (`close`, `connection_lost`, `__exit__`, ...) or a
    /// `finally` block.
    pub fn in_lifecycle(&self, context: &Context) -> bool {
        let lifecycle = self
            .function
            .and_then(|f| f.field(Field::Name))
            .is_some_and(|name| LIFECYCLE_METHODS.contains(&context.text_of(name)));
        lifecycle || in_finally(self.node)
    }
}

fn in_finally(mut node: Node) -> bool {
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "finally_clause" => return true,
            "function_definition" | "class_definition" => return false,
            _ => node = parent,
        }
    }
    false
}

/// The releases of one file, found on demand.
pub struct Releases<'c, 't> {
    context: &'c Context<'t>,
}

impl<'c, 't> Releases<'c, 't> {
    pub fn new(context: &'c Context<'t>) -> Releases<'c, 't> {
        Releases { context }
    }

    /// Every release of an attribute named `name`, on any object: set to `None` or to an empty
    /// container, deleted, emptied (`del x.name[:]`, `x.name.clear()`), or cancelled/closed.
    /// Assignments in `__init__` set the attribute up rather than release it and do not count.
    pub fn of_attribute(&self, name: &str) -> Vec<Release<'t>> {
        let context = self.context;
        let mut found = Vec::new();
        for (attribute, ancestors) in context.attributes_with_ancestors(name) {
            if let Some(node) = releasing_use(context, attribute, &ancestors) {
                // Most releases are among the attribute's ancestors.
                let function = match ancestors.iter().position(|a| a.id() == node.id()) {
                    Some(at) => innermost_def(ancestors[at..].iter().copied()),
                    None => context.enclosing_def(node),
                };
                let in_init = function
                    .and_then(|f| f.field(Field::Name))
                    .is_some_and(|n| context.text_of(n) == "__init__");
                if !(in_init && node.kind_name() == "assignment") {
                    found.push(Release { node, function });
                }
            }
        }
        found
    }
}

impl<'t> Releases<'_, 't> {
    /// A release of what a store into `target` put there: of the stored attribute or of any
    /// attribute on the way to it (`self.parser.handler`: `handler` or `parser`), other than the
    /// store itself. An attribute of a plain name (`self.on_data`) counts as released only by
    /// code inside `owners` (the class and its bases: another class's `on_data` is another
    /// attribute); one further down (`self.app.pre_run`) by a release anywhere in the file.
    pub fn of_target(&self, target: Node<'t>, owners: &[Node<'t>]) -> Option<Release<'t>> {
        let mut node = target;
        loop {
            let (object, attribute) = match node.kind_name() {
                "attribute" => (node.field(Field::Object)?, node.field(Field::Attribute)),
                "subscript" => (node.field(Field::Value)?, None),
                _ => return None,
            };
            if let Some(attribute) = attribute {
                let name = self.context.text_of(attribute);
                let on_name = object.kind_name() == "identifier";
                let found = self.of_attribute(name).into_iter().find(|release| {
                    !release.node.byte_range().contains(&target.start_byte())
                        && (!on_name
                            || owners.iter().any(|owner| {
                                owner.byte_range().contains(&release.node.start_byte())
                            }))
                });
                if found.is_some() {
                    return found;
                }
            }
            node = object;
        }
    }
}

/// The statement or call through which `attribute` (`x.name`) lets go of its value, if it is
/// one. `ancestors` are the attribute's, innermost first.
fn releasing_use<'t>(
    context: &Context<'t>,
    attribute: Node<'t>,
    ancestors: &[Node<'t>],
) -> Option<Node<'t>> {
    let parent = *ancestors.first()?;
    let grandparent = ancestors.get(1).copied();
    match parent.kind_name() {
        "assignment"
            if parent
                .field(Field::Left)
                .is_some_and(|l| l.id() == attribute.id()) =>
        {
            let right = parent.field(Field::Right)?;
            is_empty_value(context, right).then_some(parent)
        }
        // `events = self._events`, then `events.popleft()` in the same function: the consumer
        // drains the container through a local.
        "assignment"
            if parent
                .field(Field::Right)
                .is_some_and(|r| r.id() == attribute.id()) =>
        {
            let alias = parent.field(Field::Left)?;
            (alias.kind_name() == "identifier").then_some(())?;
            let function = innermost_def(ancestors[1..].iter().copied())?;
            let alias = context.text_of(alias);
            context
                .identifiers(alias)
                .into_iter()
                .filter(|use_| {
                    use_.start_byte() > parent.end_byte() && use_.end_byte() <= function.end_byte()
                })
                .find_map(|use_| {
                    let method = use_.parent().filter(|p| p.kind_name() == "attribute")?;
                    (method.field(Field::Object)?.id() == use_.id()).then_some(())?;
                    let name = context.text_of(method.field(Field::Attribute)?);
                    let call = method.parent().filter(|c| c.kind_name() == "call")?;
                    REMOVING_METHODS.contains(&name).then_some(call)
                })
        }
        "delete_statement" => Some(parent),
        // `del a.name, b`
        "expression_list" if grandparent?.kind_name() == "delete_statement" => grandparent,
        // `del x.name[:]`, `del x.name[key]`
        "subscript" if grandparent?.kind_name() == "delete_statement" => grandparent,
        "attribute" => {
            let method = parent.field(Field::Attribute)?;
            let call = grandparent.filter(|c| c.kind_name() == "call")?;
            let method = context.text_of(method);
            (REMOVING_METHODS.contains(&method) || LETTING_GO_METHODS.contains(&method))
                .then_some(call)
        }
        _ => None,
    }
}

/// `None`, `[]`, `{}`, `()`, `set()`, `dict()`, `list()`, ...
fn is_empty_value(context: &Context, value: Node) -> bool {
    match value.kind_name() {
        "none" => true,
        "list" | "dictionary" | "tuple" | "set" => value.named_child_count() == 0,
        "call" => {
            let empty_call = value
                .field(Field::Arguments)
                .is_some_and(|a| a.named_child_count() == 0);
            let builtin = value.field(Field::Function).is_some_and(|f| {
                matches!(
                    context.text_of(f),
                    "set" | "dict" | "list" | "deque" | "collections.deque" | "OrderedDict"
                )
            });
            empty_call && builtin
        }
        _ => false,
    }
}

/// The attribute a store into `target` writes when it belongs to another object the instance
/// reaches (`saved_exception` of `self.transport.saved_exception`, `pre_run` of
/// `self.app.pre_run.append(...)`): that object's class may be defined in another module and
/// let go of the attribute there, which only a look at the whole project can tell. `None` for
/// the instance's own attributes (`self.on_data`), which this file's classes own.
pub fn attribute_of_another_object<'t>(context: &Context<'t>, target: Node<'t>) -> Option<&'t str> {
    let mut node = target;
    while node.kind_name() == "subscript" {
        node = node.field(Field::Value)?;
    }
    (node.kind_name() == "attribute").then_some(())?;
    let object = node.field(Field::Object)?;
    matches!(object.kind_name(), "attribute" | "subscript" | "call").then_some(())?;
    Some(context.text_of(node.field(Field::Attribute)?))
}
