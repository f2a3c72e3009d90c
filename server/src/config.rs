//! The configuration file: `[tool.refhound]` in `pyproject.toml`, or the top level of
//! `refhound.toml`.
//!
//! Pure: a file's text in, a [`Config`] and the problems found out. Finding the files (walking up
//! from each analysed file, reading, caching) is the caller's business: the command line's
//! `cli::files`, later the language server.
//!
//! A problem never stops the rest: an unknown key is reported and skipped; a key with a bad value
//! is reported and ignored as a whole, so its default applies; a file that is not valid TOML is
//! reported and contributes nothing.
//!
//! ```toml
//! [tool.refhound]
//! select = ["RH101", "cached-instance-method"]   # codes or names; default: every rule
//! ignore = ["RH601"]
//! severity = { RH302 = "error", RH501 = "hint" } # error | warning | information | hint
//! target-version = "py38"                         # or "3.8"; default: the lower bound of
//!                                                 # `project.requires-python`, else 3.13
//! large-constructors = ["mylib.load_frame", "mylib.io.*"]
//! registration-names = ["watch"]
//! unregistration-names = ["unwatch"]
//! lru-cache-maxsize = 256                         # entries an RH301 fix's cache keeps
//! strict = true                                   # also report shapes without evidence of harm
//! inlay-hints = true                              # editors: show what each closure captures
//! baseline = "ci/refhound-baseline.json"          # accepted findings; relative to this file
//! ```
//!
//! `baseline` is read from the configuration of the project root only (the one governing the
//! directory `refhound check` runs in, or the editor's workspace folder); without it the
//! baseline is `.refhound/baseline.json` beside that configuration (see [`crate::baseline`]).

use std::borrow::Cow;
use std::ops::Range;

use toml::de::{DeTable, DeValue};

use crate::analysis::rule::Severity;
use crate::analysis::rules::{RULES, Rule};
use crate::analysis::settings::{PythonVersion, Settings};

/// The keys a configuration table may hold, in documentation order.
pub const KEYS: &[&str] = &[
    "select",
    "ignore",
    "severity",
    "target-version",
    "large-constructors",
    "registration-names",
    "unregistration-names",
    "lru-cache-maxsize",
    "strict",
    "inlay-hints",
    "baseline",
];

/// Which kind of file the text comes from; decides where the settings live in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigKind {
    /// `pyproject.toml`: the `[tool.refhound]` table; a file without one is not a configuration.
    Pyproject,
    /// `refhound.toml`: the whole document.
    Refhound,
}

impl ConfigKind {
    pub fn file_name(self) -> &'static str {
        match self {
            ConfigKind::Pyproject => "pyproject.toml",
            ConfigKind::Refhound => "refhound.toml",
        }
    }

    /// The kind for a file named on the command line: `pyproject.toml` holds its settings in
    /// `[tool.refhound]`, any other name at the top level.
    pub fn for_file_name(name: &str) -> ConfigKind {
        if name == "pyproject.toml" {
            ConfigKind::Pyproject
        } else {
            ConfigKind::Refhound
        }
    }

    /// The TOML header of the table holding the settings, as messages name it.
    fn table(self) -> &'static str {
        match self {
            ConfigKind::Pyproject => "tool.refhound",
            ConfigKind::Refhound => "",
        }
    }
}

/// What one configuration layer (a file, the command line, the editor) sets; `None` and empty
/// fields leave the layer below alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Replaces the rule set of the layers below.
    pub select: Option<Vec<Rule>>,
    /// Removed from the rule set after this layer's `select`.
    pub ignore: Option<Vec<Rule>>,
    /// Per-rule severities; a rule named here takes this layer's.
    pub severity: Vec<(Rule, Severity)>,
    pub target_version: Option<PythonVersion>,
    pub large_constructors: Option<Vec<String>>,
    pub registration_names: Option<Vec<String>>,
    pub unregistration_names: Option<Vec<String>>,
    pub lru_cache_maxsize: Option<u64>,
    /// Reports findings without the evidence a default finding needs (see `Settings::strict`).
    pub strict: Option<bool>,
    /// Inlay hints of captured variables in the editor (see `Settings::inlay_hints`).
    pub inlay_hints: Option<bool>,
    /// The baseline file, relative to the configuration file (see [`crate::baseline`]); not an
    /// analysis setting, so [`Config::apply`] leaves it to the caller.
    pub baseline: Option<String>,
}

