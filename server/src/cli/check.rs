//! `refhound check`: findings for CI, as text with source snippets, JSON, SARIF or GitHub
//! Actions annotations.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use super::fix::{self, Mode, fix_file};
use super::notebook::check_notebook;
use crate::analysis::findings::Finding;
use crate::analysis::fixes::Allowed;
use crate::analysis::line_index::LineIndex;
use crate::analysis::notebook::{CellSpan, Notebook};
use crate::analysis::parse::parse;
use crate::analysis::rule::Severity;
use crate::analysis::rules::{RULES, Rule, RuleInfo};
use crate::analysis::settings::Settings;
use crate::baseline::{Baseline, Filtered, fingerprint};
use crate::config::Config;
use crate::files::{
    BaselineFile, ConfigFiles, EXCLUDED_DIRECTORIES, PythonFile, absolute, for_each_file,
    python_files_and_notebooks, read_source,
};
use crate::project::releases::ReleasesElsewhere;
use crate::project::{ProjectUses, module_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Each finding with a source snippet and a caret line, as ruff prints them.
    Text,
    /// A list of findings with code, severity, message, positions and related locations.
    Json,
    /// SARIF 2.1.0, for code-scanning upload.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Python files and Jupyter notebooks, or directories to search for `*.py` and `*.ipynb`
    /// files (honouring `.gitignore`).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Only these rules (codes or names, comma-separated or repeated); replaces the
    /// configuration file's `select` and `ignore`.
    #[arg(long)]
    pub select: Vec<String>,
    /// Not these rules (on top of the configuration file's choice).
    #[arg(long)]
    pub ignore: Vec<String>,
    /// Use this configuration file for every file instead of searching for `refhound.toml` or
    /// `pyproject.toml` (`[tool.refhound]`) above each one.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Also print how many findings each rule has.
    #[arg(long)]
    pub statistics: bool,
    /// Also report the shapes that lack evidence of harm (an object made once per process, a
    /// cache over a fixed key set, a reference released in a lifecycle method), as the
    /// configuration's `strict = true` does.
    #[arg(long)]
    pub strict: bool,
    /// Exit 0 even when there are findings (a bad configuration file still exits 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Apply the safe fixes (behaviour unchanged) to the files, then report the findings left;
    /// the exit status follows those.
    #[arg(long)]
    pub fix: bool,
    /// Let `--fix` and `--diff` apply unsafe fixes too (they can change behaviour; each one's
    /// title says how). On its own it applies nothing, as in ruff: it only counts unsafe fixes
    /// as fixable in the summary.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print a unified diff of what `--fix` would change, and write nothing (even with `--fix`).
    /// Exits 1 when there is something to fix, 0 when not.
    #[arg(long, conflicts_with_all = ["format", "statistics"])]
    pub diff: bool,
    /// Report only the findings not in this baseline file. Default: the configuration's
    /// `baseline`, else `.refhound/baseline.json` in the project root (the directory of the
    /// configuration governing the current directory, else the current directory), if it
    /// exists. A baseline that cannot be read is reported, every finding is reported, and the
    /// run exits 2.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in the baseline (`--write-baseline=FILE` to name it), by rule,
    /// file and a fingerprint of the code that survives edits elsewhere; later runs and the
    /// editor then report only new findings. Entries of files and rules this run did not
    /// check are kept.
    #[arg(
        long,
        value_name = "FILE",
        num_args = 0..=1,
        require_equals = true,
        conflicts_with_all = ["diff", "update_baseline"]
    )]
    pub write_baseline: Option<Option<PathBuf>>,
    /// Remove from the baseline the findings this run no longer finds (fixed, or their file
    /// deleted); never adds any.
    #[arg(long, conflicts_with = "diff")]
    pub update_baseline: bool,
}

impl Options {
    fn allowed(&self) -> Allowed {
        if self.unsafe_fixes {
            Allowed::All
        } else {
            Allowed::Safe
        }
    }

    /// Whether, and how, fixes are applied.
    fn fixing(&self) -> Option<Mode> {
        if self.diff {
            Some(Mode::Diff)
        } else if self.fix {
            Some(Mode::Write)
        } else {
            None
        }
    }
}

/// What `run` found: decides the exit status.
pub enum Outcome {
    Clean,
    Findings,
    /// No findings, but some files could not be read or decoded.
    Unreadable,
}

