//! `refhound check`: findings for CI, as text with source snippets or as JSON.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::files::{EXCLUDED_DIRECTORIES, for_each_file, python_files, read_source};
use crate::analysis::findings::Finding;
use crate::analysis::line_index::LineIndex;
use crate::analysis::parse::parse;
use crate::analysis::rules::Rule;
use crate::analysis::settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Options {
    /// Python files, or directories to search for `*.py` files (honouring `.gitignore`).
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Only these rules (codes or names, comma-separated or repeated).
    #[arg(long)]
    pub select: Vec<String>,
    /// Not these rules.
    #[arg(long)]
    pub ignore: Vec<String>,
    /// Also print how many findings each rule has.
    #[arg(long)]
    pub statistics: bool,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    pub exit_zero: bool,
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
    text: String,
    findings: Vec<Finding>,
}

pub fn run(options: &Options) -> Result<Outcome, String> {
    let mut settings = Settings::default();
    settings.select(
        &parse_codes(&options.select)?,
        &parse_codes(&options.ignore)?,
    );
    let files = python_files(&options.paths, EXCLUDED_DIRECTORIES)?;
    let results = for_each_file(&files, |file| {
        let text = read_source(file)?;
        let findings = crate::analysis::check(&text, &parse(&text), &settings);
        Ok::<_, String>(FileReport {
            path: file.path.display().to_string(),
            text,
            findings,
        })
    });
    let mut reports = Vec::new();
    let mut unreadable = 0;
    for result in results {
        match result {
            Ok(report) => reports.push(report),
            Err(message) => {
                eprintln!("refhound: {message}");
                unreadable += 1;
            }
        }
    }
    let total: usize = reports.iter().map(|r| r.findings.len()).sum();
    let mut out = std::io::stdout().lock();
    let written = match options.format {
        Format::Text => write_text(&mut out, &reports, total, options.statistics),
        Format::Json => write_json(&mut out, &reports),
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())?;
    if unreadable > 0 {
        eprintln!("refhound: {unreadable} file(s) could not be read or decoded");
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

fn parse_codes(codes: &[String]) -> Result<Vec<Rule>, String> {
    codes
        .iter()
        .flat_map(|list| list.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|code| Rule::from_code(code).ok_or_else(|| format!("unknown rule {code}")))
        .collect()
}

/// 1-based line and 1-based column in characters, as editors and ruff print them.
fn position(text: &str, lines: &LineIndex, offset: usize) -> (usize, usize) {
    let line = lines.line_of(offset);
    let line_start = lines.line_start(line);
    (line, text[line_start..offset].chars().count() + 1)
}

fn write_text(
    out: &mut impl Write,
    reports: &[FileReport],
    total: usize,
    statistics: bool,
) -> std::io::Result<()> {
    for report in reports {
        let lines = LineIndex::new(&report.text);
        for finding in &report.findings {
            let (line, column) = position(&report.text, &lines, finding.range.start);
            let code = finding.rule.code();
            writeln!(
                out,
                "{}:{line}:{column}: {code} {}",
                report.path, finding.message
            )?;
            write_snippet(out, &report.text, &lines, finding, code)?;
            for related in &finding.related {
                let (line, column) = position(&report.text, &lines, related.range.start);
                writeln!(
                    out,
                    "   = {}:{line}:{column}: {}",
                    report.path, related.message
                )?;
            }
            writeln!(out)?;
        }
    }
    if statistics {
        let mut counts: BTreeMap<Rule, usize> = BTreeMap::new();
        for finding in reports.iter().flat_map(|r| &r.findings) {
            *counts.entry(finding.rule).or_default() += 1;
        }
        for (rule, count) in counts {
            writeln!(out, "{count:>6}  {}  {}", rule.code(), rule.name())?;
        }
    }
    let files = reports.iter().filter(|r| !r.findings.is_empty()).count();
    match total {
        0 => writeln!(out, "No findings in {} files.", reports.len()),
        _ => writeln!(
            out,
            "Found {total} finding(s) in {files} of {} files.",
            reports.len()
        ),
    }
}

/// The finding's first line with a caret line under its span, like ruff's.
fn write_snippet(
    out: &mut impl Write,
    text: &str,
    lines: &LineIndex,
    finding: &Finding,
    code: &str,
) -> std::io::Result<()> {
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
    let gutter = line.to_string().len();
    writeln!(out, "{:gutter$} |", "")?;
    writeln!(out, "{line} | {}", source.replace('\t', " "))?;
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
    location: JsonLocation,
    end_location: JsonLocation,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    name: &'a str,
    message: &'a str,
    filename: &'a str,
    location: JsonLocation,
    end_location: JsonLocation,
    related: Vec<JsonRelated<'a>>,
}

fn write_json(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    let mut all = Vec::new();
    for report in reports {
        let lines = LineIndex::new(&report.text);
        let location = |offset| {
            let (row, column) = position(&report.text, &lines, offset);
            JsonLocation { row, column }
        };
        for finding in &report.findings {
            all.push(JsonFinding {
                code: finding.rule.code(),
                name: finding.rule.name(),
                message: &finding.message,
                filename: &report.path,
                location: location(finding.range.start),
                end_location: location(finding.range.end),
                related: finding
                    .related
                    .iter()
                    .map(|r| JsonRelated {
                        message: &r.message,
                        location: location(r.range.start),
                        end_location: location(r.range.end),
                    })
                    .collect(),
            });
        }
    }
    serde_json::to_writer_pretty(&mut *out, &all).map_err(std::io::Error::other)?;
    writeln!(out)
}