impl Config {
    /// Lays this layer over `settings`, as ruff does: a `select` here replaces the rules chosen
    /// below (their `ignore` included), then this layer's `ignore` removes rules.
    pub fn apply(&self, settings: &mut Settings) {
        if let Some(select) = &self.select {
            settings.rules = RULES
                .iter()
                .map(|info| info.rule)
                .filter(|rule| select.contains(rule))
                .collect();
        }
        if let Some(ignore) = &self.ignore {
            settings.rules.retain(|rule| !ignore.contains(rule));
        }
        for &(rule, severity) in &self.severity {
            settings.severity.insert(rule, severity);
        }
        if let Some(version) = self.target_version {
            settings.target_version = version;
        }
        if let Some(names) = &self.large_constructors {
            settings.large_constructors = names.clone();
        }
        if let Some(names) = &self.registration_names {
            settings.registration_names = names.clone();
        }
        if let Some(names) = &self.unregistration_names {
            settings.unregistration_names = names.clone();
        }
        if let Some(maxsize) = self.lru_cache_maxsize {
            settings.lru_cache_maxsize = maxsize;
        }
        if let Some(strict) = self.strict {
            settings.strict = strict;
        }
        if let Some(inlay_hints) = self.inlay_hints {
            settings.inlay_hints = inlay_hints;
        }
    }

    /// The default settings with this layer applied.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::default();
        self.apply(&mut settings);
        settings
    }
}

/// One problem in a configuration: what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Byte range in the file's text of the key or value at fault, when known.
    pub range: Option<Range<usize>>,
    /// Names the table and key: `[tool.refhound] unknown key "selct" (expected one of: ...)`.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A configuration file read: its settings (bad keys left out) and its problems.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub config: Config,
    pub errors: Vec<ConfigError>,
}

/// Reads a configuration file's text. `None` when it is not a refhound configuration at all: a
/// `pyproject.toml` without a `[tool.refhound]` table (also when it is not valid TOML and no
/// such table can be made out), which the search for a configuration walks past, as ruff walks
/// past a `pyproject.toml` without `[tool.ruff]`.
pub fn parse(kind: ConfigKind, text: &str) -> Option<Parsed> {
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    let table = match kind {
        ConfigKind::Refhound => Item::from_table(document.get_ref()),
        ConfigKind::Pyproject => pyproject_table(document.get_ref())?,
    };
    if let Some(error) = syntax_errors.first() {
        // What could be recovered from a broken file is a guess: use none of it. Later errors
        // are mostly echoes of the first.
        return Some(Parsed {
            config: Config::default(),
            errors: vec![ConfigError {
                range: error.span(),
                message: format!(
                    "invalid TOML ({}); the file's settings are ignored",
                    error.message().trim_end()
                ),
            }],
        });
    }
    let mut reader = Reader {
        table: kind.table(),
        errors: Vec::new(),
    };
    let mut config = reader.config(&table);
    if kind == ConfigKind::Pyproject && config.target_version.is_none() {
        config.target_version = requires_python_floor(document.get_ref());
    }
    let mut errors = reader.errors;
    errors.sort_by_key(|e| e.range.as_ref().map(|r| r.start));
    Some(Parsed { config, errors })
}

/// Reads settings given as JSON (the language server's `initializationOptions` and
/// `workspace/configuration`), with the same keys and checks as the file's top level. Messages
/// name no table.
pub fn from_json(value: &serde_json::Value) -> Parsed {
    // Clients written in Lua cannot tell an empty table from an empty list: Neovim sends
    // `settings = { refhound = {} }` as `[]`. Empty, it means no settings either way.
    if value.as_array().is_some_and(Vec::is_empty) {
        return Parsed {
            config: Config::default(),
            errors: Vec::new(),
        };
    }
    let mut reader = Reader {
        table: "",
        errors: Vec::new(),
    };
    let config = reader.config(&Item::from_json(value));
    Parsed {
        config,
        errors: reader.errors,
    }
}

/// The oldest Python `project.requires-python` allows (`">=3.9"`, `"~=3.10"`, `">=3.8,<4"`),
/// if it names one.
fn requires_python_floor(document: &DeTable) -> Option<PythonVersion> {
    let DeValue::Table(project) = document.get("project")?.get_ref() else {
        return None;
    };
    let DeValue::String(requires) = project.get("requires-python")?.get_ref() else {
        return None;
    };
    requires
        .split(',')
        .filter_map(|clause| {
            let clause = clause.trim();
            let version = [">=", "~=", "==", ">"]
                .iter()
                .find_map(|op| clause.strip_prefix(op))?
                .trim();
            let mut parts = version.split('.');
            let major = parts.next()?.trim().parse().ok()?;
            let minor = parts.next().map_or(Some(0), |m| m.trim().parse().ok())?;
            Some(PythonVersion::new(major, minor))
        })
        .min()
}

