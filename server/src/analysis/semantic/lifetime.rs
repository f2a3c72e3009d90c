//! How long objects live: whether a class's instances are made repeatedly (per call, request,
//! connection, job) or once per process. A cycle or a cache on an object made once costs a
//! fixed amount; on an object made per request it grows with the traffic.
//!
//! Decided from this file: where the class (or a subclass of it in this file) is called, and
//! whether it is a protocol or request handler that a server makes per connection. A class
//! made only inside test functions counts as not made: tests make everything per test.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::OnceLock;

use tree_sitter::Node;

use super::classes::Classes;
use super::release::Release;
use super::{Evidence, Semantic};
use crate::analysis::context::Context;
use crate::analysis::findings::Level;
use crate::analysis::syntax::{Field, NodeLookups};
use crate::analysis::words::is_word_char;

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

/// Base classes (by their last name) of services: an application makes each one once and
/// runs it for the life of the process (Twisted's `service.Service`), whatever its methods are
/// called (`ProcessMonitor.connectionLost(name)` is no protocol's).
const SERVICE_BASES: &[&str] = &["Service", "MultiService"];

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
    /// Only at module level, outside loops: a process-wide singleton. One such call, or the
    /// service base class that says so.
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

    /// Made once because its base class is a service's, not because this file makes it once.
    pub fn is_service(&self) -> bool {
        matches!(self, Made::Once(base) if base.kind_name() != "call")
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
            Made::Once(base) if self.is_service() => format!(
                "`{class}` is a service (`{}`, line {}): made once per process",
                context.text_of(base),
                line(base)
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

/// A class's own making, and the classes whose `__init__` makes it, with the call there.
type OwnMaking<'t> = (Made<'t>, Vec<(usize, Node<'t>)>);

/// [`Made`] for the classes of [`Classes`], by the same index, found when a rule first asks:
/// most classes of a file never hold anything a rule reports, and a keystroke's analysis cannot
/// afford to look for every class's calls.
pub struct Lifetimes<'t> {
    /// Each class's own making, and the classes of this file whose `__init__` makes it (with
    /// the call there): those make one per instance of theirs.
    own: Vec<OnceLock<OwnMaking<'t>>>,
    /// Each class's own making as [`Lifetimes::made`] sees it: by its calls alone.
    plain: Vec<OnceLock<Made<'t>>>,
    /// Where each class name is called, `Name(...)`: the name's byte range. Found in one pass
    /// over the text once [`SEARCHES_BEFORE_ONE_PASS`] classes were asked about.
    calls: OnceLock<HashMap<&'t str, Vec<std::ops::Range<usize>>>>,
    /// How many classes' calls were searched for one by one.
    searched: std::sync::atomic::AtomicUsize,
    /// The node that makes the file a test module, if it is one.
    test_module: OnceLock<Option<Node<'t>>>,
}

impl<'t> Lifetimes<'t> {
    pub fn new(classes: &Classes<'_, 't>) -> Lifetimes<'t> {
        Lifetimes {
            own: classes.classes.iter().map(|_| OnceLock::new()).collect(),
            plain: classes.classes.iter().map(|_| OnceLock::new()).collect(),
            calls: OnceLock::new(),
            searched: std::sync::atomic::AtomicUsize::new(0),
            test_module: OnceLock::new(),
        }
    }

    /// How often instances of class `class` (an index into [`Classes::classes`]) are made: by
    /// its own calls, or a subclass's (a subclass's instance is an instance of each base), the
    /// most repeated making winning.
    pub fn made(&self, classes: &Classes<'_, 't>, class: usize) -> Made<'t> {
        let mut made = self.plain(classes, class);
        for other in 0..classes.classes.len() {
            if other != class && classes.lineage(other).contains(&class) {
                made = more_repeated(made, self.plain(classes, other));
            }
        }
        made
    }

    /// Where the class called `name` is called, `Name(...)`: the name's byte ranges. A rule asks
    /// about one or two classes of a file, mostly: a search for the name is far cheaper than one
    /// pass over every `(` of the file for every class name (4.4M instructions a keystroke in
    /// test_typing.py), which is taken once many classes are asked about.
    fn calls_of(&self, classes: &Classes<'_, 't>, name: &str) -> Vec<std::ops::Range<usize>> {
        use std::sync::atomic::Ordering;
        let one_pass = self.calls.get().is_some()
            || self.searched.fetch_add(1, Ordering::Relaxed) >= SEARCHES_BEFORE_ONE_PASS;
        if !one_pass {
            return called_name(classes.context, name);
        }
        let context = classes.context;
        self.calls
            .get_or_init(|| called_names(context, classes))
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    fn plain(&self, classes: &Classes<'_, 't>, class: usize) -> Made<'t> {
        *self.plain[class].get_or_init(|| {
            let context = classes.context;
            let this = &classes.classes[class];
            let calls: Vec<Node<'t>> = self
                .calls_of(classes, this.name)
                .into_iter()
                .filter_map(|range| call_of(context, range))
                .collect();
            own_made(context, this.node, this.name, &calls, false)
        })
    }

    /// [`Lifetimes::made`] with the evidence of the file around the calls, as the cycle rules
    /// read it: every class of a test module is test code; a call in the module's `main()` runs
    /// once; a class made in the `__init__` of another class of this file is made as often as
    /// that class.
    pub fn made_in_context(&self, classes: &Classes<'_, 't>, class: usize) -> Made<'t> {
        self.made_at(classes, class, 3)
    }

    fn made_at(&self, classes: &Classes<'_, 't>, class: usize, depth: usize) -> Made<'t> {
        let mut made = self.with_owners(classes, class, depth);
        for other in 0..classes.classes.len() {
            if other != class && classes.lineage(other).contains(&class) {
                made = more_repeated(made, self.with_owners(classes, other, depth));
            }
        }
        made
    }

    fn with_owners(&self, classes: &Classes<'_, 't>, class: usize, depth: usize) -> Made<'t> {
        let (mut made, owners) = self.own(classes, class);
        for &(owner, call) in &owners {
            let per_init = Made::PerCall {
                call,
                function: enclosing_name(call),
            };
            let owner_made = if depth == 0 || owner == class {
                per_init
            } else {
                match self.made_at(classes, owner, depth - 1) {
                    Made::PerCall { .. } | Made::PerConnection(_) => per_init,
                    other => other,
                }
            };
            made = more_repeated(made, owner_made);
        }
        made
    }

    fn own(&self, classes: &Classes<'_, 't>, class: usize) -> OwnMaking<'t> {
        self.own[class]
            .get_or_init(|| {
                let context = classes.context;
                let this = &classes.classes[class];
                if let Some(test) = *self.test_module.get_or_init(|| test_module(context)) {
                    return (Made::InTests(test), Vec::new());
                }
                let mut owners = Vec::new();
                let calls: Vec<Node<'t>> = self
                    .calls_of(classes, this.name)
                    .into_iter()
                    .filter_map(|range| call_of(context, range))
                    .filter(|&call| match init_owner(classes, call) {
                        Some(owner) => {
                            owners.push((owner, call));
                            false
                        }
                        None => true,
                    })
                    .collect();
                let mut made = own_made(context, this.node, this.name, &calls, true);
                // Made only in other classes' `__init__`: their making decides, not the name.
                if !owners.is_empty()
                    && calls.is_empty()
                    && matches!(made, Made::PerConnection(n) if n.id() == this.name_node.id())
                {
                    made = Made::Unknown;
                }
                (made, owners)
            })
            .clone()
    }
}

