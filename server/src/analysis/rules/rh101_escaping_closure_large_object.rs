//! # RH101 escaping-closure-captures-large-object
//!
//! ## What it flags
//! A nested function or lambda that escapes the function that made it (returned, yielded,
//! stored on an attribute, in a container or a global, or registered as a callback) and
//! captures a variable bound to something evidently large: a list, set or dict comprehension,
//! `[...] * n`, `bytearray(n)`, the result of `.read()`/`.readlines()`/`.fetchall()`,
//! `json.load(s)`, `pickle.load(s)`, or a `numpy`, `pandas` or `polars` constructor or reader.
//! The variable's binding is the last one before the closure is made.
//!
//! A closure only called in place, or passed to `map`, `filter`, `sorted(key=...)` or
//! `functools.reduce`, does not escape and is not flagged.
//!
//! ## Why it leaks
//! A closure keeps every variable it captures alive through a cell, for as long as the closure
//! itself lives, even when it needs a tiny part of the value or none of it after the first
//! call. A returned or registered closure lives as long as whoever holds it: a handler
//! registry, an event loop, a cache. The large object goes with it.
//!
//! ## Example
//! ```python
//! def make_report(path):
//!     rows = [parse(line) for line in open(path)]     # large
//!     total = sum(r.amount for r in rows)
//!     def summary():
//!         return f"{len(rows)} rows, total {total}"   # captures all of `rows`
//!     return summary
//! ```
//!
//! ## Fix
//! When the closure uses the large variable only as the argument of one small built-in result,
//! the same call every time (`len(rows)`, also `sum`, `min`, `max`, `any`, `all`, `bool`), the
//! message names that value, and two fixes (both unsafe) bind only that value. The first binds
//! it with `functools.partial`: the closure takes it as a new first parameter
//! (`def count(rows_count): ...`, then `count = functools.partial(count, len(rows))` right after
//! the `def`; a lambda becomes `functools.partial(lambda rows_count: ..., len(rows))`), not for
//! a decorated `def`. The second computes it into a fresh local on the line before the `def`
//! (above its decorators) or the statement that makes the lambda, with the same indentation,
//! and has the closure use the local: `rows_count = len(rows)`. Unsafe because the value is
//! computed when the closure is made, not each time it is called.
//!
//! The fix is withheld unless that is provably the only difference: the statement that makes
//! the closure starts its own line, directly in the function that binds the variable (not in a
//! comprehension, behind `if`/`else` or `and`/`or`, or after a `;`); that function binds, reads
//! or deletes the variable only before that statement, and no other function or class inside it
//! mentions it (any of these could change it before the closure is called); the built-in is
//! not rebound in the module, the function or the closure; the new local's name is used nowhere
//! in the function or the scopes inside it.
//!
//! By hand otherwise: compute what the closure needs before making it and capture only that,
//! or bind it with `functools.partial(summary, len(rows), total)`. Deleting the large variable
//! (`del rows`) after the closure is made is not enough: the cell keeps it.
//!
//! ## Options
//! `large-constructors`: extra dotted names whose results count as large (`"mylib.load_frame"`,
//! or a module prefix `"mylib.io.*"`).

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::escape::{self, Closure};
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::fixes::imports::Needed;
use crate::analysis::fixes::{StatementLines, with_import};
use crate::analysis::rules::Rule;
use crate::analysis::rules::rh102_closure_captures_whole_object::{hoist, making, one_line};
use crate::analysis::scope::{ScopeId, SymbolFlags};
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::{first_iterable, named_children};

/// Callables whose results are large, by dotted name; `module.*` matches everything under it.
const LARGE_CONSTRUCTORS: &[&str] = &[
    "json.load",
    "json.loads",
    "pickle.load",
    "pickle.loads",
    "marshal.load",
    "marshal.loads",
    "numpy.*",
    "pandas.*",
    "polars.*",
    "pyarrow.*",
    "torch.load",
    "torch.zeros",
    "torch.ones",
    "torch.empty",
    "torch.rand",
    "torch.randn",
];

