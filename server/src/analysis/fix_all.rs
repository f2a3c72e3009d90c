//! Fixing a whole file: rounds of analysis and [`super::fixes`] until no allowed fix is left.
//! It sits beside [`super::check`], above the rules, so that the edits below never reach back
//! into the catalog.

use std::collections::HashSet;

use tree_sitter::Tree;

use super::findings::{Edit, Finding};
use super::fixes::{Allowed, apply_edits, select_fixes};
use super::parse::parse;
use super::scope::{ScopeKind, ScopeTree, SymbolFlags};
use super::settings::Settings;

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
        let kept = Kept::new(&text, &tree, keep);
        let (edits, fixes) = select_fixes_keeping(&text, &findings, allowed, &kept);
        if fixes == 0 {
            break;
        }
        let rewritten = apply_edits(&text, &edits);
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

/// The module-level names a fix of one text must leave bound: those of the names other modules
/// use that the text binds now.
#[derive(Debug, Default)]
pub struct Kept {
    names: HashSet<String>,
}

impl Kept {
    /// The names of `keep` that `text` (parsed as `tree`) binds at module level.
    pub fn new(text: &str, tree: &Tree, keep: &HashSet<String>) -> Kept {
        if keep.is_empty() {
            return Kept::default();
        }
        let bound = module_bindings(text, tree);
        Kept {
            names: keep.intersection(&bound).cloned().collect(),
        }
    }

    /// Whether no fix can unbind one of the names: there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether `edits` applied to `text` leave one of the names unbound.
    pub fn unbound_by(&self, text: &str, edits: &[Edit]) -> bool {
        !self.names.is_empty() && unbinds(&apply_edits(text, edits), &self.names)
    }
}

/// One round of fixes for `text`: [`select_fixes`], without the fixes that would unbind one of
/// the `kept` names. When the round's fixes together unbind one, each fix alone tells which;
/// should the others together still unbind one, the round applies nothing.
pub fn select_fixes_keeping(
    text: &str,
    findings: &[Finding],
    allowed: Allowed,
    kept: &Kept,
) -> (Vec<Edit>, usize) {
    let (edits, fixes) = select_fixes(findings, allowed);
    if fixes == 0 || !kept.unbound_by(text, &edits) {
        return (edits, fixes);
    }
    let candidates: Vec<Finding> = findings
        .iter()
        .filter(|finding| {
            allowed
                .fix_for(finding)
                .is_none_or(|fix| !kept.unbound_by(text, &fix.edits))
        })
        .cloned()
        .collect();
    let (edits, fixes) = select_fixes(&candidates, allowed);
    if fixes > 0 && kept.unbound_by(text, &edits) {
        return (Vec::new(), 0);
    }
    (edits, fixes)
}

/// Whether one of `names` is no longer bound at module level in `text`.
fn unbinds(text: &str, names: &HashSet<String>) -> bool {
    let bound = module_bindings(text, &parse(text));
    names.iter().any(|name| !bound.contains(name))
}

/// The names a module binds at its top level (assignments, `def`, `class`, imports, ...), as
/// CPython's symbol table records them.
pub fn module_bindings(text: &str, tree: &Tree) -> HashSet<String> {
    // Module-level bindings are the same in every modelled version.
    let scopes = ScopeTree::new(text, tree, crate::analysis::scope::NEWEST_MODELLED);
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