/// One file's findings, with what is needed to print them.
struct FileReport {
    /// The file's path as walked from the argument, so a terminal or CI log can link to it.
    path: String,
    /// The file's path relative to the current directory (`/` separators), or absolute when it
    /// lies outside: what SARIF and GitHub resolve against the repository root.
    location: RepoPath,
    text: String,
    findings: Vec<Reported>,
    /// Fixes applied to the file (or, with `--diff`, that would be).
    fixed: usize,
    /// With `--diff`: the diff of the file's fixes.
    diff: Option<String>,
    /// What was not analysed: the file was not parsed, or had syntax errors (and from which
    /// line), so its findings cover only what parsed.
    parse_note: Option<String>,
    /// Whether the file's settings ask for strict findings too.
    strict: bool,
    /// For a notebook, where each code cell lies in `text` (the cells joined).
    cells: Vec<CellSpan>,
    /// The rules the file was checked for: the baseline entries this run can confirm or drop.
    rules: Vec<Rule>,
}

impl FileReport {
    /// The 1-based line a parse note is about (`line N` in it), else 1.
    fn note_line(&self) -> usize {
        self.parse_note
            .as_deref()
            .and_then(|note| note.split("line ").nth(1))
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|digits| digits.parse().ok())
            .unwrap_or(1)
    }
}

struct Reported {
    finding: Finding,
    severity: Severity,
}

/// Where a file is, for consumers that resolve paths against the checkout.
enum RepoPath {
    /// Under the current directory: `pkg/mod.py`.
    Relative(String),
    Absolute(PathBuf),
}

/// Problems that do not stop the run but make it fail: printed as they come, and listed in
/// SARIF's `invocations`.
#[derive(Default)]
struct Problems {
    unreadable: Vec<String>,
    configuration: Vec<String>,
    /// Files whose fixes could not be written (their findings are reported as found).
    not_fixed: Vec<String>,
}

