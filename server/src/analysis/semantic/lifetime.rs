//! How long objects live: whether a class's instances are made repeatedly (per call, request,
//! connection, job) or once per process. A cycle or a cache on an object made once costs a
//! fixed amount; on an object made per request it grows with the traffic.
//!
//! Decided from this file: where the class (or a subclass of it in this file) is called, and
//! whether it is a protocol or request handler that a server makes per connection. A class
//! made only inside test functions counts as not made: tests make everything per test.

use tree_sitter::Node;

use super::classes::Classes;
use crate::analysis::context::Context;
use crate::analysis::syntax::chain_base;

/// Base classes (by their last name) whose instances a server or event loop makes per
/// connection or request.
const PER_CONNECTION_BASES: &[&str] = &[
    "Protocol",
    "BaseProtocol",
    "BufferedProtocol",
    "DatagramProtocol",
    "SubprocessProtocol",
    "StreamReaderProtocol",
    "BaseRequestHandler",
    "StreamRequestHandler",
    "DatagramRequestHandler",
    "BaseHTTPRequestHandler",
    "SimpleHTTPRequestHandler",
    "RequestHandler",
    "WebSocketHandler",
];

/// Methods only per-connection objects have: the event loop (asyncio's, Twisted's) calls them
/// on each connection.
const PER_CONNECTION_METHODS: &[&str] = &[
    "connection_made",
    "connection_lost",
    "data_received",
    "connectionMade",
    "connectionLost",
    "dataReceived",
    "lineReceived",
];

/// How the names of classes made per connection or request end (`ClientWebSocketResponse`,
/// `_SelectorTransport`, `HTTP2Connection`, `LineReceiver`): in a file that does not make the
/// class itself, the name is the evidence left, for the class or one of its bases.
const PER_CONNECTION_NAMES: &[&str] = &[
    "Protocol",
    "Transport",
    "Connection",
    "Receiver",
    "RequestHandler",
    "WebSocket",
    "Request",
    "Response",
    "Channel",
];

/// How often instances of a class are made.
#[derive(Debug, Clone, Copy)]
pub enum Made<'t> {
    /// In a function or a loop: once per call of it. The call, and the function's name node
    /// (`None` in a module-level loop).
    PerCall {
        call: Node<'t>,
        function: Option<Node<'t>>,
    },
    /// A protocol or request handler: per connection. The base or method that says so.
    PerConnection(Node<'t>),
    /// Only at module level, outside loops: a process-wide singleton. One such call.
    Once(Node<'t>),
    /// A test case (`class TestX`, a `...TestCase` base): it lives for the test run, and a
    /// cycle in it is the test's own business. The class name or base that says so.
    InTests(Node<'t>),
    /// Not made in this file.
    Unknown,
}

impl Made<'_> {
    /// Made once per process, or in tests only: a cycle or cache on it does not grow.
    pub fn is_once(&self) -> bool {
        matches!(self, Made::Once(_) | Made::InTests(_))
    }

    /// For a message: "`Connection` is made per call in `connect()` (line 40)".
    pub fn describe(&self, context: &Context, class: &str) -> String {
        let line = |node: Node| context.lines.line_of(node.start_byte());
        match *self {
            Made::PerCall {
                call,
                function: Some(function),
            } => format!(
                "`{class}` is made per call in `{}()` (line {})",
                context.text_of(function),
                line(call)
            ),
            Made::PerCall {
                call,
                function: None,
            } => format!("`{class}` is made repeatedly (line {})", line(call)),
            Made::PerConnection(node) => format!(
                "`{class}` is made per connection or request (`{}`, line {})",
                context.text_of(node),
                line(node)
            ),
            Made::Once(call) => format!(
                "`{class}` is made once, at module level (line {})",
                line(call)
            ),
            Made::InTests(_) => format!("`{class}` is test code: it lives for the test run"),
            Made::Unknown => format!("`{class}` is not made in this file"),
        }
    }
}

/// [`Made`] for every class of [`Classes`], by the same index.
pub struct Lifetimes<'t> {
    made: Vec<Made<'t>>,
}

