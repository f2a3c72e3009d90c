//! The scope model: CPython's symbol table, rebuilt from a tree-sitter tree.
//!
//! For every module, class body, function, lambda and comprehension it records each name's
//! bindings and uses and classifies the name as the target CPython's `symtable.c` does (local,
//! global explicit or implicit, free, cell). From that it derives each code object's
//! `co_freevars` and `co_cellvars` in the order CPython stores them, its `co_qualname` and
//! `co_firstlineno`.
//!
//! The compiler it reproduces is a parameter, CPython 3.8 to 3.13 ([`ScopeTree::new`]); what
//! differs between versions is written where it is handled, and listed in `tests/oracle/README.md`:
//! from 3.12, list, set and dict comprehensions are inlined into the enclosing code object
//! (PEP 709) and `def f[T]`, `class C[T]` and `type X = ...` make annotation scopes (PEP 695).
//!
//! Three passes, each in its own module:
//! - [`build`] walks the tree once and records, per scope, the flags CPython's first symtable pass
//!   records (bound locally, parameter, `global`, `nonlocal`, used, imported, ...);
//! - [`resolve`] is CPython's `analyze_block`: it decides local / global / free / cell, including
//!   pass-through free variables and the implicit `__class__` cell, then derives qualified names
//!   and the variable orders;
//! - [`dead_code`] decides which code objects CPython's compiler drops as unreachable.
//!
//! `ScopeTree::new` runs all three. The research notes behind every rule are in
//! `shared/research/cpython-closure-semantics.md`; `tests/oracle` checks the result against CPython.

mod build;
mod dead_code;
mod incremental;
mod resolve;

pub use incremental::{RunScopes, ScopeCache};

use foldhash::{HashMap, HashMapExt};
use std::ops::Range;

use tree_sitter::Tree;

use crate::analysis::line_index::LineIndex;
use crate::analysis::settings::PythonVersion;
use crate::analysis::syntax::{Met, Module};

/// The oldest CPython whose compiler the model reproduces; older targets are modelled as it.
pub const OLDEST_MODELLED: PythonVersion = PythonVersion::new(3, 8);
/// The newest CPython whose compiler the model reproduces; newer targets are modelled as it.
pub const NEWEST_MODELLED: PythonVersion = PythonVersion::new(3, 13);

/// The CPython version whose compiler the model follows for code that targets `target`.
pub fn modelled_version(target: PythonVersion) -> PythonVersion {
    target.clamp(OLDEST_MODELLED, NEWEST_MODELLED)
}

/// Stack size for a thread that builds scope trees: the walk recurses once per nesting level,
/// up to a fixed depth, and this leaves a wide margin for it.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;

/// Index of a scope in [`ScopeTree::scopes`]; the module is always `ScopeId(0)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub usize);

/// What kind of code block a scope is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Class,
    /// A `def` or `async def`.
    Function,
    Lambda,
    Comprehension(ComprehensionKind),
    /// Annotations under `from __future__ import annotations`: a block of the symbol table that
    /// never becomes a code object.
    Annotation,
    /// PEP 695 (3.12+): the `<generic parameters of f>` scope around a generic `def`, `class` or
    /// `type` statement, holding its type parameters.
    TypeParams,
    /// PEP 695 (3.12+): the lazily evaluated value of a `type X = ...` statement.
    TypeAlias,
    /// PEP 695 (3.12+): the lazily evaluated bound, constraints (or, from 3.13, default) of one
    /// type parameter, named after it.
    TypeVarBound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComprehensionKind {
    List,
    Set,
    Dict,
    Generator,
}

impl ScopeKind {
    /// CPython's `FunctionBlock`: functions, lambdas and comprehensions.
    pub fn is_function_like(self) -> bool {
        matches!(
            self,
            ScopeKind::Function
                | ScopeKind::Lambda
                | ScopeKind::Comprehension(_)
                | ScopeKind::TypeParams
                | ScopeKind::TypeAlias
                | ScopeKind::TypeVarBound
        )
    }

    /// CPython's `COMPILER_SCOPE_TYPEPARAMS`: a scope that qualified names of the scopes inside
    /// it skip.
    pub fn is_type_params(self) -> bool {
        matches!(self, ScopeKind::TypeParams | ScopeKind::TypeVarBound)
    }

