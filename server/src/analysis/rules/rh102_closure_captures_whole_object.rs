//! # RH102 closure-captures-whole-object-for-part
//!
//! ## What it does
//! Flags a nested function or lambda that escapes the function that made it (see RH101 for the
//! routes) and uses a captured variable only through one attribute or item chain, the same one
//! every time: `big.config["x"]`, `request.headers`, `dataset.rows[0]`. Item keys must be
//! literals. The variable must hold an object the function made itself (the result of a call,
//! a comprehension, a dict or list display): an object passed in as a parameter belongs to the
//! caller, who usually keeps it alive anyway (a context, a model field, a graph). Method calls on the captured object itself (`big.method()`), assignments through
//! it, `self` and `cls`, and imported modules are not flagged: they need the whole object.
//!
//! Reported by default only when the captured object is evidently large, by the same notion
//! as RH101's (a comprehension over a file, `json.load`, a `pandas` reader, ...); any other
//! object is reported only with `strict = true`. Never flagged: a piece that is a bound method
//! (`logs.append` holds all of `logs` anyway), an object that also leaves the function (returned
//! or stored beside the closure), a module (`__import__`, `importlib.import_module`), and a
//! store through the variable (`ret, box[0] = box[0], 0`).
//!
//! ## Why is this bad?
//! A closure captures variables, not expressions: the cell holds the whole object, so
//! everything the object references stays alive for as long as the closure does, although the
//! closure only ever reads one small piece of it.
//!
//! ## Example
//! ```python
//! def make_formatter(path):
//!     dataset = load_dataset(path)
//!     def formatter(value):
//!         return f"{value} / {dataset.rows[0]}"   # keeps all of `dataset`
//!     return formatter
//! ```
//!
//! ## Use instead
//! ```python
//! def make_formatter(path):
//!     dataset = load_dataset(path)
//!     first = dataset.rows[0]
//!     def formatter(value):
//!         return f"{value} / {first}"             # keeps one row
//!     return formatter
//! ```
//!
//! ## Fix safety
//! Offered (unsafe): read the piece into a fresh local on the line before the `def` (above its
//! decorators) or the statement that makes the lambda, with the same indentation, and use the
//! local in the closure: `rows_0 = dataset.rows[0]`. The local is named after the piece's last
//! attribute or string key (`_2`, `_3`, ... when that name is taken). Unsafe because the piece
//! is read when the closure is made, not when it is called: if the object changes in between
//! (or the read fails), the closure sees the old value (or the error comes earlier).
//!
//! The fix is withheld unless that is the only difference: the statement that makes the
//! closure starts its own line, directly in the function that binds the variable (not in a
//! comprehension, behind `if`/`else` or `and`/`or`, or after a `;`, so a one-line body gets no
//! fix); that function binds, reads or deletes the variable only before that statement, and no
//! other function or class inside it mentions it (any of these could rebind or change it
//! before the closure is called); the new local's name is used nowhere in the function or the
//! scopes inside it.
//!
//! By hand, the piece can also be bound with `functools.partial(formatter,
//! first=dataset.rows[0])`, with the same change of timing.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::escape::hoist::{hoist, making, one_line};
use crate::analysis::escape::large::{is_builtin_value, large_binding};
use crate::analysis::escape::part::{
    is_store_target_among, local_name_for, normalized, only_chain, piece_in,
};
use crate::analysis::escape::{self, Closure};
use crate::analysis::findings::{Finding, Fix, Level, Related, Safety};
use crate::analysis::rules::Rule;
use crate::analysis::scope::{NameScope, Role, ScopeId, ScopeKind, SymbolFlags};
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::chain_top_among;
use crate::analysis::syntax::{Field, NodeLookups};

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let mut findings = Vec::new();
    for closure in escape::closures(context, |at| checker.checks(at)) {
        let pieces: Vec<(&str, Vec<Node>)> = closure
            .freevars(context)
            .filter(|name| captures_an_object(context, &closure, name))
            .filter_map(|name| Some((name, only_chain(context, &closure, name)?)))
            .collect();
        if pieces.is_empty() {
            continue;
        }
        let Some(escape) = escape::escape(context, &closure) else {
            continue;
        };
        for (name, chains) in pieces {
            // Stored on or registered with the captured object itself: the closure cannot
            // outlive it, so capturing it costs nothing.
            if escape.route.holder() == Some(name) || leaves_otherwise(context, &closure, name) {
                continue;
            }
            let large = large_binding(context, &closure, name);
            // `logs.append` on a list is a bound method: it holds all of `logs` anyway.
            let value = closure
                .captured_binding(context, name)
                .and_then(|b| b.value);
            let attribute_first =
                normalized(context.text_of(chains[0]))[name.len()..].starts_with('.');
            if attribute_first && value.is_some_and(|v| is_builtin_value(context, v)) {
                continue;
            }
            // The shortest chain comes first: the piece the closure needs.
            let chain = context.text_of(chains[0]);
            let fixes = hoist_piece(context, &closure, name, &chains)
                .into_iter()
                .collect();
            let mut related = vec![escape.related(context, &closure)];
            related.extend(chains.iter().map(|use_| Related {
                range: use_.byte_range(),
                message: format!("the only use of `{name}`: `{chain}`"),
            }));
            let maker = &context.scopes.scope(closure.parent).name;
            let (level, evidence) = match &large {
                Some((value, what)) => (
                    Level::Default,
                    format!(
                        "`{name}` is {what} (line {}), made per call of `{maker}()`",
                        context.lines.line_of(value.start_byte())
                    ),
                ),
                None => (
                    Level::Strict,
                    format!("nothing shows that `{name}` is large"),
                ),
            };
            findings.push(Finding {
                rule: Rule::ClosureCapturesWholeObject,
                range: closure.name_range(context),
                message: format!(
                    "{} {} and keeps all of `{name}` alive to read only `{chain}`: {evidence}",
                    closure.label(context),
                    escape.route.describe(),
                ),
                related,
                fixes,
                level,
                release_elsewhere: None,
            });
        }
    }
    findings
}

