//! # RH601 gc-debug-saveall
//!
//! ## What it flags
//! A call to `gc.set_debug(...)` whose flags include `gc.DEBUG_SAVEALL` or `gc.DEBUG_LEAK`
//! (however `gc` or the flags were imported).
//!
//! ## Why it leaks
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
//! ## Fix
//! Offered (safe): remove the call statement (`pass` when it is alone in its block).
//! By hand: remove the call, or the flag: `gc.set_debug(gc.DEBUG_STATS)` reports without keeping
//! anything. When the saved objects are needed, inspect `gc.garbage` and clear it
//! (`gc.garbage.clear()`) in the same debugging session.
//!
//! ## Options
//! None.

use tree_sitter::Node;

use crate::analysis::context::Context;
use crate::analysis::findings::{Finding, Fix, Level, Safety};
use crate::analysis::fixes::remove_statement;
use crate::analysis::queries::Family;
use crate::analysis::rules::Rule;
use crate::analysis::semantic::Checker;
use crate::analysis::syntax::named_children;

pub(super) fn check(checker: &Checker) -> Vec<Finding> {
    let context = checker.context;
    let mut findings = Vec::new();
    for captures in context.matches(Family::Gc) {
        let (Some(call), Some(function), Some(arguments)) = (
            captures.get("call"),
            captures.get("function"),
            captures.get("arguments"),
        ) else {
            continue;
        };
        if context.qualified_name(function).as_deref() != Some("gc.set_debug") {
            continue;
        }
        let Some(flag) = saving_flag(context, arguments) else {
            continue;
        };
        let removal = call
            .parent()
            .filter(|statement| statement.kind() == "expression_statement")
            .and_then(|statement| remove_statement(context.text, statement));
        findings.push(Finding {
            level: Level::Default,
            rule: Rule::GcDebugSaveall,
            range: call.byte_range(),
            message: format!(
                "`gc.set_debug` with `{flag}` keeps every object the garbage collector finds \
                 unreachable in `gc.garbage`, for the life of the process"
            ),
            related: Vec::new(),
            fixes: removal
                .map(|edit| Fix {
                    title: "Remove the `gc.set_debug(...)` call".to_string(),
                    safety: Safety::Safe,
                    edits: vec![edit],
                })
                .into_iter()
                .collect(),
        });
    }
    findings
}

/// The first flag under `node` that saves garbage: `gc.DEBUG_SAVEALL` or `gc.DEBUG_LEAK`. A
/// complemented flag (`flags & ~gc.DEBUG_LEAK`) switches it off and does not count.
fn saving_flag(context: &Context, node: Node) -> Option<String> {
    if node.kind() == "unary_operator" {
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
