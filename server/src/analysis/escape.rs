//! Does a closure outlive the call that made it? The escape routes RH101, RH102 and RH501 share.
//!
//! A nested function or lambda escapes when it is returned, yielded, stored on an attribute, in
//! a container or a global, or handed to a call that keeps it (a registration-style call such as
//! `bus.add_listener(cb)` or a decorator like `@signal.connect`). Calling it in place, or passing
//! it to `map`, `filter`, `sorted(key=...)`, `functools.reduce` and other calls that only use it
//! while they run, is not escaping. Anything else is not known to escape: precision first.

pub mod hoist;
pub mod large;
pub mod part;

use tree_sitter::Node;

use super::context::{Binding, Context};
use super::line_index::LineIndex;
use super::scope::{NameScope, Role, Scope, ScopeId, ScopeKind};
use super::semantic::registration::{self, Kind};
use super::syntax::{chain_base, decorators};
use crate::analysis::syntax::{Field, NodeLookups};

/// Methods that put their argument into the container they are called on.
const CONTAINER_STORES: &[&str] = &[
    "append",
    "appendleft",
    "add",
    "insert",
    "extend",
    "setdefault",
    "put",
    "put_nowait",
];

/// How far a closure is followed through local names and literals before giving up.
const MAX_HOPS: usize = 4;

/// How a closure leaves the function that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Returned,
    Yielded,
    /// Assigned to an attribute: the attribute expression, `self.on_done`.
    Attribute(String),
    /// Stored in a container that outlives the call: the container expression, `self.handlers`.
    Container(String),
    /// Assigned to a name declared `global`.
    Global(String),
    /// Passed to a registration call or decorator: the callee, `loop.add_signal_handler`.
    Registered(String),
    /// Passed to a one-shot scheduling call: the callee, `loop.call_later`.
    Scheduled(String),
}

impl Route {
    /// The first name of the object that holds the closure: `self` for `self.handlers`, `bus`
    /// for `bus.add_listener`; `None` for returned and yielded closures.
    pub fn holder(&self) -> Option<&str> {
        let target = match self {
            Route::Returned | Route::Yielded => return None,
            Route::Attribute(target)
            | Route::Container(target)
            | Route::Global(target)
            | Route::Registered(target)
            | Route::Scheduled(target) => target,
        };
        target.split(['.', '[']).next()
    }

    /// "is returned", "is registered with `bus.on`", ... for messages.
    pub fn describe(&self) -> String {
        match self {
            Route::Returned => "is returned".to_string(),
            Route::Yielded => "is yielded".to_string(),
            Route::Attribute(target) => format!("is stored on `{target}`"),
            Route::Container(target) => format!("is stored in `{target}`"),
            Route::Global(name) => format!("is stored in global `{name}`"),
            Route::Registered(callee) => format!("is registered with `{callee}`"),
            Route::Scheduled(callee) => format!("is scheduled with `{callee}`"),
        }
    }
}

/// How a closure escapes, and where that was seen.
#[derive(Debug, Clone)]
pub struct Escape<'t> {
    pub route: Route,
    /// The node the route was seen at (the `return` statement, the registration call, ...).
    pub site: Node<'t>,
}

impl Escape<'_> {
    /// The related location for the escape: "`cb` (line 3) is returned here".
    pub fn related(&self, context: &Context, closure: &Closure) -> super::findings::Related {
        super::findings::Related {
            range: self.site.byte_range(),
            message: format!("{} {} here", closure.label(context), self.route.describe()),
        }
    }
}

fn escape_at(route: Route, site: Node) -> Option<Escape> {
    Some(Escape { route, site })
}

/// A closure made inside a function: a nested `def` or a `lambda`, with its scope.
#[derive(Debug, Clone, Copy)]
pub struct Closure<'t> {
    /// The `function_definition` or `lambda` node.
    pub node: Node<'t>,
    pub scope: ScopeId,
    /// The function whose call makes the closure.
    pub parent: ScopeId,
}

impl<'t> Closure<'t> {
    /// How to name the closure in a message: "`on_done` (line 14)" or "the lambda (line 14)".
    pub fn label(&self, context: &Context) -> String {
        label(context.scopes.scope(self.scope), context.lines)
    }

    /// The byte range findings about the closure use: the `def` name or the `lambda` keyword.
    pub fn name_range(&self, context: &Context) -> std::ops::Range<usize> {
        context
            .scopes
            .scope(self.scope)
            .name_range
            .clone()
            .unwrap_or(self.node.byte_range())
    }

