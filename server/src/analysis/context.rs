//! What a rule sees of one file: its text, tree, scope model and imports.

use std::hash::{BuildHasher, Hash, Hasher};

use tree_sitter::{Node, Tree};

use super::fixes::imports::{self, Imported, Needed};
use super::imports::Imports;
use super::line_index::LineIndex;
use super::queries::{Captures, Family, Matches};
use super::scope::{Role, ScopeId, ScopeKind, ScopeTree};
use super::settings::Settings;
use super::syntax::{Module, ancestors, first_iterable, innermost_def};
use super::words::{WordSpans, is_word_char};
use crate::analysis::syntax::{Field, NodeLookups};

pub struct Context<'a> {
    pub text: &'a str,
    /// The module node(s) of the file's tree(s).
    pub module: Module<'a>,
    pub scopes: &'a ScopeTree,
    pub lines: &'a LineIndex,
    pub imports: &'a Imports,
    pub settings: &'a Settings,
    pub matches: &'a Matches<'a>,
    /// For a notebook's joined code cells ([`super::notebook`]), each cell's range of `text`;
    /// empty for a file.
    pub cells: &'a [std::ops::Range<usize>],
    /// The module's children in order ([`module_children`]), for [`Context::top_level`].
    pub top: &'a [Node<'a>],
    /// Where words may be spelled, for [`Context::words`] to read less than the whole text
    /// (kept between keystrokes); `None`: the text is read.
    pub words: Option<&'a WordSpans>,
}

/// The children of `module`'s node(s), in order: what [`Context::top`] holds.
pub fn module_children<'t>(module: Module<'t>) -> Vec<Node<'t>> {
    let mut children = Vec::new();
    for root in module.roots() {
        let mut cursor = root.walk();
        children.extend(root.children(&mut cursor));
    }
    children
}

/// Builds everything a [`Context`] refers to for one file (scope model, query matches, line
/// index, imports) and runs `work` on it: for callers that analyse a whole file outside
/// `analysis::check` (a question about other modules, tests, the profiling example).
pub fn with_context<R>(
    text: &str,
    tree: &Tree,
    settings: &Settings,
    work: impl FnOnce(&Context) -> R,
) -> R {
    let lines = LineIndex::new(text);
    let roots = [tree.root_node()];
    let module = Module::new(&roots);
    let (scopes, matches) = super::scopes_and_matches(text, module, &lines, settings);
    let imports = Imports::new(text, &matches);
    let top = module_children(module);
    work(&Context {
        text,
        module,
        scopes: &scopes,
        lines: &lines,
        imports: &imports,
        settings,
        matches: &matches,
        cells: &[],
        top: &top,
        words: None,
    })
}

