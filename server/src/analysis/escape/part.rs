//! Which part of a captured variable a closure uses: one small derived value (`len(rows)`), one
//! attribute or item chain (`dataset.rows[0]`), or the whole object; and what the local that
//! holds such a part is named.

use tree_sitter::Node;

use super::Closure;
use crate::analysis::context::Context;
use crate::analysis::scope::{ScopeId, SymbolFlags};
use crate::analysis::syntax::named_children;
use crate::analysis::syntax::{Field, NodeLookups};

/// Built-in functions whose result is small whatever they are given, with the word the local
/// holding the result is named after (`rows_count = len(rows)`).
pub const SMALL_RESULTS: &[(&str, &str)] = &[
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
pub fn derived_value<'t>(
    context: &Context<'t>,
    closure: &Closure<'t>,
    name: &str,
) -> Option<Vec<Node<'t>>> {
    let calls = closure
        .reads(context, name)?
        .into_iter()
        .map(|use_| {
            let arguments = use_.parent().filter(|p| p.kind_name() == "argument_list")?;
            let call = arguments.parent().filter(|p| p.kind_name() == "call")?;
            let function = call.field(Field::Function)?;
            let only_argument = named_children(arguments).len() == 1;
            (only_argument
                && function.kind_name() == "identifier"
                && small_result(context, function).is_some())
            .then_some(call)
        })
        .collect::<Option<Vec<Node>>>()?;
    let first = calls.first()?;
    let same = |call: &Node| {
        context.text_of(call.field(Field::Function).unwrap_or(*call))
            == context.text_of(first.field(Field::Function).unwrap_or(*first))
    };
    calls.iter().all(same).then_some(calls)
}

/// The word for a built-in from [`SMALL_RESULTS`], when `function` names it: the module binds
/// no such name (`len = ...`, `from x import len`).
pub fn small_result(context: &Context, function: Node) -> Option<&'static str> {
    let called = context.text_of(function);
    let (_, word) = SMALL_RESULTS.iter().find(|(name, _)| *name == called)?;
    let module = context.scopes.scope(ScopeId(0));
    module
        .symbol(called)
        .is_none_or(|s| !s.flags.contains_any(SymbolFlags::BOUND))
        .then_some(*word)
}

/// The chain nodes (`dataset.rows[0]`) when every use of `name` in the closure reads the same
/// attribute or item chain; `None` when any use needs the whole object.
pub fn only_chain<'t>(
    context: &Context<'t>,
    closure: &Closure<'t>,
    name: &str,
) -> Option<Vec<Node<'t>>> {
    let chains: Vec<Node> = closure
        .reads(context, name)?
        .into_iter()
        .map(chain_of)
        .collect::<Option<_>>()?;
    // Reading `a.b` and `a.b.c` needs only `a.b`: the shortest chain, when it prefixes all.
    let shortest = *chains.iter().min_by_key(|c| c.byte_range().len())?;
    let piece = normalized(context.text_of(shortest));
    // `f.__doc__`, `cls.__name__`: metadata of functions and classes, which live anyway.
    if piece[name.len()..].starts_with(".__") {
        return None;
    }
    chains
        .iter()
        .all(|chain| {
            let text = normalized(context.text_of(*chain));
            text.strip_prefix(&piece)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        })
        .then(|| {
            let mut ordered = chains.clone();
            ordered.sort_by_key(|c| c.byte_range().len());
            ordered
        })
}

/// The attribute/item chain read from a name (`name.a["k"].b`), or `None` when the name is
/// used whole: bare, called, or with a method called on it directly.
pub fn chain_of(name: Node) -> Option<Node> {
    let mut chain = name;
    while let Some(parent) = chain.parent() {
        let extends = match parent.kind_name() {
            "attribute" => parent
                .field(Field::Object)
                .is_some_and(|o| o.id() == chain.id()),
            "subscript" => {
                parent
                    .field(Field::Value)
                    .is_some_and(|v| v.id() == chain.id())
                    && parent
                        .children_by_field_name("subscript", &mut parent.walk())
                        .all(is_literal_key)
            }
            _ => false,
        };
        if !extends {
            break;
        }
        chain = parent;
    }
    // A method called on the chain needs the object the method is bound to.
    let parent = chain.parent()?;
    if parent.kind_name() == "call"
        && parent
            .field(Field::Function)
            .is_some_and(|f| f.id() == chain.id())
        && chain.kind_name() == "attribute"
    {
        chain = chain.field(Field::Object)?;
    }
    // Writing through the chain (`big.x = 1`, `a, big[0] = ...`, `del big[k]`) needs the
    // object too.
    (chain.id() != name.id() && !is_store_target(chain)).then_some(chain)
}

