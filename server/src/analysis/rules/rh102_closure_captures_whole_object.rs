//! # RH102 closure-captures-whole-object-for-part
//!
//! ## What it flags
//! (not yet written)
//!
//! ## Why it leaks
//! (not yet written)
//!
//! ## Example
//! (not yet written)
//!
//! ## Fix
//! (not yet written)
//!
//! ## Options
//! None.

use crate::analysis::context::Context;
use crate::analysis::findings::Finding;

pub(super) fn check(_context: &Context) -> Vec<Finding> {
    Vec::new()
}
