//! A rule's identity: its code, its name and how loudly it speaks by default. A leaf: findings,
//! settings and suppressions name rules through it without reaching the catalog
//! ([`super::rules`]), which is the only place that knows how a rule checks.

/// A rule's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    EscapingClosureLargeObject,
    ClosureCapturesWholeObject,
    DelInReferenceCycle,
    SelfReferencingBoundMethod,
    ExceptionKeptOnObject,
    UnboundedModuleCache,
    CachedInstanceMethod,
    DefaultArgumentCache,
    UnboundedInstanceCache,
    IdentityKeyedCache,
    ThreadLocalInPool,
    ListenerNeverRemoved,
    GcDebugSaveall,
    NotebookOutputHistory,
}

/// How loudly a finding is shown: the LSP severities, also used by `--format sarif|github`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

/// Every rule in code order, with its code, name and default severity.
const IDENTITIES: &[(Rule, &str, &str, Severity)] = &[
    (
        Rule::EscapingClosureLargeObject,
        "RH101",
        "escaping-closure-captures-large-object",
        Severity::Warning,
    ),
    (
        Rule::ClosureCapturesWholeObject,
        "RH102",
        "closure-captures-whole-object-for-part",
        Severity::Warning,
    ),
    (
        Rule::DelInReferenceCycle,
        "RH201",
        "del-in-reference-cycle",
        Severity::Warning,
    ),
    (
        Rule::SelfReferencingBoundMethod,
        "RH202",
        "self-referencing-bound-method",
        Severity::Warning,
    ),
    (
        Rule::ExceptionKeptOnObject,
        "RH203",
        "exception-kept-on-object",
        Severity::Warning,
    ),
    (
        Rule::UnboundedModuleCache,
        "RH301",
        "unbounded-module-cache",
        Severity::Information,
    ),
    (
        Rule::CachedInstanceMethod,
        "RH302",
        "cached-instance-method",
        Severity::Warning,
    ),
    (
        Rule::DefaultArgumentCache,
        "RH303",
        "default-argument-cache",
        Severity::Warning,
    ),
    (
        Rule::UnboundedInstanceCache,
        "RH304",
        "unbounded-instance-cache",
        Severity::Warning,
    ),
    (
        Rule::IdentityKeyedCache,
        "RH305",
        "identity-keyed-cache",
        Severity::Warning,
    ),
    (
        Rule::ThreadLocalInPool,
        "RH401",
        "thread-local-in-pool",
        Severity::Warning,
    ),
    (
        Rule::ListenerNeverRemoved,
        "RH501",
        "listener-never-removed",
        Severity::Warning,
    ),
    (
        Rule::GcDebugSaveall,
        "RH601",
        "gc-debug-saveall",
        Severity::Warning,
    ),
    (
        Rule::NotebookOutputHistory,
        "RH701",
        "notebook-output-history",
        Severity::Warning,
    ),
];

impl Rule {
    /// Every rule, in code order.
    pub fn all() -> impl Iterator<Item = Rule> {
        IDENTITIES.iter().map(|identity| identity.0)
    }

    fn identity(self) -> &'static (Rule, &'static str, &'static str, Severity) {
        IDENTITIES
            .iter()
            .find(|identity| identity.0 == self)
            .expect("every rule has an identity")
    }

    /// `RH302`.
    pub fn code(self) -> &'static str {
        self.identity().1
    }

    /// `cached-instance-method`.
    pub fn name(self) -> &'static str {
        self.identity().2
    }

    /// The severity when the configuration names none.
    pub fn default_severity(self) -> Severity {
        self.identity().3
    }

    /// The rule for a code (`RH302`, any case) or a name (`cached-instance-method`).
    pub fn from_code(code: &str) -> Option<Rule> {
        IDENTITIES
            .iter()
            .find(|(_, c, name, _)| c.eq_ignore_ascii_case(code) || *name == code)
            .map(|identity| identity.0)
    }
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }

    pub fn from_name(name: &str) -> Option<Severity> {
        match name {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "information" | "info" => Some(Severity::Information),
            "hint" => Some(Severity::Hint),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_resolve() {
        assert_eq!(Rule::from_code("rh601"), Some(Rule::GcDebugSaveall));
        assert_eq!(
            Rule::from_code("cached-instance-method"),
            Some(Rule::CachedInstanceMethod)
        );
        assert_eq!(Rule::from_code("RH999"), None);
    }

    #[test]
    fn codes_are_unique_and_in_order() {
        let codes: Vec<&str> = Rule::all().map(Rule::code).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(codes, sorted);
    }
}
