//! Edits that rules' fixes share, and applying fixes to a file's text.

pub mod imports;

use std::collections::HashSet;
use std::ops::Range;

use tree_sitter::{Node, Tree};

use super::findings::{Edit, Finding, Fix, Safety};
use super::parse::parse;
use super::scope::{ScopeKind, ScopeTree, SymbolFlags};
use super::settings::Settings;

/// Where a statement stands among the file's lines: what edits that remove its lines, or add a
/// line beside it, need.
pub struct StatementLines<'a> {
    /// The start of the statement's first line.
    pub start: usize,
    /// What comes before the statement on its first line.
    pub indent: &'a str,
    /// Just after the line break ending the statement's last line; the end of the text when
    /// that line has none.
    pub end: usize,
    /// The file's line ending: the one after the statement, else the file's first, else `\n`.
    pub newline: &'static str,
    /// What follows the statement on its last line.
    tail: &'a str,
}

impl StatementLines<'_> {
    pub fn of<'a>(text: &'a str, statement: Node) -> StatementLines<'a> {
        let start = text[..statement.start_byte()]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let end = text[statement.end_byte()..]
            .find('\n')
            .map_or(text.len(), |i| statement.end_byte() + i + 1);
        let break_after = if text[..end].ends_with('\n') {
            Some(end - 1)
        } else {
            text.find('\n')
        };
        let newline = match break_after {
            Some(i) if text[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        };
        StatementLines {
            start,
            indent: &text[start..statement.start_byte()],
            end,
            newline,
            tail: &text[statement.end_byte()..end],
        }
    }

    /// Only indentation before the statement on its first line.
    pub fn indented(&self) -> bool {
        self.indent.chars().all(|c| c == ' ' || c == '\t')
    }

    /// The statement has its lines to itself: only indentation before it, nothing but a comment
    /// after it.
    pub fn alone(&self) -> bool {
        let tail = self.tail.trim();
        self.indented() && (tail.is_empty() || tail.starts_with('#'))
    }

    /// Whether a line break ends the statement's last line, so a line can go after it.
    pub fn terminated(&self) -> bool {
        self.tail.ends_with('\n')
    }
}

/// Removes a simple statement that has its line(s) to itself: the whole lines go, comment
/// included. When it is the only statement of its block, it becomes `pass` instead, so the
/// block stays valid. `None` when the statement shares a line (`a; b`): no edit is safer than a
/// clever one.
pub fn remove_statement(text: &str, statement: Node) -> Option<Edit> {
    let parent = statement.parent()?;
    // Comments are children too, but a block of only comments is no block.
    let statements = (0..parent.named_child_count())
        .filter_map(|i| parent.named_child(i as u32))
        .filter(|child| child.kind() != "comment")
        .count();
    let alone_in_block = parent.kind() == "block" && statements == 1;
    if alone_in_block {
        return Some(Edit {
            range: statement.byte_range(),
            text: "pass".to_string(),
        });
    }
    let lines = StatementLines::of(text, statement);
    lines.alone().then(|| Edit {
        range: lines.start..lines.end,
        text: String::new(),
    })
}

/// Whether two edits cannot both be applied: their ranges share a byte, one inserts inside the
/// other's range, or both insert at the same place (the order of the inserted texts would be a
/// guess).
pub fn overlap(a: &Range<usize>, b: &Range<usize>) -> bool {
    let both_insert_here = a.is_empty() && b.is_empty() && a.start == b.start;
    both_insert_here || (a.start < b.end && b.start < a.end)
}

/// A fix's own edits together with the import it needs, in source order; `None` when the import
/// would land inside one of the fix's edits (the fix cannot be offered as is).
pub fn with_import(mut edits: Vec<Edit>, import: Option<Edit>) -> Option<Vec<Edit>> {
    if let Some(import) = import {
        if edits.iter().any(|edit| overlap(&edit.range, &import.range)) {
            return None;
        }
        edits.push(import);
    }
    edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
    Some(edits)
}

