//! Edits that rules' fixes share, and applying a set of fixes to a file's text once. The
//! rounds of analyse-and-fix live beside the analysis, in [`super::fix_all`].

pub mod imports;

use std::ops::Range;

use tree_sitter::Node;

use super::findings::{Edit, Finding, Fix, Safety};
use super::syntax::NodeLookups;

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
        .filter(|child| child.kind_name() != "comment")
        .count();
    let alone_in_block = parent.kind_name() == "block" && statements == 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse;
    use crate::analysis::rule::Rule;

    /// Applies `remove_statement` to the first statement whose text is `target`.
    fn removed(text: &str, target: &str) -> Option<String> {
        let tree = parse(text);
        let mut found = None;
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind_name() == "expression_statement" && &text[node.byte_range()] == target {
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
            release_elsewhere: None,
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
}
