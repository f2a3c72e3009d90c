//! Which names a file imports, so rules can tell `functools.lru_cache` from a look-alike.

use foldhash::HashMap;

use tree_sitter::Node;

use super::queries::{Family, Matches};
use crate::analysis::syntax::{Field, NodeLookups};

/// Local name -> dotted name it was imported as, for every import statement in the file.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Imports {
    names: HashMap<String, String>,
}

impl Imports {
    /// The imports among a file's query matches (`queries/imports.scm`).
    pub fn new(text: &str, matches: &Matches) -> Imports {
        let mut imports = Imports::default();
        for node in matches
            .of(Family::Imports)
            .iter()
            .filter_map(|captures| captures.get("import"))
        {
            match node.kind_name() {
                "import_statement" => imports.add_import(node, text),
                _ => imports.add_import_from(node, text),
            }
        }
        imports
    }

    /// `import a.b.c` binds `a` to `a`; `import a.b as x` binds `x` to `a.b`.
    fn add_import(&mut self, node: Node, text: &str) {
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            match name.kind_name() {
                "dotted_name" => {
                    if let Some(first) = name.named_child(0) {
                        let first = &text[first.byte_range()];
                        self.names.insert(first.to_string(), first.to_string());
                    }
                }
                "aliased_import" => {
                    if let (Some(module), Some(alias)) =
                        (name.field(Field::Name), name.field(Field::Alias))
                    {
                        self.names.insert(
                            text[alias.byte_range()].to_string(),
                            text[module.byte_range()].to_string(),
                        );
                    }
                }
                _ => {}
            }
        }
    }

    /// `from m import n as k` binds `k` to `m.n`. Relative imports are left out.
    fn add_import_from(&mut self, node: Node, text: &str) {
        let Some(module) = node
            .field(Field::ModuleName)
            .filter(|m| m.kind_name() == "dotted_name")
        else {
            return;
        };
        let module = &text[module.byte_range()];
        let mut cursor = node.walk();
        for name in node.children_by_field_name("name", &mut cursor) {
            let (imported, local) = match name.kind_name() {
                "dotted_name" => (name, name),
                "aliased_import" => match (name.field(Field::Name), name.field(Field::Alias)) {
                    (Some(imported), Some(alias)) => (imported, alias),
                    _ => continue,
                },
                _ => continue,
            };
            self.names.insert(
                text[local.byte_range()].to_string(),
                format!("{module}.{}", &text[imported.byte_range()]),
            );
        }
    }

    /// The dotted name `node` (a name or an attribute chain) refers to, if its first name was
    /// imported.
    pub fn qualified_name(&self, node: Node, text: &str) -> Option<String> {
        match node.kind_name() {
            "identifier" => self
                .imported_as(&text[node.byte_range()])
                .map(str::to_string),
            "attribute" => {
                let object = node.field(Field::Object)?;
                let attribute = node.field(Field::Attribute)?;
                let base = self.qualified_name(object, text)?;
                Some(format!("{base}.{}", &text[attribute.byte_range()]))
            }
            _ => None,
        }
    }

    /// Whether some name this file imports could begin the dotted name `qualified` (for
    /// `threading.local`: `threading`, or `threading.local` itself): else no expression of the
    /// file names it, and [`Imports::qualified_name`] never gives it.
    pub fn may_name(&self, qualified: &str) -> bool {
        self.names.values().any(|imported| {
            qualified
                .strip_prefix(imported.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// The dotted name the local name `local` was imported as, if it was.
    pub fn imported_as(&self, local: &str) -> Option<&str> {
        self.names.get(local).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;

    fn resolve(source: &str, expression: &str) -> Option<String> {
        let text = format!("{source}\n{expression}\n");
        let tree = parse(&text);
        let matches = Matches::new(tree.root_node(), &text);
        let imports = Imports::new(&text, &matches);
        let start = text.rfind(expression).unwrap();
        let node = tree
            .root_node()
            .descendant_for_byte_range(start, start + expression.len())
            .unwrap();
        imports.qualified_name(node, &text)
    }

    #[test]
    fn may_name_what_an_import_leads_to() {
        let may_name = |source: &str, qualified: &str| {
            let tree = parse(source);
            let matches = Matches::new(tree.root_node(), source);
            Imports::new(source, &matches).may_name(qualified)
        };
        // Each names `threading.local` through its import.
        for (source, expression) in [
            ("import threading", "threading.local"),
            ("import threading as t", "t.local"),
            ("from threading import local as L", "L"),
            ("import threading.local", "threading.local"),
        ] {
            assert_eq!(
                resolve(source, expression).as_deref(),
                Some("threading.local")
            );
            assert!(may_name(source, "threading.local"), "{source}");
        }
        for source in [
            "import thread",
            "import threadingx",
            "import os",
            "from threading import Lock",
            "",
        ] {
            assert!(!may_name(source, "threading.local"), "{source}");
        }
    }

    #[test]
    fn resolves_through_aliases() {
        assert_eq!(
            resolve("import functools as ft", "ft.lru_cache").as_deref(),
            Some("functools.lru_cache")
        );
        assert_eq!(
            resolve("from functools import cache as c", "c").as_deref(),
            Some("functools.cache")
        );
        assert_eq!(
            resolve("import os.path", "os.path.join").as_deref(),
            Some("os.path.join")
        );
        assert_eq!(resolve("import gc", "lru_cache"), None);
    }
}