/// Whether the captured object also leaves the function another way (returned, yielded,
/// stored on an attribute or in a container): whoever gets it keeps it alive anyway, and may
/// change the state the closure reads, which must then be read late.
fn leaves_otherwise(context: &Context, closure: &Closure, name: &str) -> bool {
    let Some(owner) = escape::binding_scope(context, closure, name) else {
        return false;
    };
    let Some(symbol) = context.scopes.scope(owner).symbol(name) else {
        return false;
    };
    symbol
        .occurrences
        .iter()
        .filter(|o| o.role == Role::Use)
        .filter_map(|o| context.node_at(o.range.clone()))
        .any(|mut node| {
            while let Some(parent) = node.parent() {
                match parent.kind_name() {
                    "expression_list" | "tuple" | "list" | "parenthesized_expression" => {
                        node = parent
                    }
                    "return_statement" | "yield" => return true,
                    "assignment" => {
                        return parent
                            .field(Field::Right)
                            .is_some_and(|r| r.id() == node.id())
                            && parent.field(Field::Left).is_some_and(|l| {
                                matches!(l.kind_name(), "attribute" | "subscript")
                            });
                    }
                    _ => return false,
                }
            }
            false
        })
}

/// The unsafe fix that reads the piece (`chains[0]`, the shortest chain) into a fresh local
/// right before the closure is made and has the closure use that local instead.
fn hoist_piece(context: &Context, closure: &Closure, name: &str, chains: &[Node]) -> Option<Fix> {
    let piece = normalized(context.text_of(chains[0]));
    let uses = chains
        .iter()
        .map(|chain| piece_in(context, *chain, &piece))
        .collect::<Option<Vec<_>>>()?;
    let hoisted = hoist(
        context,
        closure,
        name,
        chains[0],
        &uses,
        &local_name_for(context, chains[0], name),
    )?;
    Some(Fix {
        title: format!(
            "Read `{}` once, before {} (read at definition time, not call time)",
            one_line(context.text_of(chains[0])),
            making(context, closure),
        ),
        safety: Safety::Unsafe,
        edits: hoisted,
    })
}

