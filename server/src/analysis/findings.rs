//! What a rule reports: byte ranges and words, no LSP or terminal types.

use std::ops::Range;

use super::rules::Rule;

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    /// Byte range of the flagged code.
    pub range: Range<usize>,
    /// Says what is kept alive and by what.
    pub message: String,
    /// Other places that explain the finding: where the retained object is created, the
    /// statement that closes a cycle, ...
    pub related: Vec<Related>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub range: Range<usize>,
    pub message: String,
}