    /// The nodes where the closure reads `name`, when reading is all it does with it and no
    /// scope inside the closure uses it too (what the fixes that move a read out need).
    pub fn reads(&self, context: &Context<'t>, name: &str) -> Option<Vec<Node<'t>>> {
        if context.scopes.captured_inside(self.scope, name) {
            return None;
        }
        context
            .scopes
            .scope(self.scope)
            .symbol(name)?
            .occurrences
            .iter()
            .map(|o| (o.role == Role::Use).then(|| context.node_at(o.range.clone()))?)
            .collect()
    }

    /// The binding of a captured variable the closure sees when it is made: the last one before
    /// it in the scope that holds the variable's cell.
    pub fn captured_binding(&self, context: &Context<'t>, name: &str) -> Option<Binding<'t>> {
        let scope = binding_scope(context, self, name)?;
        context.binding_before(scope, name, self.node.start_byte())
    }

    /// The captured variables, as `co_freevars` lists them (without the implicit `__class__`).
    pub fn freevars(&self, context: &Context<'t>) -> impl Iterator<Item = &'t str> + use<'t> {
        let scopes: &'t super::scope::ScopeTree = context.scopes;
        scopes
            .scope(self.scope)
            .freevars
            .iter()
            .map(String::as_str)
            .filter(|name| *name != "__class__")
    }
}

/// How messages and hovers name a function or lambda: "`on_done` (line 14)", "the lambda
/// (line 14)".
pub fn label(scope: &Scope, lines: &LineIndex) -> String {
    let line = lines.line_of(scope.range.start);
    match scope.kind {
        ScopeKind::Lambda => format!("the lambda (line {line})"),
        _ => format!("`{}` (line {line})", scope.name),
    }
}

/// The nested functions and lambdas of the file whose code runs inside a function call, so that
/// each call makes a new closure; of those, the ones starting at a byte `wanted` accepts.
pub fn closures<'t>(context: &Context<'t>, wanted: impl Fn(usize) -> bool) -> Vec<Closure<'t>> {
    use super::queries::Family;
    context
        .matches(Family::Closures)
        .iter()
        .filter_map(|captures| captures.get("function").or_else(|| captures.get("lambda")))
        .filter(|node| wanted(node.start_byte()))
        .filter_map(|node| {
            let scope = context.scopes.scope_of_node(node.byte_range())?;
            let parent = context.scopes.scope(scope).parent?;
            context
                .scopes
                .scope(parent)
                .kind
                .is_function_like()
                .then_some(Closure {
                    node,
                    scope,
                    parent,
                })
        })
        .collect()
}

/// How `closure` escapes its defining function, if it visibly does.
pub fn escape<'t>(context: &Context<'t>, closure: &Closure<'t>) -> Option<Escape<'t>> {
    if closure.node.kind_name() == "lambda" {
        return route_of_value(context, closure.node, closure.parent, 0);
    }
    if let Some(found) = decorator_registration(context, closure.node) {
        return Some(found);
    }
    let name = context.scopes.scope(closure.scope).name.clone();
    route_of_name(context, &name, closure.parent, 0)
}

/// `@bus.on("ready")` / `@atexit.register` above a nested `def`.
fn decorator_registration<'t>(context: &Context<'t>, function: Node<'t>) -> Option<Escape<'t>> {
    decorators(function).into_iter().find_map(|expression| {
        let callee = match expression.kind_name() {
            "call" => expression.field(Field::Function)?,
            _ => expression,
        };
        registration::registration_name(context, callee).map(|callee| Escape {
            route: Route::Registered(callee),
            // The whole decorator, `@` included.
            site: expression.parent().unwrap_or(expression),
        })
    })
}

/// Follows the uses of a local name bound to a closure.
fn route_of_name<'t>(
    context: &Context<'t>,
    name: &str,
    scope: ScopeId,
    hops: usize,
) -> Option<Escape<'t>> {
    let symbol = context.scopes.scope(scope).symbol(name)?;
    if symbol.scope == NameScope::GlobalExplicit {
        return None;
    }
    symbol
        .occurrences
        .iter()
        .filter(|o| o.role == Role::Use)
        .filter_map(|o| context.node_at(o.range.clone()))
        .find_map(|node| route_of_value(context, node, scope, hops + 1))
}