impl<'a> Context<'a> {
    /// The query matches of one pattern family.
    pub fn matches(&self, family: Family) -> &'a [Captures<'a>] {
        self.matches.of(family)
    }

    /// A hash of the module scope's names: their flags, how they resolve, and the top-level
    /// statement (by its index) of each place a name is bound or used at module level. What
    /// an editor's kept results depend on when they read module-level names.
    pub fn module_names_hash(&self) -> u64 {
        let mut hasher = foldhash::fast::FixedState::default().build_hasher();
        let statement_of = |at: usize| self.top.partition_point(|s| s.start_byte() <= at);
        for symbol in &self.scopes.scope(ScopeId(0)).symbols {
            (&symbol.name, symbol.flags, symbol.scope).hash(&mut hasher);
            for occurrence in &symbol.occurrences {
                (statement_of(occurrence.range.start), occurrence.role).hash(&mut hasher);
            }
        }
        hasher.finish()
    }

    /// How a fix's code at byte `used_at` names `needed`, and the import to add for it; `None`
    /// when naming it there would change what a name means (see [`imports::import`]).
    pub fn import(&self, needed: Needed, used_at: usize) -> Option<Imported> {
        imports::import(self.text, self.module, self.scopes, needed, used_at)
    }

    /// The identifiers spelled `name` in the file's code (not in comments or strings). Found
    /// through the text rather than a walk of the whole tree: a keystroke's analysis cannot
    /// afford one more.
    pub fn identifiers(&self, name: &str) -> Vec<Node<'a>> {
        self.identifiers_in(self.module.byte_range(), None, name)
    }

    /// [`Self::identifiers`] inside `node`: its text searched, the tree entered at `node`.
    pub fn identifiers_within(&self, node: Node<'a>, name: &str) -> Vec<Node<'a>> {
        let within = (!self.module.is_root(node)).then_some(node);
        self.identifiers_in(node.byte_range(), within, name)
    }

    /// The identifiers spelled `name` in `range`, entering the tree at `node` (else at the
    /// module's child holding each).
    fn identifiers_in(
        &self,
        range: std::ops::Range<usize>,
        node: Option<Node<'a>>,
        name: &str,
    ) -> Vec<Node<'a>> {
        self.words_in(range, name)
            .filter_map(|at| match node {
                Some(node) => node.descendant_for_byte_range(at, at + name.len()),
                None => self.descendant(at..at + name.len()),
            })
            .filter(|node| {
                node.kind_name() == "identifier" && node.byte_range().len() == name.len()
            })
            .collect()
    }

    /// Whether `needle` is spelled anywhere in the file's text (inside words too). A rule's
    /// cheap first test: memchr's vectorised search, where `str::contains` compares byte by byte.
    pub fn text_holds(&self, needle: &str) -> bool {
        memchr::memmem::find(self.text.as_bytes(), needle.as_bytes()).is_some()
    }

    /// Where `name` is spelled as a whole word in the file, comments and strings included.
    pub fn words(&self, name: &str) -> impl Iterator<Item = usize> {
        self.words_in(self.module.byte_range(), name)
    }

    /// Where `name` is spelled as a whole word in `range` (nowhere, for an empty name), in
    /// order: in the parts of `range` [`Context::words`] says may hold it.
    fn words_in(&self, range: std::ops::Range<usize>, name: &str) -> impl Iterator<Item = usize> {
        let parts = match self.words {
            _ if name.is_empty() => Vec::new(),
            Some(spans) => spans.to_search(range, name),
            None => vec![range],
        };
        // memchr's vectorised search: this runs for many names.
        let finder = memchr::memmem::Finder::new(name);
        let mut found = Vec::new();
        for part in parts {
            let start = part.start;
            found.extend(
                finder
                    .find_iter(&self.text.as_bytes()[part])
                    .map(|at| start + at)
                    .filter(|&at| {
                        !self.text[..at].ends_with(is_word_char)
                            && !self.text[at + name.len()..].starts_with(is_word_char)
                    }),
            );
        }
        found.into_iter()
    }

    /// Every attribute expression `x.name` in the file, whatever `x` is.
    pub fn attributes(&self, name: &str) -> Vec<Node<'a>> {
        self.attributes_with_ancestors(name)
            .into_iter()
            .map(|(attribute, _)| attribute)
            .collect()
    }

    /// [`Self::attributes`], each with its ancestors, innermost first: one descent from the
    /// root finds both, where asking a node for its parent descends again each time.
    pub fn attributes_with_ancestors(&self, name: &str) -> Vec<(Node<'a>, Vec<Node<'a>>)> {
        self.words(name)
            .filter_map(|at| {
                let mut path = self.path_to(at..at + name.len())?;
                let identifier = path.pop()?;
                let attribute = path.pop()?;
                let is_attribute_name = identifier.kind_name() == "identifier"
                    && attribute.kind_name() == "attribute"
                    && attribute
                        .field(Field::Attribute)
                        .is_some_and(|a| a.id() == identifier.id());
                path.reverse();
                is_attribute_name.then_some((attribute, path))
            })
            .collect()
    }

    pub fn text_of(&self, node: Node) -> &'a str {
        &self.text[node.byte_range()]
    }

    /// The child of the module that holds the non-empty `range` (each byte of it), by a binary
    /// search: tree-sitter finds a child by position by looking at every child before it, and a
    /// module has hundreds, so each descent from the root started with that scan.
    pub fn top_level(&self, range: std::ops::Range<usize>) -> Option<Node<'a>> {
        if range.is_empty() {
            return None;
        }
        let index = self
            .top
            .partition_point(|child| child.end_byte() < range.end);
        self.top
            .get(index)
            .filter(|child| child.start_byte() <= range.start)
            .copied()
    }

    /// The ancestors of `node`, innermost first, as [`ancestors`] gives them from the root, found
    /// from the module's child that holds it ([`Context::top_level`]).
    pub fn ancestors(&self, node: Node<'a>) -> Vec<Node<'a>> {
        match self.top_level(node.byte_range()) {
            Some(child) if !self.module.is_root(node) && node.id() != child.id() => {
                let mut chain = ancestors(child, node);
                chain.push(self.module.root_at(child.start_byte()));
                chain
            }
            _ => ancestors(self.module.root_at(node.start_byte()), node),
        }
    }

    /// The smallest node spanning `range`, as the root's `descendant_for_byte_range` finds it,
    /// from the module's child that holds it ([`Context::top_level`]).
    pub fn descendant(&self, range: std::ops::Range<usize>) -> Option<Node<'a>> {
        let from = self
            .top_level(range.clone())
            .unwrap_or_else(|| self.module.root_at(range.start));
        from.descendant_for_byte_range(range.start, range.end)
    }

    /// The dotted name an expression refers to through the file's imports: with
    /// `import functools as ft`, `ft.lru_cache` is `functools.lru_cache`. `None` when the
    /// expression is not a name or attribute chain whose first name was imported.
    pub fn qualified_name(&self, node: Node) -> Option<String> {
        self.imports.qualified_name(node, self.text)
    }
}

