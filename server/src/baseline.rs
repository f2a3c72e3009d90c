//! The baseline: a committed file of accepted findings, so that a project adopting refhound
//! sees only the findings it adds from then on, and the file shrinks as the old ones are fixed
//! (`refhound check --write-baseline`, `--update-baseline`).
//!
//! Pure: findings, the text and tree they were found in, and the baseline's text in; the
//! findings kept, the count baselined and the file's new text out. Reading and writing the file
//! is the caller's (`cli::check`, the language server's `lsp::baseline`).
//!
//! # The fingerprint
//!
//! An entry names a finding by its rule, its file (relative to the project root, `/`
//! separators) and a fingerprint of its code, never by line: lines move whenever code above
//! them changes. The fingerprint is a 64-bit FNV-1a hash of three parts:
//!
//! - the rule's code;
//! - the finding's *scope*: the qualified name of the `def`s and `class`es around the flagged
//!   span (`Service.handle.on_data`; a decorated definition counts as around its decorators;
//!   `<module>` at the top level);
//! - the flagged span's *tokens*: its syntax tree's leaves (a string literal as one), comments
//!   left out, joined by one space, so whitespace, line breaks and comments inside the span do
//!   not count; so that a formatter's rewrite (black, ruff format) keeps it, a comma before a
//!   closing bracket is left out and string quotes count as double quotes.
//!
//! So blank lines, new or reordered functions, re-indenting or re-formatting code other than
//! the flagged span, and moving the finding's function within its file keep the fingerprint;
//! renaming the function or class around it, or changing the flagged code itself, makes it a
//! new finding. Nothing in it depends on a notebook's cell index: a notebook's cells are
//! joined into one module before the scope and the tokens are read.
//!
//! Identical fingerprints in one file (two `@lru_cache` decorators with the same arguments on
//! one method's overloads, say) share an entry with a `count`: that many findings of the
//! fingerprint are baselined, in source order, and any more are reported.
//!
//! # The file
//!
//! Pretty JSON with a trailing newline, entries sorted by file, rule and fingerprint, so that
//! diffs show exactly the entries that went; `scope` is there for the reader only.
//!
//! ```json
//! {
//!   "version": 1,
//!   "findings": [
//!     {
//!       "file": "leaky_service/app.py",
//!       "rule": "RH302",
//!       "fingerprint": "6c1f0e2a9b7d4453",
//!       "scope": "Report.summary",
//!       "count": 1
//!     }
//!   ]
//! }
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Tree};

use crate::analysis::findings::Finding;
use crate::analysis::rule::Rule;
use crate::analysis::syntax::{Field, NodeLookups};

/// The version of the file format this build reads and writes.
pub const VERSION: u64 = 1;

/// Where the baseline is, relative to the project root, when neither `--baseline` nor the
/// configuration's `baseline` names one.
pub const DEFAULT_PATH: &str = ".refhound/baseline.json";

/// The scope of a finding outside every `def` and `class`.
const MODULE_SCOPE: &str = "<module>";

/// What identifies a finding in its file, whatever line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub rule: Rule,
    /// The qualified name of the definitions around the finding (see the module's doc).
    pub scope: String,
    /// 16 hexadecimal digits.
    pub hash: String,
}

/// The fingerprint of `finding`, found in `text` parsed as `tree`.
pub fn fingerprint(text: &str, tree: &Tree, finding: &Finding) -> Fingerprint {
    let range = finding.range.start.min(text.len())..finding.range.end.min(text.len());
    let node = tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end)
        .unwrap_or_else(|| tree.root_node());
    let scope = scope_of(node, text);
    let tokens = tokens_in(tree.root_node(), text, &range);
    let tokens = if tokens.is_empty() {
        // A span inside one token (or empty): its text, without whitespace.
        text.get(range.clone())
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        tokens
    };
    let mut hash = Fnv::default();
    for part in [finding.rule.code(), scope.as_str(), tokens.as_str()] {
        hash.write(part.as_bytes());
        // A separator no part holds, so that parts cannot run into each other.
        hash.write(&[0]);
    }
    Fingerprint {
        rule: finding.rule,
        scope,
        hash: format!("{:016x}", hash.0),
    }
}