impl<'t> Lifetimes<'t> {
    pub fn new(context: &Context<'t>, classes: &Classes<'_, 't>) -> Lifetimes<'t> {
        let own: Vec<Made<'t>> = classes
            .classes
            .iter()
            .map(|class| own_made(context, class.node, &class.name))
            .collect();
        // A subclass's instance is an instance of each base: the most repeated making wins.
        let made = (0..classes.classes.len())
            .map(|index| {
                let mut best = own[index];
                for (other, made) in own.iter().enumerate() {
                    if other != index && classes.lineage(other).contains(&index) {
                        best = more_repeated(best, *made);
                    }
                }
                best
            })
            .collect();
        Lifetimes { made }
    }

    /// How often instances of class `class` (an index into [`Classes::classes`]) are made.
    pub fn made(&self, class: usize) -> Made<'t> {
        self.made[class]
    }
}

fn rank(made: &Made) -> u8 {
    match made {
        Made::Unknown => 0,
        Made::InTests(_) => 1,
        Made::Once(_) => 2,
        Made::PerCall { .. } => 3,
        Made::PerConnection(_) => 4,
    }
}

fn more_repeated<'t>(a: Made<'t>, b: Made<'t>) -> Made<'t> {
    if rank(&b) > rank(&a) { b } else { a }
}

fn own_made<'t>(context: &Context<'t>, class: Node<'t>, name: &str) -> Made<'t> {
    let bases: Vec<Node<'t>> = class
        .child_by_field_name("superclasses")
        .map(|bases| {
            let mut cursor = bases.walk();
            bases.named_children(&mut cursor).collect()
        })
        .unwrap_or_default();
    let last_name = |base: Node<'t>| match base.kind() {
        "attribute" => base.child_by_field_name("attribute"),
        "identifier" => Some(base),
        _ => None,
    };
    let name_node = class.child_by_field_name("name").unwrap_or(class);
    if name.starts_with("Test") {
        return Made::InTests(name_node);
    }
    for &base in &bases {
        let Some(last) = last_name(base).map(|last| context.text_of(last)) else {
            continue;
        };
        if last.ends_with("TestCase") {
            return Made::InTests(base);
        }
        if PER_CONNECTION_BASES.contains(&last) {
            return Made::PerConnection(base);
        }
    }
    if let Some(body) = class.child_by_field_name("body") {
        let mut cursor = body.walk();
        for statement in body.named_children(&mut cursor) {
            let definition = match statement.kind() {
                "decorated_definition" => statement.child_by_field_name("definition"),
                _ => Some(statement),
            };
            if let Some(def_name) = definition
                .filter(|d| d.kind() == "function_definition")
                .and_then(|d| d.child_by_field_name("name"))
                && PER_CONNECTION_METHODS.contains(&context.text_of(def_name))
            {
                return Made::PerConnection(def_name);
            }
        }
    }
    let mut made = Made::Unknown;
    for identifier in context.identifiers(name) {
        let Some(call) = identifier.parent().filter(|p| {
            p.kind() == "call"
                && p.child_by_field_name("function").is_some_and(|f| {
                    chain_base(f).id() == identifier.id() && f.id() == identifier.id()
                })
        }) else {
            continue;
        };
        made = more_repeated(made, making(context, call));
    }
    if matches!(made, Made::Unknown) {
        let per_connection_name = |text: &str| {
            PER_CONNECTION_NAMES
                .iter()
                .any(|noun| text.trim_start_matches('_').ends_with(noun))
        };
        if per_connection_name(name) {
            return Made::PerConnection(name_node);
        }
        if let Some(&base) = bases.iter().find(|&&base| {
            last_name(base).is_some_and(|last| per_connection_name(context.text_of(last)))
        }) {
            return Made::PerConnection(base);
        }
    }
    made
}

/// How often the call `call` runs: per call of its enclosing function, per iteration of a
/// module-level loop, or once. Calls in test functions make nothing that outlives the test.
fn making<'t>(context: &Context<'t>, call: Node<'t>) -> Made<'t> {
    let mut in_loop = false;
    let mut node = call;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "function_definition" => {
                let name = parent.child_by_field_name("name");
                let is_test = name.is_some_and(|n| context.text_of(n).starts_with("test"));
                return if is_test {
                    Made::Unknown
                } else {
                    Made::PerCall {
                        call,
                        function: name,
                    }
                };
            }
            "lambda" => {
                return Made::PerCall {
                    call,
                    function: None,
                };
            }
            "for_statement" | "while_statement" => in_loop = true,
            "list_comprehension"
            | "set_comprehension"
            | "dictionary_comprehension"
            | "generator_expression" => in_loop = true,
            _ => {}
        }
        node = parent;
    }
    if in_loop {
        Made::PerCall {
            call,
            function: None,
        }
    } else {
        Made::Once(call)
    }
}
