//! The semantic layer: the facts every rule asks about, each defined once and built once per
//! file, between the scope model and the rules. A rule is a short query over it.
//!
//! - [`containers`]: the containers that grow, what each use does to them, and their keys.
//! - [`classes`]: the file's classes, their methods, instance attributes, and which values hold
//!   an instance (the cycles of RH201 and RH202).
//! - [`lifetime`]: whether a class's instances are made repeatedly (per call, request,
//!   connection, job) or once per process, and how long what holds a reference lives.
//! - [`release`]: whether the code lets go of what an attribute holds (`= None`, `del`,
//!   `clear()`, `cancel()`, ...), and where (a lifecycle method, a `finally`).
//! - [`thread_local`]: thread-local state, what each use of it does, and which functions run in
//!   pooled threads.

pub mod classes;
pub mod containers;
pub mod function_kind;
pub mod lifetime;
pub mod registration;
pub mod release;
pub mod thread_local;
pub mod unit_answers;

use std::ops::Deref;
use std::sync::OnceLock;

use super::context::Context;
use super::findings::Level;
use classes::{ClassCache, Classes};
use containers::ModuleContainer;
use lifetime::Lifetimes;
use release::Releases;

/// The facts of one file.
pub struct Semantic<'c, 't> {
    pub classes: Classes<'c, 't>,
    pub lifetimes: Lifetimes<'t>,
    pub releases: Releases<'c, 't>,
    context: &'c Context<'t>,
    /// See [`Semantic::containers`]: found when first asked for.
    containers: OnceLock<Vec<ModuleContainer<'t>>>,
}

impl<'c, 't> Semantic<'c, 't> {
    /// The facts of `context`'s file; `two_threads` and `kept` as for [`Classes::kept`].
    pub fn new(
        context: &'c Context<'t>,
        two_threads: bool,
        kept: Option<(&mut ClassCache, &tree_sitter::Tree)>,
    ) -> Semantic<'c, 't> {
        let classes = Classes::kept(context, two_threads, kept);
        let lifetimes = Lifetimes::new(&classes);
        Semantic {
            classes,
            lifetimes,
            releases: Releases::new(context),
            context,
            containers: OnceLock::new(),
        }
    }

    /// The growing containers bound at module or class level ([`containers::module_containers`]),
    /// found once, by the first rule that asks (none does when RH301 and RH305 are off).
    pub fn containers(&self) -> &[ModuleContainer<'t>] {
        self.containers
            .get_or_init(|| containers::module_containers(self.context))
    }
}

impl<'t> Semantic<'_, 't> {
    /// How often instances of class `class` (an index into the classes) are made.
    pub fn made(&self, class: usize) -> lifetime::Made<'t> {
        self.lifetimes.made(&self.classes, class)
    }
}

/// Whether a reference an instance keeps is worth reporting, and the words that say why.
pub struct Evidence {
    pub level: Level,
    /// "`Connection` is made per call in `connect()` (line 40); nothing in this file sets
    /// `self.on_data` back to None or deletes it".
    pub text: String,
}

impl<'t> Semantic<'_, 't> {
    /// The evidence for a reference kept by instances of class `class` in `target` (what a store
    /// wrote to: `self.on_data`, `self.handlers`): Default when the instances are not made once
    /// per process and nothing releases the target; Strict otherwise.
    ///
    /// A class this file does not make gets `unknown`: the rule says how much the shape alone
    /// tells (a caught exception on an instance usually is a connection's; a bound method on
    /// one is as often an application's).
    pub fn instance_evidence(
        &self,
        context: &Context<'t>,
        class: usize,
        target: tree_sitter::Node<'t>,
        unknown: Level,
    ) -> Evidence {
        let name = &self.classes.classes[class].name;
        let made = self.lifetimes.made_in_context(&self.classes, class);
        let owners: Vec<_> = self
            .classes
            .lineage(class)
            .into_iter()
            .map(|c| self.classes.classes[c].node)
            .collect();
        if let Some(release) = self.releases.of_target(target, &owners) {
            return Evidence {
                level: Level::Strict,
                text: format!(
                    "{} lets it go, so it lasts only while the object is in use",
                    release.describe(context)
                ),
            };
        }
        let target = classes::snippet(context, target);
        let nothing = format!("nothing in this file sets `{target}` back to None or deletes it");
        match made {
            lifetime::Made::Once(_) => Evidence {
                level: Level::Strict,
                text: format!(
                    "{}: one instance, a fixed cost",
                    made.describe(context, name)
                ),
            },
            lifetime::Made::InTests(_) => Evidence {
                level: Level::Strict,
                text: made.describe(context, name),
            },
            lifetime::Made::Unknown if unknown == Level::Strict => Evidence {
                level: Level::Strict,
                text: format!(
                    "{}, nor named like a per-connection class: it may be made once per process",
                    made.describe(context, name)
                ),
            },
            lifetime::Made::Unknown => Evidence {
                level: Level::Default,
                text: format!("N{}", &nothing[1..]),
            },
            _ => Evidence {
                level: Level::Default,
                text: format!("{}; {nothing}", made.describe(context, name)),
            },
        }
    }
}

/// What a rule is given: the file ([`Context`], which it derefs to) and its facts.
pub struct Checker<'c, 't> {
    pub context: &'c Context<'t>,
    pub semantic: &'c Semantic<'c, 't>,
    /// For a rule of [`Reach::Statement`](crate::analysis::rules::Reach): the byte ranges of
    /// the top-level statements to check, in order (an editor keeps the others' findings);
    /// `None`: all of them.
    pub only: Option<&'c [std::ops::Range<usize>]>,
    /// For an editor: the answers from the last version that [`Checker::matches_where`] may
    /// take, those given under this generation of settings and imports; `None`: every question
    /// is asked.
    pub answers: Option<unit_answers::Generation>,
}

impl Checker<'_, '_> {
    /// Whether a rule of [`Reach::Statement`](crate::analysis::rules::Reach) checks what
    /// starts at byte `at`.
    pub fn checks(&self, at: usize) -> bool {
        self.only.is_none_or(|ranges| {
            let after = ranges.partition_point(|range| range.start <= at);
            after > 0 && at < ranges[after - 1].end
        })
    }
}

impl<'t> Deref for Checker<'_, 't> {
    type Target = Context<'t>;

    fn deref(&self) -> &Context<'t> {
        self.context
    }
}