/// One statement that binds a name: `name = value`, `for name in ...`, `def name`, ...
#[derive(Debug, Clone, Copy)]
pub struct Binding<'t> {
    /// The bound identifier.
    pub target: Node<'t>,
    /// The innermost statement around the binding (`assignment` nodes are expressions in
    /// tree-sitter-python; this is the `expression_statement` or compound statement).
    pub statement: Node<'t>,
    /// The right-hand side when `target` is the whole left-hand side of a plain or annotated
    /// assignment (`x = value`, `x: T = value`, `a = x = value`); `None` for unpacking, loops,
    /// imports and definitions.
    pub value: Option<Node<'t>>,
}

impl<'a> Context<'a> {
    /// The node spanning exactly `range`, the outermost one when several do.
    pub fn node_at(&self, range: std::ops::Range<usize>) -> Option<Node<'a>> {
        self.path_to(range).and_then(|path| path.last().copied())
    }

    /// The nodes from the root down to [`Self::node_at`]'s, that one last: one descent from
    /// the root, where asking each node for its parent would descend again for each (a node
    /// does not know its parent in tree-sitter).
    pub fn path_to(&self, range: std::ops::Range<usize>) -> Option<Vec<Node<'a>>> {
        let root = self.module.root_at(range.start);
        let (mut cursor, mut path) = match self.top_level(range.clone()) {
            // The child the cursor's first step would find, without looking at those before it.
            Some(child) if child.byte_range() != range => (child.walk(), vec![root]),
            _ => (root.walk(), Vec::new()),
        };
        loop {
            let node = cursor.node();
            if node.start_byte() > range.start || node.end_byte() < range.end {
                return None;
            }
            path.push(node);
            if node.byte_range() == range {
                return Some(path);
            }
            // The first child ending after the range's start: the one holding it, if any.
            cursor.goto_first_child_for_byte(range.start)?;
        }
    }

    /// The innermost `def` around `node`, in one descent from the root.
    pub fn enclosing_def(&self, node: Node<'a>) -> Option<Node<'a>> {
        innermost_def(self.ancestors(node))
    }

    /// The innermost scope whose code runs `node`: a function's body and parameters are in its
    /// scope, its decorators, defaults and annotations in the enclosing one; a comprehension's
    /// first iterable is evaluated in the enclosing scope too.
    pub fn scope_containing(&self, node: Node) -> ScopeId {
        let mut child = node;
        for parent in self.ancestors(node) {
            let inside = match parent.kind_name() {
                "function_definition" | "class_definition" | "lambda" => {
                    parent
                        .field(Field::Body)
                        .is_some_and(|b| b.id() == child.id())
                        || (parent.kind_name() != "class_definition"
                            && child.kind_name() == "identifier"
                            && parent
                                .field(Field::Parameters)
                                .is_some_and(|p| p.byte_range().contains(&child.start_byte())))
                }
                "list_comprehension"
                | "set_comprehension"
                | "dictionary_comprehension"
                | "generator_expression" => first_iterable(parent)
                    .is_none_or(|iterable| !iterable.byte_range().contains(&node.start_byte())),
                "parameters" | "lambda_parameters" => false,
                _ => false,
            };
            if inside && let Some(scope) = self.scopes.scope_of_node(parent.byte_range()) {
                return scope;
            }
            child = parent;
        }
        ScopeId(0)
    }

    /// The function or lambda whose calls run `node` (through comprehensions and class
    /// bodies); `None` for code that runs when the module is imported.
    pub fn runtime_function(&self, node: Node) -> Option<ScopeId> {
        let mut scope = self.scope_containing(node);
        loop {
            let current = self.scopes.scope(scope);
            match current.kind {
                ScopeKind::Function | ScopeKind::Lambda => return Some(scope),
                ScopeKind::Module => return None,
                _ => scope = current.parent?,
            }
        }
    }

    /// The last statement in `scope` binding `name` that ends before byte `offset`: the
    /// binding code at `offset` sees, reading top to bottom. Strictly before, so that in
    /// `rows = [r for r in rows]` the comprehension reads the previous `rows`.
    pub fn binding_before(&self, scope: ScopeId, name: &str, offset: usize) -> Option<Binding<'a>> {
        self.bindings(scope, name)
            .into_iter()
            .rfind(|b| b.statement.end_byte() <= offset)
    }

    /// Every statement in `scope` that binds `name` (as stored, i.e. mangled in classes), in
    /// source order.
    pub fn bindings(&self, scope: ScopeId, name: &str) -> Vec<Binding<'a>> {
        let Some(symbol) = self.scopes.scope(scope).symbol(name) else {
            return Vec::new();
        };
        symbol
            .occurrences
            .iter()
            .filter(|o| o.role == Role::Bind)
            .filter_map(|o| self.path_to(o.range.clone()))
            .filter_map(|path| binding(&path))
            .collect()
    }
}