pub fn run(options: &Options) -> Result<Outcome, String> {
    // The command line is the last layer over each configuration file, as in ruff.
    let select = parse_codes(&options.select)?;
    let ignore = parse_codes(&options.ignore)?;
    let command_line = Config {
        select: (!select.is_empty()).then_some(select),
        ignore: (!ignore.is_empty()).then_some(ignore),
        strict: options.strict.then_some(true),
        ..Config::default()
    };
    let files = python_files_and_notebooks(&options.paths, EXCLUDED_DIRECTORIES)?;
    // The importable modules: what other modules can use or let go of.
    let modules: Vec<PythonFile> = files.iter().filter(|f| !f.is_notebook()).cloned().collect();
    let mut configs = match &options.config {
        Some(path) => ConfigFiles::fixed(path)?,
        None => ConfigFiles::discover(),
    };
    let governing: Vec<Option<usize>> = files
        .iter()
        .map(|file| configs.config_for(&file.path))
        .collect();
    let mut problems = Problems::default();
    for error in configs.found.iter().flat_map(|c| &c.errors) {
        eprintln!("refhound: {error}");
        problems.configuration.push(error.clone());
    }
    let baseline_use = BaselineUse::of(options);
    let named = match &options.write_baseline {
        Some(Some(path)) => Some(path.as_path()),
        _ => options.baseline.as_deref(),
    };
    let baseline_file = BaselineFile::locate(&mut configs, Path::new("."), named);
    let baseline = match (baseline_file.read(), baseline_use) {
        (Ok(baseline), _) => baseline,
        // Rewritten from today's findings: what it held does not matter.
        (Err(_), BaselineUse::Write) => None,
        (Err(message), _) => {
            eprintln!("refhound: {message}; every finding is reported");
            problems.configuration.push(message);
            None
        }
    };
    if baseline.is_none() && baseline_use == BaselineUse::Update {
        return Err(format!(
            "{}: no baseline to update (write one with --write-baseline)",
            baseline_file.path.display()
        ));
    }
    let layered = |config: &Config| {
        let mut settings = config.settings();
        command_line.apply(&mut settings);
        settings
    };
    let per_config: Vec<Settings> = configs.found.iter().map(|c| layered(&c.config)).collect();
    let defaults = layered(&Config::default());
    let current_directory = absolute(Path::new("."));
    let jobs: Vec<_> = files
        .iter()
        .zip(&governing)
        .map(|(file, config)| (file, config.map_or(&defaults, |i| &per_config[i])))
        .collect();
    let fixing = options.fixing();
    // A fix must not remove a module-level name another module of the tree uses.
    let uses = fixing
        .map(|_| ProjectUses::scan(&modules))
        .unwrap_or_default();
    let results = for_each_file(&jobs, |&(file, settings)| {
        let location = repo_path(&current_directory, &file.path);
        let fixed = match fixing {
            _ if file.is_notebook() => {
                check_notebook(file, settings, fixing.map(|mode| (mode, options.allowed())))?
            }
            Some(mode) => {
                let keep = module_name(&file.path)
                    .map(|module| uses.names_used_of(&module, &file.path))
                    .unwrap_or_default();
                fix_file(file, settings, options.allowed(), mode, &keep)?
            }
            None => {
                let text = read_source(file)?;
                let checked = fix::check(&text, settings);
                fix::FileFix::unfixed(text, checked, None)
            }
        };
        let diff = fixed.diff.or_else(|| {
            let rewritten = fixed.rewritten.as_deref()?;
            let label = match &location {
                RepoPath::Relative(path) => path.clone(),
                RepoPath::Absolute(path) => path.display().to_string(),
            };
            Some(fix::unified_diff(&label, &fixed.text, rewritten))
        });
        let report = FileReport {
            path: file.path.display().to_string(),
            location,
            findings: fixed
                .findings
                .into_iter()
                .map(|finding| Reported {
                    severity: settings.severity(finding.rule),
                    finding,
                })
                .collect(),
            text: fixed.text,
            fixed: fixed.fixed,
            diff,
            parse_note: fixed.parse_note,
            strict: settings.strict,
            cells: fixed.cells,
            rules: settings.rules.clone(),
        };
        Ok::<_, String>((report, fixed.not_fixed))
    });
    let mut reports = Vec::new();
    for result in results {
        match result {
            Ok((report, not_fixed)) => {
                if let Some(message) = not_fixed {
                    eprintln!("refhound: {message}");
                    problems.not_fixed.push(message);
                }
                reports.push(report);
            }
            Err(message) => {
                eprintln!("refhound: {message}");
                problems.unreadable.push(message);
            }
        }
    }
    // A finding on another object's attribute that another module lets go of is strict.
    let wanted = ReleasesElsewhere::wanted(
        reports
            .iter()
            .flat_map(|r| r.findings.iter().map(|f| &f.finding)),
    );
    if !wanted.is_empty() {
        let releases = ReleasesElsewhere::scan(
            &modules,
            |file| file.path.as_path(),
            |file| read_source(file).ok(),
            &wanted,
        );
        for report in &mut reports {
            let path = PathBuf::from(&report.path);
            let display = |file: &Path| {
                files
                    .iter()
                    .find(|f| f.path == file)
                    .map_or_else(|| file.display().to_string(), |f| f.display.clone())
            };
            report.findings.retain_mut(|reported| {
                !releases.settle(&path, &mut reported.finding, display) || report.strict
            });
        }
    }
    let baselined = match baseline_use {
        BaselineUse::Read if baseline.is_none() => 0,
        _ => apply_baseline(
            &mut reports,
            &baseline_file,
            baseline.unwrap_or_default(),
            baseline_use,
        )?,
    };
    let fixed = Tally::of(&reports);
    if fixing == Some(Mode::Diff) {
        return write_diffs(&reports, &fixed, &problems, options.exit_zero);
    }
    let total: usize = reports.iter().map(|r| r.findings.len()).sum();
    let mut out = std::io::stdout().lock();
    let written = match options.format {
        Format::Text => write_text(
            &mut out,
            &reports,
            (total, baselined),
            options.statistics,
            options.fix.then_some(&fixed),
            options.allowed(),
        ),
        Format::Json => write_json(&mut out, &reports),
        Format::Sarif => write_sarif(&mut out, &reports, &problems, &current_directory),
        Format::Github => write_github(&mut out, &reports),
    };
    if options.fix && options.format != Format::Text {
        // The other formats are read by programs: stdout is theirs alone.
        eprintln!("refhound: {}", fixed.done());
    }
    written
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())?;
    let unreadable = problems.unreadable.len();
    if unreadable > 0 {
        eprintln!("refhound: {unreadable} file(s) could not be read or decoded");
    }
    if !problems.configuration.is_empty() {
        // A broken configuration fails the run even with `--exit-zero`, as in ruff: CI must not
        // pass on settings it silently did not apply.
        return Err(format!(
            "{} configuration error(s), listed above; the files were checked with the \
             default value of each key in error",
            problems.configuration.len()
        ));
    }
    Ok(if options.exit_zero {
        Outcome::Clean
    } else if total > 0 {
        Outcome::Findings
    } else if unreadable > 0 {
        Outcome::Unreadable
    } else {
        Outcome::Clean
    })
}

