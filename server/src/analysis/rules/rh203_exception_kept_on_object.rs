//! # RH203 exception-kept-on-object
//!
//! ## What it does
//! Flags a caught exception (the name of `except ... as exc`, its `__traceback__`, or
//! `sys.exc_info()`) stored on the instance in one of its own methods: `self._exc = exc`,
//! `self.errors.append(exc)`, `self.state = (exc, 1)`.
//! Also the exception handed, in the `except` clause, to a class of this file whose `__init__`
//! keeps it (`wrapped = ExceptionWithTraceback(e, e.__traceback__)`) and bound to a local: in a
//! loop (a worker's `while True`) the frame keeps the last one, traceback and all, until the
//! next failure; outside a loop it is reported only with `strict = true`, and not at all when
//! the class drops the traceback (`__traceback__ = None`) or the object is passed on or raised.
//!
//! Silent when the exception is stored in a local, returned, raised, logged or only its text is
//! kept (`repr(exc)`, `str(exc)`, `exc.with_traceback(None)`), and when it is stored on an
//! object other than the instance. Reported only with `strict = true` when the code lets the
//! attribute go (`self._exc = None` outside `__init__`, `del self._exc`, `.clear()`) or the
//! class is made once per process (one exception kept at a time, a fixed cost).
//!
//! ## Why is this bad?
//! An exception keeps its traceback, the traceback every frame it passed through, and each
//! frame all of its local variables, `self` among them. Stored on the instance, it makes a
//! cycle: instance → exception → traceback → frame → instance. Reference counting never frees
//! it, so the instance, everything it holds, and every local of every frame on the way stay in
//! memory until the cyclic garbage collector runs. For an object made per connection or
//! request (a buffer each), that is memory that grows with the traffic between collections.
//!
//! ## Example
//! ```python
//! class WebSocketResponse:
//!     def receive(self, reader):
//!         try:
//!             return reader.read()
//!         except Exception as exc:
//!             self._exception = exc      # self -> exc -> traceback -> frame -> self
//!             raise
//! ```
//!
//! ## Use instead
//! ```python
//! class WebSocketResponse:
//!     def receive(self, reader):
//!         try:
//!             return reader.read()
//!         except Exception as exc:
//!             self._exception = repr(exc)  # or: keep it, and set it back to None when done
//!             raise
//! ```
//!
//! ## Fix safety
//! No fix is offered: which part of the exception the code needs later (its type, its text,
//! its traceback for a later `raise`) is the author's choice.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::findings::{Finding, Level, Related};
use crate::analysis::rules::Rule;
use crate::analysis::semantic::Checker;
use crate::analysis::semantic::classes::{Store, store_target};
use crate::analysis::semantic::lifetime::Made;
use crate::analysis::semantic::release::attribute_of_another_object;
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::syntax::{chain_base, named_children, node_starting_at};

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let classes = &checker.semantic.classes;
    let mut findings = Vec::new();
    // Each clause starts with the keyword: a whole word, found by a vectorised search.
    for at in context.words("except") {
        let Some(clause) = node_starting_at(context.module.root_at(at), at, "except_clause") else {
            continue;
        };
        // `except E as exc` parses as an `as_pattern` value whose target is the name.
        let alias = clause
            .field(Field::Alias)
            .or_else(|| {
                clause
                    .field(Field::Value)
                    .filter(|value| value.kind_name() == "as_pattern")
                    .and_then(|pattern| pattern.field(Field::Alias))
                    .and_then(|target| target.named_child(0))
            })
            .filter(|alias| alias.kind_name() == "identifier")
            .map(|alias| context.text_of(alias));
        if let Some(alias) = alias {
            findings.extend(kept_by_made_objects(checker, clause, alias));
        }
        let Some((class, method)) = classes.method_at(clause) else {
            continue;
        };
        let range = clause.byte_range();
        for store in classes.stores_in(method) {
            if !range.contains(&store.statement.start_byte())
                || !store_on_instance(checker, store, method.self_name)
            {
                continue;
            }
            let Some(kept) = store
                .values
                .iter()
                .find_map(|&value| exception_in(checker, value, alias))
            else {
                continue;
            };
            let target = store_target(store);
            let evidence =
                checker
                    .semantic
                    .instance_evidence(context, class, target, Level::Default);
            let self_name = &method.self_name;
            findings.push(Finding {
                rule: Rule::ExceptionKeptOnObject,
                level: evidence.level,
                range: kept.byte_range(),
                message: format!(
                    "the caught exception `{}` is kept in `{}`: its traceback holds this \
                     method's frame, which holds `{self_name}`, so the `{}` instance, the \
                     exception and every local of every frame on the way form a cycle that \
                     only the cyclic garbage collector frees. {}",
                    context.text_of(kept),
                    context.text_of(target),
                    classes.classes[class].name,
                    evidence.text
                ),
                related: vec![Related {
                    range: clause.byte_range().start..clause.byte_range().start + 6,
                    message: "caught here".to_string(),
                }],
                fixes: Vec::new(),
                release_elsewhere: (evidence.level == Level::Default)
                    .then(|| attribute_of_another_object(context, target))
                    .flatten()
                    .map(str::to_string),
            });
        }
    }
    findings
}

