//! The classes of an edited file, read again only where the file changed.
//!
//! What [`class`](super::class) and [`Classes::collect_instance_attributes`] read of a class (its `def`s and
//! their decorators, its class attributes and aliases, its methods and what they set on `self`)
//! lies in the top-level statement that holds it, with one exception: what a decorator that is
//! a plain name makes of a method depends on the module's imports and bindings
//! ([`named_decorator_kind`]: `@property` rebound, `@mydescriptor` defined elsewhere). So
//! [`ClassCache`] keeps the classes of each top-level statement, by the statement's text, with
//! what each such name meant then. A statement whose text is unchanged, whose names still mean
//! the same has its classes made again from the nodes recorded ([`UnitNodes`], taken from
//! the statement's subtree when the parse reused it, else looked for by position) without
//! reading it; any other is read. The file's imports and the
//! target version are the key of the whole cache.

use std::ops::Range;

use foldhash::{HashMap, HashMapExt};
use tree_sitter::{Node, Tree};

use super::{Class, Classes, Method};
use crate::analysis::context::Context;
use crate::analysis::imports::Imports;
use crate::analysis::queries::UnitNodes;
use crate::analysis::semantic::function_kind::{Kind, Rewraps, named_decorator_kind};
use crate::analysis::settings::PythonVersion;
use crate::analysis::statement_text::{ByStatementText, EndsHash};
use crate::analysis::syntax::{Field, NodeLookups, named_children};

/// The classes of the top-level statements of one document's last analysis.
#[derive(Default)]
pub struct ClassCache {
    units: ByStatementText<KeptUnit>,
    /// What every entry was read with.
    imports: Imports,
    version: Option<PythonVersion>,
    /// The tree every unit's nodes were recorded in (or found again in, the same subtree),
    /// kept alive for [`UnitNodes::find`].
    tree: Option<Tree>,
    /// How many top-level statements holding classes the last analysis read.
    read: usize,
}

impl ClassCache {
    /// How many top-level statements holding classes the analysis that made this cache read
    /// (the others' classes it made from what the cache kept).
    pub fn read(&self) -> usize {
        self.read
    }
}

/// The classes of one top-level statement.
struct KeptUnit {
    /// The nodes the classes name, by index.
    nodes: UnitNodes,
    classes: Vec<KeptClass>,
    /// Each plain name used as a decorator or wrapper in its class bodies, with its kind.
    decorators: Vec<(Box<str>, Option<Kind>)>,
}

/// A [`Class`] with its nodes as indexes into [`KeptUnit::nodes`] and its names as spans of
/// the statement's text.
struct KeptClass {
    node: usize,
    name_node: usize,
    base_names: Vec<Span>,
    methods: Vec<KeptMethod>,
    defs: Vec<(Span, Vec<usize>, usize)>,
    class_attributes: Vec<Span>,
    aliases: Vec<(Span, Span)>,
    instance_attributes: Vec<(Span, Vec<usize>)>,
}

struct KeptMethod {
    node: usize,
    self_name: Span,
}

/// A name, by where it lies relative to the statement's start.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// The classes of one top-level statement in this analysis.
pub(super) struct Unit<'t> {
    statement: Node<'t>,
    /// Its entry, taken from the last analysis, when its classes were made from it.
    kept: Option<(Box<str>, KeptUnit)>,
    /// Its class nodes, as a range of those [`ClassCache::plan`] was given.
    class_nodes: Range<usize>,
    /// Its classes, as a range of [`Classes::classes`] (once [`Plan::assemble`] placed them).
    pub classes: Range<usize>,
}

impl<'t> Unit<'t> {
    /// Whether its classes were read, not made from the cache.
    pub fn is_read(&self) -> bool {
        self.kept.is_none()
    }
}

/// Which classes an analysis makes from the cache and which it reads.
pub(super) struct Plan<'t> {
    pub units: Vec<Unit<'t>>,
    /// The classes made from the cache, in order.
    made: Vec<Class<'t>>,
}

