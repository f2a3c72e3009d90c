//! What a rule reports: byte ranges and words, no LSP or terminal types.

use std::ops::Range;

use super::rule::Rule;

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
    /// Rewrites that remove the cause, best first; empty when the rule has no safe way to.
    pub fixes: Vec<Fix>,
    /// Whether the code shows the evidence a default finding needs.
    pub level: Level,
    /// For a default finding on a store into another object's attribute
    /// (`self.transport.saved_exception = e`): that attribute's name. The object's class may
    /// live in another module and let go of it there (`self.saved_exception = None`); a caller
    /// that sees the whole project looks for such a release and, finding one, moves the
    /// finding to the strict level ([`Finding::released_elsewhere`]).
    pub release_elsewhere: Option<String>,
}

impl Finding {
    /// The finding once another module is seen letting go of [`Finding::release_elsewhere`]
    /// (`where_` says where: "`self.saved_exception = None` in `get_exception()`, transport.py
    /// line 1234"): strict, and the message says so.
    pub fn released_elsewhere(&mut self, where_: &str) {
        self.level = Level::strict_because(
            &mut self.message,
            &format!("another module lets it go: {where_}"),
        );
        self.release_elsewhere = None;
    }
}

/// How strong the evidence behind a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// Worth acting on: the held object is made repeatedly (per call, request, connection,
    /// job), what holds it outlives its use, and nothing in the code releases it.
    #[default]
    Default,
    /// The shape is there, but the evidence says it does little harm (made once per process,
    /// bounded keys, released in a lifecycle method): reported only with `strict = true`.
    Strict,
}

impl Level {
    /// [`Level::Strict`], with the reason the shape does little harm added to `message`, in
    /// the words every rule uses.
    pub fn strict_because(message: &mut String, reason: &str) -> Level {
        message.push_str("; reported under strict only: ");
        message.push_str(reason);
        Level::Strict
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub range: Range<usize>,
    pub message: String,
}

/// A titled set of edits that removes a finding's cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, as a code action's title; an unsafe fix says how behaviour changes.
    pub title: String,
    pub safety: Safety,
    /// Non-overlapping edits of the file, in source order.
    pub edits: Vec<Edit>,
}

/// Whether applying a fix can change what the program does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safety {
    /// Behaviour unchanged: applied by "fix all" and `--fix`.
    Safe,
    /// Behaviour can change (the fix's title says how): applied only on request.
    Unsafe,
}

/// Replaces a byte range of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}