/// Where a value (a closure, or a name or literal holding one) goes, seen from its parent node.
fn route_of_value<'t>(
    context: &Context<'t>,
    value: Node<'t>,
    scope: ScopeId,
    hops: usize,
) -> Option<Escape<'t>> {
    if hops > MAX_HOPS {
        return None;
    }
    let parent = value.parent()?;
    let site = parent;
    match parent.kind_name() {
        "return_statement" => escape_at(Route::Returned, site),
        "yield" => escape_at(Route::Yielded, site),
        "parenthesized_expression" | "conditional_expression" | "boolean_operator" => {
            route_of_value(context, parent, scope, hops)
        }
        "list" | "tuple" | "set" | "expression_list" => {
            route_of_value(context, parent, scope, hops + 1)
        }
        "pair" => {
            let is_value = parent
                .field(Field::Value)
                .is_some_and(|v| v.id() == value.id());
            let dictionary = parent.parent()?;
            (is_value && dictionary.kind_name() == "dictionary")
                .then(|| route_of_value(context, dictionary, scope, hops + 1))
                .flatten()
        }
        "assignment" => {
            let right = parent.field(Field::Right)?;
            if right.id() != value.id() {
                return None;
            }
            let left = parent.field(Field::Left)?;
            match left.kind_name() {
                "attribute" => escape_at(Route::Attribute(context.text_of(left).to_string()), site),
                "subscript" => {
                    let container = left.field(Field::Value)?;
                    if !outlives_call(context, container, scope) {
                        return None;
                    }
                    escape_at(
                        Route::Container(context.text_of(container).to_string()),
                        site,
                    )
                }
                "identifier" => {
                    let name = context.text_of(left);
                    let symbol = context.scopes.scope(scope).symbol(name)?;
                    match symbol.scope {
                        NameScope::GlobalExplicit => {
                            escape_at(Route::Global(name.to_string()), site)
                        }
                        NameScope::Local | NameScope::Cell => {
                            route_of_name(context, name, scope, hops)
                        }
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        "argument_list" => route_of_argument(context, parent, scope, site),
        "keyword_argument" => {
            let arguments = parent
                .parent()
                .filter(|p| p.kind_name() == "argument_list")?;
            route_of_argument(context, arguments, scope, site)
        }
        _ => None,
    }
}

/// A closure passed to a call: kept by registration calls and container stores.
fn route_of_argument<'t>(
    context: &Context<'t>,
    arguments: Node<'t>,
    scope: ScopeId,
    site: Node<'t>,
) -> Option<Escape<'t>> {
    let call = arguments.parent().filter(|c| c.kind_name() == "call")?;
    let function = call.field(Field::Function)?;
    if let Some(registration) = registration::registration(context, call) {
        let route = match registration.kind {
            Kind::OneShot => Route::Scheduled(registration.callee),
            _ => Route::Registered(registration.callee),
        };
        return escape_at(route, call);
    }
    if function.kind_name() == "attribute" {
        let method = context.text_of(function.field(Field::Attribute)?);
        let container = function.field(Field::Object)?;
        if CONTAINER_STORES.contains(&method) && outlives_call(context, container, scope) {
            return escape_at(
                Route::Container(context.text_of(container).to_string()),
                site,
            );
        }
    }
    None
}

/// Whether a container expression names something that outlives the call of `scope`: an
/// attribute or item of anything, a parameter, a global or a captured variable — not a plain
/// local of the function (a local list dies with the call unless it escapes itself, which is
/// not followed).
fn outlives_call(context: &Context, container: Node, scope: ScopeId) -> bool {
    let root = chain_base(container);
    if root.kind_name() != "identifier" {
        return false;
    }
    if root.id() != container.id() {
        // `self.handlers`, `registry[key]`: stored on some object.
        return true;
    }
    let Some(symbol) = context.scopes.scope(scope).symbol(context.text_of(root)) else {
        return false;
    };
    let is_param = context
        .scopes
        .scope(scope)
        .params
        .iter()
        .any(|p| p == &symbol.name);
    is_param
        || matches!(
            symbol.scope,
            NameScope::GlobalExplicit | NameScope::GlobalImplicit | NameScope::Free
        )
}

/// The scope where a variable captured by `closure` is bound (its cell), walking out from the
/// closure's defining function.
pub fn binding_scope(context: &Context, closure: &Closure, name: &str) -> Option<ScopeId> {
    context.scopes.cell_owner(closure.parent, name)
}
