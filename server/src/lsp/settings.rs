//! The settings each document is analysed with: the defaults, then the configuration file that
//! governs the document's path (found as `refhound check` finds it), then the editor's settings
//! (`initializationOptions`, then `workspace/configuration`), which win.
//!
//! Settings are shared by blocking analysis threads, so the store is synchronous; nothing here is
//! held across an `.await`. Every change bumps a generation, which pull diagnostics put in their
//! result ids so that a client holding diagnostics from older settings gets fresh ones.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::baseline::Baselines;
use crate::analysis::settings::Settings;
use crate::config::{self, Config};
use crate::files::ConfigFiles;

#[derive(Default)]
pub struct SettingsStore {
    /// The editor's layer.
    editor: RwLock<Config>,
    files: Mutex<Files>,
    generation: AtomicU64,
    /// The projects' baselines: read with the configuration files, forgotten with them.
    pub baselines: Baselines,
}

#[derive(Default)]
struct Files {
    search: ConfigFiles,
    /// How many of `search.found` have had their problems reported.
    reported: usize,
    /// Settings by governing configuration file (index in `search.found`, `None` for none).
    cache: HashMap<Option<usize>, Arc<Settings>>,
}

impl SettingsStore {
    /// Which settings generation is current.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The settings for a document at `path` (`None` for documents that are not files), and the
    /// problems of configuration files read for the first time, worded for the user.
    pub fn for_path(&self, path: Option<&Path>) -> (Arc<Settings>, Vec<String>) {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        let governing = path.and_then(|path| files.search.config_for(path));
        let problems = files.search.found[files.reported..]
            .iter()
            .flat_map(|file| file.errors.iter().cloned())
            .collect();
        files.reported = files.search.found.len();
        if let Some(settings) = files.cache.get(&governing) {
            return (Arc::clone(settings), problems);
        }
        let mut settings = Settings::default();
        if let Some(index) = governing {
            files.search.found[index].config.apply(&mut settings);
        }
        self.editor
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .apply(&mut settings);
        let settings = Arc::new(settings);
        files.cache.insert(governing, Arc::clone(&settings));
        (settings, problems)
    }

    /// Replaces the editor's layer with settings given as JSON (camelCase or the file's
    /// kebab-case keys); returns the problems found, each worded for the user. A bad key is
    /// reported and left out, as in the files.
    pub fn set_editor(&self, value: &serde_json::Value) -> Vec<String> {
        // `null`: the editor sets nothing.
        let parsed = match value {
            serde_json::Value::Null => config::Parsed::default(),
            value => config::from_json(&kebab_case_keys(value)),
        };
        *self.editor.write().unwrap_or_else(PoisonError::into_inner) = parsed.config;
        self.changed();
        parsed
            .errors
            .iter()
            .map(|e| format!("refhound settings: {e}"))
            .collect()
    }

    /// Forgets every configuration file read, so that the next documents read them again (a
    /// `pyproject.toml` or `refhound.toml` changed on disk).
    pub fn reload_files(&self) {
        *self.files.lock().unwrap_or_else(PoisonError::into_inner) = Files::default();
        self.changed();
    }

    /// The editor's `baseline` setting: a path relative to the workspace folder.
    pub fn editor_baseline(&self) -> Option<String> {
        self.editor
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .baseline
            .clone()
    }

    fn changed(&self) {
        self.baselines.clear();
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .cache
            .clear();
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// Editors name settings in camelCase (`targetVersion`); the files in kebab-case
/// (`target-version`). Top-level keys are converted; rule codes inside `severity` are not
/// touched.
fn kebab_case_keys(value: &serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(map) = value else {
        return value.clone();
    };
    let converted = map
        .iter()
        .map(|(key, value)| {
            let mut kebab = String::new();
            for c in key.chars() {
                if c.is_ascii_uppercase() {
                    kebab.push('-');
                    kebab.push(c.to_ascii_lowercase());
                } else {
                    kebab.push(c);
                }
            }
            (kebab, value.clone())
        })
        .collect();
    serde_json::Value::Object(converted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rule::Severity;
    use crate::analysis::rules::Rule;

    #[test]
    fn editor_settings_in_camel_case_apply_and_bad_ones_are_reported() {
        let store = SettingsStore::default();
        let before = store.generation();
        let problems = store.set_editor(&serde_json::json!({
            "ignore": ["RH601"],
            "targetVersion": "3.8",
            "severity": {"RH101": "error"},
            "selct": ["RH101"],
        }));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("selct"), "{problems:?}");
        assert!(store.generation() > before);
        let (settings, _) = store.for_path(None);
        assert!(!settings.enabled(Rule::GcDebugSaveall));
        assert!(settings.enabled(Rule::EscapingClosureLargeObject));
        assert_eq!(
            settings.severity(Rule::EscapingClosureLargeObject),
            Severity::Error
        );
    }

    #[test]
    fn inlay_hints_from_the_editor_in_camel_case() {
        let store = SettingsStore::default();
        assert!(!store.for_path(None).0.inlay_hints, "off by default");
        assert!(
            store
                .set_editor(&serde_json::json!({"inlayHints": true}))
                .is_empty()
        );
        assert!(store.for_path(None).0.inlay_hints);
        let problems = store.set_editor(&serde_json::json!({"inlayHints": "on"}));
        assert_eq!(
            problems,
            ["refhound settings: inlay-hints: expected true or false, not a string"]
        );
        assert!(!store.for_path(None).0.inlay_hints);
    }

    #[test]
    fn the_file_is_overridden_by_the_editor_and_its_problems_are_reported_once() {
        let dir =
            std::env::temp_dir().join(format!("refhound-lsp-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("refhound.toml"),
            "ignore = [\"RH101\", \"RH102\"]\nbogus = 1\n",
        )
        .unwrap();
        let file = dir.join("a.py");
        let store = SettingsStore::default();
        let (settings, problems) = store.for_path(Some(&file));
        assert!(!settings.enabled(Rule::EscapingClosureLargeObject));
        assert!(!settings.enabled(Rule::ClosureCapturesWholeObject));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("bogus"), "{problems:?}");
        let (_, again) = store.for_path(Some(&file));
        assert!(again.is_empty(), "reported once: {again:?}");

        store.set_editor(&serde_json::json!({"select": ["RH101"]}));
        let (settings, _) = store.for_path(Some(&file));
        assert!(settings.enabled(Rule::EscapingClosureLargeObject));
        assert!(!settings.enabled(Rule::ClosureCapturesWholeObject));

        std::fs::write(dir.join("refhound.toml"), "ignore = []\n").unwrap();
        store.set_editor(&serde_json::Value::Null);
        store.reload_files();
        let (settings, problems) = store.for_path(Some(&file));
        assert!(settings.enabled(Rule::ClosureCapturesWholeObject));
        assert!(problems.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
