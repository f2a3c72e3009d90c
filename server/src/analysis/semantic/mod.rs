//! The semantic layer: the facts every rule asks about, each defined once and built once per
//! file, between the scope model and the rules. A rule is a short query over it.
//!
//! - [`classes`]: the file's classes, their methods, instance attributes, and which values hold
//!   an instance (the cycles of RH201 and RH202).
//! - [`lifetime`]: whether a class's instances are made repeatedly (per call, request,
//!   connection, job) or once per process, and how long what holds a reference lives.
//! - [`release`]: whether the code lets go of what an attribute holds (`= None`, `del`,
//!   `clear()`, `cancel()`, ...), and where (a lifecycle method, a `finally`).

pub mod classes;
pub mod lifetime;
pub mod registration;
pub mod release;

use std::ops::Deref;

use super::context::Context;
use classes::Classes;
use lifetime::Lifetimes;
use release::Releases;

/// The facts of one file.
pub struct Semantic<'c, 't> {
    pub classes: Classes<'c, 't>,
    pub lifetimes: Lifetimes<'t>,
    pub releases: Releases<'c, 't>,
}

impl<'c, 't> Semantic<'c, 't> {
    pub fn new(context: &'c Context<'t>) -> Semantic<'c, 't> {
        let classes = Classes::new(context);
        let lifetimes = Lifetimes::new(context, &classes);
        Semantic {
            classes,
            lifetimes,
            releases: Releases::new(context),
        }
    }
}

/// What a rule is given: the file ([`Context`], which it derefs to) and its facts.
pub struct Checker<'c, 't> {
    pub context: &'c Context<'t>,
    pub semantic: &'c Semantic<'c, 't>,
}

impl<'t> Deref for Checker<'_, 't> {
    type Target = Context<'t>;

    fn deref(&self) -> &Context<'t> {
        self.context
    }
}