/// `[tool.refhound]` of a pyproject document, as a value (not necessarily a table).
fn pyproject_table<'a>(document: &'a DeTable<'a>) -> Option<Item<'a>> {
    let tool = document.get("tool")?;
    let DeValue::Table(tool) = tool.get_ref() else {
        return None;
    };
    tool.get("refhound").map(Item::from_toml)
}

/// A configuration value from TOML or JSON, with its place in the text when it has one.
#[derive(Debug)]
struct Item<'a> {
    value: Value<'a>,
    range: Option<Range<usize>>,
}

#[derive(Debug)]
enum Value<'a> {
    String(Cow<'a, str>),
    /// `None` when it does not fit an `i64`.
    Integer(Option<i64>),
    Array(Vec<Item<'a>>),
    /// Entries in the order given; each key with its own range.
    Table(Vec<(Cow<'a, str>, Option<Range<usize>>, Item<'a>)>),
    Boolean(bool),
    /// Anything else, by the name messages use for it.
    Other(&'static str),
}

impl<'a> Item<'a> {
    fn from_toml(value: &'a toml::Spanned<DeValue<'a>>) -> Item<'a> {
        let range = Some(value.span());
        let value = match value.get_ref() {
            DeValue::String(s) => Value::String(Cow::Borrowed(s.as_ref())),
            DeValue::Array(items) => Value::Array(items.iter().map(Item::from_toml).collect()),
            DeValue::Table(table) => return Item::from_table_at(table, range),
            DeValue::Integer(integer) => {
                Value::Integer(i64::from_str_radix(integer.as_str(), integer.radix()).ok())
            }
            DeValue::Float(_) => Value::Other("a float"),
            DeValue::Boolean(value) => Value::Boolean(*value),
            DeValue::Datetime(_) => Value::Other("a date"),
        };
        Item { value, range }
    }

    fn from_table(table: &'a DeTable<'a>) -> Item<'a> {
        Item::from_table_at(table, None)
    }

    fn from_table_at(table: &'a DeTable<'a>, range: Option<Range<usize>>) -> Item<'a> {
        let mut entries: Vec<_> = table
            .iter()
            .map(|(key, value)| {
                (
                    Cow::Borrowed(key.get_ref().as_ref()),
                    Some(key.span()),
                    Item::from_toml(value),
                )
            })
            .collect();
        // The map orders keys by name; report in the file's order.
        entries.sort_by_key(|(_, range, _)| range.as_ref().map(|r| r.start));
        Item {
            value: Value::Table(entries),
            range,
        }
    }

    fn from_json(value: &'a serde_json::Value) -> Item<'a> {
        use serde_json::Value as Json;
        let value = match value {
            Json::String(s) => Value::String(Cow::Borrowed(s)),
            Json::Array(items) => Value::Array(items.iter().map(Item::from_json).collect()),
            Json::Object(map) => Value::Table(
                map.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), None, Item::from_json(v)))
                    .collect(),
            ),
            Json::Number(number) if number.is_i64() || number.is_u64() => {
                Value::Integer(number.as_i64())
            }
            Json::Number(_) => Value::Other("a number"),
            Json::Bool(value) => Value::Boolean(*value),
            Json::Null => Value::Other("null"),
        };
        Item { value, range: None }
    }

    fn kind(&self) -> &'static str {
        match &self.value {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
            Value::Boolean(_) => "a boolean",
            Value::Other(kind) => kind,
        }
    }
}

/// Turns a table into a [`Config`], collecting problems.
struct Reader {
    /// The settings table's header (`tool.refhound`), empty at the top level.
    table: &'static str,
    errors: Vec<ConfigError>,
}

impl Reader {
    fn error(&mut self, table: &str, range: Option<Range<usize>>, detail: String) {
        let message = if table.is_empty() {
            detail
        } else {
            format!("[{table}] {detail}")
        };
        self.errors.push(ConfigError { range, message });
    }

    /// A problem with the value of `key` in the settings table.
    fn bad_value(&mut self, key: &str, range: Option<Range<usize>>, detail: String) {
        self.error(self.table, range, format!("{key}: {detail}"));
    }

