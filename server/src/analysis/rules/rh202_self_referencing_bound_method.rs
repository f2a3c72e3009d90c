//! # RH202 self-referencing-bound-method
//!
//! ## What it flags
//! A method that stores, on its own instance, a callable bound to that instance:
//! `self.x = self.method` (a bound method), `self.cb = lambda: self.go()` or a nested function
//! that captures `self`, or `functools.partial(self.method, ...)`; stored on an attribute, in an
//! item, or added to a container the instance owns (`self.handlers.append(self.on_close)`,
//! `self.dispatch = {"get": self.do_get}`), or set on an object the instance owns
//! (`self.parser.handler = self.on_event`; `sock.callback = self.on_data` after
//! `self.sock = sock`), directly or through a local (`cb = self.method` followed by
//! `self.cb = cb`). The finding is on the stored value, what the fix wraps.
//!
//! Not flagged: a bound method of another object, anything wrapped in `weakref.WeakMethod`,
//! `weakref.ref` or `weakref.proxy`, a lambda that does not capture `self`, a bound method kept
//! in a local only, class-level aliases (`close = shutdown`), and `self.name` where `name` is a
//! property, a static or class method, or something the class also assigns on instances.
//! `self.method` counts as a bound method only when the class (or a base class in the same
//! file) defines `method` with a plain `def`.
//!
//! ## Why it leaks
//! A bound method holds its instance (`__self__`), and a closure holds the cell of `self`. Stored
//! on the instance, it makes a cycle: instance → attribute → bound method → instance. Reference
//! counting never frees a cycle, so when the last outside reference goes, the instance and
//! everything it holds stay in memory until the cyclic garbage collector runs, which may be much
//! later (or never, with `gc.disable()` or a `__del__` before Python 3.4, see RH201).
//!
//! ## Example
//! ```python
//! class Connection:
//!     def __init__(self, sock):
//!         self.sock = sock
//!         self.on_data = self.handle_data      # instance -> bound method -> instance
//!
//!     def handle_data(self, data):
//!         ...
//! ```
//!
//! ## Fix
//! Keep a `weakref.WeakMethod(self.handle_data)` and call it through the weak reference
//! (`self.on_data()(data)`, checking for `None`); or look the method up when it is needed
//! instead of storing it; or make the closure take the instance as an argument.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Edit, Finding, Fix, Related, Safety};
use crate::analysis::fixes::with_import;
use crate::analysis::rules::Rule;
use crate::analysis::rules::cycles::{
    Classes, DEPTH, Hold, HoldKind, Holding, InMethod, Store, describe, snippet, store_attribute,
    store_target, wrap_in_weakref,
};
use crate::analysis::syntax::named_children;

pub(super) fn check(context: &Context) -> Vec<Finding> {
    let classes = Classes::new(context);
    let mut findings = Vec::new();
    for (index, class) in classes.classes.iter().enumerate() {
        for method in &class.methods {
            let analysis = InMethod::new(&classes, index, method);
            let self_name = &method.self_name;
            for store in classes.stores_in(method) {
                if !analysis.reachable(store.object, DEPTH) {
                    continue;
                }
                for &value in &store.values {
                    let Some(hold) = analysis.holds(value, Holding::Callable, DEPTH) else {
                        continue;
                    };
                    let place = if store.statement.kind() == "call" {
                        format!("added to `{}`", snippet(context, store_target(store)))
                    } else {
                        format!("stored in `{}`", snippet(context, store_target(store)))
                    };
                    let what = describe(context, &hold, self_name);
                    let mut related = Vec::new();
                    // Every piece of a container or conditional that holds `self` needs the fix.
                    for piece in pieces(value) {
                        let Some(hold) = analysis.holds(piece, Holding::Callable, DEPTH) else {
                            continue;
                        };
                        let what = describe(context, &hold, self_name);
                        if hold.node != value {
                            related.push(Related {
                                range: hold.node.byte_range(),
                                message: format!("{what} holds `{self_name}`"),
                            });
                        }
                        if let Some(origin) = hold.origin {
                            let message = match &hold.kind {
                                HoldKind::BoundMethod(name) => format!("`{name}` is defined here"),
                                HoldKind::Closure(name) => {
                                    format!("`{name}` is defined here and captures `{self_name}`")
                                }
                                _ => "defined here".to_string(),
                            };
                            related.push(Related {
                                range: origin.byte_range(),
                                message,
                            });
                        }
                    }
                    let fixes = weak_method_fix(&analysis, store, value, &hold)
                        .into_iter()
                        .collect();
                    findings.push(Finding {
                        rule: Rule::SelfReferencingBoundMethod,
                        range: value.byte_range(),
                        message: format!(
                            "{what} is {place}, so the `{}` instance refers to \
                             itself: a cycle reference counting never frees; the instance and \
                             everything it holds stay alive until the cyclic garbage collector \
                             runs",
                            class.name
                        ),
                        related,
                        fixes,
                    });
                }
            }
        }
    }
    findings
}