/// Methods whose result holds a whole stream or result set.
const LARGE_METHODS: &[&str] = &[
    "read",
    "readlines",
    "read_bytes",
    "read_text",
    "readall",
    "fetchall",
    "getvalue",
];

/// Numpy, pandas and polars names that are not constructors or readers.
const SMALL_IN_LARGE_MODULES: &[&str] = &[
    "dtype",
    "float32",
    "float64",
    "int32",
    "int64",
    "isnan",
    "isinf",
    "isna",
    "notna",
    "isnull",
    "sum",
    "mean",
    "max",
    "min",
    "median",
    "std",
    "var",
    "any",
    "all",
    "Timestamp",
    "Timedelta",
    "to_datetime",
    "to_timedelta",
    "col",
    "lit",
    "when",
    "Int64",
    "Float64",
    "Utf8",
    "String",
];

/// Repetitions below this (`[0] * 4`) are small.
const SMALL_REPEAT: i64 = 10_000;

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let mut findings = Vec::new();
    for closure in escape::closures(context) {
        let large: Vec<(&str, Node, String)> = closure
            .freevars(context)
            .filter_map(|name| {
                let (value, what) = large_binding(context, &closure, name)?;
                Some((name, value, what))
            })
            .collect();
        if large.is_empty() {
            continue;
        }
        let Some(escape) = escape::escape(context, &closure) else {
            continue;
        };
        let captured = large
            .iter()
            .map(|(name, value, what)| {
                format!(
                    "`{name}` ({what}, line {})",
                    context.lines.line_of(value.start_byte())
                )
            })
            .collect::<Vec<_>>()
            .join(" and ");
        let mut related = vec![escape.related(context, &closure)];
        related.extend(large.iter().map(|(name, value, what)| Related {
            range: value.byte_range(),
            message: format!("`{name}` is bound to {what} here"),
        }));
        // With one large variable used only through one small derived value, say which and
        // offer to compute it before the closure is made.
        let derived = match large.as_slice() {
            [(name, _, _)] => derived_value(context, &closure, name).map(|uses| (*name, uses)),
            _ => None,
        };
        let advice = derived.as_ref().map_or(String::new(), |(name, uses)| {
            format!(
                "; it only uses `{}`: compute that before {} and capture the result instead of \
                 `{name}`",
                one_line(context.text_of(uses[0])),
                making(context, &closure),
            )
        });
        let fixes = derived
            .and_then(|(name, uses)| compute_first(context, &closure, name, &uses))
            .map(|hoisted| {
                // `functools.partial` first, as the rule promises; the plain local second.
                bind_with_partial(context, &closure, &hoisted)
                    .into_iter()
                    .chain([hoisted.fix])
                    .collect()
            })
            .unwrap_or_default();
        findings.push(Finding {
            rule: Rule::EscapingClosureLargeObject,
            range: closure.name_range(context),
            message: format!(
                "{} {} and captures {captured}: the closure keeps it alive as long as it lives\
                 {advice}",
                closure.label(context),
                escape.route.describe(),
            ),
            related,
            fixes,
            level: Level::Default,
        });
    }
    findings
}

/// Built-in functions whose result is small whatever they are given, with the word the local
/// holding the result is named after (`rows_count = len(rows)`).
const SMALL_RESULTS: &[(&str, &str)] = &[
    ("len", "count"),
    ("sum", "sum"),
    ("min", "min"),
    ("max", "max"),
    ("any", "any"),
    ("all", "all"),
    ("bool", "bool"),
];