    /// The word `refhound freevars` prints for this kind of code object.
    pub fn label(self) -> &'static str {
        match self {
            ScopeKind::Module => "module",
            ScopeKind::Class => "class",
            ScopeKind::Function => "function",
            ScopeKind::Lambda => "lambda",
            ScopeKind::Comprehension(_) => "comprehension",
            ScopeKind::Annotation => "annotation",
            // CPython makes these function code objects (`CO_NEWLOCALS`), as the oracle sees.
            ScopeKind::TypeParams | ScopeKind::TypeAlias | ScopeKind::TypeVarBound => "function",
        }
    }
}

/// How CPython resolves a name inside one scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameScope {
    Local,
    /// Declared `global` here.
    GlobalExplicit,
    /// Not bound here or in any enclosing function: looked up in globals, then builtins.
    GlobalImplicit,
    /// Bound in an enclosing function and read through a cell (`co_freevars`).
    Free,
    /// Bound here and captured by an inner scope (`co_cellvars`).
    Cell,
}

/// The flags CPython's first symtable pass records for a name in a scope (`DEF_*`, `USE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SymbolFlags(u16);

impl SymbolFlags {
    pub const GLOBAL: SymbolFlags = SymbolFlags(1);
    pub const LOCAL: SymbolFlags = SymbolFlags(1 << 1);
    pub const PARAM: SymbolFlags = SymbolFlags(1 << 2);
    pub const NONLOCAL: SymbolFlags = SymbolFlags(1 << 3);
    pub const USE: SymbolFlags = SymbolFlags(1 << 4);
    /// Free in a method and also bound or declared global in the class body (`DEF_FREE_CLASS`).
    pub const FREE_CLASS: SymbolFlags = SymbolFlags(1 << 5);
    pub const IMPORT: SymbolFlags = SymbolFlags(1 << 6);
    pub const ANNOT: SymbolFlags = SymbolFlags(1 << 7);
    /// `DEF_BOUND`: any binding that makes the name local.
    pub const BOUND: SymbolFlags = SymbolFlags(Self::LOCAL.0 | Self::PARAM.0 | Self::IMPORT.0);

    pub const fn union(self, other: SymbolFlags) -> SymbolFlags {
        SymbolFlags(self.0 | other.0)
    }

    pub fn contains_any(self, other: SymbolFlags) -> bool {
        self.0 & other.0 != 0
    }

    pub fn insert(&mut self, other: SymbolFlags) {
        self.0 |= other.0;
    }
}

/// What one occurrence of a name does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Assignment target, `for`/`with`/`except` target, walrus, `def`/`class` name, match capture.
    Bind,
    Param,
    Import,
    Delete,
    Use,
    /// `global` / `nonlocal` statement.
    Declare,
}

/// One place a name occurs, as a byte range of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub range: Range<usize>,
    pub role: Role,
}

/// A name as one scope sees it. Names inside a class are stored mangled (`__x` in class `C` is
/// `_C__x`), as CPython stores them.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub flags: SymbolFlags,
    pub scope: NameScope,
    pub occurrences: Vec<Occurrence>,
}

/// One block of the symbol table; every scope but [`ScopeKind::Annotation`] is a code object.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub kind: ScopeKind,
    /// `co_name`: the `def`/`class` name, or `<module>`, `<lambda>`, `<listcomp>`, ...
    pub name: String,
    /// `co_qualname`.
    pub qualname: String,
    /// `co_firstlineno` (1-based): a decorated definition starts at its first decorator.
    pub first_line: usize,
    /// Byte range of the node that makes the scope (for a decorated definition, without the
    /// decorators).
    pub range: Range<usize>,
    /// Byte range of the `def`/`class` name, or of the `lambda` keyword.
    pub name_range: Option<Range<usize>>,
    pub parent: Option<ScopeId>,
    /// The name the `def`/`class` statement binds in the parent scope, mangled.
    binding_name: Option<String>,
    pub children: Vec<ScopeId>,
    pub symbols: Vec<Symbol>,
    symbol_index: HashMap<String, usize>,
    /// Parameter names (mangled) in `co_varnames` order: positional-only, positional,
    /// keyword-only, `*args`, `**kwargs`. Comprehensions have the implicit `.0`.
    pub params: Vec<String>,
    /// Whether a class body needs the implicit `__class__` cell.
    pub needs_class_closure: bool,
    /// Whether a class body needs the implicit `__classdict__` cell (3.12+: an annotation scope
    /// inside it reads the class namespace).
    pub needs_classdict: bool,
    /// An annotation scope (3.12+) that sees the names of the class body it is directly in
    /// (CPython's `ste_can_see_class_scope`).
    pub can_see_class_scope: bool,
    /// A list, set or dict comprehension inlined into the enclosing code object (3.12+,
    /// PEP 709): it has no code object, and its cells are the enclosing code object's.
    pub inlined: bool,

    /// Whether CPython's compiler emits a code object for this scope: not for annotation blocks,
    /// nor for definitions it drops as unreachable.
    pub has_code_object: bool,
    /// `co_freevars`, sorted by name.
    pub freevars: Vec<String>,
    /// `co_cellvars`: captured parameters in parameter order, then the other cells sorted.
    pub cellvars: Vec<String>,
}