/// What the run does with the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BaselineUse {
    /// Leaves out the findings it accepts.
    Read,
    /// `--write-baseline`: records every finding of the run.
    Write,
    /// `--update-baseline`: leaves findings out, and drops the entries no longer found.
    Update,
}

impl BaselineUse {
    fn of(options: &Options) -> BaselineUse {
        if options.write_baseline.is_some() {
            BaselineUse::Write
        } else if options.update_baseline {
            BaselineUse::Update
        } else {
            BaselineUse::Read
        }
    }
}

/// Leaves out of `reports` the findings `baseline` accepts (with `--write-baseline`, first
/// records them all), writes the file when asked to, and returns how many were left out.
fn apply_baseline(
    reports: &mut [FileReport],
    file: &BaselineFile,
    mut baseline: Baseline,
    using: BaselineUse,
) -> Result<usize, String> {
    let shown = file.path.display();
    // Fingerprints need a tree; only files with findings the baseline may hold are parsed.
    let names: Vec<String> = reports
        .iter()
        .map(|report| file.name_of(Path::new(&report.path)))
        .collect();
    let jobs: Vec<_> = reports.iter().zip(&names).collect();
    let recording = using == BaselineUse::Write;
    let prints = for_each_file(&jobs, |&(report, name)| {
        let wanted = !report.findings.is_empty() && (recording || baseline.has_file(name));
        wanted.then(|| {
            let text = analysed_text(report);
            let tree = parse(&text);
            report
                .findings
                .iter()
                .map(|reported| fingerprint(&text, &tree, &reported.finding))
                .collect::<Vec<_>>()
        })
    });
    let deleted: Vec<String> = baseline
        .files()
        .into_iter()
        .filter(|name| !file.path_of(name).exists())
        .map(str::to_string)
        .collect();
    let mut removed = deleted
        .iter()
        .map(|name| baseline.forget(name))
        .sum::<usize>();
    let mut baselined = 0;
    for ((report, name), prints) in reports.iter_mut().zip(&names).zip(prints) {
        let rules = &report.rules;
        let covers = |code: &str| Rule::from_code(code).is_none_or(|rule| rules.contains(&rule));
        if recording {
            baseline.record(name, prints.unwrap_or_default(), covers);
            baselined += report.findings.len();
            report.findings.clear();
            continue;
        }
        let findings = std::mem::take(&mut report.findings);
        let filtered = match prints {
            Some(prints) => baseline.filter(name, findings.into_iter().zip(prints)),
            None => Filtered::unfiltered(findings),
        };
        report.findings = filtered.kept;
        baselined += filtered.baselined;
        // Findings after a syntax error may be missing, not fixed.
        if using == BaselineUse::Update && report.parse_note.is_none() {
            removed += baseline.shrink(name, &filtered.matched, covers);
        }
    }
    match using {
        BaselineUse::Read => {}
        BaselineUse::Write => {
            file.write(&baseline)?;
            eprintln!(
                "refhound: recorded {} in {shown}",
                counted(baseline.len(), "finding")
            );
        }
        BaselineUse::Update if removed == 0 => {
            eprintln!("refhound: {shown} is up to date");
        }
        BaselineUse::Update => {
            file.write(&baseline)?;
            eprintln!(
                "refhound: removed {} no longer found from {shown} ({} left)",
                counted(removed, "finding"),
                baseline.len()
            );
        }
    }
    Ok(baselined)
}

/// The text a report's findings were found in: a notebook's cells joined and masked as they
/// were analysed.
fn analysed_text(report: &FileReport) -> String {
    if report.cells.is_empty() {
        return report.text.clone();
    }
    Notebook::new(
        report
            .cells
            .iter()
            .map(|cell| (cell.index, &report.text[cell.range.clone()])),
    )
    .text
}

/// How many fixes were applied, in how many files.
struct Tally {
    fixes: usize,
    files: usize,
}