/// `text` with `edits` applied. The edits must not overlap (see [`overlap`]); an insertion at
/// the start of a replaced range goes before the replacement.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.range.start, edit.range.end));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for edit in sorted {
        out.push_str(&text[copied..edit.range.start]);
        out.push_str(&edit.text);
        copied = edit.range.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Which fixes a run may apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Safe fixes only (`--fix`, "fix all" in the editor).
    Safe,
    /// Unsafe fixes too (`--fix --unsafe-fixes`).
    All,
}

impl Allowed {
    pub fn admits(self, safety: Safety) -> bool {
        self == Allowed::All || safety == Safety::Safe
    }

    /// The fix a run applies for `finding`: its first fix of an allowed safety.
    pub fn fix_for(self, finding: &Finding) -> Option<&Fix> {
        finding.fixes.iter().find(|fix| self.admits(fix.safety))
    }
}

/// The edits of one round of fixing: for each finding in order, its allowed fix, unless that
/// fix overlaps a fix taken before (it waits for the next round, on the rewritten text). An edit
/// equal to one already taken is shared, not a conflict: two fixes that add the same import
/// add it once. Returns the edits and how many fixes they make.
pub fn select_fixes(findings: &[Finding], allowed: Allowed) -> (Vec<Edit>, usize) {
    let mut taken: Vec<Edit> = Vec::new();
    let mut fixes = 0;
    for fix in findings.iter().filter_map(|f| allowed.fix_for(f)) {
        let new: Vec<&Edit> = fix
            .edits
            .iter()
            .filter(|edit| !taken.contains(edit))
            .collect();
        let conflicts = new.iter().enumerate().any(|(i, edit)| {
            taken.iter().any(|old| overlap(&old.range, &edit.range))
                || new[..i]
                    .iter()
                    .any(|other| overlap(&other.range, &edit.range))
        });
        if !conflicts {
            taken.extend(new.into_iter().cloned());
            fixes += 1;
        }
    }
    (taken, fixes)
}

/// At most this many rounds of analyse-and-fix per file: a fix that keeps producing new
/// findings with fixes must not loop forever.
pub const MAX_FIX_ROUNDS: usize = 10;

/// What fixing one file came to.
#[derive(Debug)]
pub struct Fixed {
    /// The text with every applied fix.
    pub text: String,
    /// How many fixes were applied, over all rounds.
    pub applied: usize,
    /// The findings of the final text: what is left to report.
    pub remaining: Vec<Finding>,
    /// A round's fixes would have made a file that parsed cleanly fail to parse; that round was
    /// dropped and fixing stopped there.
    pub stopped_at_syntax_error: bool,
}

/// Applies the allowed fixes to `text` in rounds: analyse, apply every fix that does not
/// overlap another, parse again, repeat until no fix is left (at most [`MAX_FIX_ROUNDS`]
/// rounds). Fixes that overlapped, or that both wanted the same import, settle in later rounds
/// on the rewritten text.
pub fn fix_all(text: &str, settings: &Settings, allowed: Allowed) -> Fixed {
    fix_all_keeping(text, settings, allowed, &HashSet::new())
}

