//! A large file the editor opens before any analysis saw it is parsed as two halves at once
//! (`parse_in_halves`) and analysed as one module (`check_parts`): the findings must be those of
//! the whole file's tree, and a split that would change what the file means must not be taken.

use refhound::analysis::line_index::LineIndex;
use refhound::analysis::parse::{parse, parse_in_halves};
use refhound::analysis::queries::Matches;
use refhound::analysis::scope::ScopeTree;
use refhound::analysis::settings::PythonVersion;
use refhound::analysis::settings::Settings;
use refhound::analysis::syntax::Module;
use refhound::analysis::{check, check_parts, scopes_and_matches, scopes_and_matches_of_halves};
#[path = "support/matches.rs"]
mod matches;
#[path = "support/stdlib.rs"]
mod stdlib;
use matches::assert_same_matches;

fn strict() -> Settings {
    Settings {
        strict: true,
        ..Settings::default()
    }
}

/// Fillers of top-level statements, so that the text is large enough to be split.
fn filler(count: usize, name: &str) -> String {
    (0..count)
        .map(|i| format!("def {name}_{i}(a, b=1):\n    return [a + b for _ in range(b)]\n\n\n"))
        .collect()
}

#[test]
fn halves_of_a_module_are_analysed_as_one_module() {
    // The cache is made in the first half and only filled in the second: a module-wide fact
    // (nothing in the module removes from it) that neither half shows alone.
    let text = format!(
        "import functools\n\n_seen = {{}}\n\n{}\ndef remember(key, value):\n    _seen[key] = value\n\n\n{}",
        filler(700, "early"),
        filler(700, "late"),
    );
    let trees = parse_in_halves(&text).expect("a large clean file splits");
    let split = trees[1].root_node().start_byte();
    assert!(
        text.find("def remember").unwrap() > split,
        "the store is in the second half"
    );
    let whole = check(&text, &parse(&text), &strict());
    assert!(whole.iter().any(|f| f.rule.code() == "RH301"), "{whole:?}");
    assert_eq!(check_parts(&text, &trees, &strict()), whole);
}

#[test]
fn no_split_inside_a_string_brackets_or_before_a_clause() {
    // The middle of each text falls among column-0 lines that do not start a statement.
    let half = filler(700, "f");
    let lines = |line: &str| line.repeat(300);
    let shapes = [
        format!(
            "{half}X = \"\"\"\n{}\"\"\"\n{half}",
            lines("text in a string\n")
        ),
        format!("{half}X = [\n{}]\n{half}", lines("item,\n")),
        format!(
            "{half}if X:\n    pass\n{}{half}",
            lines("elif X:\n    pass\n")
        ),
    ];
    // Without them the file splits.
    assert!(parse_in_halves(&format!("{half}{half}")).is_some());
    for text in shapes {
        assert!(
            parse_in_halves(&text).is_none(),
            "{}",
            &text[text.len() / 2..][..40]
        );
        // The whole file parses cleanly: it is the split that is refused.
        assert!(!parse(&text).root_node().has_error());
    }
}

#[test]
fn lines_continued_by_a_backslash_are_not_split_from_theirs() {
    let half = filler(700, "f");
    let continued = "Y + \\\n".repeat(300);
    let text = format!("{half}X = 1 + \\\n{continued}Y\n{half}");
    let trees =
        parse_in_halves(&text).expect("the statement after the continued lines starts a half");
    let after = text.find("Y\ndef f_0").unwrap() + 2;
    assert_eq!(trees[1].root_node().start_byte(), after);
    assert_eq!(
        check_parts(&text, &trees, &strict()),
        check(&text, &parse(&text), &strict())
    );
}