/// `self.x = self.method` becomes `self.x = weakref.WeakMethod(self.method)`, and every call
/// `self.x(...)` in the class becomes `self.x()(...)`. Offered only when those calls are the
/// only other uses of the name `x` in the file (no other read, store, definition, keyword or
/// string naming it), each made on the instance in a method of this class, and the instance
/// can be weakly referenced. Inside its own methods the instance is alive, so the weak method
/// always resolves there; what changes is a copy or pickle of the instance, and any caller the
/// file does not show.
fn weak_method_fix(analysis: &InMethod, store: &Store, value: Node, hold: &Hold) -> Option<Fix> {
    let classes = analysis.classes;
    let context = classes.context;
    let HoldKind::BoundMethod(method_name) = &hold.kind else {
        return None;
    };
    // Exactly `self.x = self.method`: one plain target, the bound method itself as the value.
    let target = store.object.parent()?;
    let attribute = store_attribute(store)?;
    if hold.node.id() != value.id()
        || value.kind() != "attribute"
        || store.statement.kind() != "assignment"
        || store.statement.child_by_field_name("type").is_some()
        || store.statement.child_by_field_name("left")?.id() != target.id()
        || store.statement.child_by_field_name("right")?.id() != value.id()
        || !analysis.is_self(store.object)
        || !classes.weakly_referenceable(analysis.class)
    {
        return None;
    }
    let name = context.text_of(attribute);
    let mut calls = Vec::new();
    for use_ in uses_of_name(context.tree.root_node(), context.text, name) {
        if use_.id() == attribute.id() {
            continue;
        }
        calls.push(call_on_instance(analysis, use_)?);
    }
    let (wrapped, import) = wrap_in_weakref(context, value, "WeakMethod")?;
    let mut edits = vec![wrapped];
    edits.extend(calls.iter().map(|call| Edit {
        range: call.end_byte()..call.end_byte(),
        text: "()".to_string(),
    }));
    let self_name = &analysis.method.self_name;
    Some(Fix {
        title: format!(
            "Store `weakref.WeakMethod({self_name}.{method_name})` in `{self_name}.{name}` and \
             call it as `{self_name}.{name}()(...)` (unsafe: calling it once the instance is \
             gone raises TypeError)"
        ),
        safety: Safety::Unsafe,
        edits: with_import(edits, import)?,
    })
}

/// Every identifier spelled `name` in the file, and every string literal whose whole text is
/// `name` (`getattr(obj, "name")`).
fn uses_of_name<'t>(root: Node<'t>, text: &str, name: &str) -> Vec<Node<'t>> {
    let mut uses = Vec::new();
    let mut cursor = root.walk();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "identifier" if &text[node.byte_range()] == name => uses.push(node),
            "string_content" if text[node.byte_range()].trim() == name => uses.push(node),
            _ => stack.extend(node.children(&mut cursor)),
        }
    }
    uses
}

/// The `self.x` of a call `self.x(...)` whose `x` is `use_`, made on the instance in a method
/// of the analysed class; `None` for any other use.
fn call_on_instance<'t>(analysis: &InMethod<'_, '_, 't>, use_: Node<'t>) -> Option<Node<'t>> {
    let attribute = use_.parent().filter(|p| p.kind() == "attribute")?;
    let call = attribute.parent().filter(|p| p.kind() == "call")?;
    if attribute.child_by_field_name("attribute")?.id() != use_.id()
        || call.child_by_field_name("function")?.id() != attribute.id()
    {
        return None;
    }
    let object = attribute.child_by_field_name("object")?;
    let classes = analysis.classes;
    let on_instance = classes.classes[analysis.class]
        .methods
        .iter()
        .filter(|m| m.node.byte_range().contains(&use_.start_byte()))
        .any(|m| InMethod::new(classes, analysis.class, m).is_self(object));
    on_instance.then_some(attribute)
}

/// The parts of a stored value that may each hold the instance: the elements of a container
/// literal, the branches of a conditional, or the value itself.
fn pieces(value: Node) -> Vec<Node> {
    match value.kind() {
        "list" | "tuple" | "set" | "expression_list" | "parenthesized_expression" => {
            named_children(value).into_iter().flat_map(pieces).collect()
        }
        "dictionary" => named_children(value)
            .into_iter()
            .filter_map(|pair| pair.child_by_field_name("value"))
            .flat_map(pieces)
            .collect(),
        "conditional_expression" => {
            let children = named_children(value);
            [children.first(), children.get(2)]
                .into_iter()
                .flatten()
                .flat_map(|c| pieces(*c))
                .collect()
        }
        _ => vec![value],
    }
}
