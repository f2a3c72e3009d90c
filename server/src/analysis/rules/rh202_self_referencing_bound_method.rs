//! # RH202 self-referencing-bound-method
//!
//! ## What it does
//! Flags a method that stores, on its own instance, a callable bound to that instance:
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
//! file) defines `method` with a plain `def`. The same cycle one call away is flagged too: a
//! handle that keeps a bound method as its callback (`self._timer = loop.call_later(30,
//! self._beat)`, `threading.Timer(5, self._beat)`), and an object made with a callable bound to
//! the instance that keeps it: a class of this file whose `__init__` stores the argument
//! (`self.kernel = Kernel(potential_fn=self.potential)`), a class of another module given a
//! callback (`PeriodicCallback(self.tick, 1000)`), a callback wrapper (`promise(self.ready)`).
//! Not a thread or process given `target=` (it drops it when `run()` returns), a tkinter
//! widget's command (`Button(command=...)` or `widget["yscrollcommand"] = ...`: the Tcl
//! interpreter keeps it until the widget is destroyed), or a call
//! with `weak=True`. Reported only with `strict = true` too: `x -= handler` takes a
//! `x += handler` off again, the instance attribute reaching the object stored into is
//! released (`del self.parser`), or a base class of another module sets that attribute.
//!
//! Not flagged either: a store into an object the instance does not make (`frame.f_trace =
//! self.dispatch` where the frame was handed in). Reported only with `strict = true`: the code
//! breaks the cycle (`self.on_data = None` or `self._timer.cancel()` in any method but
//! `__init__`, a list of callbacks drained by its consumer), the class is made once per process
//! (only at module level), or the store only runs when `hasattr(self, "x")` finds no such
//! attribute (a fallback for subclasses that define it). The message says which, or that the
//! class is made per call or connection and nothing breaks the cycle.
//!
//! ## Why is this bad?
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
//! ## Use instead
//! ```python
//! class Connection:
//!     def __init__(self, sock):
//!         self.sock = sock
//!
//!     def close(self):
//!         self.sock.close()
//!
//!     def on_data(self, data):            # look the method up when it is needed
//!         self.handle_data(data)
//! ```
//! Or set the attribute back to `None` (or cancel the handle) when the object's use ends.
//!
//! ## Fix safety
//! Offered (unsafe) for `self.x = self.method`: the store becomes
//! `self.x = weakref.WeakMethod(self.method)` and every call `self.x(args)` in the class becomes
//! `self.x()(args)` (`import weakref` is added when the file has no top-level import of it).
//! Inside the class's own methods the instance is alive, so the weak method always resolves
//! there; unsafe because a caller holding the attribute after the instance is gone gets `None`
//! from it (calling that raises `TypeError`), and copies or pickles of the instance differ.
//! Offered only when the file shows every use: each other occurrence of the name `x` in the
//! file (a read, a store, a definition, a keyword, a string `"x"`) is such a call or another
//! `self.x = self.other_method` (wrapped too), on the instance in a method of the same class;
//! the class and all its bases are classes of this file (a base elsewhere may call `self.x()`
//! itself, as `threading.Thread` calls `run`); the instances can be weakly referenced (no
//! `__slots__`, no base such as `tuple`); and `weakref` can be named there without changing a
//! name's meaning. Lambdas, nested functions, `functools.partial` and containers get no edit.
//!
//! By hand: call the weak method through `self.on_data()(data)`, checking for `None`; or look
//! the method up when it is needed instead of storing it; or make the closure take the
//! instance as an argument.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::rules::Rule;
use crate::analysis::semantic::classes::{
    DEPTH, HoldKind, Holding, InMethod, Store, describe, snippet, store_attribute, store_target,
};
use crate::analysis::semantic::release::attribute_of_another_object;
use crate::analysis::semantic::{Checker, Evidence};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