/// The calls `len(rows)` (one built-in from [`SMALL_RESULTS`], `name` its only argument) when
/// they are every use of `name` in the closure, all the same call; `None` otherwise.
fn derived_value<'t>(
    context: &Context<'t>,
    closure: &Closure<'t>,
    name: &str,
) -> Option<Vec<Node<'t>>> {
    let calls = closure
        .reads(context, name)?
        .into_iter()
        .map(|use_| {
            let arguments = use_.parent().filter(|p| p.kind() == "argument_list")?;
            let call = arguments.parent().filter(|p| p.kind() == "call")?;
            let function = call.child_by_field_name("function")?;
            let only_argument = named_children(arguments).len() == 1;
            (only_argument
                && function.kind() == "identifier"
                && small_result(context, function).is_some())
            .then_some(call)
        })
        .collect::<Option<Vec<Node>>>()?;
    let first = calls.first()?;
    let same = |call: &Node| {
        context.text_of(call.child_by_field_name("function").unwrap_or(*call))
            == context.text_of(first.child_by_field_name("function").unwrap_or(*first))
    };
    calls.iter().all(same).then_some(calls)
}

/// The word for a built-in from [`SMALL_RESULTS`], when `function` names it: the module binds
/// no such name (`len = ...`, `from x import len`).
fn small_result(context: &Context, function: Node) -> Option<&'static str> {
    let called = context.text_of(function);
    let (_, word) = SMALL_RESULTS.iter().find(|(name, _)| *name == called)?;
    let module = context.scopes.scope(ScopeId(0));
    module
        .symbol(called)
        .is_none_or(|s| !s.flags.contains_any(SymbolFlags::BOUND))
        .then_some(*word)
}

/// The unsafe fix computing the derived value (`len(rows)`) into a local before the closure is
/// made, so the closure captures the result instead of the large object; with what
/// [`bind_with_partial`] needs to bind the same value instead.
struct Hoisted<'t> {
    fix: Fix,
    /// The derived value, `len(rows)`.
    value: Node<'t>,
    /// The new local's name, which the closure's uses of the value now read.
    local: String,
}

fn compute_first<'t>(
    context: &Context,
    closure: &Closure,
    name: &str,
    calls: &[Node<'t>],
) -> Option<Hoisted<'t>> {
    let function = calls[0].child_by_field_name("function")?;
    let word = small_result(context, function)?;
    let base = format!("{}_{word}", name.trim_start_matches('_'));
    let hoisted = hoist(context, closure, name, calls[0], calls, &base)?;
    let local = hoisted
        .iter()
        .find(|edit| edit.range.start == calls[0].start_byte() && !edit.range.is_empty())?
        .text
        .clone();
    Some(Hoisted {
        fix: Fix {
            title: format!(
                "Compute `{}` once, before {} (computed at definition time, not call time)",
                one_line(context.text_of(calls[0])),
                making(context, closure),
            ),
            safety: Safety::Unsafe,
            edits: hoisted,
        },
        value: calls[0],
        local,
    })
}

/// The same value bound with `functools.partial` instead of a local: the closure takes it as a
/// new first parameter (named as the hoisted local), and `functools.partial(closure, len(rows))`
/// replaces the lambda, or rebinds the `def`'s name right after it. Offered where the hoist is
/// (the same checks make it the same computation, only earlier), for a `def` without
/// decorators.
fn bind_with_partial(context: &Context, closure: &Closure, hoisted: &Hoisted) -> Option<Fix> {
    let node = closure.node;
    let value = context.text_of(hoisted.value);
    let local = &hoisted.local;
    let functools = context.import(Needed::Module("functools"), node.start_byte())?;
    let partial = format!("{}.partial", functools.reference);
    // The uses of the value inside the closure read the new parameter, as they read the local.
    let mut edits: Vec<Edit> = hoisted
        .fix
        .edits
        .iter()
        .filter(|edit| !edit.range.is_empty())
        .cloned()
        .collect();
    let parameters = node.child_by_field_name("parameters");
    let insert = |at: usize, text: String| Edit {
        range: at..at,
        text,
    };
    if node.kind() == "lambda" {
        edits.push(match parameters {
            Some(p) => insert(p.start_byte(), format!("{local}, ")),
            None => insert(node.start_byte() + "lambda".len(), format!(" {local}")),
        });
        edits.push(insert(node.start_byte(), format!("{partial}(")));
        edits.push(insert(node.end_byte(), format!(", {value})")));
    } else {
        if node.parent()?.kind() != "block" {
            return None;
        }
        let parameters = parameters?;
        let separator = if parameters.named_child_count() == 0 {
            ""
        } else {
            ", "
        };
        edits.push(insert(
            parameters.start_byte() + 1,
            format!("{local}{separator}"),
        ));
        let name = context.text_of(node.child_by_field_name("name")?);
        let lines = StatementLines::of(context.text, node);
        if !lines.terminated() {
            return None;
        }
        edits.push(insert(
            lines.end,
            format!(
                "{}{name} = {partial}({name}, {value}){}",
                lines.indent, lines.newline
            ),
        ));
    }
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    Some(Fix {
        title: format!(
            "Pass `{}` to {} with `functools.partial` (computed at definition time, not call \
             time)",
            one_line(value),
            closure.label(context),
        ),
        safety: Safety::Unsafe,
        edits: with_import(edits, functools.edit)?,
    })
}