/// Every large file of the standard library that splits: the findings of its halves are the
/// whole file's, strict ones and fixes included.
#[test]
fn large_standard_library_files_analysed_in_halves_find_what_the_whole_file_finds() {
    use rayon::prelude::*;
    let files = stdlib::files();
    let (split, large): (usize, usize) = files
        .par_iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            (text.len() >= 64 * 1024).then_some(())?;
            let Some(trees) = parse_in_halves(&text) else {
                return Some((0, 1));
            };
            let whole = parse(&text);
            assert_eq!(
                check_parts(&text, &trees, &strict()),
                check(&text, &whole, &strict()),
                "{}",
                path.display()
            );
            // The scope model of every modelled CPython, and the query matches, of the two
            // trees as one module equal the whole file's.
            let roots = [trees[0].root_node(), trees[1].root_node()];
            let lines = LineIndex::new(&text);
            for minor in 8..=13 {
                let settings = Settings {
                    target_version: PythonVersion::new(3, minor),
                    ..Settings::default()
                };
                let expected = ScopeTree::new(&text, &whole, settings.target_version);
                // One walk of both trees, and each tree's run on its own, joined.
                let module = Module::new(&roots);
                for (scopes, matches) in [
                    scopes_and_matches(&text, module, &lines, &settings),
                    scopes_and_matches_of_halves(&text, module, &lines, &settings),
                ] {
                    assert!(scopes == expected, "{} 3.{minor}", path.display());
                    if minor == 13 {
                        let expected = Matches::new(whole.root_node(), &text);
                        let what = path.display().to_string();
                        assert_same_matches(&expected, &matches, false, &what);
                    }
                }
            }
            Some((1, 1))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    // Most large files split: the comparison is not vacuous.
    assert!(
        split * 10 >= large * 8,
        "{split} of {large} large files split"
    );
}

/// `trees` (`text` parsed in halves) as one module have the whole file's scope model for every
/// modelled CPython, by one walk of both trees and by each tree's run on its own, joined.
fn assert_scope_models_are_the_whole_files(text: &str, trees: &[tree_sitter::Tree]) {
    let roots: Vec<_> = trees.iter().map(|tree| tree.root_node()).collect();
    let module = Module::new(&roots);
    let lines = LineIndex::new(text);
    let whole = parse(text);
    for minor in 8..=13 {
        let settings = Settings {
            target_version: PythonVersion::new(3, minor),
            ..Settings::default()
        };
        let expected = ScopeTree::new(text, &whole, settings.target_version);
        let (scopes, _) = scopes_and_matches(text, module, &lines, &settings);
        assert!(scopes == expected, "3.{minor}");
        let (scopes, _) = scopes_and_matches_of_halves(text, module, &lines, &settings);
        assert!(scopes == expected, "3.{minor}, the halves' runs");
    }
}

#[test]
fn code_the_first_half_makes_unreachable_is_modelled_as_in_the_whole_file() {
    // After `raise SystemExit` at module level, CPython compiles no code object for the `def`s
    // that follow, those of the second half too: the walk carries that from one tree to the next.
    let text = format!(
        "{}raise SystemExit\n\n\n{}",
        filler(300, "early"),
        filler(1100, "late")
    );
    let trees = parse_in_halves(&text).expect("a large clean file splits");
    assert!(trees[1].root_node().start_byte() > text.find("raise").unwrap());
    assert_scope_models_are_the_whole_files(&text, &trees);
}

#[test]
fn annotations_postponed_in_the_first_half_are_postponed_in_the_second() {
    // Under `from __future__ import annotations` an annotation is never run: the comprehension
    // in `late`'s makes no scope. The second tree's run must be built knowing that.
    let text = format!(
        "from __future__ import annotations\n\n{}def late(x: [y for y in range(3)]):\n    return lambda: x\n\n\n{}",
        filler(1100, "early"),
        filler(10, "last"),
    );
    let trees = parse_in_halves(&text).expect("a large clean file splits");
    assert!(
        trees[1].root_node().start_byte() < text.find("def late").unwrap(),
        "the annotation is in the second half"
    );
    assert_scope_models_are_the_whole_files(&text, &trees);
}