/// The names of the `def`s and `class`es around `node`, outermost first, joined by `.`.
fn scope_of(node: Node, text: &str) -> String {
    let mut names = Vec::new();
    let mut came_from: Option<Node> = None;
    let mut current = Some(node);
    while let Some(node) = current {
        let definition = match node.kind() {
            "function_definition" | "class_definition" => Some(node),
            // Its decorators belong to the definition it wraps; coming up from that
            // definition, its name is already counted.
            "decorated_definition" => node
                .field(Field::Definition)
                .filter(|definition| Some(*definition) != came_from),
            _ => None,
        };
        if let Some(name) = definition.and_then(|d| d.field(Field::Name)) {
            names.push(&text[name.byte_range()]);
        }
        came_from = Some(node);
        current = node.parent();
    }
    if names.is_empty() {
        return MODULE_SCOPE.to_string();
    }
    names.reverse();
    names.join(".")
}

/// The tokens of the tree inside `range` (its leaves, a string literal as one), comments left
/// out, normalised as formatters write them, joined by one space.
fn tokens_in(root: Node, text: &str, range: &std::ops::Range<usize>) -> String {
    let mut tokens = Vec::new();
    let mut cursor = root.walk();
    'walk: loop {
        let node = cursor.node();
        let overlaps = node.start_byte() < range.end && node.end_byte() > range.start;
        let inside = node.start_byte() >= range.start && node.end_byte() <= range.end;
        // A string's content is not all in leaves (the text between escape sequences is not).
        let atomic = node.child_count() == 0 || node.kind() == "string";
        let comment = node.kind() == "comment";
        if overlaps && atomic && inside && !comment {
            tokens.push(&text[node.byte_range()]);
        }
        if overlaps && !atomic && !comment && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    // What formatters change without changing the code: a trailing comma before a closing
    // bracket (black's "magic" comma) and the quotes of a string.
    let mut normal: Vec<std::borrow::Cow<str>> = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let closes = tokens
            .get(i + 1)
            .is_some_and(|next| matches!(*next, ")" | "]" | "}"));
        if *token == "," && closes {
            continue;
        }
        normal.push(normal_quotes(token));
    }
    normal.join(" ")
}

/// A string literal with its prefix in lower case and single quotes made double
/// (`'a'` → `"a"`, `R'''x'''` → `r"""x"""`), as formatters write them; other tokens as they are.
fn normal_quotes(token: &str) -> std::borrow::Cow<'_, str> {
    let quote = token.find(['\'', '"']);
    let Some(quote) = quote.filter(|&at| token[..at].chars().all(|c| c.is_ascii_alphabetic()))
    else {
        return std::borrow::Cow::Borrowed(token);
    };
    let (prefix, literal) = token.split_at(quote);
    let delimiter = if literal.starts_with("'''") {
        "'''"
    } else if literal.starts_with('\'') {
        "'"
    } else {
        ""
    };
    let body = match delimiter {
        "" => literal,
        _ => literal
            .strip_prefix(delimiter)
            .and_then(|rest| rest.strip_suffix(delimiter))
            .unwrap_or(literal),
    };
    let double = match delimiter {
        "'''" => "\"\"\"",
        "'" => "\"",
        _ => "",
    };
    std::borrow::Cow::Owned(format!("{}{double}{body}{double}", prefix.to_lowercase()))
}

/// The accepted findings, by file, rule and fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeMap<Key, Accepted>,
}

/// An entry's identity; its order is the file's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    file: String,
    /// The rule's code as written in the file: a code this build does not know is kept, and
    /// matches nothing.
    rule: String,
    fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Accepted {
    scope: String,
    count: usize,
}