    fn config(&mut self, table: &Item) -> Config {
        let mut config = Config::default();
        let Value::Table(entries) = &table.value else {
            let what = if self.table.is_empty() {
                "the settings".to_string()
            } else {
                format!("`{}`", self.table)
            };
            let detail = format!("{what} must be a table, not {}", table.kind());
            self.errors.push(ConfigError {
                range: table.range.clone(),
                message: detail,
            });
            return config;
        };
        for (key, key_range, value) in entries {
            match key.as_ref() {
                "select" => config.select = self.rules(key, value),
                "ignore" => config.ignore = self.rules(key, value),
                "severity" => config.severity = self.severities(key, value).unwrap_or_default(),
                "target-version" => config.target_version = self.version(key, value),
                "large-constructors" => {
                    config.large_constructors = self.names(key, value, NameKind::Constructor);
                }
                "registration-names" | "unregistration-names" => {
                    let names = self.names(key, value, NameKind::Method);
                    if key == "registration-names" {
                        config.registration_names = names;
                    } else {
                        config.unregistration_names = names;
                    }
                }
                "lru-cache-maxsize" => config.lru_cache_maxsize = self.maxsize(key, value),
                "strict" => config.strict = self.boolean(key, value),
                "inlay-hints" => config.inlay_hints = self.boolean(key, value),
                "baseline" => config.baseline = self.path(key, value),
                unknown => self.error(
                    self.table,
                    key_range.clone(),
                    format!(
                        "unknown key \"{unknown}\" (expected one of: {})",
                        KEYS.join(", ")
                    ),
                ),
            }
        }
        config
    }

    /// A list of strings, or `None` after reporting why not.
    fn strings<'v>(&mut self, key: &str, value: &'v Item, what: &str) -> Option<Vec<&'v Item<'v>>> {
        let Value::Array(items) = &value.value else {
            self.bad_value(
                key,
                value.range.clone(),
                format!("expected a list of {what}, not {}", value.kind()),
            );
            return None;
        };
        let mut ok = true;
        for item in items {
            if !matches!(item.value, Value::String(_)) {
                self.bad_value(
                    key,
                    item.range.clone(),
                    format!("expected a list of {what}, found {} in it", item.kind()),
                );
                ok = false;
            }
        }
        ok.then(|| items.iter().collect())
    }

    fn rules(&mut self, key: &str, value: &Item) -> Option<Vec<Rule>> {
        let items = self.strings(key, value, "rule codes or names")?;
        let mut rules = Vec::new();
        let mut ok = true;
        for item in items {
            let Value::String(code) = &item.value else {
                continue;
            };
            match Rule::from_code(code) {
                Some(rule) => rules.push(rule),
                None => {
                    self.bad_value(key, item.range.clone(), unknown_rule(code));
                    ok = false;
                }
            }
        }
        ok.then_some(rules)
    }

    fn severities(&mut self, key: &str, value: &Item) -> Option<Vec<(Rule, Severity)>> {
        let Value::Table(entries) = &value.value else {
            self.bad_value(
                key,
                value.range.clone(),
                format!(
                    "expected a table of rule = severity, e.g. {{ RH302 = \"error\" }}, not {}",
                    value.kind()
                ),
            );
            return None;
        };
        let table = if self.table.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.table)
        };
        let mut severities = Vec::new();
        let mut ok = true;
        for (code, code_range, level) in entries {
            let rule = Rule::from_code(code);
            if rule.is_none() {
                self.error(&table, code_range.clone(), unknown_rule(code));
                ok = false;
            }
            let severity = match &level.value {
                Value::String(name) => Severity::from_name(name),
                _ => None,
            };
            if severity.is_none() {
                let levels = "error, warning, information, hint";
                let detail = match &level.value {
                    Value::String(name) => {
                        format!("{code}: unknown severity \"{name}\" (expected one of: {levels})")
                    }
                    _ => format!("{code}: expected one of: {levels}, not {}", level.kind()),
                };
                self.error(&table, level.range.clone(), detail);
                ok = false;
            }
            if let (Some(rule), Some(severity)) = (rule, severity) {
                severities.push((rule, severity));
            }
        }
        ok.then_some(severities)
    }

    fn version(&mut self, key: &str, value: &Item) -> Option<PythonVersion> {
        let parsed = match &value.value {
            Value::String(text) => PythonVersion::parse(text).filter(|v| v.major == 3),
            _ => None,
        };
        if parsed.is_none() {
            let examples = "\"py38\", \"py312\" or \"3.12\"";
            let detail = match &value.value {
                Value::String(text) => {
                    format!("unknown Python version \"{text}\" (expected e.g. {examples})")
                }
                _ => format!(
                    "expected a version such as {examples}, not {}",
                    value.kind()
                ),
            };
            self.bad_value(key, value.range.clone(), detail);
        }
        parsed
    }

    fn boolean(&mut self, key: &str, value: &Item) -> Option<bool> {
        if let Value::Boolean(value) = value.value {
            return Some(value);
        }
        self.bad_value(
            key,
            value.range.clone(),
            format!("expected true or false, not {}", value.kind()),
        );
        None
    }

    /// A file's path: a non-empty string.
    fn path(&mut self, key: &str, value: &Item) -> Option<String> {
        match &value.value {
            Value::String(path) if !path.trim().is_empty() => Some(path.to_string()),
            Value::String(_) => {
                self.bad_value(
                    key,
                    value.range.clone(),
                    "expected a file's path, not an empty string".to_string(),
                );
                None
            }
            _ => {
                self.bad_value(
                    key,
                    value.range.clone(),
                    format!(
                        "expected a file's path (e.g. \".refhound/baseline.json\"), not {}",
                        value.kind()
                    ),
                );
                None
            }
        }
    }

    /// A cache size: a positive integer.
    fn maxsize(&mut self, key: &str, value: &Item) -> Option<u64> {
        let size = match value.value {
            Value::Integer(Some(size)) => u64::try_from(size).ok().filter(|&size| size > 0),
            _ => None,
        };
        if size.is_none() {
            let detail = match &value.value {
                Value::Integer(Some(size)) => {
                    format!("expected a positive number of entries, not {size}")
                }
                Value::Integer(None) => "expected a positive number of entries, not a number \
                                         this large"
                    .to_string(),
                _ => format!(
                    "expected a positive number of entries (e.g. 128), not {}",
                    value.kind()
                ),
            };
            self.bad_value(key, value.range.clone(), detail);
        }
        size
    }

    fn names(&mut self, key: &str, value: &Item, kind: NameKind) -> Option<Vec<String>> {
        let what = match kind {
            NameKind::Constructor => "dotted names",
            NameKind::Method => "names",
        };
        let items = self.strings(key, value, what)?;
        let mut names = Vec::new();
        let mut ok = true;
        for item in items {
            let Value::String(name) = &item.value else {
                continue;
            };
            if kind.accepts(name) {
                names.push(name.to_string());
            } else {
                self.bad_value(
                    key,
                    item.range.clone(),
                    format!("\"{name}\" is not {}", kind.expected()),
                );
                ok = false;
            }
        }
        ok.then_some(names)
    }
}