/// [`fix_all`], without the fixes that would leave one of the module-level names `keep` unbound
/// (other modules of the project use them: `module.name`, `from module import name`). Those
/// findings stay reported, unfixed.
pub fn fix_all_keeping(
    text: &str,
    settings: &Settings,
    allowed: Allowed,
    keep: &HashSet<String>,
) -> Fixed {
    let mut text = text.to_string();
    let mut tree = parse(&text);
    let mut findings = super::check(&text, &tree, settings);
    let mut applied = 0;
    let mut stopped_at_syntax_error = false;
    for _ in 0..MAX_FIX_ROUNDS {
        let kept_bound = kept_bound(&text, &tree, keep);
        let (mut edits, mut fixes) = select_fixes(&findings, allowed);
        let mut rewritten = apply_edits(&text, &edits);
        if fixes > 0 && !kept_bound.is_empty() && unbinds(&rewritten, &kept_bound) {
            // Some fix of the round unbinds a name other modules use: each fix alone tells which.
            let mut candidates: Vec<&Finding> = findings.iter().collect();
            candidates.retain(|finding| {
                allowed
                    .fix_for(finding)
                    .is_none_or(|fix| !unbinds(&apply_edits(&text, &fix.edits), &kept_bound))
            });
            (edits, fixes) = select_fixes_of(&candidates, allowed);
            rewritten = apply_edits(&text, &edits);
            if fixes > 0 && unbinds(&rewritten, &kept_bound) {
                break;
            }
        }
        if fixes == 0 {
            break;
        }
        let rewritten_tree = parse(&rewritten);
        if rewritten_tree.root_node().has_error() && !tree.root_node().has_error() {
            // Every fix is meant to keep the program valid; when a round does not, none of it
            // is kept, and the findings of the last good text are reported.
            stopped_at_syntax_error = true;
            break;
        }
        text = rewritten;
        tree = rewritten_tree;
        applied += fixes;
        findings = super::check(&text, &tree, settings);
    }
    Fixed {
        text,
        applied,
        remaining: findings,
        stopped_at_syntax_error,
    }
}

/// [`select_fixes`] over some of the findings.
fn select_fixes_of(findings: &[&Finding], allowed: Allowed) -> (Vec<Edit>, usize) {
    let owned: Vec<Finding> = findings.iter().map(|f| (*f).clone()).collect();
    select_fixes(&owned, allowed)
}

/// The names of `keep` bound at module level in `text`.
fn kept_bound(text: &str, tree: &Tree, keep: &HashSet<String>) -> HashSet<String> {
    if keep.is_empty() {
        return HashSet::new();
    }
    let bound = module_bindings(text, tree);
    keep.intersection(&bound).cloned().collect()
}

/// Whether one of `names` is no longer bound at module level in `text`.
fn unbinds(text: &str, names: &HashSet<String>) -> bool {
    let bound = module_bindings(text, &parse(text));
    names.iter().any(|name| !bound.contains(name))
}

