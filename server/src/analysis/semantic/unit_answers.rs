//! The answers a module-wide rule got from each unit of the file, kept between an editor's
//! keystrokes. Such a rule first asks a question of every match of a family (is this callee a
//! registration? does this decorator apply a cache?) and does its costly, module-wide work only
//! for the few that pass. When the answer depends on nothing outside the match's unit (a
//! top-level statement, or a statement in the body of a top-level class: see
//! [`Matches::units`](crate::analysis::queries::Matches::units)) but the settings and the
//! imports, a keystroke needs to ask it again only in the unit it changed
//! ([`Checker::matches_where`]): the other units' answers are kept with their matches
//! ([`UnitMemo`](crate::analysis::queries::UnitMemo)), which the match cache keeps by the unit's
//! text. An answer may also depend on a module-wide fact the rule names (the names of the
//! file's functions, say): the answers are kept while it is unchanged.

use std::hash::{BuildHasher, Hash, Hasher};

use super::Checker;
use crate::analysis::context::Context;
use crate::analysis::imports::Imports;
use crate::analysis::queries::{Captures, Family};
use crate::analysis::scope::{Role, ScopeId};
use crate::analysis::settings::Settings;
use crate::analysis::syntax::NodeLookups;

/// What one document's kept answers were given under (see the module docs); the answers
/// themselves are kept with each unit's matches ([`UnitMemo`](crate::analysis::queries::UnitMemo)).
#[derive(Default)]
pub struct AnswersUnder {
    /// The settings and the imports of the last version.
    last: Option<(Settings, Imports)>,
    /// Changed with them: answers given under another generation are asked again.
    generation: u64,
}

impl AnswersUnder {
    /// The generation of answers a version of the document with these settings and imports
    /// may take: the last one's when they are the same, a new one otherwise. Asked before the
    /// rules run, for each version.
    pub fn generation(&mut self, settings: &Settings, imports: &Imports) -> Generation {
        let same = self
            .last
            .as_ref()
            .is_some_and(|(s, i)| s == settings && i == imports);
        if !same {
            self.last = Some((settings.clone(), imports.clone()));
            self.generation += 1;
        }
        Generation(self.generation)
    }
}

/// Which settings and imports answers are given under ([`AnswersUnder::generation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

impl<'t> Checker<'_, 't> {
    /// The matches of `family` that `passes`, in order. `passes` must read nothing outside
    /// the match's unit ([`Matches::units`](crate::analysis::queries::Matches::units)) but the
    /// settings, the imports and a module-wide fact that `depends_on` (a hash of it, asked only
    /// when answers are kept) changes with: an editor asks it only of the units a keystroke
    /// changed, and takes the others' answers from the last version (`question` names what it
    /// asks, for that).
    pub fn matches_where(
        &self,
        question: &'static str,
        family: Family,
        depends_on: impl FnOnce() -> u64,
        passes: impl Fn(&Captures<'t>) -> bool,
    ) -> Vec<&'t Captures<'t>> {
        let all = self.context.matches(family);
        let Some(Generation(generation)) = self.answers else {
            return all.iter().filter(|c| passes(c)).collect();
        };
        let key = foldhash::fast::FixedState::default().hash_one((generation, depends_on()));
        let mut found = Vec::new();
        let mut at = 0;
        for unit in self.context.matches.units() {
            let range = unit.matches(family);
            // Matches outside the units: a class's own (its name, bases, decorators).
            found.extend(all[at..range.start].iter().filter(|c| passes(c)));
            at = range.end;
            let matches = &all[range];
            let Some(memo) = unit.memo.as_ref().filter(|_| !matches.is_empty()) else {
                found.extend(matches.iter().filter(|c| passes(c)));
                continue;
            };
            let ask = || {
                (0..matches.len() as u32)
                    .filter(|&i| passes(&matches[i as usize]))
                    .collect()
            };
            memo.answer(question, key, ask, |passed| {
                found.extend(passed.iter().map(|&i| &matches[i as usize]))
            });
        }
        found.extend(all[at..].iter().filter(|c| passes(c)));
        found
    }
}

/// A hash of what a question may read of the module's other statements through module-level
/// names: how each is bound and used ([`Context::module_names_hash`]), the text of each
/// top-level statement that is not a definition (what a module-level alias is bound to) or that
/// binds a module-level name inside it (`global`), and the kind of each other one.
pub fn module_bindings_hash(context: &Context) -> u64 {
    let mut hasher = foldhash::fast::FixedState::default().build_hasher();
    context.module_names_hash().hash(&mut hasher);
    let module = context.scopes.scope(ScopeId(0));
    // Where the module's definitions bind their own names.
    let names: Vec<usize> = context
        .scopes
        .definitions_in(ScopeId(0))
        .filter_map(|child| Some(context.scopes.scope(child).name_range.as_ref()?.start))
        .collect();
    let mut binds_globals = vec![false; context.top.len()];
    for symbol in &module.symbols {
        for occurrence in symbol.occurrences.iter().filter(|o| o.role == Role::Bind) {
            let at = occurrence.range.start;
            if names.binary_search(&at).is_ok() {
                continue;
            }
            let after = context.top.partition_point(|s| s.start_byte() <= at);
            if let Some(index) = after.checked_sub(1) {
                binds_globals[index] = true;
            }
        }
    }
    for (statement, binds) in context.top.iter().zip(binds_globals) {
        let kind = statement.kind_name();
        kind.hash(&mut hasher);
        let definition = matches!(
            kind,
            "function_definition" | "class_definition" | "decorated_definition"
        );
        if !definition || binds {
            context.text_of(*statement).hash(&mut hasher);
        }
    }
    hasher.finish()
}
