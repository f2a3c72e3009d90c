//! The pure core: source text in, results out. Nothing here reads files or knows about LSP.

pub mod context;
pub mod escape;
pub mod findings;
pub mod fixes;
pub mod hover;
pub mod imports;
pub mod line_index;
pub mod parse;
pub mod queries;
pub mod rules;
pub mod scope;
pub mod settings;
pub mod source;
pub mod suppression;
pub mod syntax;

use tree_sitter::Tree;

use context::Context;
use findings::Finding;
use imports::Imports;
use line_index::LineIndex;
use scope::ScopeTree;
use settings::Settings;
use suppression::Suppressions;

/// Runs every enabled rule over one file and returns its findings in source order, without
/// those a suppression comment silences.
pub fn check(text: &str, tree: &Tree, settings: &Settings) -> Vec<Finding> {
    // The scope model and the query matches each walk the whole tree and need nothing from
    // each other: on a second thread, the scope model's walk costs no extra wall time (what an
    // editor waits for after each keystroke).
    let (scopes, matches) = std::thread::scope(|threads| {
        let scopes = std::thread::Builder::new()
            .stack_size(scope::STACK_SIZE)
            .spawn_scoped(threads, || ScopeTree::new(text, tree));
        let matches = queries::Matches::new(tree.root_node(), text);
        let scopes = match scopes {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: do it here.
            Err(_) => ScopeTree::new(text, tree),
        };
        (scopes, matches)
    });
    let lines = LineIndex::new(text);
    let imports = Imports::new(text, &matches);
    let context = Context {
        text,
        tree,
        scopes: &scopes,
        lines: &lines,
        imports: &imports,
        settings,
        matches: &matches,
    };
    let suppressions = Suppressions::new(text, &lines);
    let mut findings: Vec<Finding> = rules::RULES
        .iter()
        .filter(|info| settings.enabled(info.rule))
        .flat_map(|info| info.run(&context))
        .filter(|f| !suppressions.suppresses(lines.line_of(f.range.start), f.rule))
        .collect();
    findings.sort_by_key(|f| (f.range.start, f.rule));
    findings
}