impl Tally {
    fn of(reports: &[FileReport]) -> Tally {
        Tally {
            fixes: reports.iter().map(|r| r.fixed).sum(),
            files: reports.iter().filter(|r| r.fixed > 0).count(),
        }
    }

    /// `Fixed 3 findings (2 files).`
    fn done(&self) -> String {
        format!("Fixed {}.", self.counts())
    }

    fn counts(&self) -> String {
        format!(
            "{} ({})",
            counted(self.fixes, "finding"),
            counted(self.files, "file")
        )
    }
}

/// `1 finding`, `2 findings`.
fn counted(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// `--diff`: every file's diff on stdout, what it would fix on stderr. As in ruff, the exit
/// status says whether there is something to fix.
fn write_diffs(
    reports: &[FileReport],
    fixed: &Tally,
    problems: &Problems,
    exit_zero: bool,
) -> Result<Outcome, String> {
    let mut out = std::io::stdout().lock();
    for diff in reports.iter().filter_map(|r| r.diff.as_deref()) {
        out.write_all(diff.as_bytes()).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("refhound: would fix {}", fixed.counts());
    Ok(if exit_zero {
        Outcome::Clean
    } else if fixed.fixes > 0 {
        Outcome::Findings
    } else if !problems.unreadable.is_empty() {
        Outcome::Unreadable
    } else {
        Outcome::Clean
    })
}

fn repo_path(current_directory: &Path, path: &Path) -> RepoPath {
    let path = absolute(path);
    match path.strip_prefix(current_directory) {
        Ok(relative) => RepoPath::Relative(
            relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
        ),
        Err(_) => RepoPath::Absolute(path),
    }
}

fn parse_codes(codes: &[String]) -> Result<Vec<Rule>, String> {
    codes
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|code| Rule::from_code(code).ok_or_else(|| format!("unknown rule {code}")))
        .collect()
}

/// Where a byte of a report's text is, as output names it: 1-based line and 1-based column in
/// characters, as editors and ruff print them, and in a notebook the cell (counted from 1 among
/// all its cells) the line is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    cell: Option<usize>,
    line: usize,
    column: usize,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if let Some(cell) = self.cell {
            write!(f, "cell {cell}:")?;
        }
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Finds the [`Place`]s of one report's text.
struct Places<'a> {
    text: &'a str,
    lines: LineIndex,
    cells: &'a [CellSpan],
}