/// The class of this file whose `__init__` runs `call` directly (not in a nested function).
fn init_owner(classes: &Classes, call: Node) -> Option<usize> {
    let mut node = call;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "function_definition" => {
                let name = parent.field(Field::Name)?;
                if classes.context.text_of(name) != "__init__" {
                    return None;
                }
                let mut block = parent.parent()?;
                if block.kind_name() == "decorated_definition" {
                    block = block.parent()?;
                }
                let class = block.parent()?;
                return classes
                    .classes
                    .iter()
                    .position(|c| c.node.id() == class.id());
            }
            "lambda" | "class_definition" => return None,
            _ => node = parent,
        }
    }
    None
}

/// The name node of the function that runs `node`.
fn enclosing_name(node: Node) -> Option<Node> {
    let mut node = node;
    while let Some(parent) = node.parent() {
        if parent.kind_name() == "function_definition" {
            return parent.field(Field::Name);
        }
        node = parent;
    }
    None
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

/// How many classes [`Lifetimes::calls_of`] searches for one by one before it takes one pass
/// over the text for all of them.
const SEARCHES_BEFORE_ONE_PASS: usize = 16;

/// Where `name` is followed by `(` (spaces between allowed) and not preceded by `.`: what
/// [`called_names`] finds for it.
fn called_name(context: &Context, name: &str) -> Vec<std::ops::Range<usize>> {
    let text = context.text;
    context
        .words(name)
        .filter(|&at| {
            text[at + name.len()..].trim_start().starts_with('(') && !text[..at].ends_with('.')
        })
        .map(|at| at..at + name.len())
        .collect()
}

/// Where each class name of the file is followed by `(`, found in one pass over the text.
fn called_names<'t>(
    context: &Context<'t>,
    classes: &Classes<'_, 't>,
) -> HashMap<&'t str, Vec<std::ops::Range<usize>>> {
    let names: HashSet<&str> = classes.classes.iter().map(|c| c.name).collect();
    let text = context.text;
    let mut calls: HashMap<&'t str, Vec<std::ops::Range<usize>>> = HashMap::new();
    let bytes = text.as_bytes();
    for paren in memchr::memchr_iter(b'(', bytes) {
        let end = text[..paren].trim_end().len();
        // Bytes first (most names are ASCII); a name with other characters is read as text.
        let ascii_start = bytes[..end]
            .iter()
            .rposition(|&b| !(b == b'_' || b.is_ascii_alphanumeric()))
            .map_or(0, |before| before + 1);
        let start = if ascii_start == 0 || bytes[ascii_start - 1].is_ascii() {
            ascii_start
        } else {
            text[..end]
                .char_indices()
                .rev()
                .take_while(|&(_, c)| is_word_char(c))
                .last()
                .map_or(end, |(at, _)| at)
        };
        let name = &text[start..end];
        if !name.is_empty() && names.contains(name) && !text[..start].ends_with('.') {
            calls.entry(name).or_default().push(start..end);
        }
    }
    calls
}