/// The value a captured variable was last bound to before the closure was made, and what makes
/// it large ("a list comprehension", "a `pandas.read_csv(...)` result").
fn large_binding<'t>(
    context: &Context<'t>,
    closure: &Closure<'t>,
    name: &str,
) -> Option<(Node<'t>, String)> {
    let value = closure.captured_binding(context, name)?.value?;
    Some((value, large_value(context, value)?))
}

/// What makes an expression evidently large, if anything does.
pub(super) fn large_value(context: &Context, value: Node) -> Option<String> {
    match value.kind() {
        "list_comprehension" | "set_comprehension" | "dictionary_comprehension" => {
            let source = large_iterable(context, value)?;
            let kind = match value.kind() {
                "list_comprehension" => "list",
                "set_comprehension" => "set",
                _ => "dict",
            };
            Some(format!("a {kind} comprehension over {source}"))
        }
        "parenthesized_expression" => large_value(context, value.named_child(0)?),
        "binary_operator" => {
            let operator = value.child_by_field_name("operator")?;
            if context.text_of(operator) != "*" {
                return None;
            }
            let left = value.child_by_field_name("left")?;
            let right = value.child_by_field_name("right")?;
            let (sequence, count) = if matches!(left.kind(), "list" | "string" | "bytes") {
                (left, right)
            } else {
                (right, left)
            };
            // `[0] * len(rows)` is as big as something that exists already.
            let sized_like_existing = count.kind() == "call"
                && count
                    .child_by_field_name("function")
                    .is_some_and(|f| context.text_of(f) == "len");
            if !matches!(sequence.kind(), "list" | "bytes")
                || is_small_integer(context, count)
                || sized_like_existing
            {
                return None;
            }
            Some(format!("`{}`", context.text_of(value)))
        }
        "call" => large_call(context, value),
        _ => None,
    }
}