/// The caught exception handed, in the `except` clause, to a class of this file whose
/// `__init__` keeps it (`ExceptionWithTraceback(e, e.__traceback__)` keeping `self.exc = exc`):
/// the object made per failure keeps the traceback and its frames, and a frame that binds the
/// object to a local is in a cycle with it. Not when the object is raised at once (exception
/// chaining), or the class drops the traceback (`__traceback__ = None`, `with_traceback(None)`).
fn kept_by_made_objects<'t>(
    checker: &Checker<'_, 't>,
    clause: Node<'t>,
    alias: &str,
) -> Vec<Finding> {
    let context = checker.context;
    let classes = &checker.semantic.classes;
    let mut findings = Vec::new();
    for name in context.identifiers_within(clause, alias) {
        let argument = match name.parent() {
            Some(p)
                if p.kind_name() == "attribute"
                    && p.field(Field::Attribute)
                        .is_some_and(|a| context.text_of(a) == "__traceback__") =>
            {
                p
            }
            _ => name,
        };
        let Some(call) = argument
            .parent()
            .filter(|p| p.kind_name() == "argument_list")
            .and_then(|p| p.parent())
        else {
            continue;
        };
        let Some(class) = call
            .field(Field::Function)
            .and_then(|f| classes.class_named(f))
        else {
            continue;
        };
        let class_text = context.text_of(classes.classes[class].node);
        if class_text.contains("__traceback__ = None")
            || class_text.contains("with_traceback(None)")
        {
            continue;
        }
        // Bound to a local of the function (not the `as` name, which the clause's end deletes):
        // the frame keeps the object after the clause.
        let Some(local) = call
            .parent()
            .filter(|p| p.kind_name() == "assignment")
            .and_then(|a| a.field(Field::Left))
            .filter(|l| l.kind_name() == "identifier" && context.text_of(*l) != alias)
        else {
            continue;
        };
        let Some(kept_in) = classes.init_keeps(class, argument) else {
            continue;
        };
        let test = matches!(
            checker.semantic.lifetimes.made_in_context(classes, class),
            Made::InTests(_)
        );
        let class_name = &classes.classes[class].name;
        let local_name = context.text_of(local);
        let cleared = context.identifiers(local_name).into_iter().any(|n| {
            n.start_byte() > clause.end_byte()
                && n.parent().is_some_and(|p| {
                    p.kind_name() == "delete_statement"
                        || (p.kind_name() == "assignment"
                            && p.field(Field::Right)
                                .is_some_and(|r| r.kind_name() == "none"))
                })
        });
        let in_loop = in_loop(clause);
        let mut message = format!(
            "the caught exception `{alias}` is kept by the `{class_name}` made here (its \
             `__init__` keeps it in `{}`, line {}): one per failure, each keeping the traceback, \
             every frame on the way and all their locals; a frame that binds the object is in a \
             cycle with it, which only the cyclic garbage collector frees",
            context.text_of(kept_in),
            context.lines.line_of(kept_in.start_byte()),
        );
        let level = if test {
            Level::strict_because(&mut message, "test code, it lives for the test run")
        } else if cleared || !in_loop {
            Level::strict_because(
                &mut message,
                &format!(
                    "`{local_name}` goes when the function returns{}",
                    if cleared { " or is cleared" } else { "" }
                ),
            )
        } else {
            message.push_str(&format!(
                "; the loop's frame keeps `{local_name}`, and with it the last failure's \
                 traceback, until the next one"
            ));
            Level::Default
        };
        findings.push(Finding {
            rule: Rule::ExceptionKeptOnObject,
            level,
            range: argument.byte_range(),
            message,
            related: vec![Related {
                range: kept_in.byte_range(),
                message: format!("`{class_name}.__init__` keeps the exception here"),
            }],
            fixes: Vec::new(),
            release_elsewhere: None,
        });
    }
    findings
}

