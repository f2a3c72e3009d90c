//! What the modules of a checked tree use of each other, so that `check --fix` never removes a
//! module-level name another module reads (`trans_real._translations`, `from m import name`):
//! everything would still compile, and the other module would fail at run time, or silently
//! stop resetting a cache.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tree_sitter::Node;

use crate::analysis::parse::parse;
use crate::files::{PythonFile, for_each_file, read_source};

/// Every dotted name the files refer to through an import: `m.name` for `from m import name`
/// and for `m.name` after `import m` (relative imports resolved against each file's package).
#[derive(Default)]
pub struct ProjectUses {
    referenced: HashSet<String>,
}

impl ProjectUses {
    pub fn scan(files: &[PythonFile]) -> ProjectUses {
        let found = for_each_file(files, |file| {
            let Ok(text) = read_source(file) else {
                return Vec::new();
            };
            let package = module_name(&file.path).map(|module| {
                let is_package = file.path.file_name().is_some_and(|n| n == "__init__.py");
                if is_package {
                    module
                } else {
                    module
                        .rsplit_once('.')
                        .map(|(p, _)| p.to_string())
                        .unwrap_or_default()
                }
            });
            references(&text, package.as_deref())
        });
        ProjectUses {
            referenced: found.into_iter().flatten().collect(),
        }
    }

    /// The names of `module` that the files refer to.
    pub fn names_used_of(&self, module: &str) -> HashSet<String> {
        let prefix = format!("{module}.");
        self.referenced
            .iter()
            .filter_map(|dotted| dotted.strip_prefix(&prefix))
            .map(|rest| rest.split('.').next().unwrap_or(rest).to_string())
            .collect()
    }
}

/// The dotted module name of a file: its stem, under every directory above it that holds an
/// `__init__.py`.
pub fn module_name(path: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let mut parts = if stem == "__init__" {
        Vec::new()
    } else {
        vec![stem]
    };
    let mut directory = path.parent();
    while let Some(dir) = directory {
        if !dir.join("__init__.py").is_file() {
            break;
        }
        parts.push(dir.file_name()?.to_string_lossy().into_owned());
        directory = dir.parent();
    }
    parts.reverse();
    (!parts.is_empty()).then(|| parts.join("."))
}

/// The dotted names one file refers to through its imports; `package` resolves relative ones.
fn references(text: &str, package: Option<&str>) -> Vec<String> {
    let tree = parse(text);
    let mut aliases: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    let mut attributes = Vec::new();
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        match node.kind() {
            "import_statement" => {
                for name in node.children_by_field_name("name", &mut cursor) {
                    let (module, alias) = match name.kind() {
                        "aliased_import" => (
                            name.child_by_field_name("name"),
                            name.child_by_field_name("alias"),
                        ),
                        _ => (Some(name), None),
                    };
                    let Some(module) = module else { continue };
                    let module = &text[module.byte_range()];
                    match alias {
                        Some(alias) => {
                            aliases.insert(text[alias.byte_range()].to_string(), module.into());
                        }
                        // `import a.b` binds `a`; `a.b.x` is then `a.b.x`.
                        None => {
                            let first = module.split('.').next().unwrap_or(module);
                            aliases.insert(first.to_string(), first.to_string());
                        }
                    }
                }
            }
            "import_from_statement" => {
                if let Some(module) = from_module(node, text, package) {
                    for name in node.children_by_field_name("name", &mut cursor) {
                        let (imported, local) = match name.kind() {
                            "aliased_import" => (
                                name.child_by_field_name("name"),
                                name.child_by_field_name("alias"),
                            ),
                            _ => (Some(name), Some(name)),
                        };
                        let (Some(imported), Some(local)) = (imported, local) else {
                            continue;
                        };
                        let dotted = format!("{module}.{}", &text[imported.byte_range()]);
                        aliases.insert(text[local.byte_range()].to_string(), dotted.clone());
                        out.push(dotted);
                    }
                }
            }
            "attribute" => attributes.push(node),
            _ => {}
        }
        for i in (0..node.child_count()).rev() {
            if let Some(child) = node.child(i) {
                stack.push(child);
            }
        }
    }
    for attribute in attributes {
        if let Some(dotted) = qualified(attribute, text, &aliases) {
            out.push(dotted);
        }
    }
    out
}

/// The module an `import ... from` statement names, relative ones resolved.
fn from_module(node: Node, text: &str, package: Option<&str>) -> Option<String> {
    let module = node.child_by_field_name("module_name")?;
    if module.kind() == "dotted_name" {
        return Some(text[module.byte_range()].to_string());
    }
    // `relative_import`: dots, then maybe a dotted name.
    let source = &text[module.byte_range()];
    let dots = source.chars().take_while(|&c| c == '.').count();
    let rest = source[dots..].trim();
    let mut base: Vec<&str> = package?.split('.').filter(|p| !p.is_empty()).collect();
    for _ in 1..dots {
        base.pop()?;
    }
    if !rest.is_empty() {
        base.push(rest);
    }
    (!base.is_empty()).then(|| base.join("."))
}

/// `a.b.c` with its first name's import put in: `m.b.c` after `import m as a`.
fn qualified(node: Node, text: &str, aliases: &HashMap<String, String>) -> Option<String> {
    match node.kind() {
        "identifier" => aliases.get(&text[node.byte_range()]).cloned(),
        "attribute" => {
            let object = node.child_by_field_name("object")?;
            let attribute = node.child_by_field_name("attribute")?;
            Some(format!(
                "{}.{}",
                qualified(object, text, aliases)?,
                &text[attribute.byte_range()]
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_relative_and_attribute_uses_are_found() {
        let text = "from . import trans_real\nfrom ..cache import lookup as l\nimport pkg.mod as m\nimport os.path\n\
                    trans_real._translations = {}\nm.table.clear()\nos.path.join\n";
        let mut found = references(text, Some("pkg.utils.translation"));
        found.sort();
        assert_eq!(
            found,
            [
                "os.path",
                "os.path.join",
                "pkg.mod.table",
                "pkg.mod.table.clear",
                "pkg.utils.cache.lookup",
                "pkg.utils.translation.trans_real",
                "pkg.utils.translation.trans_real._translations",
            ]
        );
    }
}