impl<'a> Places<'a> {
    fn new(report: &'a FileReport) -> Places<'a> {
        Places {
            text: &report.text,
            lines: LineIndex::new(&report.text),
            cells: &report.cells,
        }
    }

    fn at(&self, offset: usize) -> Place {
        let line = self.lines.line_of(offset);
        let column = self.text[self.lines.line_start(line)..offset]
            .chars()
            .count()
            + 1;
        let after = self.cells.partition_point(|c| c.range.start <= offset);
        match after.checked_sub(1).map(|i| &self.cells[i]) {
            Some(cell) => Place {
                cell: Some(cell.index + 1),
                line: line + 1 - self.lines.line_of(cell.range.start),
                column,
            },
            None => Place {
                cell: None,
                line,
                column,
            },
        }
    }
}

fn write_text(
    out: &mut impl Write,
    reports: &[FileReport],
    (total, baselined): (usize, usize),
    statistics: bool,
    fixed: Option<&Tally>,
    allowed: Allowed,
) -> std::io::Result<()> {
    for report in reports {
        let places = Places::new(report);
        for Reported { finding, .. } in &report.findings {
            let place = places.at(finding.range.start);
            let code = finding.rule.code();
            writeln!(out, "{}:{place}: {code} {}", report.path, finding.message)?;
            write_snippet(out, &places, place.line, finding, code)?;
            for related in &finding.related {
                let place = places.at(related.range.start);
                writeln!(out, "   = {}:{place}: {}", report.path, related.message)?;
            }
            writeln!(out)?;
        }
    }
    if statistics {
        let mut counts: BTreeMap<Rule, usize> = BTreeMap::new();
        for reported in reports.iter().flat_map(|r| &r.findings) {
            *counts.entry(reported.finding.rule).or_default() += 1;
        }
        for (rule, count) in counts {
            writeln!(out, "{count:>6}  {}  {}", rule.code(), rule.name())?;
        }
    }
    if let Some(fixed) = fixed {
        writeln!(out, "{}", fixed.done())?;
    }
    let noted: Vec<_> = reports.iter().filter(|r| r.parse_note.is_some()).collect();
    if !noted.is_empty() {
        writeln!(
            out,
            "{} not fully analysed (syntax errors, or not parsed):",
            counted(noted.len(), "file")
        )?;
        for report in noted {
            let note = report.parse_note.as_deref().unwrap_or_default();
            writeln!(out, "  {}: {note}", report.path)?;
        }
    }
    let files = reports.iter().filter(|r| !r.findings.is_empty()).count();
    let baselined = match baselined {
        0 => String::new(),
        n => format!(" ({n} baselined)"),
    };
    match total {
        0 => writeln!(out, "No findings in {} files{baselined}.", reports.len())?,
        _ => writeln!(
            out,
            "Found {total} finding(s) in {files} of {} files{baselined}.",
            reports.len()
        )?,
    }
    if fixed.is_none() {
        write_fixable(out, reports, allowed)?;
    }
    Ok(())
}

/// How many findings `--fix` would fix, and how many more `--unsafe-fixes` would, as ruff says.
fn write_fixable(
    out: &mut impl Write,
    reports: &[FileReport],
    allowed: Allowed,
) -> std::io::Result<()> {
    let findings = || reports.iter().flat_map(|r| &r.findings);
    let fixable = |allowed: Allowed| {
        findings()
            .filter(|r| allowed.fix_for(&r.finding).is_some())
            .count()
    };
    let (now, with_unsafe) = (fixable(allowed), fixable(Allowed::All));
    if now > 0 {
        let option = match allowed {
            Allowed::Safe => "`--fix`",
            Allowed::All => "`--fix --unsafe-fixes`",
        };
        writeln!(out, "{now} fixable with {option}.")?;
    }
    if with_unsafe > now {
        writeln!(
            out,
            "({} more fixable with `--fix --unsafe-fixes`.)",
            with_unsafe - now
        )?;
    }
    Ok(())
}

/// The finding's first line with a caret line under its span, like ruff's; the line is numbered
/// `number` (its line in its cell, for a notebook).
fn write_snippet(
    out: &mut impl Write,
    places: &Places,
    number: usize,
    finding: &Finding,
    code: &str,
) -> std::io::Result<()> {
    let (text, lines) = (places.text, &places.lines);
    let line = lines.line_of(finding.range.start);
    let start = lines.line_start(line);
    let end = text[start..]
        .find(['\n', '\r'])
        .map_or(text.len(), |n| start + n);
    let source = &text[start..end];
    let before = text[start..finding.range.start].chars().count();
    let width = text[finding.range.start..finding.range.end.min(end).max(finding.range.start)]
        .chars()
        .count()
        .max(1);
    let gutter = number.to_string().len();
    writeln!(out, "{:gutter$} |", "")?;
    writeln!(out, "{number} | {}", source.replace('\t', " "))?;
    writeln!(
        out,
        "{:gutter$} | {}{} {code}",
        "",
        " ".repeat(before),
        "^".repeat(width)
    )?;
    writeln!(out, "{:gutter$} |", "")
}

#[derive(Serialize)]
struct JsonLocation {
    row: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    message: &'a str,
    /// In a notebook, the cell (from 1) the location's lines count in.
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<usize>,
    location: JsonLocation,
    end_location: JsonLocation,
}

/// One finding, or (with `code` null, as ruff reports syntax errors) a file not fully analysed.
#[derive(Serialize)]
struct JsonFinding<'a> {
    code: Option<&'a str>,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    filename: &'a str,
    /// In a notebook, the cell (from 1) the location's lines count in.
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<usize>,
    location: JsonLocation,
    end_location: JsonLocation,
    related: Vec<JsonRelated<'a>>,
}