/// Whether a captured name holds an object whose pieces could be taken instead: not a module,
/// function or class, and not a method's `self` or `cls`.
fn captures_an_object(context: &Context, closure: &Closure, name: &str) -> bool {
    let Some(scope) = escape::binding_scope(context, closure, name) else {
        return false;
    };
    let binder = context.scopes.scope(scope);
    let Some(symbol) = binder.symbol(name) else {
        return false;
    };
    if symbol.flags.contains_any(SymbolFlags::IMPORT) || matches!(name, "self" | "cls") {
        return false;
    }
    // Only an object the function made itself: one passed in belongs to the caller and
    // usually outlives the closure anyway (a context, a model field, a graph).
    if binder.params.iter().any(|p| p == name) {
        return false;
    }
    let made_here = closure
        .captured_binding(context, name)
        .and_then(|b| b.value)
        .is_some_and(|value| {
            matches!(
                value.kind_name(),
                "call"
                    | "list_comprehension"
                    | "set_comprehension"
                    | "dictionary_comprehension"
                    | "dictionary"
                    | "list"
                    | "await"
            )
        });
    if !made_here {
        return false;
    }
    // A module (`__import__(...)`, `importlib.import_module(...)`) lives in `sys.modules`.
    let imports_module = context.bindings(scope, name).iter().any(|b| {
        b.value
            .filter(|v| v.kind_name() == "call")
            .and_then(|v| v.field(Field::Function))
            .is_some_and(|f| {
                context.text_of(f) == "__import__"
                    || context
                        .qualified_name(f)
                        .is_some_and(|q| q == "importlib.import_module")
            })
    });
    if imports_module {
        return false;
    }
    // State shared through the object (`state[0] = ...` somewhere) must be read late.
    if written_through(context, scope, name) {
        return false;
    }
    let defines_function_or_class = symbol
        .occurrences
        .iter()
        .filter(|o| o.role == Role::Bind)
        .filter_map(|o| context.node_at(o.range.clone()))
        .any(|target| {
            target.parent().is_some_and(|p| {
                matches!(p.kind_name(), "function_definition" | "class_definition")
                    && p.field(Field::Name).is_some_and(|n| n.id() == target.id())
            })
        });
    let is_method_receiver = binder.params.first().is_some_and(|first| first == name)
        && binder
            .parent
            .is_some_and(|p| context.scopes.scope(p).kind == ScopeKind::Class);
    !defines_function_or_class && !is_method_receiver
}