fn unknown_rule(code: &str) -> String {
    format!(
        "unknown rule \"{code}\" (expected a code such as \"RH101\" or a name such as \
         \"cached-instance-method\"; `refhound rule --all` lists them)"
    )
}

#[derive(Clone, Copy)]
enum NameKind {
    /// `mylib.load_frame`, or a module prefix `mylib.io.*`.
    Constructor,
    /// `subscribe`, or a dotted `bus.subscribe`.
    Method,
}

impl NameKind {
    fn accepts(self, name: &str) -> bool {
        let name = match self {
            NameKind::Constructor => name.strip_suffix(".*").unwrap_or(name),
            NameKind::Method => name,
        };
        !name.is_empty() && name.split('.').all(is_identifier)
    }

    fn expected(self) -> &'static str {
        match self {
            NameKind::Constructor => {
                "a dotted name (e.g. \"mylib.load_frame\", or \"mylib.io.*\" for a whole module)"
            }
            NameKind::Method => "a name (e.g. \"subscribe\")",
        }
    }
}

/// A Python identifier (ASCII or not), as names in code are written.
fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refhound_toml(text: &str) -> Parsed {
        parse(ConfigKind::Refhound, text).expect("refhound.toml is always a configuration")
    }

    fn messages(parsed: &Parsed) -> Vec<&str> {
        parsed.errors.iter().map(|e| e.message.as_str()).collect()
    }

    #[test]
    fn every_key_is_read() {
        let parsed = parse(
            ConfigKind::Pyproject,
            r#"
[project]
name = "service"

[tool.refhound]
select = ["RH101", "cached-instance-method", "RH601"]
ignore = ["gc-debug-saveall"]
severity = { RH302 = "error", listener-never-removed = "hint", RH101 = "info" }
target-version = "py38"
large-constructors = ["mylib.load_frame", "mylib.io.*"]
registration-names = ["watch", "bus.listen"]
unregistration-names = ["unwatch"]
lru-cache-maxsize = 0x100
"#,
        )
        .unwrap();
        assert_eq!(messages(&parsed), Vec::<&str>::new());
        let settings = parsed.config.settings();
        assert_eq!(
            settings.rules,
            [Rule::EscapingClosureLargeObject, Rule::CachedInstanceMethod]
        );
        assert_eq!(
            settings.severity(Rule::CachedInstanceMethod),
            Severity::Error
        );
        assert_eq!(
            settings.severity(Rule::ListenerNeverRemoved),
            Severity::Hint
        );
        assert_eq!(
            settings.severity(Rule::EscapingClosureLargeObject),
            Severity::Information
        );
        assert_eq!(settings.severity(Rule::GcDebugSaveall), Severity::Warning);
        assert_eq!(settings.target_version, PythonVersion::new(3, 8));
        assert_eq!(
            settings.large_constructors,
            ["mylib.load_frame", "mylib.io.*"]
        );
        assert_eq!(settings.registration_names, ["watch", "bus.listen"]);
        assert_eq!(settings.unregistration_names, ["unwatch"]);
        assert_eq!(settings.lru_cache_maxsize, 256);
    }

    #[test]
    fn lru_cache_maxsize_is_a_positive_integer() {
        assert_eq!(Settings::default().lru_cache_maxsize, 128);
        let parsed = refhound_toml("lru-cache-maxsize = 1_000\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.config.settings().lru_cache_maxsize, 1000);
        for (value, error) in [
            (
                "0",
                "lru-cache-maxsize: expected a positive number of entries, not 0",
            ),
            (
                "-5",
                "lru-cache-maxsize: expected a positive number of entries, not -5",
            ),
            (
                "\"128\"",
                "lru-cache-maxsize: expected a positive number of entries (e.g. 128), not a \
                 string",
            ),
            (
                "1.5",
                "lru-cache-maxsize: expected a positive number of entries (e.g. 128), not a float",
            ),
            (
                "99999999999999999999",
                "lru-cache-maxsize: expected a positive number of entries, not a number this \
                 large",
            ),
        ] {
            let text = format!("lru-cache-maxsize = {value}\n");
            let parsed = refhound_toml(&text);
            assert_eq!(messages(&parsed), [error], "{value}");
            assert_eq!(&text[parsed.errors[0].range.clone().unwrap()], value);
            assert_eq!(parsed.config.settings().lru_cache_maxsize, 128);
        }
        let json = from_json(&serde_json::json!({"lru-cache-maxsize": 64}));
        assert!(json.errors.is_empty(), "{:?}", json.errors);
        assert_eq!(json.config.lru_cache_maxsize, Some(64));
        let json = from_json(&serde_json::json!({"lru-cache-maxsize": 6.4}));
        assert_eq!(
            messages(&json),
            ["lru-cache-maxsize: expected a positive number of entries (e.g. 128), not a number"]
        );
    }

    #[test]
    fn inlay_hints_is_a_boolean_off_by_default() {
        assert!(!Settings::default().inlay_hints);
        let parsed = parse(
            ConfigKind::Pyproject,
            "[tool.refhound]\ninlay-hints = true\n",
        )
        .unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert!(parsed.config.settings().inlay_hints);
        let text = "inlay-hints = \"yes\"\nstrict = true\n";
        let parsed = refhound_toml(text);
        assert_eq!(
            messages(&parsed),
            ["inlay-hints: expected true or false, not a string"]
        );
        assert_eq!(&text[parsed.errors[0].range.clone().unwrap()], "\"yes\"");
        assert!(!parsed.config.settings().inlay_hints);
        assert!(
            parsed.config.settings().strict,
            "the other keys still apply"
        );
        let json = from_json(&serde_json::json!({"inlay-hints": true}));
        assert!(json.errors.is_empty(), "{:?}", json.errors);
        assert_eq!(json.config.inlay_hints, Some(true));
    }

    #[test]
    fn baseline_is_a_path() {
        let parsed = refhound_toml("baseline = \"ci/accepted.json\"\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.config.baseline.as_deref(), Some("ci/accepted.json"));
        for (value, error) in [
            (
                "\"\"",
                "baseline: expected a file's path, not an empty string",
            ),
            (
                "true",
                "baseline: expected a file's path (e.g. \".refhound/baseline.json\"), not a \
                 boolean",
            ),
        ] {
            let parsed = refhound_toml(&format!("baseline = {value}\nstrict = true\n"));
            assert_eq!(messages(&parsed), [error], "{value}");
            assert_eq!(parsed.config.baseline, None);
            assert_eq!(
                parsed.config.strict,
                Some(true),
                "the other keys still apply"
            );
        }
    }

    #[test]
    fn dotted_version_and_table_syntax() {
        let parsed = refhound_toml("target-version = \"3.12\"\n[severity]\nRH501 = \"error\"\n");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let settings = parsed.config.settings();
        assert_eq!(settings.target_version, PythonVersion::new(3, 12));
        assert_eq!(
            settings.severity(Rule::ListenerNeverRemoved),
            Severity::Error
        );
        assert_eq!(settings.rules.len(), RULES.len());
    }

    #[test]
    fn requires_python_sets_the_target_version_unless_it_is_configured() {
        let version = |text: &str| {
            parse(ConfigKind::Pyproject, text)
                .expect("has the table")
                .config
                .target_version
        };
        let project = "[project]\nrequires-python = \">=3.10, <4\"\n[tool.refhound]\n";
        assert_eq!(version(project), Some(PythonVersion::new(3, 10)));
        assert_eq!(
            version(&format!("{project}target-version = \"py38\"\n")),
            Some(PythonVersion::new(3, 8))
        );
        assert_eq!(
            version("[project]\nrequires-python = \"~=3.12\"\n[tool.refhound]\n"),
            Some(PythonVersion::new(3, 12))
        );
        assert_eq!(version("[project]\nname = \"x\"\n[tool.refhound]\n"), None);
        assert_eq!(
            Settings::default().target_version,
            PythonVersion::new(3, 13)
        );
    }

    #[test]
    fn pyproject_without_the_table_is_not_a_configuration() {
        assert_eq!(
            parse(ConfigKind::Pyproject, "[tool.ruff]\nselect = []\n"),
            None
        );
        assert_eq!(parse(ConfigKind::Pyproject, ""), None);
        assert_eq!(parse(ConfigKind::Pyproject, "[project\nname = 1"), None);
        // An empty table is one: it stops the search with the defaults.
        assert_eq!(
            parse(ConfigKind::Pyproject, "[tool.refhound]\n"),
            Some(Parsed::default())
        );
        assert_eq!(refhound_toml(""), Parsed::default());
    }

    #[test]
    fn unknown_key_names_table_key_and_the_valid_keys() {
        let text = "[tool.refhound]\nselct = [\"RH101\"]\n";
        let parsed = parse(ConfigKind::Pyproject, text).unwrap();
        assert_eq!(
            messages(&parsed),
            [
                "[tool.refhound] unknown key \"selct\" (expected one of: select, ignore, \
              severity, target-version, large-constructors, registration-names, \
              unregistration-names, lru-cache-maxsize, strict, inlay-hints, baseline)"
            ]
        );
        let range = parsed.errors[0].range.clone().unwrap();
        assert_eq!(&text[range], "selct");
        assert_eq!(parsed.config, Config::default());
        assert!(
            refhound_toml("selct = []\n").errors[0]
                .message
                .starts_with("unknown key \"selct\"")
        );
    }

    #[test]
    fn a_bad_value_ignores_that_key_only() {
        let text = "select = [\"RH101\", \"RH999\"]\nignore = [\"RH302\"]\n";
        let parsed = refhound_toml(text);
        assert_eq!(
            messages(&parsed),
            [
                "select: unknown rule \"RH999\" (expected a code such as \"RH101\" or a name such \
              as \"cached-instance-method\"; `refhound rule --all` lists them)"
            ]
        );
        assert_eq!(&text[parsed.errors[0].range.clone().unwrap()], "\"RH999\"");
        assert_eq!(parsed.config.select, None);
        assert_eq!(parsed.config.ignore, Some(vec![Rule::CachedInstanceMethod]));
    }

    #[test]
    fn wrong_types_are_reported() {
        let parsed = parse(
            ConfigKind::Pyproject,
            "[tool.refhound]\nselect = \"RH101\"\nignore = [1]\nseverity = \"error\"\n\
             target-version = 38\nlarge-constructors = \"pandas.read_csv\"\n",
        )
        .unwrap();
        assert_eq!(
            messages(&parsed),
            [
                "[tool.refhound] select: expected a list of rule codes or names, not a string",
                "[tool.refhound] ignore: expected a list of rule codes or names, found an \
                 integer in it",
                "[tool.refhound] severity: expected a table of rule = severity, e.g. \
                 { RH302 = \"error\" }, not a string",
                "[tool.refhound] target-version: expected a version such as \"py38\", \
                 \"py312\" or \"3.12\", not an integer",
                "[tool.refhound] large-constructors: expected a list of dotted names, not a \
                 string",
            ]
        );
        assert_eq!(parsed.config, Config::default());
    }

    #[test]
    fn severity_errors_name_the_rule_table() {
        let parsed = parse(
            ConfigKind::Pyproject,
            "[tool.refhound.severity]\nRH999 = \"error\"\nRH101 = \"fatal\"\nRH302 = \"error\"\n",
        )
        .unwrap();
        assert_eq!(
            messages(&parsed),
            [
                "[tool.refhound.severity] unknown rule \"RH999\" (expected a code such as \
                 \"RH101\" or a name such as \"cached-instance-method\"; `refhound rule --all` \
                 lists them)",
                "[tool.refhound.severity] RH101: unknown severity \"fatal\" (expected one of: \
                 error, warning, information, hint)",
            ]
        );
        assert!(parsed.config.severity.is_empty());
        assert!(
            refhound_toml("severity = { RH101 = 2 }").errors[0]
                .message
                .starts_with("[severity] RH101: expected one of: error, warning, information, hint, not an integer")
        );
    }

    #[test]
    fn versions_must_be_python_3() {
        for bad in ["python3", "py2", "2.7", "3", ""] {
            let parsed = refhound_toml(&format!("target-version = \"{bad}\"\n"));
            assert_eq!(parsed.errors.len(), 1, "{bad}");
            assert!(
                parsed.errors[0]
                    .message
                    .starts_with(&format!("target-version: unknown Python version \"{bad}\"")),
                "{:?}",
                parsed.errors
            );
            assert_eq!(parsed.config.target_version, None);
        }
        let parsed = refhound_toml("target-version = \"py313\"\n");
        assert_eq!(
            parsed.config.target_version,
            Some(PythonVersion::new(3, 13))
        );
    }

    #[test]
    fn names_must_be_python_names() {
        let parsed = refhound_toml(
            "large-constructors = [\"pandas..read\", \"mylib.*\", \"a b\"]\n\
             registration-names = [\"on-event\"]\nunregistration-names = [\"\"]\n",
        );
        assert_eq!(
            messages(&parsed),
            [
                "large-constructors: \"pandas..read\" is not a dotted name (e.g. \
                 \"mylib.load_frame\", or \"mylib.io.*\" for a whole module)",
                "large-constructors: \"a b\" is not a dotted name (e.g. \"mylib.load_frame\", \
                 or \"mylib.io.*\" for a whole module)",
                "registration-names: \"on-event\" is not a name (e.g. \"subscribe\")",
                "unregistration-names: \"\" is not a name (e.g. \"subscribe\")",
            ]
        );
        assert_eq!(parsed.config, Config::default());
    }

    #[test]
    fn invalid_toml_is_reported_and_contributes_nothing() {
        let text = "[tool.refhound]\nselect = [\"RH101\"\ntarget-version = \"py38\"\n";
        let parsed = parse(ConfigKind::Pyproject, text).unwrap();
        assert_eq!(
            messages(&parsed),
            [
                "invalid TOML (missing comma between array elements, expected `,`); the file's \
              settings are ignored"
            ]
        );
        assert!(parsed.errors[0].range.is_some());
        assert_eq!(parsed.config, Config::default());
    }

    #[test]
    fn an_empty_list_of_editor_settings_is_no_settings() {
        let empty = from_json(&serde_json::json!([]));
        assert!(empty.errors.is_empty());
        assert_eq!(empty.config, Config::default());
        let listed = from_json(&serde_json::json!(["RH601"]));
        assert_eq!(
            listed
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            ["the settings must be a table, not a list"]
        );
    }

    #[test]
    fn settings_table_of_the_wrong_type() {
        let parsed = parse(ConfigKind::Pyproject, "[tool]\nrefhound = 1\n").unwrap();
        assert_eq!(
            messages(&parsed),
            ["`tool.refhound` must be a table, not an integer"]
        );
    }

    #[test]
    fn layers_select_and_ignore_like_ruff() {
        let file = Config {
            select: Some(vec![Rule::EscapingClosureLargeObject, Rule::GcDebugSaveall]),
            ignore: Some(vec![Rule::GcDebugSaveall]),
            ..Config::default()
        };
        let mut settings = file.settings();
        assert_eq!(settings.rules, [Rule::EscapingClosureLargeObject]);
        // A later layer's select replaces the file's choice, its ignore included.
        let command_line = Config {
            select: Some(vec![Rule::GcDebugSaveall]),
            ..Config::default()
        };
        command_line.apply(&mut settings);
        assert_eq!(settings.rules, [Rule::GcDebugSaveall]);
        // An ignore alone narrows what the layers below chose.
        let mut settings = file.settings();
        Config {
            ignore: Some(vec![Rule::EscapingClosureLargeObject]),
            ..Config::default()
        }
        .apply(&mut settings);
        assert!(settings.rules.is_empty());
    }

    #[test]
    fn json_settings_use_the_same_keys() {
        let parsed = from_json(&serde_json::json!({
            "select": ["RH302"],
            "severity": {"RH302": "error"},
            "target-version": "3.8",
            "selct": [],
            "ignore": [true],
        }));
        assert_eq!(parsed.config.select, Some(vec![Rule::CachedInstanceMethod]));
        assert_eq!(
            parsed.config.severity,
            [(Rule::CachedInstanceMethod, Severity::Error)]
        );
        assert_eq!(parsed.config.target_version, Some(PythonVersion::new(3, 8)));
        let mut messages = messages(&parsed);
        messages.sort();
        assert_eq!(
            messages,
            [
                "ignore: expected a list of rule codes or names, found a boolean in it",
                "unknown key \"selct\" (expected one of: select, ignore, severity, \
                 target-version, large-constructors, registration-names, unregistration-names, \
                 lru-cache-maxsize, strict, inlay-hints, baseline)",
            ]
        );
    }
}