fn write_json(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    let mut all = Vec::new();
    for report in reports {
        let places = Places::new(report);
        let location = |offset| {
            let place = places.at(offset);
            JsonLocation {
                row: place.line,
                column: place.column,
            }
        };
        for Reported { finding, severity } in &report.findings {
            all.push(JsonFinding {
                code: Some(finding.rule.code()),
                name: finding.rule.name(),
                severity: severity.name(),
                message: &finding.message,
                filename: &report.path,
                cell: places.at(finding.range.start).cell,
                location: location(finding.range.start),
                end_location: location(finding.range.end),
                related: finding
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        message: &r.message,
                        cell: places.at(r.range.start).cell,
                        location: location(r.range.start),
                        end_location: location(r.range.end),
                    })
                    .collect(),
            });
        }
    }
    for report in reports {
        if let Some(note) = &report.parse_note {
            let line = report.note_line();
            all.push(JsonFinding {
                code: None,
                name: NOT_ANALYSED,
                severity: "error",
                message: note,
                filename: &report.path,
                cell: None,
                location: JsonLocation {
                    row: line,
                    column: 1,
                },
                end_location: JsonLocation {
                    row: line,
                    column: 1,
                },
                related: Vec::new(),
            });
        }
    }
    serde_json::to_writer_pretty(&mut *out, &all).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// The name of a JSON entry (code null) for a file not fully analysed.
const NOT_ANALYSED: &str = "not-fully-analysed";

/// Where the SARIF 2.1.0 schema is published (the OASIS errata 01 text, the one validated against
/// in `tests/run`).
const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base that relative artifact URIs are resolved against: the directory `check` ran in,
/// normally the repository root.
const SOURCE_ROOT: &str = "%SRCROOT%";

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// The first paragraph under `## What it does` of a rule's documentation, without its leading
/// "Flags ", on one line.
fn what_it_does(documentation: &str) -> String {
    let section = documentation
        .split("\n## ")
        .find_map(|section| {
            let does = section.strip_prefix("What it does\n")?;
            Some(does.strip_prefix("Flags ").unwrap_or(does))
        })
        .unwrap_or_default();
    let paragraph = section.split("\n\n").next().unwrap_or_default();
    paragraph.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first sentence (or clause before a colon) of a text: a one-line description.
fn first_sentence(text: &str) -> &str {
    let mut from = 0;
    while let Some(found) = text[from..].find([':', '.']) {
        let end = from + found;
        let follows_space = text[end + 1..].starts_with(' ');
        let abbreviation = ["e.g", "i.e", "etc"]
            .iter()
            .any(|a| text[..end].ends_with(a));
        if follows_space && !abbreviation {
            return if text[end..].starts_with('.') {
                &text[..=end]
            } else {
                &text[..end]
            };
        }
        from = end + 1;
    }
    text
}

fn sarif_rule(info: &RuleInfo) -> serde_json::Value {
    let documentation = info.documentation();
    let flags = what_it_does(&documentation);
    let flags = if flags.is_empty() {
        info.name().replace('-', " ")
    } else {
        flags
    };
    json!({
        "id": info.code(),
        "name": info.name(),
        "shortDescription": { "text": first_sentence(&flags) },
        "fullDescription": { "text": flags },
        "help": { "text": documentation, "markdown": documentation },
        "defaultConfiguration": { "level": sarif_level(Settings::default().severity(info.rule)) },
    })
}

/// A `file:` URI for an absolute path, with every byte outside the unreserved set and `/`
/// percent-encoded (or the relative reference for a relative path).
fn file_uri(path: &str) -> String {
    let mut uri = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

fn sarif_artifact(location: &RepoPath) -> serde_json::Value {
    match location {
        RepoPath::Relative(path) => json!({ "uri": file_uri(path), "uriBaseId": SOURCE_ROOT }),
        RepoPath::Absolute(path) => {
            json!({ "uri": format!("file://{}", file_uri(&path.to_string_lossy())) })
        }
    }
}

/// A span's region; in a notebook its lines count in its cell, named in the region's
/// properties (`"cell": 3`, from 1).
fn sarif_region(places: &Places, range: &std::ops::Range<usize>) -> serde_json::Value {
    let (start, end) = (places.at(range.start), places.at(range.end));
    let mut region = json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    });
    if let Some(cell) = start.cell {
        region["properties"] = json!({ "cell": cell });
    }
    region
}