/// Whether `name`, bound in `scope`, is written through anywhere it is visible:
/// `name.x = ...`, `name[k] += ...`, `del name[k]`, in the scope or in a closure over it.
fn written_through(context: &Context, scope: ScopeId, name: &str) -> bool {
    let mut pending = vec![scope];
    while let Some(id) = pending.pop() {
        let current = context.scopes.scope(id);
        let Some(symbol) = current.symbol(name) else {
            continue;
        };
        if id != scope && symbol.scope != NameScope::Free {
            continue;
        }
        pending.extend(current.children.iter().copied());
        let written = symbol
            .occurrences
            .iter()
            .filter(|o| o.role == Role::Use)
            .filter_map(|o| context.path_to(o.range.clone()))
            .any(|mut path| {
                let Some(node) = path.pop() else {
                    return false;
                };
                let ancestors = path.iter().rev().copied();
                let (target, climbed) = chain_top_among(node, ancestors.clone());
                climbed > 0 && is_store_target_among(target, ancestors.skip(climbed))
            });
        if written {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::analysis::check;
    use crate::analysis::fixes::apply_edits;
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::Settings;

    /// `text` after the first fix of its one RH102 finding, checked to compile with CPython;
    /// `None` when the finding has no fix.
    fn fixed(text: &str) -> Option<String> {
        // `g()` is not evidently large: these findings are strict ones.
        let settings = Settings {
            rules: vec![Rule::ClosureCapturesWholeObject],
            strict: true,
            ..Settings::default()
        };
        let findings = check(text, &parse(text), &settings);
        assert_eq!(findings.len(), 1, "one finding in {text:?}");
        let fix = findings[0].fixes.first()?;
        let after = apply_edits(text, &fix.edits);
        let compiled = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys; compile(sys.argv[1], '<fixed>', 'exec')",
                &after,
            ])
            .status()
            .expect("python3 runs");
        assert!(compiled.success(), "compiles: {after}");
        Some(after)
    }

    #[test]
    fn the_piece_is_read_on_a_line_of_its_own_before_the_closure() {
        assert_eq!(
            fixed("async def f():\n    big = g()\n    return lambda: big.config['x']\n").as_deref(),
            Some("async def f():\n    big = g()\n    x = big.config['x']\n    return lambda: x\n")
        );
        // Lines continued by a backslash or brackets are copied as they are: still one
        // statement where they land.
        assert_eq!(
            fixed("def f():\n    big = g()\n    def h():\n        return big \\\n            .rows[-1]\n    return h\n").as_deref(),
            Some("def f():\n    big = g()\n    rows_neg1 = big \\\n            .rows[-1]\n    def h():\n        return rows_neg1\n    return h\n")
        );
        assert!(
            fixed("def f():\n    big = g()\n    return lambda: (big.config[\n        'x'])\n")
                .is_some()
        );
    }

    #[test]
    fn the_local_clashes_with_no_name_the_function_or_its_scopes_see() {
        let text = "def f():\n    big = g()\n    class K:\n        x = x\n    return lambda: big.config['x']\n";
        assert_eq!(
            fixed(text).as_deref(),
            Some(
                "def f():\n    big = g()\n    class K:\n        x = x\n    x_2 = big.config['x']\n    return lambda: x_2\n"
            )
        );
    }

    #[test]
    fn no_fix_when_the_read_cannot_be_moved_as_is() {
        // Shares its line with another statement, or with the header of its block.
        assert_eq!(
            fixed("def f():\n    big = g(); return lambda: big.a\n"),
            None
        );
        assert_eq!(
            fixed("def f(c):\n    big = g()\n    if c: return lambda: big.a\n"),
            None
        );
        // Made only when a condition holds.
        assert_eq!(
            fixed("def f(c):\n    big = g()\n    return c and (lambda: big.a)\n"),
            None
        );
        // The object is rebound, deleted, or used (perhaps changed) after the closure is made.
        assert_eq!(
            fixed("def f():\n    big = g()\n    h = lambda: big.a\n    big = g()\n    return h\n"),
            None
        );
        assert_eq!(
            fixed("def f():\n    big = g()\n    h = lambda: big.a\n    del big\n    return h\n"),
            None
        );
        assert_eq!(
            fixed(
                "def f():\n    big = g()\n    h = lambda: big.a\n    big.reload()\n    return h\n"
            ),
            None
        );
        // Another closure can rebind or change it whenever it runs.
        assert_eq!(
            fixed(
                "def f():\n    big = g()\n    def swap():\n        nonlocal big\n        big = g()\n    h = lambda: big.a\n    return h, swap\n"
            ),
            None
        );
    }
}

#[cfg(test)]
mod levels {
    use crate::analysis::check;
    use crate::analysis::findings::Level;
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::Settings;

    /// The fixture's strict-only closures (nothing shows the object is large) are reported
    /// with `strict`, at the strict level; the excluded shapes are not reported at all.
    #[test]
    fn objects_not_known_large_are_strict_only() {
        let text =
            include_str!("../../../../tests/fixtures/rules/rh102_closure_captures_whole_object.py");
        let settings = Settings {
            rules: vec![Rule::ClosureCapturesWholeObject],
            strict: true,
            ..Settings::default()
        };
        let lines = |level: Level| -> Vec<usize> {
            check(text, &parse(text), &settings)
                .iter()
                .filter(|f| f.level == level)
                .map(|f| text[..f.range.start].lines().count())
                .collect()
        };
        let strict = lines(Level::Strict);
        for needle in [
            "def formatter",
            "lambda: config.settings",
            "lambda: response.body",
            "def get(obj)",
        ] {
            let line = text[..text.find(needle).unwrap()].lines().count();
            assert!(
                strict.contains(&line),
                "{needle} (line {line}) not in {strict:?}"
            );
        }
        assert_eq!(strict.len(), 4, "{strict:?}");
    }
}