/// Whether `node` runs in a loop of its function: the frame lives on after it.
fn in_loop(mut node: Node) -> bool {
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "for_statement" | "while_statement" => return true,
            "function_definition" | "lambda" | "class_definition" => return false,
            _ => node = parent,
        }
    }
    false
}

/// Whether the store writes to the instance: `self.x = ...`, `self.x[k] = ...`,
/// `self.errors.append(...)`.
fn store_on_instance(checker: &Checker, store: &Store, self_name: &str) -> bool {
    let base = chain_base(store.object);
    base.kind_name() == "identifier"
        && checker.text_of(base) == self_name
        && store.object.kind_name() != "identifier"
        || (store.statement.kind_name() != "call"
            && store.object.kind_name() == "identifier"
            && checker.text_of(store.object) == self_name)
}

/// The part of `value` that is the caught exception (the `as` name, its `__traceback__`) or
/// `sys.exc_info()`, looking into tuples and lists.
fn exception_in<'t>(
    checker: &Checker<'_, 't>,
    value: Node<'t>,
    alias: Option<&str>,
) -> Option<Node<'t>> {
    match value.kind_name() {
        "identifier" => (Some(checker.text_of(value)) == alias).then_some(value),
        "attribute" => value
            .field(Field::Attribute)
            .filter(|a| checker.text_of(*a) == "__traceback__")
            .and_then(|_| value.field(Field::Object))
            .and_then(|object| exception_in(checker, object, alias))
            .map(|_| value),
        "call" => value
            .field(Field::Function)
            .and_then(|f| checker.qualified_name(f))
            .filter(|q| q == "sys.exc_info" || q == "sys.exception")
            .map(|_| value),
        "tuple" | "list" | "expression_list" | "parenthesized_expression" => named_children(value)
            .into_iter()
            .find_map(|item| exception_in(checker, item, alias)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::rules::Rule;

    fn found(source: &str, strict: bool) -> usize {
        crate::analysis::rules::findings_of(Rule::ExceptionKeptOnObject, source, strict).len()
    }

    #[test]
    fn released_or_once_is_strict_only() {
        let kept = "class C:\n    def f(self):\n        try:\n            pass\n        \
                    except Exception as exc:\n            self.e = exc\n";
        assert_eq!((found(kept, false), found(kept, true)), (1, 1));
        let released = format!("{kept}\n    def close(self):\n        del self.e\n");
        assert_eq!((found(&released, false), found(&released, true)), (0, 1));
        let once = format!("{kept}\n\nc = C()\n");
        assert_eq!((found(&once, false), found(&once, true)), (0, 1));
        let text_only = kept.replace("self.e = exc", "self.e = str(exc)");
        assert_eq!(found(&text_only, true), 0);
    }
}