mod fixes;

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let classes = &checker.semantic.classes;
    let mut findings = Vec::new();
    for (index, class) in classes.classes.iter().enumerate() {
        for method in &class.methods {
            let analysis = InMethod::new(classes, index, method);
            let self_name = &method.self_name;
            for store in classes.stores_in(method) {
                if !analysis.reachable(store.object, DEPTH) {
                    continue;
                }
                for &value in &store.values {
                    let Some(hold) = analysis.holds(value, Holding::Callable, DEPTH) else {
                        continue;
                    };
                    let place = if store.statement.kind_name() == "call" {
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
                    // A handle to a scheduled call on an object is a connection's or a
                    // session's far more often than an application's.
                    let unknown = if matches!(hold.kind, HoldKind::Handle(_)) {
                        Level::Default
                    } else {
                        Level::Strict
                    };
                    let mut evidence = checker.semantic.instance_evidence(
                        context,
                        index,
                        store_target(store),
                        unknown,
                    );
                    if evidence.level == Level::Default
                        && let Some(why) = released_elsewhere(checker, &analysis, store, unknown)
                    {
                        evidence = why;
                    }
                    if let Some(guard) = hasattr_guard(context, store) {
                        evidence.level = Level::Strict;
                        evidence.text = format!(
                            "the store runs only when `{}` finds no such attribute, and a \
                             subclass usually defines it",
                            context.text_of(guard)
                        );
                    }
                    // A strict finding is dropped when strict is off: its fix, the costliest
                    // step, is not worth making then.
                    if evidence.level == Level::Strict && !context.settings.strict {
                        continue;
                    }
                    let fixes = fixes::weak_method_fix(&analysis, store, value, &hold)
                        .into_iter()
                        .collect();
                    findings.push(Finding {
                        level: evidence.level,
                        rule: Rule::SelfReferencingBoundMethod,
                        range: value.byte_range(),
                        message: format!(
                            "{what} is {place}, so the `{}` instance refers to \
                             itself: a cycle reference counting never frees; the instance and \
                             everything it holds stay alive until the cyclic garbage collector \
                             runs. {}",
                            class.name, evidence.text
                        ),
                        related,
                        fixes,
                        release_elsewhere: (evidence.level == Level::Default)
                            .then(|| attribute_of_another_object(context, store_target(store)))
                            .flatten()
                            .map(str::to_string),
                    });
                }
            }
        }
    }
    findings
}

/// Evidence that the code lets go of what `store` adds, other than a release of its own target:
/// `handlers -= handler` beside `handlers += handler`; a release of the instance attribute that
/// reaches the object stored into (`del self.parser` for `parser.handler = self.on_event`); or
/// that attribute set only by a base class of another module, which owns its lifecycle.
fn released_elsewhere<'t>(
    checker: &Checker<'_, 't>,
    analysis: &InMethod<'_, '_, 't>,
    store: &Store<'t>,
    unknown: Level,
) -> Option<Evidence> {
    let context = checker.context;
    let strict = |text: String| Evidence {
        level: Level::Strict,
        text,
    };
    if store.statement.kind_name() == "augmented_assignment" {
        let left = context.text_of(store.statement.field(Field::Left)?);
        let right = context.text_of(store.statement.field(Field::Right)?);
        let removal = format!("{left} -= {right}");
        if let Some(at) = context.text.find(&removal) {
            return Some(strict(format!(
                "`{removal}` (line {}) takes it off again",
                context.lines.line_of(at)
            )));
        }
    }
    for attribute in analysis.reaching_attributes(store.object, DEPTH) {
        let evidence =
            checker
                .semantic
                .instance_evidence(context, analysis.class, attribute, unknown);
        if evidence.level == Level::Strict {
            return Some(evidence);
        }
        // A handler set on an object that a base class of another module makes (its parser,
        // its transport): the base's lifecycle (`close()`, `reset()`) owns that object. A
        // container of the instance's own (`self.handlers[key] = ...`) is not such an object.
        let name = context.text_of(attribute.field(Field::Attribute)?);
        let on_object = store.statement.kind_name() == "assignment"
            && store_target(store).kind_name() == "attribute"
            && !analysis.is_self(store.object);
        if on_object && analysis.set_by_foreign_base(name) {
            return Some(strict(format!(
                "`{}` is set by a base class of another module, which owns the object and \
                 lets it go in its own lifecycle",
                context.text_of(attribute)
            )));
        }
    }
    None
}

/// The `hasattr(self, "x")` test that guards a store into `self.x`: a fallback for subclasses
/// that do not define `x`.
fn hasattr_guard<'t>(context: &Context<'t>, store: &Store<'t>) -> Option<Node<'t>> {
    let attribute = context.text_of(store_attribute(store)?);
    let mut node = store.statement;
    while let Some(parent) = node.parent() {
        if parent.kind_name() == "function_definition" {
            return None;
        }
        if parent.kind_name() == "if_statement"
            && let Some(condition) = parent.field(Field::Condition)
        {
            let text = context.text_of(condition);
            if text.contains("hasattr(")
                && (text.contains(&format!("\"{attribute}\""))
                    || text.contains(&format!("'{attribute}'")))
            {
                return Some(condition);
            }
        }
        node = parent;
    }
    None
}

/// The parts of a stored value that may each hold the instance: the elements of a container
/// literal, the branches of a conditional, or the value itself.
fn pieces(value: Node) -> Vec<Node> {
    match value.kind_name() {
        "list" | "tuple" | "set" | "expression_list" | "parenthesized_expression" => {
            named_children(value).into_iter().flat_map(pieces).collect()
        }
        "dictionary" => named_children(value)
            .into_iter()
            .filter_map(|pair| pair.field(Field::Value))
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
