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
use crate::analysis::findings::{Finding, Related};
use crate::analysis::rules::Rule;
use crate::analysis::rules::cycles::{
    Classes, DEPTH, HoldKind, Holding, InMethod, describe, snippet, store_target,
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
                        fixes: Vec::new(),
                    });
                }
            }
        }
    }
    findings
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