impl Scope {
    fn new(kind: ScopeKind, name: String, parent: Option<ScopeId>, range: Range<usize>) -> Scope {
        Scope {
            kind,
            name,
            qualname: String::new(),
            first_line: 1,
            range,
            name_range: None,
            parent,
            binding_name: None,
            children: Vec::new(),
            symbols: Vec::new(),
            symbol_index: HashMap::new(),
            params: Vec::new(),
            needs_class_closure: false,
            needs_classdict: false,
            can_see_class_scope: false,
            inlined: false,
            has_code_object: kind != ScopeKind::Annotation,
            freevars: Vec::new(),
            cellvars: Vec::new(),
        }
    }

    /// The symbol for `name` (mangled, as stored), if the scope mentions it.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbol_index.get(name).map(|&i| &self.symbols[i])
    }

    fn symbol_mut(&mut self, name: &str) -> &mut Symbol {
        let index = match self.symbol_index.get(name) {
            Some(&i) => i,
            None => {
                self.symbols.push(Symbol {
                    name: name.to_string(),
                    flags: SymbolFlags::default(),
                    scope: NameScope::GlobalImplicit,
                    occurrences: Vec::new(),
                });
                self.symbol_index
                    .insert(name.to_string(), self.symbols.len() - 1);
                self.symbols.len() - 1
            }
        };
        &mut self.symbols[index]
    }

    fn flags(&self, name: &str) -> SymbolFlags {
        self.symbol(name).map(|s| s.flags).unwrap_or_default()
    }
}

/// The scopes of one file, module first, each scope's children in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeTree {
    pub scopes: Vec<Scope>,
    /// The scope a definition node (by byte range) makes.
    by_range: HashMap<(usize, usize), ScopeId>,
    /// Set when the tree was nested deeper than the model follows; the deepest parts are skipped.
    pub truncated: bool,
    /// The CPython version whose compiler the model follows (see [`modelled_version`]).
    pub version: PythonVersion,
}

impl ScopeTree {
    /// Builds the scope model of `text`, parsed as `tree`, as the compiler of CPython `target`
    /// (clamped to 3.8 ..= 3.13, see [`modelled_version`]) stores it.
    pub fn new(text: &str, tree: &Tree, target: PythonVersion) -> ScopeTree {
        Self::resolved(build::build(text, tree, modelled_version(target)))
    }

