//! Releases in other modules. A finding on a store into another object's attribute
//! (`self.transport.saved_exception = e`) rests on nothing letting go of it, and that object's
//! class may be defined in another module of the project, which does (paramiko's `Transport`
//! sets `saved_exception` back to None in `get_exception()`). After the per-file analysis,
//! `check` and the language server ask the project's other modules once for every such
//! attribute ([`Finding::release_elsewhere`]); a file that never names the attribute is not
//! parsed again.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::analysis::findings::Finding;
use crate::analysis::parse::parse;
use crate::analysis::released_attributes;
use crate::files::{PythonFile, for_each_file, read_source};

/// Where the project lets go of each attribute asked about: the file, and the place in words.
#[derive(Default)]
pub struct ReleasesElsewhere {
    found: HashMap<String, Vec<(PathBuf, String)>>,
}

impl ReleasesElsewhere {
    /// The attributes the findings ask about.
    pub fn wanted<'f>(findings: impl IntoIterator<Item = &'f Finding>) -> BTreeSet<String> {
        findings
            .into_iter()
            .filter_map(|f| f.release_elsewhere.clone())
            .collect()
    }

    /// Looks for releases of `names` in each of `files`, whose text `read` gives (`None` for a
    /// file that cannot be read). Files are searched in parallel; only those whose text names
    /// one of the attributes (`.name`) are parsed.
    pub fn scan<F: Sync>(
        files: &[F],
        path_of: impl Fn(&F) -> &Path + Sync,
        read: impl Fn(&F) -> Option<String> + Sync,
        names: &BTreeSet<String>,
    ) -> ReleasesElsewhere {
        let mut releases = ReleasesElsewhere::default();
        if names.is_empty() {
            return releases;
        }
        let needles: Vec<(&str, String)> = names
            .iter()
            .map(|name| (name.as_str(), format!(".{name}")))
            .collect();
        let found = for_each_file(files, |file| {
            let text = read(file)?;
            let named: Vec<&str> = needles
                .iter()
                .filter(|(_, needle)| text.contains(needle.as_str()))
                .map(|&(name, _)| name)
                .collect();
            if named.is_empty() {
                return None;
            }
            let tree = parse(&text);
            let released = released_attributes(&text, &tree, &named);
            Some((path_of(file).to_path_buf(), released))
        });
        for (path, released) in found.into_iter().flatten() {
            for (name, place) in released {
                releases
                    .found
                    .entry(name)
                    .or_default()
                    .push((path.clone(), place));
            }
        }
        releases
    }

    /// Whether another file than `path` (the finding's) lets go of the finding's attribute;
    /// if so the finding moves to the strict level and says where (`display` names the file),
    /// and the caller drops it unless strict findings are wanted.
    pub fn settle(
        &self,
        path: &Path,
        finding: &mut Finding,
        display: impl Fn(&Path) -> String,
    ) -> bool {
        let Some((file, place)) = finding
            .release_elsewhere
            .as_ref()
            .and_then(|name| self.found.get(name))
            .and_then(|sites| sites.iter().find(|(file, _)| file != path))
        else {
            return false;
        };
        finding.released_elsewhere(&format!("{place} in {}", display(file)));
        true
    }
}

/// The language server's [`ReleasesElsewhere`]: the workspace's files, and what was found for
/// each attribute asked about since they last changed. A document's analysis asks only for the
/// attributes no analysis has asked for yet, so a keystroke costs a lookup.
#[derive(Default)]
pub struct WorkspaceReleases {
    files: Vec<PathBuf>,
    asked: HashSet<String>,
    found: ReleasesElsewhere,
}

impl WorkspaceReleases {
    /// The workspace's files are these now (a scan listed them): what was found is forgotten.
    pub fn set_files(&mut self, files: Vec<PathBuf>) {
        self.files = files;
        self.forget();
    }

    /// A file changed (saved, or changed on disk): what was found is forgotten.
    pub fn forget(&mut self) {
        self.asked.clear();
        self.found = ReleasesElsewhere::default();
    }

    /// Settles the findings of the file at `path` against the rest of the workspace, as
    /// `check` does: those whose attribute another file lets go of become strict, and are
    /// dropped unless `strict`.
    pub fn settle(&mut self, path: &Path, findings: &mut Vec<Finding>, strict: bool) {
        let wanted: BTreeSet<String> = ReleasesElsewhere::wanted(findings.iter())
            .into_iter()
            .filter(|name| !self.asked.contains(name))
            .collect();
        if !wanted.is_empty() {
            let more = ReleasesElsewhere::scan(
                &self.files,
                PathBuf::as_path,
                |path| {
                    read_source(&PythonFile {
                        path: path.clone(),
                        display: path.display().to_string(),
                    })
                    .ok()
                },
                &wanted,
            );
            for (name, sites) in more.found {
                self.found.found.entry(name).or_default().extend(sites);
            }
            self.asked.extend(wanted);
        }
        findings.retain_mut(|finding| {
            !self
                .found
                .settle(path, finding, |file| file.display().to_string())
                || strict
        });
    }
}
