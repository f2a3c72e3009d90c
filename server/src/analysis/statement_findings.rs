//! The findings of the rules of `Reach::Statement` ([`crate::analysis::rules::Reach`]: what a
//! closure inside a function captures, RH101 and RH102), kept per top-level statement between
//! an editor's keystrokes: a keystroke checks its own statement with them, not the whole file.
//!
//! A statement's findings are kept by its text and its first line (messages name lines), for as
//! long as what such a rule reads outside the statement is unchanged: the settings, the imports,
//! the names bound at module level and whether the file has syntax errors ([`Under`]). A
//! statement with syntax errors, or whose findings reach outside it (a fix adding an import at
//! the top of the file), is checked every time.

use std::ops::Range;

use super::context::Context;
use super::findings::Finding;
use super::imports::Imports;
use super::settings::Settings;
use super::statement_text::ByStatementText;

/// The kept findings of one document (see the module docs).
#[derive(Default)]
pub struct StatementFindings {
    statements: ByStatementText<Entry>,
    /// What the kept findings were made under.
    under: Option<Under>,
    /// How many statements the last analysis checked.
    checked: usize,
}

struct Entry {
    /// The statement's first line.
    line: usize,
    /// Its findings, their ranges relative to its start; `None`: checked every time.
    findings: Option<Vec<Finding>>,
}

/// What a rule of `Reach::Statement` reads outside the statement it checks.
struct Under {
    settings: Settings,
    imports: Imports,
    /// A hash of the module scope's names: their flags, how they resolve, and the top-level
    /// statement (by its index) of each place a name is bound or used at module level.
    module_names: u64,
    /// A file with syntax errors gets no fix that adds an import.
    has_error: bool,
}

impl Under {
    /// Whether `under` still describes `context`'s file; when not, it is made to.
    fn update(under: &mut Option<Under>, context: &Context) -> bool {
        let module_names = context.module_names_hash();
        let has_error = context.module.has_error();
        let same = under.as_ref().is_some_and(|under| {
            under.module_names == module_names
                && under.has_error == has_error
                && under.settings == *context.settings
                && under.imports == *context.imports
        });
        if !same {
            *under = Some(Under {
                settings: context.settings.clone(),
                imports: context.imports.clone(),
                module_names,
                has_error,
            });
        }
        same
    }
}

/// One analysis's use of [`StatementFindings`]: the statements to check, and the kept findings
/// of the others.
pub(crate) struct Plan {
    /// The byte ranges of the top-level statements to check, in order.
    pub check: Vec<Range<usize>>,
    /// The findings to keep of each of them: empty to begin with, `None` for a statement with
    /// syntax errors (checked every time).
    found: Vec<Option<Vec<Finding>>>,
    /// The kept findings of the statements not checked, at this version's positions.
    kept: Vec<Finding>,
    /// Their entries, for the next analysis.
    next: ByStatementText<Entry>,
}

impl StatementFindings {
    /// How many top-level statements the last analysis checked with the rules of
    /// `Reach::Statement` (the others' findings it kept).
    pub fn checked(&self) -> usize {
        self.checked
    }

    /// Which top-level statements of `context`'s file the rules of `Reach::Statement` check
    /// this time: those whose findings were not kept at the same text and first line, all of
    /// them when what the rules read outside a statement changed.
    pub(crate) fn plan(&mut self, context: &Context) -> Plan {
        let mut last = std::mem::take(&mut self.statements);
        // A model cut short for deep nesting may leave out scopes of any statement.
        if !Under::update(&mut self.under, context) || context.scopes.truncated {
            last.clear();
        }
        let mut plan = Plan {
            check: Vec::new(),
            found: Vec::new(),
            kept: Vec::new(),
            next: ByStatementText::default(),
        };
        for statement in context.top {
            let range = statement.byte_range();
            let line = context.lines.line_of(range.start);
            match last.remove_entry(&context.text[range.clone()]) {
                Some((text, kept)) if kept.line == line && kept.findings.is_some() => {
                    let findings = kept.findings.iter().flatten();
                    plan.kept
                        .extend(findings.map(|f| moved(f, |at| at + range.start)));
                    plan.next.insert(text, kept);
                }
                _ => {
                    plan.check.push(range);
                    plan.found.push((!statement.has_error()).then(Vec::new));
                }
            }
        }
        plan
    }

    /// Keeps the findings the rules of `Reach::Statement` made of `plan`'s statements
    /// (`found`), and returns the other statements' kept findings.
    pub(crate) fn keep(
        &mut self,
        plan: Plan,
        context: &Context,
        found: &[Finding],
    ) -> Vec<Finding> {
        let Plan {
            check,
            found: mut of_statement,
            kept,
            mut next,
        } = plan;
        for finding in found {
            let at = check.partition_point(|range| range.start <= finding.range.start);
            let Some(range) = at.checked_sub(1).map(|i| &check[i]) else {
                continue;
            };
            let slot = &mut of_statement[at - 1];
            match slot {
                Some(findings) if within(finding, range) => {
                    findings.push(moved(finding, |at| at - range.start));
                }
                _ => *slot = None,
            }
        }
        for (range, findings) in check.iter().zip(of_statement) {
            let entry = Entry {
                line: context.lines.line_of(range.start),
                findings,
            };
            next.insert(context.text[range.clone()].into(), entry);
        }
        self.checked = check.len();
        self.statements = next;
        kept
    }
}

/// Whether every range of `finding` lies in `range`.
fn within(finding: &Finding, range: &Range<usize>) -> bool {
    let inside = |r: &Range<usize>| range.start <= r.start && r.end <= range.end;
    inside(&finding.range)
        && finding.related.iter().all(|related| inside(&related.range))
        && finding
            .fixes
            .iter()
            .flat_map(|fix| &fix.edits)
            .all(|edit| inside(&edit.range))
}

/// `finding` with every byte offset `at` moved to `to(at)`.
fn moved(finding: &Finding, to: impl Fn(usize) -> usize) -> Finding {
    let moved = |r: &Range<usize>| to(r.start)..to(r.end);
    let mut finding = finding.clone();
    finding.range = moved(&finding.range);
    for related in &mut finding.related {
        related.range = moved(&related.range);
    }
    for edit in finding.fixes.iter_mut().flat_map(|fix| &mut fix.edits) {
        edit.range = moved(&edit.range);
    }
    finding
}