impl ClassCache {
    /// Splits the class nodes (every class the file's matches name, with its name, in order)
    /// by top-level statement, and makes again the classes of every statement the cache can
    /// serve. The cache is left empty: [`ClassCache::keep`] fills it again.
    pub(super) fn plan<'t>(
        &mut self,
        context: &Context<'t>,
        class_nodes: &[(Node<'t>, Node<'t>)],
    ) -> Plan<'t> {
        if self.imports != *context.imports || self.version != Some(context.settings.target_version)
        {
            self.units.clear();
        }
        let mut meanings: HashMap<Box<str>, Option<Kind>> = HashMap::new();
        let mut plan = Plan {
            units: Vec::new(),
            made: Vec::new(),
        };
        let mut at = 0;
        while at < class_nodes.len() {
            let start = class_nodes[at].0.start_byte();
            let holder = context.top.partition_point(|s| s.start_byte() <= start);
            let statement = context.top[holder.saturating_sub(1)];
            let end = at
                + class_nodes[at..]
                    .iter()
                    .take_while(|(node, _)| node.end_byte() <= statement.end_byte())
                    .count()
                    .max(1);
            let source = &context.text[statement.byte_range()];
            let kept = match self.units.remove_entry(source) {
                Some(mut entry) if !statement.has_error() && self.tree.is_some() => {
                    let unchanged = entry.1.decorators.iter().all(|(name, kind)| {
                        let now = match meanings.get(name) {
                            Some(now) => *now,
                            None => {
                                let now = named_decorator_kind(context, name);
                                meanings.insert(name.clone(), now);
                                now
                            }
                        };
                        now == *kind
                    });
                    // SAFETY: `self.tree`, which the entry's nodes were recorded in, is alive;
                    // then they are in this analysis's tree, which `keep` keeps.
                    let made = unchanged
                        .then(|| unsafe { entry.1.nodes.find_or_look_for(statement) })
                        .flatten()
                        .and_then(|nodes| {
                            let base = statement.start_byte();
                            entry
                                .1
                                .classes
                                .iter()
                                .map(|kept| kept.make(context, &nodes, base))
                                .collect::<Option<Vec<_>>>()
                        });
                    made.map(|made| {
                        plan.made.extend(made);
                        entry
                    })
                }
                _ => None,
            };
            plan.units.push(Unit {
                statement,
                kept,
                class_nodes: at..end,
                classes: 0..0,
            });
            at = end;
        }
        plan
    }

    /// Keeps the classes of this analysis, those read recorded, for the next; `tree` is the
    /// tree they are in.
    pub(super) fn keep(&mut self, classes: &Classes, plan: Plan, tree: &Tree) {
        let context = classes.context;
        let mut units = ByStatementText::with_capacity_and_hasher(plan.units.len(), EndsHash);
        let mut read = 0;
        for unit in plan.units {
            match unit.kept {
                Some((key, entry)) => {
                    units.entry(key).or_insert(entry);
                }
                None => {
                    read += 1;
                    if !unit.statement.has_error() {
                        let source = &context.text[unit.statement.byte_range()];
                        let entry = record(
                            context,
                            unit.statement,
                            &classes.classes[unit.classes.clone()],
                        );
                        units.entry(source.into()).or_insert(entry);
                    }
                }
            }
        }
        *self = ClassCache {
            units,
            imports: context.imports.clone(),
            version: Some(context.settings.target_version),
            tree: Some(tree.clone()),
            read,
        };
    }
}

impl<'t> Plan<'t> {
    /// The class nodes to read: those of the statements the cache could not serve.
    pub fn to_read(&self, class_nodes: &[(Node<'t>, Node<'t>)]) -> Vec<(Node<'t>, Node<'t>)> {
        self.units
            .iter()
            .filter(|unit| unit.is_read())
            .flat_map(|unit| class_nodes[unit.class_nodes.clone()].iter().copied())
            .collect()
    }