/// What a comprehension's first iterable reads, when that is evidently large: a file (`open(...)`
/// or a name bound by `with open(...) as f`), a large value, or a `range` of a large literal.
fn large_iterable(context: &Context, comprehension: Node) -> Option<String> {
    let iterable = first_iterable(comprehension)?;
    if let Some(what) = large_value(context, iterable) {
        return Some(what);
    }
    // `for k, v in data.items()` where `data` is large.
    let mut root = iterable;
    loop {
        root = match root.kind() {
            "call" => root.child_by_field_name("function")?,
            "attribute" => root.child_by_field_name("object")?,
            _ => break,
        };
    }
    if root.id() != iterable.id() && root.kind() == "identifier" {
        let name = context.text_of(root);
        let scope = context.scope_containing(root);
        let large = context
            .binding_before(scope, name, comprehension.start_byte())
            .and_then(|b| b.value)
            .is_some_and(|value| large_value(context, value).is_some());
        if large {
            return Some(format!("`{}`", context.text_of(iterable)));
        }
    }
    match iterable.kind() {
        "call" => {
            let function = iterable.child_by_field_name("function")?;
            let name = context.text_of(function);
            let arguments = iterable.child_by_field_name("arguments")?;
            match name {
                "open" => Some(format!("the lines of `{}`", context.text_of(iterable))),
                "range" if arguments.named_child_count() == 1 => {
                    let count = arguments.named_child(0)?;
                    (count.kind() == "integer" && !is_small_integer(context, count))
                        .then(|| format!("`{}`", context.text_of(iterable)))
                }
                _ => None,
            }
        }
        "identifier" => {
            // `with open(path) as f: rows = [... for line in f]`
            let name = context.text_of(iterable);
            let scope = context.scope_containing(iterable);
            let bound_to_file = context.bindings(scope, name).iter().any(|binding| {
                binding.statement.kind() == "with_statement"
                    && binding.target.parent().is_some_and(|target| {
                        target.kind() == "as_pattern_target"
                            && target
                                .parent()
                                .and_then(|p| p.named_child(0))
                                .is_some_and(|v| {
                                    v.kind() == "call"
                                        && v.child_by_field_name("function")
                                            .is_some_and(|f| context.text_of(f) == "open")
                                })
                    })
            });
            bound_to_file.then(|| format!("the lines of file `{name}`"))
        }
        _ => None,
    }
}

fn large_call(context: &Context, call: Node) -> Option<String> {
    let function = call.child_by_field_name("function")?;
    let arguments = call.child_by_field_name("arguments")?;
    let described = || Some(format!("a `{}(...)` result", context.text_of(function)));
    if function.kind() == "identifier"
        && matches!(context.text_of(function), "bytearray" | "bytes")
        && context.qualified_name(function).is_none()
    {
        let size = arguments.named_child(0)?;
        let sized = arguments.named_child_count() == 1
            && !matches!(size.kind(), "string" | "list" | "tuple")
            && !is_small_integer(context, size);
        return sized.then(described).flatten();
    }
    if let Some(name) = context.qualified_name(function)
        && is_large_constructor(context, &name)
    {
        return described();
    }
    if function.kind() == "attribute" {
        let method = context.text_of(function.child_by_field_name("attribute")?);
        if LARGE_METHODS.contains(&method) && arguments.named_child_count() == 0 {
            return described();
        }
    }
    None
}

fn is_large_constructor(context: &Context, name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    let configured = context.settings.large_constructors.iter();
    LARGE_CONSTRUCTORS
        .iter()
        .copied()
        .chain(configured.map(String::as_str))
        .any(|pattern| match pattern.strip_suffix(".*") {
            Some(module) => {
                name.strip_prefix(module)
                    .is_some_and(|rest| rest.starts_with('.'))
                    && !SMALL_IN_LARGE_MODULES.contains(&last)
            }
            None => pattern == name,
        })
}

fn is_small_integer(context: &Context, node: Node) -> bool {
    node.kind() == "integer"
        && context
            .text_of(node)
            .replace('_', "")
            .parse::<i64>()
            .is_ok_and(|n| n < SMALL_REPEAT)
}

#[cfg(test)]
mod tests {
    use crate::analysis::check;
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::Settings;

    fn message(text: &str) -> String {
        let settings = Settings {
            rules: vec![Rule::EscapingClosureLargeObject],
            ..Settings::default()
        };
        let findings = check(text, &parse(text), &settings);
        assert_eq!(findings.len(), 1, "one finding in {text:?}");
        findings[0].message.clone()
    }

    #[test]
    fn the_message_names_the_small_value_the_closure_uses() {
        let counted = message(
            "def f(path):\n    rows = [l for l in open(path)]\n    def count():\n        return len(rows)\n    return count\n",
        );
        assert!(
            counted.ends_with(
                "; it only uses `len(rows)`: compute that before defining `count` and capture \
                 the result instead of `rows`"
            ),
            "{counted}"
        );
        let whole = message(
            "def f(path):\n    rows = [l for l in open(path)]\n    return lambda: (len(rows), rows)\n",
        );
        assert!(!whole.contains("it only uses"), "{whole}");
    }
}