    /// [`ScopeTree::new`], and the nodes of the kinds in `kinds` its walk of the tree met, each
    /// at least once, in no order (see `build::build_observing`): for a caller that would
    /// otherwise walk the whole tree again to find them. When the model is `truncated`, the
    /// nodes below the depth it follows are missing. `lines` is the line index of `text`.
    pub fn with_nodes<'t>(
        text: &'t str,
        module: Module<'t>,
        lines: &LineIndex,
        target: PythonVersion,
        kinds: &'t [u16],
    ) -> (ScopeTree, Vec<Met<'t>>) {
        let (built, nodes) =
            build::build_observing(text, module, lines, modelled_version(target), kinds);
        (Self::resolved(built), nodes)
    }

    fn resolved(mut scope_tree: ScopeTree) -> ScopeTree {
        resolve::resolve(&mut scope_tree);
        scope_tree.index_ranges();
        scope_tree
    }

    fn index_ranges(&mut self) {
        self.by_range = self
            .scopes
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.range.start, s.range.end), ScopeId(i)))
            .collect();
    }

    /// The scope made by the `def`, `class`, `lambda` or comprehension node spanning `range`.
    pub fn scope_of_node(&self, range: Range<usize>) -> Option<ScopeId> {
        self.by_range.get(&(range.start, range.end)).copied()
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.0]
    }

    /// The innermost scope whose node's range holds `byte`, found through the scopes' ranges
    /// (children are in source order) rather than the syntax tree; in a generic function or
    /// class, through its type parameters' scope to the definition's. Ranges alone do not say
    /// which scope runs a function's decorators, defaults and annotations (the enclosing one):
    /// [`crate::analysis::context::Context::scope_containing`] does.
    pub fn innermost_at(&self, byte: usize) -> ScopeId {
        let mut id = ScopeId(0);
        loop {
            let scope = self.scope(id);
            let children = &scope.children;
            let child = if scope.kind == ScopeKind::TypeParams {
                // A few, not in source order: the bounds' scopes (inside the brackets), then
                // the definition's (around them).
                children
                    .iter()
                    .copied()
                    .find(|&c| self.scope(c).range.contains(&byte))
            } else {
                let after = children.partition_point(|&c| self.extent(c).start <= byte);
                after
                    .checked_sub(1)
                    .map(|i| children[i])
                    .filter(|&c| self.extent(c).contains(&byte))
            };
            match child {
                Some(child) => id = child,
                None => return id,
            }
        }
    }

    /// The scopes directly inside `id`, a generic function's or class's (PEP 695) in place of
    /// its type parameters' scope, whose child it is: the definitions made in `id`'s code.
    pub fn definitions_in(&self, id: ScopeId) -> impl Iterator<Item = ScopeId> + '_ {
        self.scope(id)
            .children
            .iter()
            .map(|&child| self.generic_definition(child).unwrap_or(child))
    }

    /// The bytes scope `id` spans: its node's, but for the scope of a generic function's or
    /// class's type parameters (PEP 695), whose node is only the brackets, the definition's.
    fn extent(&self, id: ScopeId) -> Range<usize> {
        self.scope(self.generic_definition(id).unwrap_or(id))
            .range
            .clone()
    }

    /// The scope of the `def` or `class` whose type parameters' scope is `id` (PEP 695).
    fn generic_definition(&self, id: ScopeId) -> Option<ScopeId> {
        let scope = self.scope(id);
        if scope.kind != ScopeKind::TypeParams {
            return None;
        }
        scope
            .children
            .iter()
            .copied()
            .find(|&c| matches!(self.scope(c).kind, ScopeKind::Function | ScopeKind::Class))
    }

    /// Whether a scope directly inside `id` has `name` among its free variables.
    pub fn captured_inside(&self, id: ScopeId, name: &str) -> bool {
        self.scope(id)
            .children
            .iter()
            .any(|&child| self.scope(child).freevars.iter().any(|free| free == name))
    }

    /// The function whose cell holds the variable `name` seen from `start`: `start` itself or
    /// the nearest enclosing scope that is not a class body and makes `name` a cell.
    pub fn cell_owner(&self, start: ScopeId, name: &str) -> Option<ScopeId> {
        let mut current = Some(start);
        while let Some(id) = current {
            let scope = self.scope(id);
            if scope.kind != ScopeKind::Class
                && scope
                    .symbol(name)
                    .is_some_and(|s| s.scope == NameScope::Cell)
            {
                return Some(id);
            }
            current = scope.parent;
        }
        None
    }

    /// Scopes in pre-order (a scope before its children, children in source order).
    pub fn preorder(&self) -> Vec<ScopeId> {
        let mut order = Vec::with_capacity(self.scopes.len());
        let mut stack = vec![ScopeId(0)];
        while let Some(id) = stack.pop() {
            order.push(id);
            stack.extend(self.scope(id).children.iter().rev());
        }
        order
    }

    /// The scopes that CPython turns into code objects, in pre-order.
    pub fn code_objects(&self) -> impl Iterator<Item = &Scope> {
        self.preorder()
            .into_iter()
            .map(|id| self.scope(id))
            .filter(|s| s.has_code_object)
    }
}

#[cfg(test)]
mod tests;
