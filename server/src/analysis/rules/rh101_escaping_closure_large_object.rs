//! # RH101 escaping-closure-captures-large-object
//!
//! ## What it does
//! Flags a nested function or lambda that escapes the function that made it (returned,
//! yielded, stored on an attribute, in a container or a global, registered as a callback or
//! scheduled, as with `loop.call_later`) and captures a variable bound to something evidently
//! large: a list, set or dict comprehension, `[...] * n`, `bytearray(n)`, a copy of a stream
//! (`list(cursor)`), the result of `.read()`/`.readlines()`/`.fetchall()`,
//! `json.load(s)`, `pickle.load(s)`, or a `numpy`, `pandas` or `polars` constructor or reader.
//! The variable's binding is the last one before the closure is made.
//!
//! A closure only called in place, or passed to `map`, `filter`, `sorted(key=...)` or
//! `functools.reduce`, does not escape and is not flagged.
//!
//! Reported by default only when the closure uses nothing of the large value but small values
//! computed from it (`len(rows)`, `sum(rows)`, `any(rows)`, ...): then the whole value is kept
//! for a number. A closure that uses the whole value (searches it, returns it) needs it, and is
//! reported only with `strict = true`; one that reads one attribute or item chain of it is
//! RH102's.
//!
//! ## Why is this bad?
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
//! ## Use instead
//! ```python
//! def make_report(path):
//!     rows = [parse(line) for line in open(path)]
//!     count, total = len(rows), sum(r.amount for r in rows)
//!     def summary():
//!         return f"{count} rows, total {total}"      # captures two numbers
//!     return summary
//! ```
//!
//! ## Fix safety
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
use crate::analysis::escape::hoist::{hoist, making, one_line};
use crate::analysis::escape::large::large_binding;
use crate::analysis::escape::part::{derived_value, only_chain, small_result};
use crate::analysis::escape::{self, Closure};
use crate::analysis::findings::{Edit, Finding, Fix, Level, Related, Safety};
use crate::analysis::fixes::imports::Needed;
use crate::analysis::fixes::{StatementLines, with_import};
use crate::analysis::rules::Rule;
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::{Field, NodeLookups};

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let mut findings = Vec::new();
    for closure in escape::closures(context, |at| checker.checks(at)) {
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
        // How the closure uses each large value: a small derived value (`len(rows)`), one
        // attribute or item chain (RH102's finding), or the whole value.
        let derived: Vec<Option<Vec<Node>>> = large
            .iter()
            .map(|(name, _, _)| derived_value(context, &closure, name))
            .collect();
        let chained = |name: &str| only_chain(context, &closure, name).is_some();
        let whole: Vec<&str> = large
            .iter()
            .zip(&derived)
            .filter(|((name, _, _), derived)| derived.is_none() && !chained(name))
            .map(|((name, _, _), _)| *name)
            .collect();
        if whole.is_empty() && derived.iter().all(Option::is_none) {
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
        let maker = context.scopes.scope(closure.parent);
        let per_call = format!("one is made per call of `{}()`", maker.name);
        // The closure needs the whole value: capturing it may be the point (strict only).
        if !whole.is_empty() {
            let names: Vec<String> = whole.iter().map(|n| format!("`{n}`")).collect();
            findings.push(Finding {
                rule: Rule::EscapingClosureLargeObject,
                range: closure.name_range(context),
                message: format!(
                    "{} {} and captures {captured}: the closure keeps it alive as long as it \
                     lives ({per_call}); it uses all of {}, so keeping it may be the point",
                    closure.label(context),
                    escape.route.describe(),
                    names.join(" and "),
                ),
                related,
                fixes: Vec::new(),
                level: Level::Strict,
                release_elsewhere: None,
            });
            continue;
        }
        // Only small derived values are used: say which and, for one large variable, offer to
        // compute it before the closure is made.
        let uses: Vec<String> = large
            .iter()
            .zip(&derived)
            .filter_map(|(_, uses)| {
                Some(format!(
                    "`{}`",
                    one_line(context.text_of(uses.as_ref()?[0]))
                ))
            })
            .collect();
        let single = match (large.as_slice(), derived.as_slice()) {
            ([(name, _, _)], [Some(uses)]) => Some((*name, uses.clone())),
            _ => None,
        };
        let fixes = single
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
                "{} {} and captures {captured}: the closure keeps it alive as long as it lives \
                 ({per_call}), and nothing releases it; it only uses {}: compute that before {} \
                 and capture the result instead",
                closure.label(context),
                escape.route.describe(),
                uses.join(" and "),
                making(context, &closure),
            ),
            related,
            fixes,
            level: Level::Default,
            release_elsewhere: None,
        });
    }
    findings
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
    let function = calls[0].field(Field::Function)?;
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
    let parameters = node.field(Field::Parameters);
    let insert = |at: usize, text: String| Edit {
        range: at..at,
        text,
    };
    if node.kind_name() == "lambda" {
        edits.push(match parameters {
            Some(p) => insert(p.start_byte(), format!("{local}, ")),
            None => insert(node.start_byte() + "lambda".len(), format!(" {local}")),
        });
        edits.push(insert(node.start_byte(), format!("{partial}(")));
        edits.push(insert(node.end_byte(), format!(", {value})")));
    } else {
        if node.parent()?.kind_name() != "block" {
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
        let name = context.text_of(node.field(Field::Name)?);
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

#[cfg(test)]
mod tests {
    use crate::analysis::check;
    use crate::analysis::findings::{Finding, Level};
    use crate::analysis::parse::parse;
    use crate::analysis::rules::Rule;
    use crate::analysis::settings::Settings;

    fn findings(text: &str, strict: bool) -> Vec<Finding> {
        let settings = Settings {
            rules: vec![Rule::EscapingClosureLargeObject],
            strict,
            ..Settings::default()
        };
        check(text, &parse(text), &settings)
    }

    fn message(text: &str) -> String {
        let found = findings(text, true);
        assert_eq!(found.len(), 1, "one finding in {text:?}");
        found[0].message.clone()
    }

    #[test]
    fn the_message_names_the_small_value_the_closure_uses() {
        let counted = message(
            "def f(path):\n    rows = [l for l in open(path)]\n    def count():\n        return len(rows)\n    return count\n",
        );
        assert!(
            counted.ends_with(
                "it only uses `len(rows)`: compute that before defining `count` and capture \
                 the result instead"
            ),
            "{counted}"
        );
        assert!(
            counted.contains("one is made per call of `f()`"),
            "{counted}"
        );
        let whole = message(
            "def f(path):\n    rows = [l for l in open(path)]\n    return lambda: (len(rows), rows)\n",
        );
        assert!(!whole.contains("it only uses"), "{whole}");
        assert!(whole.contains("keeping it may be the point"), "{whole}");
    }

    /// The fixture's strict-only closures (they use the whole large value) are reported, at
    /// the strict level, and only with `strict`.
    #[test]
    fn whole_value_uses_are_strict_only() {
        let text =
            include_str!("../../../../tests/fixtures/rules/rh101_escaping_closure_large_object.py");
        let strict: Vec<usize> = findings(text, true)
            .iter()
            .filter(|f| f.level == Level::Strict)
            .map(|f| text[..f.range.start].lines().count())
            .collect();
        let default = findings(text, false);
        assert!(default.iter().all(|f| f.level == Level::Default));
        for needle in [
            "def on_done",
            "def ready",
            "lambda: matrix.sum()",
            "lambda key: table[key]",
            "lambda key: data[key]",
            "lambda: content",
            "lambda: padding",
            "def has_line",
        ] {
            let line = text[..text.find(needle).unwrap()].lines().count();
            assert!(
                strict.contains(&line),
                "{needle} (line {line}) not in {strict:?}"
            );
        }
        assert_eq!(strict.len(), 8, "{strict:?}");
    }
}