/// The binding of the last node of `path` (nodes from the root down to it).
fn binding<'t>(path: &[Node<'t>]) -> Option<Binding<'t>> {
    let (&target, ancestors) = path.split_last()?;
    let value = ancestors
        .last()
        .filter(|parent| parent.kind_name() == "assignment")
        .filter(|parent| {
            parent
                .field(Field::Left)
                .is_some_and(|left| left.id() == target.id())
        })
        .and_then(|assignment| assignment.field(Field::Right))
        .map(innermost_value);
    let statement = ancestors
        .iter()
        .rev()
        .find(|parent| {
            let kind = parent.kind_name();
            kind.ends_with("statement") || kind.ends_with("definition") || kind == "module"
        })
        .or(ancestors.first())
        .copied()
        .unwrap_or(target);
    Some(Binding {
        target,
        statement,
        value,
    })
}

/// In `a = b = value`, tree-sitter nests the second assignment as the right side of the first.
fn innermost_value(mut right: Node) -> Node {
    while right.kind_name() == "assignment" {
        match right.field(Field::Right) {
            Some(inner) => right = inner,
            None => break,
        }
    }
    right
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    #[test]
    fn innermost_scope_by_range_agrees_on_every_statement() {
        // Statements at module level, in classes (one inside a function), in methods, in
        // nested functions, beside decorators, defaults, lambdas and comprehensions.
        let text = "a = {}\n@deco(lambda: 0)\nclass C(Base):\n    b = []\n    def m(self, d=[]):\n        e = [x for x in d]\n        def inner(f=lambda: 1):\n            g = {}\n        class K:\n            h = set()\n    i = {}\nj = [y for y in a]\n";
        assert_eq!(
            innermost_scope_by_range_agrees_in(text, Settings::default()),
            7
        );
        // PEP 695: a generic function's or class's scope lies in its type parameters' scope,
        // whose range is only the brackets.
        let text = "class C[T]:\n    a = []\n    def m[U](self):\n        b = {}\n";
        let settings = Settings {
            target_version: crate::analysis::settings::PythonVersion::new(3, 13),
            ..Settings::default()
        };
        assert_eq!(innermost_scope_by_range_agrees_in(text, settings), 2);
    }

    /// How many assignments of `text` there are, once asserted that for each target the
    /// innermost scope by range is the one `scope_containing` finds through the tree.
    fn innermost_scope_by_range_agrees_in(text: &str, settings: Settings) -> usize {
        let tree = parse(text);
        with_context(text, &tree, &settings, |context| {
            let mut stack = vec![tree.root_node()];
            let mut checked = 0;
            while let Some(node) = stack.pop() {
                if node.kind_name() == "assignment" {
                    let target = node.field(Field::Left).unwrap();
                    assert_eq!(
                        context.scopes.innermost_at(target.start_byte()),
                        context.scope_containing(target),
                        "{}",
                        context.text_of(node)
                    );
                    checked += 1;
                }
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
            checked
        })
    }

    #[test]
    fn bindings_and_scopes() {
        let text = "big = [0] * 10\ndef f(p=big):\n    a = b = p\n    for c in a: pass\n    s = [x for x in a.items() if x]\n    return lambda: a\n";
        let tree = parse(text);
        with_context(text, &tree, &Settings::default(), |context| {
            bindings_and_scopes_in(text, context)
        });
    }

    fn bindings_and_scopes_in(text: &str, context: &Context) {
        let scopes = context.scopes;
        let module = context.bindings(ScopeId(0), "big");
        assert_eq!(module.len(), 1);
        assert_eq!(context.text_of(module[0].value.unwrap()), "[0] * 10");
        let default = text.find("=big").unwrap() + 1;
        let default = context.node_at(default..default + 3).unwrap();
        assert_eq!(context.scope_containing(default), ScopeId(0));
        let f = scopes.scopes.iter().position(|s| s.name == "f").unwrap();
        let a = context.bindings(ScopeId(f), "a");
        assert_eq!(context.text_of(a[0].value.unwrap()), "p");
        assert_eq!(a[0].statement.kind_name(), "expression_statement");
        assert_eq!(
            context.text_of(context.bindings(ScopeId(f), "b")[0].value.unwrap()),
            "p"
        );
        let c = context.bindings(ScopeId(f), "c");
        assert!(c[0].value.is_none());
        assert_eq!(c[0].statement.kind_name(), "for_statement");
        assert_eq!(context.scope_containing(a[0].target), ScopeId(f));
        // A comprehension's first iterable runs in the enclosing scope, the rest inside.
        let iterable = text.find("a.items").unwrap();
        let iterable = context.node_at(iterable..iterable + 1).unwrap();
        assert_eq!(context.scope_containing(iterable), ScopeId(f));
        let condition = text.find("if x").unwrap() + 3;
        let condition = context.node_at(condition..condition + 1).unwrap();
        assert_eq!(
            scopes.scope(context.scope_containing(condition)).name,
            "<listcomp>"
        );
        let lambda = text.rfind("a\n").unwrap();
        let lambda = context.node_at(lambda..lambda + 1).unwrap();
        assert_eq!(
            scopes.scope(context.scope_containing(lambda)).name,
            "<lambda>"
        );
    }

    /// Every node of `tree`.
    fn every_node(tree: &Tree) -> Vec<Node<'_>> {
        let mut nodes = Vec::new();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            nodes.push(node);
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        nodes
    }

    #[test]
    fn lookups_from_the_module_child_find_what_lookups_from_the_root_find() {
        // Statements sharing a line, a decorated class, comments between and after, a string
        // at the top, a statement that does not parse, and an empty last line.
        let text = "\"\"\"doc\"\"\"\nimport os; x = 1; y = [x,\n  2]\n# between\n@dec\nclass A:\n    \
                    def f(self):  # trailing\n        return lambda: self.f\n\nif x:\n    pass\n\
                    else:\n    def g(): return (yield)\nz = = 3\nw = f(\n    1)\n# last\n";
        let tree = parse(text);
        with_context(text, &tree, &Settings::default(), |context| {
            let root = tree.root_node();
            let from_root = Context {
                top: &[],
                ..*context
            };
            for node in every_node(&tree) {
                let range = node.byte_range();
                assert_eq!(
                    context.ancestors(node),
                    ancestors(root, node),
                    "{} {range:?}",
                    node.kind()
                );
                assert_eq!(
                    context.descendant(range.clone()),
                    root.descendant_for_byte_range(range.start, range.end),
                    "{} {range:?}",
                    node.kind()
                );
                // Without the module's children, `path_to` descends from the root.
                assert_eq!(
                    context.path_to(range.clone()),
                    from_root.path_to(range.clone()),
                    "{range:?}"
                );
                // Ranges inside a node and across two neighbours.
                if range.len() > 2 {
                    let inner = range.start + 1..range.end - 1;
                    assert_eq!(
                        context.descendant(inner.clone()),
                        root.descendant_for_byte_range(inner.start, inner.end)
                    );
                }
            }
            for start in 0..text.len() {
                for end in start + 1..(start + 40).min(text.len()) {
                    assert_eq!(
                        context.descendant(start..end),
                        root.descendant_for_byte_range(start, end),
                        "{start}..{end}"
                    );
                }
            }
        });
    }
}
