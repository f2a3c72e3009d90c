//! What is evidently large: the one definition RH101 and RH102 share. A list, set or dict
//! comprehension over something large, `[...] * n`, `bytearray(n)`, a whole stream or result
//! set read at once (`.read()`, `.fetchall()`, `list(cursor)`), `json.load`, `pickle.load`, a
//! `numpy`/`pandas`/`polars` constructor or reader, or a configured `large-constructors` name.

use tree_sitter::Node;

use super::Closure;
use crate::analysis::context::Context;
use crate::analysis::syntax::first_iterable;
use crate::analysis::syntax::{Field, NodeLookups};

/// Callables whose results are large, by dotted name; `module.*` matches everything under it.
pub const LARGE_CONSTRUCTORS: &[&str] = &[
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
pub const LARGE_METHODS: &[&str] = &[
    "read",
    "readlines",
    "read_bytes",
    "read_text",
    "readall",
    "fetchall",
    "getvalue",
];

/// Numpy, pandas and polars names that are not constructors or readers.
pub const SMALL_IN_LARGE_MODULES: &[&str] = &[
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
pub const SMALL_REPEAT: i64 = 10_000;

/// The value a captured variable was last bound to before the closure was made, and what makes
/// it large ("a list comprehension", "a `pandas.read_csv(...)` result").
pub fn large_binding<'t>(
    context: &Context<'t>,
    closure: &Closure<'t>,
    name: &str,
) -> Option<(Node<'t>, String)> {
    let value = closure.captured_binding(context, name)?.value?;
    Some((value, large_value(context, value)?))
}

/// What makes an expression evidently large, if anything does.
pub fn large_value(context: &Context, value: Node) -> Option<String> {
    match value.kind_name() {
        "list_comprehension" | "set_comprehension" | "dictionary_comprehension" => {
            let source = large_iterable(context, value)?;
            let kind = match value.kind_name() {
                "list_comprehension" => "list",
                "set_comprehension" => "set",
                _ => "dict",
            };
            Some(format!("a {kind} comprehension over {source}"))
        }
        "parenthesized_expression" => large_value(context, value.named_child(0)?),
        "binary_operator" => {
            let operator = value.field(Field::Operator)?;
            if context.text_of(operator) != "*" {
                return None;
            }
            let left = value.field(Field::Left)?;
            let right = value.field(Field::Right)?;
            let (sequence, count) = if matches!(left.kind_name(), "list" | "string" | "bytes") {
                (left, right)
            } else {
                (right, left)
            };
            // `[0] * len(rows)` is as big as something that exists already.
            let sized_like_existing = count.kind_name() == "call"
                && count
                    .field(Field::Function)
                    .is_some_and(|f| context.text_of(f) == "len");
            if !matches!(sequence.kind_name(), "list" | "bytes")
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
pub fn large_iterable(context: &Context, comprehension: Node) -> Option<String> {
    let iterable = first_iterable(comprehension)?;
    if let Some(what) = large_value(context, iterable) {
        return Some(what);
    }
    // `for k, v in data.items()` where `data` is large.
    let mut root = iterable;
    loop {
        root = match root.kind_name() {
            "call" => root.field(Field::Function)?,
            "attribute" => root.field(Field::Object)?,
            _ => break,
        };
    }
    if root.id() != iterable.id() && root.kind_name() == "identifier" {
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
    match iterable.kind_name() {
        "call" => {
            let function = iterable.field(Field::Function)?;
            let name = context.text_of(function);
            let arguments = iterable.field(Field::Arguments)?;
            match name {
                "open" => Some(format!("the lines of `{}`", context.text_of(iterable))),
                "range" if arguments.named_child_count() == 1 => {
                    let count = arguments.named_child(0)?;
                    (count.kind_name() == "integer" && !is_small_integer(context, count))
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
                binding.statement.kind_name() == "with_statement"
                    && binding.target.parent().is_some_and(|target| {
                        target.kind_name() == "as_pattern_target"
                            && target
                                .parent()
                                .and_then(|p| p.named_child(0))
                                .is_some_and(|v| {
                                    v.kind_name() == "call"
                                        && v.field(Field::Function)
                                            .is_some_and(|f| context.text_of(f) == "open")
                                })
                    })
            });
            bound_to_file.then(|| format!("the lines of file `{name}`"))
        }
        _ => None,
    }
}

pub fn large_call(context: &Context, call: Node) -> Option<String> {
    let function = call.field(Field::Function)?;
    let arguments = call.field(Field::Arguments)?;
    let described = || Some(format!("a `{}(...)` result", context.text_of(function)));
    if function.kind_name() == "identifier"
        && matches!(context.text_of(function), "bytearray" | "bytes")
        && context.qualified_name(function).is_none()
    {
        let size = arguments.named_child(0)?;
        let sized = arguments.named_child_count() == 1
            && !matches!(size.kind_name(), "string" | "list" | "tuple")
            && !is_small_integer(context, size);
        return sized.then(described).flatten();
    }
    if let Some(name) = context.qualified_name(function)
        && is_large_constructor(context, &name)
    {
        return described();
    }
    // `list(cursor)`, `sorted(reader)`: a whole stream or result set, materialised.
    if function.kind_name() == "identifier"
        && MATERIALISING.contains(&context.text_of(function))
        && context.qualified_name(function).is_none()
        && arguments.named_child_count() == 1
    {
        let source = arguments.named_child(0)?;
        let what = large_value(context, source)
            .or_else(|| stream(context, source))
            .map(|source| format!("`{}` of {source}", context.text_of(function)));
        return what;
    }
    if function.kind_name() == "attribute" {
        let method = context.text_of(function.field(Field::Attribute)?);
        if LARGE_METHODS.contains(&method) && arguments.named_child_count() == 0 {
            return described();
        }
    }
    None
}

/// Builtins that copy everything an iterable yields into one container.
const MATERIALISING: &[&str] = &["list", "tuple", "set", "frozenset", "sorted", "dict"];

/// Names of things that yield a whole file or result set: `cursor`, `reader`, `rows`, ...,
/// alone or as the last word (`db_cursor`, `csv_reader`).
const STREAMS: &[&str] = &[
    "cursor",
    "cur",
    "reader",
    "rows",
    "records",
    "results",
    "resultset",
    "lines",
    "stream",
    "file",
    "fp",
    "fh",
    "infile",
    "response",
    "queryset",
    "qs",
    "iterator",
];

/// What an iterable is when it evidently yields a whole file or result set: a name like
/// `cursor` or `reader` (or an attribute ending so), `open(...)`, `csv.reader(...)`, or
/// `cursor.execute(...)` (which returns the cursor).
fn stream(context: &Context, iterable: Node) -> Option<String> {
    let name = match iterable.kind_name() {
        "identifier" => context.text_of(iterable),
        "attribute" => context.text_of(iterable.field(Field::Attribute)?),
        "call" => {
            let function = iterable.field(Field::Function)?;
            let opens = context.text_of(function) == "open"
                || context.qualified_name(function).is_some_and(|q| {
                    matches!(q.as_str(), "csv.reader" | "csv.DictReader" | "io.open")
                })
                || (function.kind_name() == "attribute"
                    && function
                        .field(Field::Attribute)
                        .is_some_and(|a| matches!(context.text_of(a), "execute" | "iterrows")));
            return opens.then(|| format!("`{}`", context.text_of(iterable)));
        }
        _ => return None,
    };
    let lower = name.to_ascii_lowercase();
    let last = lower.rsplit('_').next().unwrap_or(&lower);
    STREAMS
        .contains(&last)
        .then(|| format!("`{}`", context.text_of(iterable)))
}

pub fn is_large_constructor(context: &Context, name: &str) -> bool {
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

pub fn is_small_integer(context: &Context, node: Node) -> bool {
    node.kind_name() == "integer"
        && context
            .text_of(node)
            .replace('_', "")
            .parse::<i64>()
            .is_ok_and(|n| n < SMALL_REPEAT)
}

/// Whether a value is a builtin container, string or bytes (a display, a comprehension, a
/// materialised stream, a read, a `json.load`): its attributes are all methods.
pub fn is_builtin_value(context: &Context, value: Node) -> bool {
    match value.kind_name() {
        "list"
        | "dictionary"
        | "set"
        | "tuple"
        | "string"
        | "list_comprehension"
        | "set_comprehension"
        | "dictionary_comprehension"
        | "binary_operator" => true,
        "call" => {
            let Some(function) = value.field(Field::Function) else {
                return false;
            };
            let builtin = function.kind_name() == "identifier"
                && context.qualified_name(function).is_none()
                && (MATERIALISING.contains(&context.text_of(function))
                    || matches!(context.text_of(function), "bytearray" | "bytes" | "str"));
            let read = function.kind_name() == "attribute"
                && function
                    .field(Field::Attribute)
                    .is_some_and(|a| LARGE_METHODS.contains(&context.text_of(a)));
            let loaded = context.qualified_name(function).is_some_and(|q| {
                q.starts_with("json.") || q.starts_with("pickle.") || q.starts_with("marshal.")
            });
            builtin || read || loaded
        }
        _ => false,
    }
}