/// SARIF 2.1.0: one run, every rule's metadata, each finding with its location and related
/// locations; columns count Unicode code points (`columnKind`), lines and columns from 1, end
/// columns just past the span.
fn write_sarif(
    out: &mut impl Write,
    reports: &[FileReport],
    problems: &Problems,
    current_directory: &Path,
) -> std::io::Result<()> {
    let mut results = Vec::new();
    for report in reports {
        let places = Places::new(report);
        let artifact = sarif_artifact(&report.location);
        for Reported { finding, severity } in &report.findings {
            let related: Vec<_> = finding
                .related
                .iter()
                .enumerate()
                .map(|(id, related)| {
                    json!({
                        "id": id,
                        "message": { "text": related.message },
                        "physicalLocation": {
                            "artifactLocation": artifact,
                            "region": sarif_region(&places, &related.range),
                        },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": finding.rule.code(),
                "ruleIndex": RULES.iter().position(|info| info.rule == finding.rule),
                "level": sarif_level(*severity),
                "message": { "text": finding.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": sarif_region(&places, &finding.range),
                    },
                }],
            });
            if !related.is_empty() {
                result["relatedLocations"] = related.into();
            }
            results.push(result);
        }
    }
    let errors = problems.configuration.iter().chain(&problems.unreadable);
    let execution_successful = errors.clone().next().is_none();
    let notifications: Vec<_> = errors
        .map(|message| json!({ "level": "error", "message": { "text": message } }))
        .chain(
            problems
                .not_fixed
                .iter()
                .map(|message| json!({ "level": "warning", "message": { "text": message } })),
        )
        .chain(reports.iter().filter_map(|report| {
            let note = report.parse_note.as_ref()?;
            Some(json!({
                "level": "warning",
                "descriptor": { "id": NOT_ANALYSED },
                "message": { "text": format!("{}: {note}", report.path) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": sarif_artifact(&report.location),
                        "region": { "startLine": report.note_line() },
                    },
                }],
            }))
        }))
        .collect();
    let root = format!(
        "file://{}/",
        file_uri(current_directory.to_string_lossy().trim_end_matches('/'))
    );
    let mut driver = json!({
        "name": "refhound",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": RULES.iter().map(sarif_rule).collect::<Vec<_>>(),
    });
    // Only a real address: the package names none yet.
    if let Some(uri) = [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty())
    {
        driver["informationUri"] = uri.into();
    }
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "invocations": [{
                "executionSuccessful": execution_successful,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": { SOURCE_ROOT: { "uri": root } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// GitHub's escaping of a workflow command's message.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one annotation per finding:
/// `::warning file=F,line=L,col=C,endLine=L,endColumn=C,title=RH302 name::message`. Related
/// locations follow the message on lines of their own.
fn write_github(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    for report in reports {
        let places = Places::new(report);
        let file = match &report.location {
            RepoPath::Relative(path) => path.clone(),
            RepoPath::Absolute(path) => path.display().to_string(),
        };
        for Reported { finding, severity } in &report.findings {
            let command = match severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Information | Severity::Hint => "notice",
            };
            let (start, end) = (places.at(finding.range.start), places.at(finding.range.end));
            let (line, column) = (start.line, start.column);
            let (end_line, end_column) = (end.line, end.column);
            // GitHub knows no cells: a notebook's message says which one the lines count in.
            let mut message = match start.cell {
                Some(cell) => format!("cell {cell}: {}", finding.message),
                None => finding.message.clone(),
            };
            for related in &finding.related {
                let place = places.at(related.range.start);
                message.push_str(&format!("\n{file}:{place}: {}", related.message));
            }
            writeln!(
                out,
                "::{command} file={},line={line},col={column},endLine={end_line},\
                 endColumn={end_column},title={}::{}",
                github_property(&file),
                github_property(&format!("{} {}", finding.rule.code(), finding.rule.name())),
                github_data(&message),
            )?;
        }
        if let Some(note) = &report.parse_note {
            writeln!(
                out,
                "::warning file={},line={},title={NOT_ANALYSED}::{}",
                github_property(&file),
                report.note_line(),
                github_data(note),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_data_and_properties() {
        assert_eq!(github_data("100% a:b,c\r\nnext"), "100%25 a:b,c%0D%0Anext");
        assert_eq!(github_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn descriptions_come_from_the_documentation() {
        let doc = "# RH1 x\n\n## What it does\nA call, e.g. `f()`, that\nleaks. More.\n\n## Why\n";
        assert_eq!(what_it_does(doc), "A call, e.g. `f()`, that leaks. More.");
        assert_eq!(
            first_sentence(&what_it_does(doc)),
            "A call, e.g. `f()`, that leaks."
        );
        assert_eq!(first_sentence("A thing: detail"), "A thing");
        assert_eq!(first_sentence("no end"), "no end");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(file_uri("a b/é#1.py"), "a%20b/%C3%A9%231.py");
    }
}
