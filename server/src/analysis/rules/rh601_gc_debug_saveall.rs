//! # RH601 gc-debug-saveall
//!
//! ## What it does
//! Flags a call to `gc.set_debug(...)` whose flags include `gc.DEBUG_SAVEALL` or
//! `gc.DEBUG_LEAK` (however `gc` or the flags were imported).
//!
//! Reported only with `strict = true` when a later `gc.set_debug(...)` without those flags
//! switches saving off again, in a `finally` or in the same block of the function (a test
//! that saves garbage for a moment). A complemented flag (`flags & ~gc.DEBUG_LEAK`) switches
//! saving off and is not flagged.
//!
//! ## Why is this bad?
//! With `DEBUG_SAVEALL` the cyclic garbage collector frees nothing it finds unreachable: it
//! appends every such object to `gc.garbage`, where it stays for the life of the process.
//! `DEBUG_LEAK` includes `DEBUG_SAVEALL`. Handy in a debugging session; a leak when it ships.
//!
//! ## Example
//! ```python
//! import gc
//!
//! gc.set_debug(gc.DEBUG_SAVEALL)   # every collected cycle now lives forever in gc.garbage
//! ```
//!
//! ## Use instead
//! ```python
//! import gc
//!
//! gc.set_debug(gc.DEBUG_STATS)     # reports what it collects without keeping it
//! ```
//! When the saved objects are needed, inspect `gc.garbage`, clear it (`gc.garbage.clear()`) and
//! restore the flags in a `finally`, in the same debugging session.
//!
//! ## Fix safety
//! Offered (safe): remove the call statement (`pass` when it is alone in its block).
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Fix, Level, Safety};
use crate::analysis::fixes::remove_statement;
use crate::analysis::queries::Family;
use crate::analysis::rules::Rule;
use crate::analysis::scope::ScopeId;
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::{NodeLookups, named_children};

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    // Every `gc.set_debug(...)` call, with the saving flag it sets, if any.
    let calls: Vec<(Node, Option<String>)> = context
        .matches(Family::Gc)
        .iter()
        .filter_map(|c| Some((c.get("call")?, c.get("function")?, c.get("arguments")?)))
        .filter(|(_, f, _)| context.qualified_name(*f).as_deref() == Some("gc.set_debug"))
        .map(|(call, _, arguments)| (call, saving_flag(context, arguments)))
        .collect();
    let mut findings = Vec::new();
    for (call, flag) in &calls {
        let (call, Some(flag)) = (*call, flag) else {
            continue;
        };
        let removal = call
            .parent()
            .filter(|statement| statement.kind_name() == "expression_statement")
            .and_then(|statement| remove_statement(context.text, statement));
        let mut message = format!(
            "`gc.set_debug` with `{flag}` keeps every object the garbage collector finds \
             unreachable in `gc.garbage`, for the life of the process"
        );
        let level = match restoring(context, call, &calls) {
            Some(restore) => Level::strict_because(
                &mut message,
                &format!(
                    "the flags are restored by `{}` (line {})",
                    context.text_of(restore),
                    context.lines.line_of(restore.start_byte())
                ),
            ),
            None => {
                message.push_str("; nothing switches it off again");
                Level::Default
            }
        };
        findings.push(Finding {
            level,
            rule: Rule::GcDebugSaveall,
            range: call.byte_range(),
            message,
            related: Vec::new(),
            fixes: removal
                .map(|edit| Fix {
                    title: "Remove the `gc.set_debug(...)` call".to_string(),
                    safety: Safety::Safe,
                    edits: vec![edit],
                })
                .into_iter()
                .collect(),
            release_elsewhere: None,
        });
    }
    findings
}

/// The later `gc.set_debug(...)` without a saving flag in the same function (or module) that
/// switches saving off again: in a `finally`, or in the same block of a function.
fn restoring<'t>(
    context: &Context,
    call: Node,
    calls: &[(Node<'t>, Option<String>)],
) -> Option<Node<'t>> {
    let scope = context.scope_containing(call);
    let block = call.parent().and_then(|statement| statement.parent());
    calls.iter().find_map(|(other, saving)| {
        let other = *other;
        let later = other.start_byte() > call.end_byte();
        let same_scope = context.scope_containing(other) == scope;
        let in_finally = ancestors(other).any(|a| a.kind_name() == "finally_clause");
        let same_block =
            other.parent().and_then(|s| s.parent()).map(|b| b.id()) == block.map(|b| b.id());
        // At module level, "later in the same block" may be after the whole program ran.
        let in_function = scope != ScopeId(0);
        (saving.is_none() && later && same_scope && (in_finally || (same_block && in_function)))
            .then_some(other)
    })
}

fn ancestors(node: Node) -> impl Iterator<Item = Node> {
    std::iter::successors(node.parent(), |n| n.parent())
        .take_while(|n| !matches!(n.kind_name(), "function_definition" | "class_definition"))
}

/// The first flag under `node` that saves garbage: `gc.DEBUG_SAVEALL` or `gc.DEBUG_LEAK`. A
/// complemented flag (`flags & ~gc.DEBUG_LEAK`) switches it off and does not count.
fn saving_flag(context: &Context, node: Node) -> Option<String> {
    if node.kind_name() == "unary_operator" {
        return None;
    }
    if let Some(name) = context.qualified_name(node)
        && (name == "gc.DEBUG_SAVEALL" || name == "gc.DEBUG_LEAK")
    {
        return Some(name);
    }
    named_children(node)
        .into_iter()
        .find_map(|child| saving_flag(context, child))
}