/// The file's JSON.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    version: u64,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    file: String,
    rule: String,
    fingerprint: String,
    #[serde(default)]
    scope: String,
    count: usize,
}

/// What [`Baseline::filter`] made of one file's findings.
#[derive(Debug)]
pub struct Filtered<T> {
    /// The findings not in the baseline, in their order.
    pub kept: Vec<T>,
    /// How many were in it.
    pub baselined: usize,
    /// How many findings matched each (rule, fingerprint) entry of the file: what
    /// [`Baseline::shrink`] keeps.
    pub matched: Matched,
}

impl<T> Filtered<T> {
    /// Every finding kept: a file the baseline says nothing about.
    pub fn unfiltered(kept: Vec<T>) -> Filtered<T> {
        Filtered {
            kept,
            baselined: 0,
            matched: Matched::new(),
        }
    }
}

/// Findings matched per (rule code, fingerprint) in one file.
pub type Matched = BTreeMap<(String, String), usize>;

impl Baseline {
    /// Reads a baseline file's text; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        // The version first, so that a newer file is refused for what it is.
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
        match value.get("version").map(serde_json::Value::as_u64) {
            Some(Some(VERSION)) => {}
            Some(Some(other)) => {
                return Err(format!(
                    "baseline version {other} is not supported (this refhound reads version \
                     {VERSION})"
                ));
            }
            _ => return Err("not a refhound baseline (no \"version\": 1)".to_string()),
        }
        let document: Document =
            serde_json::from_value(value).map_err(|e| format!("not a refhound baseline ({e})"))?;
        let mut baseline = Baseline::default();
        for entry in document.findings {
            if entry.count == 0 {
                return Err(format!(
                    "entry {} {} {}: count must be at least 1",
                    entry.file, entry.rule, entry.fingerprint
                ));
            }
            let key = Key {
                file: entry.file,
                rule: entry.rule,
                fingerprint: entry.fingerprint,
            };
            // A hand-merged file may list an entry twice: the counts add up.
            baseline
                .entries
                .entry(key)
                .or_insert(Accepted {
                    scope: entry.scope,
                    count: 0,
                })
                .count += entry.count;
        }
        Ok(baseline)
    }

    /// The file's text: pretty JSON, entries sorted, a trailing newline.
    pub fn to_json(&self) -> String {
        let document = Document {
            version: VERSION,
            findings: self
                .entries
                .iter()
                .map(|(key, accepted)| Entry {
                    file: key.file.clone(),
                    rule: key.rule.clone(),
                    fingerprint: key.fingerprint.clone(),
                    scope: accepted.scope.clone(),
                    count: accepted.count,
                })
                .collect(),
        };
        let mut text = serde_json::to_string_pretty(&document)
            .expect("a baseline is strings and numbers, always serializable");
        text.push('\n');
        text
    }

    /// How many findings the baseline accepts.
    pub fn len(&self) -> usize {
        self.entries.values().map(|a| a.count).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The files the baseline names, each once.
    pub fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = self.entries.keys().map(|k| k.file.as_str()).collect();
        files.dedup();
        files
    }

    /// Whether the baseline has entries for `file`.
    pub fn has_file(&self, file: &str) -> bool {
        self.entries.keys().any(|key| key.file == file)
    }

    /// Splits the findings of `file` (its path relative to the project root, `/` separators)
    /// into those the baseline accepts and the others: the one filter of the command line and
    /// the server. `items` carry a finding each with its [`fingerprint`], in source order: of
    /// findings with one fingerprint, the first `count` are accepted.
    pub fn filter<T>(
        &self,
        file: &str,
        items: impl IntoIterator<Item = (T, Fingerprint)>,
    ) -> Filtered<T> {
        let mut filtered = Filtered::unfiltered(Vec::new());
        for (item, print) in items {
            let key = Key {
                file: file.to_string(),
                rule: print.rule.code().to_string(),
                fingerprint: print.hash,
            };
            let accepted = self.entries.get(&key).map_or(0, |a| a.count);
            let matched = filtered
                .matched
                .entry((key.rule, key.fingerprint))
                .or_default();
            if *matched < accepted {
                *matched += 1;
                filtered.baselined += 1;
            } else {
                filtered.kept.push(item);
            }
        }
        filtered
    }

    /// [`Baseline::filter`] over the findings of `file` found in `text` parsed as `tree`.
    pub fn filter_findings(
        &self,
        file: &str,
        text: &str,
        tree: &Tree,
        findings: Vec<Finding>,
    ) -> Filtered<Finding> {
        if !self.has_file(file) {
            return Filtered::unfiltered(findings);
        }
        let items = findings.into_iter().map(|finding| {
            let print = fingerprint(text, tree, &finding);
            (finding, print)
        });
        self.filter(file, items)
    }

    /// Records the findings of `file`, given by their fingerprints, replacing the file's
    /// entries of every rule `covers` says the run looked for (by code).
    pub fn record(
        &mut self,
        file: &str,
        prints: impl IntoIterator<Item = Fingerprint>,
        covers: impl Fn(&str) -> bool,
    ) {
        self.entries
            .retain(|key, _| key.file != file || !covers(&key.rule));
        for print in prints {
            let key = Key {
                file: file.to_string(),
                rule: print.rule.code().to_string(),
                fingerprint: print.hash,
            };
            self.entries
                .entry(key)
                .or_insert(Accepted {
                    scope: print.scope,
                    count: 0,
                })
                .count += 1;
        }
    }

    /// Shrinks the entries of `file` for the rules `covers` says the run looked for to what
    /// was `matched` ([`Filtered::matched`]): fixed findings go, nothing is added. Returns how
    /// many accepted findings went.
    pub fn shrink(
        &mut self,
        file: &str,
        matched: &Matched,
        covers: impl Fn(&str) -> bool,
    ) -> usize {
        let mut removed = 0;
        self.entries.retain(|key, accepted| {
            if key.file != file || !covers(&key.rule) {
                return true;
            }
            let found = matched
                .get(&(key.rule.clone(), key.fingerprint.clone()))
                .copied()
                .unwrap_or(0);
            let keep = accepted.count.min(found);
            removed += accepted.count - keep;
            accepted.count = keep;
            keep > 0
        });
        removed
    }

    /// Removes every entry of `file` (a file that no longer exists); returns how many accepted
    /// findings went.
    pub fn forget(&mut self, file: &str) -> usize {
        let before = self.len();
        self.entries.retain(|key, _| key.file != file);
        before - self.len()
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms, as a committed file needs (the
/// standard library's hashers promise neither).
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;
    use crate::analysis::rule::Rule;

    /// A finding of `rule` on the first occurrence of `flagged` in `text` (after `after`).
    fn finding(text: &str, rule: Rule, flagged: &str, after: &str) -> Finding {
        let from = text.find(after).expect("the anchor is in the text");
        let start = from + text[from..].find(flagged).expect("the span is in the text");
        Finding {
            rule,
            range: start..start + flagged.len(),
            message: String::new(),
            related: Vec::new(),
            fixes: Vec::new(),
            level: Default::default(),
            release_elsewhere: None,
        }
    }

    fn print_of(text: &str, rule: Rule, flagged: &str, after: &str) -> Fingerprint {
        fingerprint(text, &parse(text), &finding(text, rule, flagged, after))
    }

    const SERVICE: &str = "\
import functools

class Report:
    def __init__(self, rows):
        self.rows = rows

    @functools.lru_cache(maxsize=None)
    def summary(self):
        return len(self.rows)


def handler(request):
    data = request.read()  # the body
    def respond():
        return data
    return respond
";

    #[test]
    fn the_scope_names_the_definitions_around_the_span() {
        let cache = print_of(SERVICE, Rule::CachedInstanceMethod, "@functools", "class");
        assert_eq!(cache.scope, "Report.summary");
        let closure = print_of(SERVICE, Rule::EscapingClosureLargeObject, "respond", "def ");
        assert_eq!(closure.scope, "handler.respond");
        let inside = print_of(
            SERVICE,
            Rule::EscapingClosureLargeObject,
            "data",
            "return data",
        );
        assert_eq!(inside.scope, "handler.respond");
        let top = print_of("_cache = {}\n", Rule::UnboundedModuleCache, "_cache", "");
        assert_eq!(top.scope, "<module>");
        assert_eq!(cache.hash.len(), 16);
    }

    #[test]
    fn edits_elsewhere_and_reformatting_keep_the_fingerprint() {
        let before = print_of(SERVICE, Rule::CachedInstanceMethod, "@functools", "class");
        let closure_before = print_of(
            SERVICE,
            Rule::EscapingClosureLargeObject,
            "data",
            "def handler",
        );
        // Blank lines and a new function above, the class re-indented with tabs, the other
        // function moved above the class, the decorator's arguments spaced out.
        let edited = "\
import functools


def added():
    return 1


def handler(request):
    data = request.read()
    def respond():
        return data
    return respond

class Report:
\tdef __init__(self, rows):
\t\tself.rows = rows
\t@functools.lru_cache( maxsize = None )  # cached
\tdef summary(self):
\t\treturn len(self.rows)
";
        let after = print_of(edited, Rule::CachedInstanceMethod, "@functools", "class");
        assert_eq!(before, after);
        let closure_after = print_of(
            edited,
            Rule::EscapingClosureLargeObject,
            "data",
            "def handler",
        );
        assert_eq!(closure_before, closure_after);
    }

    #[test]
    fn a_changed_span_rule_or_scope_changes_the_fingerprint() {
        let before = print_of(SERVICE, Rule::CachedInstanceMethod, "@functools", "class");
        let changed = SERVICE.replace("maxsize=None", "maxsize=None, typed=True");
        let span = "@functools.lru_cache(maxsize=None, typed=True)";
        assert_ne!(
            before,
            print_of(&changed, Rule::CachedInstanceMethod, span, "class")
        );
        let renamed = SERVICE.replace("def summary", "def total");
        assert_ne!(
            before,
            print_of(&renamed, Rule::CachedInstanceMethod, "@functools", "class")
        );
        let other_rule = print_of(
            SERVICE,
            Rule::EscapingClosureLargeObject,
            "@functools",
            "class",
        );
        assert_ne!(before.hash, other_rule.hash);
    }

    #[test]
    fn comments_and_line_breaks_inside_the_span_do_not_count() {
        let one_line = "x = f(a, b)\n";
        let broken = "x = f(\n    a,  # first\n    b,\n)\n";
        let flagged = |text: &str| {
            let start = text.find('f').unwrap();
            let end = text.rfind(')').unwrap() + 1;
            let finding = Finding {
                range: start..end,
                ..finding(text, Rule::UnboundedModuleCache, "f", "")
            };
            fingerprint(text, &parse(text), &finding)
        };
        assert_eq!(flagged(one_line), flagged("x = f(a,\n      b)  # end\n"));
        // As black reformats: a trailing comma added, quotes made double.
        assert_eq!(flagged(one_line), flagged(broken));
        assert_eq!(
            flagged(broken),
            flagged("x = f(\n\ta,\n\n\tb,  # second\n)\n")
        );
        assert_eq!(
            flagged("x = f({'k': 1}, R'''s''')\n"),
            flagged("x = f({\"k\": 1}, r\"\"\"s\"\"\")\n")
        );
        assert_ne!(flagged("x = f('k')\n"), flagged("x = f('j')\n"));
        assert_ne!(flagged("x = f(a, b)\n"), flagged("x = f(a, c)\n"));
    }

    fn items(text: &str, spans: &[(&str, &str)]) -> Vec<(usize, Fingerprint)> {
        let tree = parse(text);
        spans
            .iter()
            .enumerate()
            .map(|(i, (flagged, after))| {
                let f = finding(text, Rule::UnboundedModuleCache, flagged, after);
                (i, fingerprint(text, &tree, &f))
            })
            .collect()
    }

    #[test]
    fn counts_accept_as_many_identical_findings_as_recorded() {
        let text = "def f():\n    c.add(1)\n    c.add(1)\n    c.add(2)\n";
        let spans = [
            ("c.add(1)", "def"),
            ("c.add(1)", "\n    c.add(1)\n    c"),
            ("c.add(2)", ""),
        ];
        let found = items(text, &spans);
        let mut baseline = Baseline::default();
        baseline.record("a.py", found[..2].iter().map(|(_, p)| p.clone()), |_| true);
        assert_eq!(baseline.len(), 2);
        assert!(
            baseline.to_json().contains("\"count\": 2"),
            "{}",
            baseline.to_json()
        );
        let filtered = baseline.filter("a.py", found.clone());
        assert_eq!(filtered.kept, [2]);
        assert_eq!(filtered.baselined, 2);
        // Elsewhere it accepts nothing.
        assert_eq!(baseline.filter("b.py", found.clone()).kept, [0, 1, 2]);
        // One of the two fixed: the entry shrinks to one, the new finding is not added.
        let one_left = baseline.filter("a.py", vec![found[0].clone(), found[2].clone()]);
        assert_eq!(baseline.shrink("a.py", &one_left.matched, |_| true), 1);
        assert_eq!(baseline.len(), 1);
        // A rule the run did not look for is not shrunk.
        let none = baseline.filter("a.py", Vec::<(usize, Fingerprint)>::new());
        assert_eq!(
            baseline.shrink("a.py", &none.matched, |rule| rule != "RH301"),
            0
        );
        assert_eq!(baseline.shrink("a.py", &none.matched, |_| true), 1);
        assert!(baseline.is_empty());
    }

    #[test]
    fn the_file_is_sorted_versioned_and_read_back() {
        let text = "def f():\n    c.add(1)\n";
        let found = items(text, &[("c.add(1)", "")]);
        let mut baseline = Baseline::default();
        for file in ["z.py", "a/b.py", "a.py"] {
            baseline.record(file, found.iter().map(|(_, p)| p.clone()), |_| true);
        }
        let json = baseline.to_json();
        assert!(
            json.starts_with("{\n  \"version\": 1,\n  \"findings\": [\n"),
            "{json}"
        );
        assert!(json.ends_with("}\n"));
        let files: Vec<_> = json.lines().filter(|l| l.contains("\"file\"")).collect();
        assert_eq!(
            files,
            [
                "      \"file\": \"a.py\",",
                "      \"file\": \"a/b.py\",",
                "      \"file\": \"z.py\","
            ]
        );
        assert_eq!(Baseline::parse(&json), Ok(baseline));
    }

    #[test]
    fn a_malformed_file_says_what_is_wrong() {
        let error = |text: &str| Baseline::parse(text).unwrap_err();
        assert!(error("{").starts_with("not valid JSON"), "{}", error("{"));
        assert_eq!(error("[]"), "not a refhound baseline (no \"version\": 1)");
        assert_eq!(
            error("{\"version\": 2, \"findings\": []}"),
            "baseline version 2 is not supported (this refhound reads version 1)"
        );
        assert!(error("{\"version\": 1}").contains("missing field `findings`"));
        let zero = r#"{"version": 1, "findings": [
            {"file": "a.py", "rule": "RH301", "fingerprint": "00", "count": 0}]}"#;
        assert_eq!(error(zero), "entry a.py RH301 00: count must be at least 1");
        let extra = r#"{"version": 1, "findings": [], "entries": []}"#;
        assert!(
            error(extra).contains("unknown field `entries`"),
            "{}",
            error(extra)
        );
    }
}