/// The names a module binds at its top level (assignments, `def`, `class`, imports, ...), as
/// CPython's symbol table records them.
pub fn module_bindings(text: &str, tree: &Tree) -> HashSet<String> {
    let scopes = ScopeTree::new(text, tree);
    scopes
        .scopes
        .iter()
        .filter(|scope| scope.kind == ScopeKind::Module)
        .flat_map(|scope| &scope.symbols)
        .filter(|symbol| symbol.flags.contains_any(SymbolFlags::BOUND))
        .map(|symbol| symbol.name.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rules::Rule;

    /// Applies `remove_statement` to the first statement whose text is `target`.
    fn removed(text: &str, target: &str) -> Option<String> {
        let tree = parse(text);
        let mut found = None;
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() == "expression_statement" && &text[node.byte_range()] == target {
                found = Some(node);
                break;
            }
            stack.extend((0..node.child_count()).filter_map(|i| node.child(i)));
        }
        let edit = remove_statement(text, found.expect("the statement exists"))?;
        let mut out = text.to_string();
        out.replace_range(edit.range, &edit.text);
        Some(out)
    }

    #[test]
    fn removes_lines_keeps_blocks_valid_and_leaves_shared_lines() {
        assert_eq!(
            removed("def f():\n    a()\n    b()  # note\n    c()\n", "b()").as_deref(),
            Some("def f():\n    a()\n    c()\n")
        );
        assert_eq!(
            removed("if x:\n    b()\nelse:\n    c()\n", "b()").as_deref(),
            Some("if x:\n    pass\nelse:\n    c()\n")
        );
        assert_eq!(removed("a()\r\nb()\r\n", "b()").as_deref(), Some("a()\r\n"));
        assert_eq!(removed("b()", "b()").as_deref(), Some(""));
        assert_eq!(removed("a(); b()\n", "b()"), None);
        assert_eq!(
            removed("def f():\n    b()\n    # only a comment left\n", "b()").as_deref(),
            Some("def f():\n    pass\n    # only a comment left\n")
        );
    }

    fn edit(range: Range<usize>, text: &str) -> Edit {
        Edit {
            range,
            text: text.to_string(),
        }
    }

    fn finding_with_fix(safety: Safety, edits: Vec<Edit>) -> Finding {
        Finding {
            rule: Rule::GcDebugSaveall,
            level: crate::analysis::findings::Level::Default,
            range: 0..0,
            message: String::new(),
            related: Vec::new(),
            fixes: vec![Fix {
                title: String::new(),
                safety,
                edits,
            }],
        }
    }

    #[test]
    fn overlap_is_shared_bytes_or_two_insertions_at_one_place() {
        assert!(overlap(&(0..3), &(2..5)));
        assert!(overlap(&(0..5), &(2..2)));
        assert!(overlap(&(2..2), &(2..2)));
        assert!(!overlap(&(0..2), &(2..4)));
        assert!(!overlap(&(2..2), &(2..4)));
        assert!(!overlap(&(0..2), &(2..2)));
    }

    #[test]
    fn a_fix_and_its_import_apply_in_source_order() {
        let text = "import os\nx = f(big)\n";
        let import = edit(10..10, "import functools\n");
        let call = edit(14..20, "functools.partial(f, big.part)");
        let merged = with_import(vec![call.clone()], Some(import.clone())).unwrap();
        assert_eq!(merged, vec![import.clone(), call.clone()]);
        assert_eq!(
            apply_edits(text, &merged),
            "import os\nimport functools\nx = functools.partial(f, big.part)\n"
        );
        assert_eq!(with_import(vec![call.clone()], None), Some(vec![call]));
        // An import landing inside the fix's own edit cannot be placed.
        assert_eq!(with_import(vec![edit(5..15, "")], Some(import)), None);
    }

    #[test]
    fn two_fixes_needing_one_import_add_it_once() {
        let text = "import os\na = 1\nb = 2\n";
        let import = edit(10..10, "import functools\n");
        let findings = [
            finding_with_fix(Safety::Safe, vec![import.clone(), edit(14..15, "A")]),
            finding_with_fix(Safety::Safe, vec![import.clone(), edit(20..21, "B")]),
        ];
        let (edits, fixes) = select_fixes(&findings, Allowed::Safe);
        assert_eq!(fixes, 2);
        assert_eq!(
            apply_edits(text, &edits),
            "import os\nimport functools\na = A\nb = B\n"
        );
    }

    #[test]
    fn overlapping_and_disallowed_fixes_wait() {
        let findings = [
            finding_with_fix(Safety::Safe, vec![edit(0..4, "x")]),
            finding_with_fix(Safety::Safe, vec![edit(2..6, "y")]),
            finding_with_fix(Safety::Safe, vec![edit(8..8, "i")]),
            finding_with_fix(Safety::Safe, vec![edit(8..8, "j")]),
            finding_with_fix(Safety::Unsafe, vec![edit(10..12, "u")]),
        ];
        let (edits, fixes) = select_fixes(&findings, Allowed::Safe);
        assert_eq!(fixes, 2);
        assert_eq!(edits, vec![edit(0..4, "x"), edit(8..8, "i")]);
        let (edits, fixes) = select_fixes(&findings, Allowed::All);
        assert_eq!(fixes, 3);
        assert_eq!(edits.last(), Some(&edit(10..12, "u")));
    }

    #[test]
    fn fix_all_rewrites_until_nothing_is_left() {
        let text = "import gc\n\ndef f():\n    gc.set_debug(gc.DEBUG_LEAK)\n\
                    gc.set_debug(gc.DEBUG_SAVEALL)  # left on\nx = 1\n";
        let fixed = fix_all(text, &Settings::default(), Allowed::Safe);
        assert_eq!(fixed.text, "import gc\n\ndef f():\n    pass\nx = 1\n");
        assert_eq!(fixed.applied, 2);
        assert!(fixed.remaining.is_empty());
        assert!(!fixed.stopped_at_syntax_error);
        let untouched = fix_all("x = 1\n", &Settings::default(), Allowed::All);
        assert_eq!((untouched.text.as_str(), untouched.applied), ("x = 1\n", 0));
    }
}