/// Whether an expression is written to, not read: (inside) the left side of an assignment or
/// augmented assignment, a loop target, or a `del`.
pub fn is_store_target(expression: Node) -> bool {
    is_store_target_among(
        expression,
        std::iter::successors(expression.parent(), |n| n.parent()),
    )
}

/// [`is_store_target`] with `expression`'s ancestors given, innermost first.
pub fn is_store_target_among<'t>(
    expression: Node<'t>,
    ancestors: impl IntoIterator<Item = Node<'t>>,
) -> bool {
    let mut node = expression;
    for parent in ancestors {
        let is_left = parent
            .field(Field::Left)
            .is_some_and(|l| l.id() == node.id());
        match parent.kind_name() {
            "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "parenthesized_expression"
            | "list_splat_pattern" => node = parent,
            "expression_list" | "tuple" | "list" => node = parent,
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                return is_left;
            }
            "delete_statement" => return true,
            _ => return false,
        }
    }
    false
}

pub fn is_literal_key(key: Node) -> bool {
    match key.kind_name() {
        "integer" => true,
        // An f-string with replacement fields reads other variables.
        "string" => !key
            .named_children(&mut key.walk())
            .any(|part| part.kind_name() == "interpolation"),
        "unary_operator" => key
            .named_child(0)
            .is_some_and(|n| n.kind_name() == "integer"),
        // `blob[:10]`, `rows[1:-1]`
        "slice" => key
            .named_children(&mut key.walk())
            .all(|bound| matches!(bound.kind_name(), "integer" | "unary_operator")),
        _ => false,
    }
}

pub fn normalized(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The node inside `chain` that reads `piece` (compared without whitespace): `a.b` in `a.b.c`.
pub fn piece_in<'t>(context: &Context, chain: Node<'t>, piece: &str) -> Option<Node<'t>> {
    let mut node = chain;
    while normalized(context.text_of(node)) != piece {
        node = match node.kind_name() {
            "attribute" => node.field(Field::Object)?,
            "subscript" => node.field(Field::Value)?,
            _ => return None,
        };
    }
    Some(node)
}

/// A name for the local holding `chain`'s value: its last attribute or string key, with the
/// integer keys after it (`rows_0` for `dataset.rows[0]`, `timeout` for
/// `config.settings["timeout"]`), without leading underscores (no name mangling, no
/// `__debug__`); `name_part` when nothing else fits.
pub fn local_name_for(context: &Context, chain: Node, name: &str) -> String {
    let mut suffix = String::new();
    let mut node = chain;
    loop {
        let (next, word) = match node.kind_name() {
            "attribute" => (
                node.field(Field::Object),
                node.field(Field::Attribute)
                    .map(|a| context.text_of(a).to_string()),
            ),
            "subscript" => {
                let keys: Vec<Node> = node
                    .children_by_field_name("subscript", &mut node.walk())
                    .collect();
                let word = match keys.as_slice() {
                    [key] if matches!(key.kind_name(), "integer" | "unary_operator") => {
                        let digits = context.text_of(*key).replace(['-', ' '], "");
                        let sign = if context.text_of(*key).starts_with('-') {
                            "neg"
                        } else {
                            ""
                        };
                        suffix = format!("_{sign}{digits}{suffix}");
                        None
                    }
                    [key] if key.kind_name() == "string" => string_key_name(context, *key),
                    _ => None,
                };
                (node.field(Field::Value), word)
            }
            _ => (None, None),
        };
        if let Some(word) = word.map(|w| w.trim_start_matches('_').to_string())
            && !word.is_empty()
            && word != name
        {
            return format!("{word}{suffix}");
        }
        match next {
            Some(next) => node = next,
            None => break,
        }
    }
    let name = name.trim_start_matches('_');
    match suffix.is_empty() {
        true => format!("{name}_part"),
        false => format!("{name}{suffix}"),
    }
}

/// A plain string key (`"timeout"`, no prefix, no escapes) that is an ASCII identifier and not
/// a keyword.
fn string_key_name(context: &Context, key: Node) -> Option<String> {
    let text = context.text_of(key);
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))?;
    let identifier = inner
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (identifier && !PYTHON_KEYWORDS.contains(&inner)).then(|| inner.to_string())
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "__debug__",
];
