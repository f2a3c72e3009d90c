//! What the modules of a project use of each other, so that a fix never removes a module-level
//! name another module reads (`trans_real._translations`, `from m import name`): everything
//! would still compile, and the other module would fail at run time, or silently stop resetting
//! a cache. `refhound check --fix` scans the checked tree once; the language server keeps one
//! up to date from its workspace scan, saves and watched files.

pub mod releases;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tree_sitter::{Node, Tree};

use crate::analysis::parse::parse;
use crate::analysis::syntax::{Field, NodeLookups};
use crate::files::{PythonFile, for_each_file, read_source};

/// Every dotted name the files refer to through an import: `m.name` for `from m import name`
/// and for `m.name` after `import m` (relative imports resolved against each file's package),
/// kept per file so that one file can be read again alone.
#[derive(Default)]
pub struct ProjectUses {
    /// Each file's references, sorted and without repeats.
    files: HashMap<PathBuf, Vec<String>>,
    /// For each module, each of its names referred to, and how many references (over all files)
    /// name it.
    names: HashMap<String, HashMap<String, usize>>,
}

impl ProjectUses {
    /// The uses of every file of `files` (files that cannot be read use nothing).
    pub fn scan(files: &[PythonFile]) -> ProjectUses {
        let found = for_each_file(files, |file| {
            let text = read_source(file).ok()?;
            let tree = parse(&text);
            Some((file.path.clone(), file_references(&file.path, &text, &tree)))
        });
        let mut uses = ProjectUses::default();
        for (path, references) in found.into_iter().flatten() {
            uses.set(path, references);
        }
        uses
    }

    /// Records what the file at `path` refers to now (see [`file_references`]), replacing what
    /// it referred to before.
    pub fn set(&mut self, path: PathBuf, mut references: Vec<String>) {
        self.remove(&path);
        references.sort_unstable();
        references.dedup();
        for (module, name) in references.iter().flat_map(|dotted| split_points(dotted)) {
            *self
                .names
                .entry(module.to_string())
                .or_default()
                .entry(name.to_string())
                .or_default() += 1;
        }
        self.files.insert(path, references);
    }

    /// Forgets the file at `path` (deleted, or no longer in the project).
    pub fn remove(&mut self, path: &Path) {
        let Some(references) = self.files.remove(path) else {
            return;
        };
        for (module, name) in references.iter().flat_map(|dotted| split_points(dotted)) {
            let Some(names) = self.names.get_mut(module) else {
                continue;
            };
            if let Some(count) = names.get_mut(name) {
                *count -= 1;
                if *count == 0 {
                    names.remove(name);
                }
            }
            if names.is_empty() {
                self.names.remove(module);
            }
        }
    }

    /// Forgets every file for which `keep` is false.
    pub fn retain(&mut self, keep: impl Fn(&Path) -> bool) {
        let gone: Vec<PathBuf> = self.files.keys().filter(|p| !keep(p)).cloned().collect();
        for path in gone {
            self.remove(&path);
        }
    }

    /// Whether the file at `path` is recorded.
    pub fn contains(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// The names of `module` that files other than `file` (the module's own) refer to.
    pub fn names_used_of(&self, module: &str, file: &Path) -> HashSet<String> {
        let Some(names) = self.names.get(module) else {
            return HashSet::new();
        };
        let mut own: HashMap<&str, usize> = HashMap::new();
        for (of, name) in self
            .files
            .get(file)
            .into_iter()
            .flatten()
            .flat_map(|dotted| split_points(dotted))
        {
            if of == module {
                *own.entry(name).or_default() += 1;
            }
        }
        names
            .iter()
            .filter(|(name, count)| **count > own.get(name.as_str()).copied().unwrap_or(0))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// Each module a dotted reference goes through, with the name it reads of it: `a.b.c` gives
/// (`a`, `b`) and (`a.b`, `c`).
fn split_points(dotted: &str) -> impl Iterator<Item = (&str, &str)> {
    dotted.match_indices('.').map(move |(at, _)| {
        let rest = &dotted[at + 1..];
        (&dotted[..at], rest.split('.').next().unwrap_or(rest))
    })
}

/// The dotted names the file at `path` (with `text`, parsed as `tree`) refers to through its
/// imports; relative imports are resolved against the file's package.
pub fn file_references(path: &Path, text: &str, tree: &Tree) -> Vec<String> {
    let package = module_name(path).map(|module| {
        let is_package = path.file_name().is_some_and(|n| n == "__init__.py");
        if is_package {
            module
        } else {
            module
                .rsplit_once('.')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default()
        }
    });
    references(text, tree, package.as_deref())
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
fn references(text: &str, tree: &Tree, package: Option<&str>) -> Vec<String> {
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
                        "aliased_import" => (name.field(Field::Name), name.field(Field::Alias)),
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
                            "aliased_import" => (name.field(Field::Name), name.field(Field::Alias)),
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
    let module = node.field(Field::ModuleName)?;
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
            let object = node.field(Field::Object)?;
            let attribute = node.field(Field::Attribute)?;
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
        let mut found = references(text, &parse(text), Some("pkg.utils.translation"));
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

    #[test]
    fn uses_are_counted_per_file_and_a_module_own_uses_do_not_count() {
        let mut uses = ProjectUses::default();
        let (trans, reloader, signals) = (
            Path::new("pkg/trans.py"),
            Path::new("pkg/reloader.py"),
            Path::new("pkg/signals.py"),
        );
        let dotted = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        uses.set(trans.into(), dotted(&["pkg.trans._cache", "json.loads"]));
        uses.set(
            reloader.into(),
            dotted(&["pkg.trans._translations", "pkg.trans._translations.clear"]),
        );
        uses.set(signals.into(), dotted(&["pkg.trans._translations"]));
        let used = |uses: &ProjectUses| {
            let mut names: Vec<String> =
                uses.names_used_of("pkg.trans", trans).into_iter().collect();
            names.sort();
            names
        };
        // `_cache` is only the module's own use.
        assert_eq!(used(&uses), ["_translations"]);
        assert_eq!(
            uses.names_used_of("pkg.trans", reloader),
            HashSet::from(["_cache".to_string(), "_translations".to_string()])
        );
        assert_eq!(
            uses.names_used_of("pkg", trans),
            HashSet::from(["trans".to_string()])
        );
        uses.set(reloader.into(), dotted(&["pkg.trans.translation"]));
        assert_eq!(used(&uses), ["_translations", "translation"]);
        uses.remove(signals);
        assert_eq!(used(&uses), ["translation"]);
        uses.retain(|path| path != reloader);
        assert!(used(&uses).is_empty());
        assert!(uses.contains(trans) && !uses.contains(reloader));
        uses.remove(trans);
        assert!(uses.names.is_empty() && uses.files.is_empty());
    }
}
