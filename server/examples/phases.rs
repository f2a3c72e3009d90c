//! Prints how long each phase of the analysis takes on one file (the mean of N runs), to show
//! where an editor keystroke's time goes: `cargo run --release --example phases -- FILE [RUNS [PHASE]]`.

use std::time::Instant;

use refhound::analysis::context::Context;
use refhound::analysis::imports::Imports;
use refhound::analysis::line_index::LineIndex;
use refhound::analysis::parse::python_parser;
use refhound::analysis::queries::Matches;
use refhound::analysis::rules::RULES;
use refhound::analysis::scope::ScopeTree;
use refhound::analysis::semantic::classes::Classes;
use refhound::analysis::semantic::{Checker, Semantic};
use refhound::analysis::settings::Settings;
use refhound::analysis::suppression::Suppressions;

#[path = "support/allocator.rs"]
mod allocator;
#[path = "support/keystroke.rs"]
mod keystroke;
use keystroke::Keystroke;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: phases FILE [RUNS [PHASE]]");
    let runs: u32 = args
        .next()
        .map_or(20, |n| n.parse().expect("RUNS is a number"));
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let settings = Settings::default();
    // A third argument picks the phases to run (by label prefix), for a profiler.
    let only = args.next().unwrap_or_default();
    let time = |label: &str, f: &mut dyn FnMut()| {
        if !label.starts_with(only.as_str()) {
            return;
        }
        let start = Instant::now();
        for _ in 0..runs {
            f();
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
        println!("{label:<28} {ms:8.2} ms");
    };
    let mut parser = python_parser();
    let tree = parser.parse(&text, None).expect("a tree");
    time("parse (full)", &mut || {
        parser.parse(&text, None);
    });
    // The server's didOpen of a large file no analysis saw: the halves parsed at once, then
    // analysed as one module.
    let halves = refhound::analysis::parse::parse_in_halves(&text);
    if halves.is_some() {
        time("parse (halves)", &mut || {
            refhound::analysis::parse::parse_in_halves(&text);
        });
    }
    time("tree walk (cursor)", &mut || {
        let mut cursor = tree.walk();
        let mut count = 0usize;
        'walk: loop {
            count += 1;
            if cursor.goto_first_child() {
                continue;
            }
            while !cursor.goto_next_sibling() {
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        std::hint::black_box(count);
    });
    time("scope model", &mut || {
        ScopeTree::new(&text, &tree, settings.target_version);
    });
    let mut scope_cache = refhound::analysis::scope::ScopeCache::default();
    let incremental = |scope_cache: &mut refhound::analysis::scope::ScopeCache| {
        let scopes = ScopeTree::incremental(
            &text,
            &tree,
            &LineIndex::new(&text),
            scope_cache,
            settings.target_version,
        );
        scope_cache.keep(scopes);
    };
    incremental(&mut scope_cache);
    time("scope model (nothing changed)", &mut || {
        incremental(&mut scope_cache)
    });
    let statements: Vec<_> = tree
        .root_node()
        .children(&mut tree.root_node().walk())
        .collect();
    let empty = refhound::analysis::queries::MatchCache::default();
    let mut match_cache = Some(Matches::incremental(&tree, &statements, &text, empty).1);
    time("query matches (nothing changed)", &mut || {
        let last = match_cache.take().expect("the last run's cache");
        match_cache = Some(Matches::incremental(&tree, &statements, &text, last).1);
    });
    time("query matches", &mut || {
        Matches::new(tree.root_node(), &text);
    });
    for (_, name, source) in refhound::analysis::queries::SOURCES {
        let query =
            tree_sitter::Query::new(&refhound::analysis::parse::python_language(), source).unwrap();
        let mut count = 0;
        time(&format!("query {name}"), &mut || {
            use tree_sitter::StreamingIterator;
            let mut cursor = tree_sitter::QueryCursor::new();
            let mut matches = cursor.matches(&query, tree.root_node(), text.as_bytes());
            count = 0;
            while matches.next().is_some() {
                count += 1;
            }
        });
        if name.starts_with(only.as_str()) || only.is_empty() {
            println!("   {count} matches");
        }
    }
    time("line index", &mut || {
        LineIndex::new(&text);
    });
    let matches = Matches::new(tree.root_node(), &text);
    let lines = LineIndex::new(&text);
    time("imports", &mut || {
        Imports::new(&text, &matches);
    });
    time("suppressions", &mut || {
        Suppressions::new(&text, &lines);
    });
    let scopes = ScopeTree::new(&text, &tree, settings.target_version);
    let imports = Imports::new(&text, &matches);
    let roots = [tree.root_node()];
    let module = refhound::analysis::syntax::Module::new(&roots);
    let top = refhound::analysis::context::module_children(module);
    let context = Context {
        text: &text,
        module,
        scopes: &scopes,
        lines: &lines,
        imports: &imports,
        settings: &settings,
        matches: &matches,
        cells: &[],
        top: &top,
        words: None,
    };
    time("semantic: classes", &mut || {
        Classes::new(&context, false);
    });
    time("semantic layer", &mut || {
        Semantic::new(&context, false, None);
    });
    let semantic = Semantic::new(&context, false, None);
    let checker = Checker {
        context: &context,
        semantic: &semantic,
        only: None,
        answers: None,
    };
    for info in RULES {
        time(&format!("{} {}", info.code(), "rule"), &mut || {
            info.run(&checker);
        });
    }
    time("check (one thread)", &mut || {
        refhound::analysis::check(&text, &tree, &settings);
    });
    time("check_opened (two threads)", &mut || {
        refhound::analysis::check_opened(&text, &tree, &settings);
    });
    if let Some(halves) = &halves {
        time("check_parts (halves)", &mut || {
            refhound::analysis::check_parts(&text, halves, &settings);
        });
    }
    let mut cache = refhound::analysis::Cache::default();
    time("check_edited (nothing changed)", &mut || {
        refhound::analysis::check_edited(&text, &tree, &settings, &mut cache);
    });
    // A keystroke as the server takes it: the tree edited and parsed again incrementally (its
    // unchanged subtrees shared with the last), then the analysis with the document's cache.
    let mut keystroke = Keystroke::new(&text);
    let mut last = tree.clone();
    let mut cache = refhound::analysis::Cache::new(&text, &tree, &settings);
    time("keystroke (incremental parse + check_edited)", &mut || {
        let (text, tree) = keystroke.next(&mut parser, &mut last);
        refhound::analysis::check_edited(text, &tree, &settings, &mut cache);
        last = tree;
    });
    time("check_edited (all changed)", &mut || {
        let mut cache = refhound::analysis::Cache::default();
        refhound::analysis::check_edited(&text, &tree, &settings, &mut cache);
    });
}