    /// Every class in order: those made from the cache and `read` (one per node of
    /// [`Plan::to_read`], `None` where it is no class [`class`](super::class) reads); each unit learns where
    /// its classes are.
    pub fn assemble(&mut self, read: Vec<Option<Class<'t>>>) -> Vec<Class<'t>> {
        let mut made = std::mem::take(&mut self.made).into_iter();
        let mut read = read.into_iter();
        let mut classes = Vec::new();
        for unit in &mut self.units {
            let first = classes.len();
            match &unit.kept {
                Some((_, entry)) => classes.extend(made.by_ref().take(entry.classes.len())),
                None => classes.extend(read.by_ref().take(unit.class_nodes.len()).flatten()),
            }
            unit.classes = first..classes.len();
        }
        classes
    }
}

impl KeptClass {
    /// The class, its nodes taken from `nodes` and its names from the text at `base`, the
    /// statement's start; `None` when a method has no scope (a model the cache cannot serve).
    fn make<'t>(
        &self,
        context: &Context<'t>,
        nodes: &[Node<'t>],
        base: usize,
    ) -> Option<Class<'t>> {
        let text = context.text;
        let name = |span: Span| {
            let start = base + span.start as usize;
            &text[start..start + span.len as usize]
        };
        let methods = self
            .methods
            .iter()
            .map(|method| {
                let node = nodes[method.node];
                Some(Method {
                    node,
                    scope: context.scopes.scope_of_node(node.byte_range())?,
                    self_name: name(method.self_name),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let name_node = nodes[self.name_node];
        Some(Class {
            node: nodes[self.node],
            name_node,
            name: context.text_of(name_node),
            bases: Vec::new(),
            base_names: self.base_names.iter().map(|&s| name(s)).collect(),
            methods,
            defs: self
                .defs
                .iter()
                .map(|(def_name, decorators, node)| {
                    let decorators = decorators.iter().map(|&d| nodes[d]).collect();
                    (name(*def_name), decorators, nodes[*node])
                })
                .collect(),
            class_attributes: self.class_attributes.iter().map(|&s| name(s)).collect(),
            aliases: self
                .aliases
                .iter()
                .map(|&(alias, target)| (name(alias), name(target)))
                .collect(),
            instance_attributes: self
                .instance_attributes
                .iter()
                .map(|(attribute, values)| {
                    (name(*attribute), values.iter().map(|&v| nodes[v]).collect())
                })
                .collect(),
        })
    }
}

/// The entry for the classes of `statement`, which hold it.
fn record(context: &Context, statement: Node, classes: &[Class]) -> KeptUnit {
    let base = statement.start_byte();
    let mut nodes = Vec::new();
    let mut index = |node| {
        nodes.push(node);
        nodes.len() - 1
    };
    let span = |name: &str| {
        // Every name of a class is a slice of the file's text.
        let start = (name.as_ptr() as usize)
            .checked_sub(context.text.as_ptr() as usize)
            .filter(|&start| start >= base && start + name.len() <= statement.end_byte())
            .expect("a name in the statement's text");
        Span {
            start: (start - base) as u32,
            len: name.len() as u32,
        }
    };
    let mut kept = Vec::with_capacity(classes.len());
    let mut decorators: Vec<(Box<str>, Option<Kind>)> = Vec::new();
    for class in classes {
        let mut names: Vec<Node> = class
            .defs
            .iter()
            .flat_map(|(_, decorators, _)| decorators.iter().copied())
            .collect();
        if let Some(body) = class.node.field(Field::Body) {
            names.extend(Rewraps::new(context, &named_children(body)).wrappers());
        }
        for name in names.into_iter().filter(|n| n.kind_name() == "identifier") {
            let name = context.text_of(name);
            if decorators.iter().all(|(known, _)| **known != *name) {
                decorators.push((name.into(), named_decorator_kind(context, name)));
            }
        }
        kept.push(KeptClass {
            node: index(class.node),
            name_node: index(class.name_node),
            base_names: class.base_names.iter().map(|b| span(b)).collect(),
            methods: class
                .methods
                .iter()
                .map(|method| KeptMethod {
                    node: index(method.node),
                    self_name: span(method.self_name),
                })
                .collect(),
            defs: class
                .defs
                .iter()
                .map(|(name, decorators, node)| {
                    let decorators = decorators.iter().map(|&d| index(d)).collect();
                    (span(name), decorators, index(*node))
                })
                .collect(),
            class_attributes: class.class_attributes.iter().map(|a| span(a)).collect(),
            aliases: class
                .aliases
                .iter()
                .map(|(alias, target)| (span(alias), span(target)))
                .collect(),
            instance_attributes: class
                .instance_attributes
                .iter()
                .map(|(attribute, values)| {
                    (span(attribute), values.iter().map(|&v| index(v)).collect())
                })
                .collect(),
        });
    }
    KeptUnit {
        // SAFETY: the classes of a statement, and every node they name, lie in its subtree.
        nodes: unsafe { UnitNodes::record(statement, nodes.into_iter()) },
        classes: kept,
        decorators,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::context::with_context;
    use crate::analysis::parse::{parse, python_parser};
    use crate::analysis::settings::Settings;

    /// `text` with `range` replaced by `piece`, and its tree parsed incrementally from `tree`,
    /// as the editor's is.
    fn edit(tree: &Tree, text: &str, range: Range<usize>, piece: &str) -> (String, Tree) {
        let point = |text: &str, at: usize| {
            let row = text[..at].matches('\n').count();
            tree_sitter::Point::new(row, at - text[..at].rfind('\n').map_or(0, |n| n + 1))
        };
        let mut edited_text = text.to_string();
        edited_text.replace_range(range.clone(), piece);
        let new_end = range.start + piece.len();
        let mut edited = tree.clone();
        edited.edit(&tree_sitter::InputEdit {
            start_byte: range.start,
            old_end_byte: range.end,
            new_end_byte: new_end,
            start_position: point(text, range.start),
            old_end_position: point(text, range.end),
            new_end_position: point(&edited_text, new_end),
        });
        let tree = python_parser().parse(&edited_text, Some(&edited)).unwrap();
        (edited_text, tree)
    }

    /// What the rules read of every class, in order.
    fn described(classes: &Classes) -> Vec<String> {
        let at = |node: Node| format!("{}@{:?}", node.kind(), node.byte_range());
        classes
            .classes
            .iter()
            .map(|class| {
                let mut attributes: Vec<_> = class.class_attributes.iter().collect();
                attributes.sort();
                let mut aliases: Vec<_> = class.aliases.iter().collect();
                aliases.sort();
                let mut instance: Vec<_> = class
                    .instance_attributes
                    .iter()
                    .map(|(name, values)| (name, values.iter().map(|&v| at(v)).collect::<Vec<_>>()))
                    .collect();
                instance.sort();
                let methods: Vec<_> = class
                    .methods
                    .iter()
                    .map(|m| (at(m.node), m.scope, m.self_name))
                    .collect();
                let defs: Vec<_> = class
                    .defs
                    .iter()
                    .map(|(name, decorators, node)| {
                        (
                            name,
                            decorators.iter().map(|&d| at(d)).collect::<Vec<_>>(),
                            at(*node),
                        )
                    })
                    .collect();
                format!(
                    "{} {} {} bases {:?} methods {methods:?} defs {defs:?} class attributes \
                     {attributes:?} aliases {aliases:?} instance attributes {instance:?}",
                    class.name,
                    at(class.node),
                    at(class.name_node),
                    class.bases,
                )
            })
            .collect()
    }

    /// The classes of `text` read whole, and as `cache` makes them (then keeping them).
    fn both(text: &str, tree: &Tree, cache: &mut ClassCache) -> (Vec<String>, Vec<String>) {
        with_context(text, tree, &Settings::default(), |context| {
            let whole = described(&Classes::new(context, false));
            let kept = described(&Classes::kept(context, true, Some((cache, tree))));
            (whole, kept)
        })
    }

    const FILE: &str = "\
import functools

class Base:
    def __init__(self, parent):
        self.parent = parent
        self.items = []

class Child(Base):
    label = 'child'
    alias = Base.__init__

    def run(self):
        self.items.append(self.run)

    @property
    def size(self):
        return len(self.items)

def factory():
    class Local:
        def __init__(self):
            self.callback = self.factory
    return Local

class Last:
    def go(self):
        self.value = 1
";

    #[test]
    fn a_keystroke_reads_the_classes_of_its_statement_only() {
        let mut cache = ClassCache::default();
        let tree = parse(FILE);
        let (whole, kept) = both(FILE, &tree, &mut cache);
        assert_eq!(whole, kept);
        assert_eq!(
            cache.read(),
            4,
            "every statement holding classes read at first"
        );
        // A keystroke in `Child.run`: one statement read, the others' classes made again.
        let at = FILE.find("self.run)").unwrap() + "self.".len();
        let (text, tree) = edit(&tree, FILE, at..at + 3, "size");
        let (whole, kept) = both(&text, &tree, &mut cache);
        assert_eq!(whole, kept);
        assert_eq!(cache.read(), 1);
        // A statement moved down by an edit above it keeps its classes, at their new places.
        let (text, tree) = edit(&tree, &text, 0..0, "\n\n");
        let (whole, kept) = both(&text, &tree, &mut cache);
        assert_eq!(whole, kept);
        assert_eq!(cache.read(), 0);
        // New imports: every statement read again.
        let (text, tree) = edit(&tree, &text, 0..0, "import os\n");
        let (whole, kept) = both(&text, &tree, &mut cache);
        assert_eq!(whole, kept);
        assert_eq!(cache.read(), 4);
    }

    #[test]
    fn a_decorator_defined_elsewhere_is_read_again_when_it_changes() {
        // `accessor`'s `__get__` passes the owner class: `read` is no instance method.
        let file = "\
class accessor:
    def __init__(self, f):
        self.f = f
    def __get__(self, instance, owner):
        return self.f(owner)

class Model:
    @accessor
    def read(self):
        self.cached = 1
";
        let mut cache = ClassCache::default();
        let tree = parse(file);
        let (whole, kept) = both(file, &tree, &mut cache);
        assert_eq!(whole, kept);
        assert!(whole[1].contains("methods []"), "{}", whole[1]);
        // It now passes the instance: `read` is a method, which sets `self.cached`.
        let at = file.find("(owner)").unwrap() + 1;
        let (text, tree) = edit(&tree, file, at..at + "owner".len(), "instance");
        let (whole, kept) = both(&text, &tree, &mut cache);
        assert_eq!(whole, kept);
        assert!(whole[1].contains("\"cached\""), "{}", whole[1]);
        assert_eq!(cache.read(), 2);
    }

    #[test]
    fn classes_made_again_equal_those_read_after_every_edit() {
        let mut text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/rules/rh202_self_referencing_bound_method.py"
        ))
        .unwrap();
        let mut tree = parse(&text);
        let mut cache = ClassCache::default();
        let mut reused = 0;
        for round in 0..60 {
            // Spread over the file, on character boundaries; some insert, some delete.
            let mut at = (round * 7919) % text.len();
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let end = (at + round % 3).min(text.len());
            let end = if text.is_char_boundary(end) { end } else { at };
            let piece = ["x", "", "self", "\n", " = 1"][round % 5];
            (text, tree) = edit(&tree, &text, at..end, piece);
            let (whole, kept) = both(&text, &tree, &mut cache);
            assert_eq!(whole, kept, "after edit {round}");
            reused += usize::from(cache.read() < whole.len());
        }
        assert!(reused > 30, "the cache served {reused} edits");
    }
}