/// The call whose callee is the identifier spanning `range`, if that is what is there (not a
/// `def Name(`, a string or a comment).
fn call_of<'t>(context: &Context<'t>, range: std::ops::Range<usize>) -> Option<Node<'t>> {
    let name = context
        .descendant(range.clone())
        .filter(|node| node.kind_name() == "identifier" && node.byte_range() == range)?;
    name.parent().filter(|call| {
        call.kind_name() == "call"
            && call
                .field(Field::Function)
                .is_some_and(|f| f.id() == name.id())
    })
}

fn own_made<'t>(
    context: &Context<'t>,
    class: Node<'t>,
    name: &str,
    calls: &[Node<'t>],
    main_once: bool,
) -> Made<'t> {
    let bases: Vec<Node<'t>> = class
        .field(Field::Superclasses)
        .map(|bases| {
            let mut cursor = bases.walk();
            bases.named_children(&mut cursor).collect()
        })
        .unwrap_or_default();
    let last_name = |base: Node<'t>| match base.kind_name() {
        "attribute" => base.field(Field::Attribute),
        "identifier" => Some(base),
        _ => None,
    };
    let name_node = class.field(Field::Name).unwrap_or(class);
    if name.starts_with("Test") {
        return Made::InTests(name_node);
    }
    let mut service = None;
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
        if SERVICE_BASES.contains(&last) {
            service = Some(base);
        }
    }
    if service.is_none()
        && let Some(body) = class.field(Field::Body)
    {
        let mut cursor = body.walk();
        for statement in body.named_children(&mut cursor) {
            let definition = match statement.kind_name() {
                "decorated_definition" => statement.field(Field::Definition),
                _ => Some(statement),
            };
            if let Some(def_name) = definition
                .filter(|d| d.kind_name() == "function_definition")
                .and_then(|d| d.field(Field::Name))
                && PER_CONNECTION_METHODS.contains(&context.text_of(def_name))
            {
                return Made::PerConnection(def_name);
            }
        }
    }
    let mut made = Made::Unknown;
    for &call in calls {
        made = more_repeated(made, making(context, call, main_once));
    }
    if let (Made::Unknown, Some(base)) = (made, service) {
        return Made::Once(base);
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
fn making<'t>(context: &Context<'t>, call: Node<'t>, main_once: bool) -> Made<'t> {
    let mut in_loop = false;
    let mut node = call;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "function_definition" => {
                let name = parent.field(Field::Name);
                let is_test = name.is_some_and(|n| context.text_of(n).starts_with("test"));
                // A module's `main()` is the program's entry point: it runs once.
                let is_main = name.is_some_and(|n| context.text_of(n) == "main")
                    && parent.parent().is_some_and(|p| p.kind_name() == "module");
                return if is_test {
                    Made::Unknown
                } else if main_once && is_main && !in_loop {
                    Made::Once(call)
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

/// The test case or test function that makes the file a test module (a `TestCase` subclass, a
/// `Test...` class or a `test_...` function at module level): every class in it is a test
/// helper, made for a test and gone with it.
fn test_module<'t>(context: &Context<'t>) -> Option<Node<'t>> {
    // A test framework imported: `test_...` alone may be a library's check function.
    let framework = [
        "import pytest",
        "import unittest",
        "from unittest",
        "from pytest",
    ]
    .iter()
    .any(|i| context.text_holds(i));
    context.top.iter().find_map(|&statement| {
        let definition = match statement.kind_name() {
            "decorated_definition" => statement.field(Field::Definition)?,
            _ => statement,
        };
        let name = definition.field(Field::Name)?;
        let text = context.text_of(name);
        match definition.kind_name() {
            "function_definition" => (framework && text.starts_with("test_")).then_some(name),
            "class_definition" => {
                let base_is_test = definition.field(Field::Superclasses).is_some_and(|bases| {
                    let mut cursor = bases.walk();
                    bases.named_children(&mut cursor).any(|base| {
                        context
                            .text_of(base)
                            .rsplit('.')
                            .next()
                            .is_some_and(|last| last.ends_with("TestCase"))
                    })
                });
                (base_is_test
                    || framework && (text.starts_with("Test") || text.starts_with("test_")))
                .then_some(name)
            }
            _ => None,
        }
    })
}

/// Whether `release` runs only through `__del__`: in `__del__` itself, or in a method that this
/// file calls from `__del__` methods and nowhere else (`def __del__(self): self.close()`). Such a
/// release never breaks a cycle through the object: `__del__` is the fallback for callers that
/// forget `close()`, and the cycle keeps `__del__` from running until the collector does.
pub fn released_only_by_del(context: &Context, release: &Release) -> bool {
    let Some(name) = release
        .function
        .and_then(|f| f.field(Field::Name))
        .map(|n| context.text_of(n))
    else {
        return false;
    };
    if name == "__del__" {
        return true;
    }
    let calls: Vec<Node> = context
        .identifiers(name)
        .into_iter()
        .filter_map(|identifier| {
            let callee = match identifier.parent() {
                Some(p) if p.kind_name() == "attribute" => p,
                _ => identifier,
            };
            callee.parent().filter(|c| {
                c.kind_name() == "call"
                    && c.field(Field::Function)
                        .is_some_and(|f| f.id() == callee.id())
            })
        })
        .collect();
    !calls.is_empty()
        && calls.iter().all(|call| {
            let mut node = *call;
            while let Some(parent) = node.parent() {
                if parent.kind_name() == "function_definition" {
                    return parent
                        .field(Field::Name)
                        .is_some_and(|n| context.text_of(n) == "__del__");
                }
                node = parent;
            }
            false
        })
}

/// The evidence for a reference cycle through instances of class `class` (RH201): the cycle
/// closes by stores into `targets` (each with the class whose code stores it, whose releases
/// count), and `imported` names the class of another module that the instance is given to,
/// when that is the only link (this file cannot see whether it keeps the instance).
pub fn cycle_evidence<'t>(
    semantic: &Semantic<'_, 't>,
    class: usize,
    targets: &[(Node<'t>, usize)],
    imported: Option<&str>,
) -> Evidence {
    let classes = &semantic.classes;
    let context = classes.context;
    let name = &classes.classes[class].name;
    let mut only_by_del = None;
    for &(target, owner) in targets {
        let owners: Vec<Node<'t>> = classes
            .lineage(owner)
            .into_iter()
            .map(|c| classes.classes[c].node)
            .collect();
        // The first release that runs other than through `__del__` (`of_target` gives the
        // first of all, which may be the one in `__del__`).
        let mut found = None;
        let mut node = target;
        while let Some(object) = match node.kind_name() {
            "attribute" => node.field(Field::Object),
            "subscript" => node.field(Field::Value),
            _ => None,
        } {
            if let Some(attribute) = node.field(Field::Attribute) {
                let on_name = object.kind_name() == "identifier";
                for release in semantic.releases.of_attribute(context.text_of(attribute)) {
                    let applies = !release.node.byte_range().contains(&target.start_byte())
                        && (!on_name
                            || owners
                                .iter()
                                .any(|o| o.byte_range().contains(&release.node.start_byte())));
                    if !applies {
                        continue;
                    }
                    if released_only_by_del(context, &release) {
                        only_by_del = only_by_del.or(Some(release));
                    } else {
                        found = found.or(Some(release));
                    }
                }
            }
            node = object;
        }
        let Some(release) = found else {
            continue;
        };
        return Evidence {
            level: Level::Strict,
            text: format!(
                "{} lets it go, so it lasts only while the object is in use",
                release.describe(context)
            ),
        };
    }
    let made = semantic.lifetimes.made_in_context(classes, class);
    let strict = |text: String| Evidence {
        level: Level::Strict,
        text,
    };
    if let Some(imported) = imported
        && !matches!(made, Made::PerConnection(_))
    {
        return strict(format!(
            "`{imported}` is a class of another module: this file cannot see whether it keeps \
             the instance (protocols and connections are the objects whose helpers keep them)"
        ));
    }
    match made {
        Made::Once(_) => strict(format!(
            "{}: one instance, a fixed cost",
            made.describe(context, name)
        )),
        Made::InTests(_) => strict(made.describe(context, name)),
        Made::Unknown => strict(format!(
            "{}, nor named like a per-connection class: it may be made once per process",
            made.describe(context, name)
        )),
        _ => {
            let nothing = match only_by_del {
                Some(release) => format!(
                    "{} lets it go, but only `__del__` runs it, and the cycle keeps `__del__` \
                     from running until the collector does",
                    release.describe(context)
                ),
                None => format!(
                    "nothing in this file sets `{}` back to None or deletes it",
                    targets
                        .first()
                        .map(|(t, _)| super::classes::snippet(context, *t))
                        .unwrap_or_default()
                ),
            };
            Evidence {
                level: Level::Default,
                text: format!("{}; {nothing}", made.describe(context, name)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::context::with_context;
    use crate::analysis::parse::parse;
    use crate::analysis::settings::Settings;

    /// Calls and look-alikes: spaces and a line break before `(`, an attribute of another
    /// object, a longer name, a comment, a string, a definition.
    const CALLS: &str = "\
class Job:
    pass

class Other:
    pass

def run():
    a = Job()
    b = Job  (1)
    c = [Job
         (2)]
    d = tasks.Job()
    e = MyJob()
    # Job() in a comment
    f = \"Job()\"
    g = Other()

def Job2(): pass
";

    #[test]
    fn one_name_searched_finds_what_the_pass_over_every_name_finds() {
        let tree = parse(CALLS);
        with_context(CALLS, &tree, &Settings::default(), |context| {
            let classes = Classes::new(context, false);
            let all = called_names(context, &classes);
            for name in ["Job", "Other"] {
                let searched = called_name(context, name);
                assert_eq!(Some(&searched), all.get(name), "{name}");
            }
            // The comment and the string are found by both; the tree tells them apart later.
            let calls: Vec<_> = called_name(context, "Job")
                .into_iter()
                .filter_map(|range| call_of(context, range))
                .collect();
            assert_eq!(calls.len(), 3);
        });
    }

    #[test]
    fn many_classes_asked_about_are_made_as_when_few_are() {
        // More classes than are searched for one by one, each made per call but the last.
        let count = SEARCHES_BEFORE_ONE_PASS + 4;
        let mut text: String = (0..count)
            .map(|i| format!("class C{i}:\n    pass\n"))
            .collect();
        for i in 0..count - 1 {
            text += &format!("def make{i}():\n    return C{i}()\n");
        }
        text += &format!("single = C{}()\n", count - 1);
        let tree = parse(&text);
        with_context(&text, &tree, &Settings::default(), |context| {
            let classes = Classes::new(context, false);
            let lifetimes = Lifetimes::new(&classes);
            for class in 0..count {
                let made = lifetimes.made(&classes, class);
                if class == count - 1 {
                    assert!(matches!(made, Made::Once(_)), "C{class}: {made:?}");
                } else {
                    assert!(matches!(made, Made::PerCall { .. }), "C{class}: {made:?}");
                }
            }
            assert!(lifetimes.calls.get().is_some(), "the one pass was taken");
        });
    }
}
