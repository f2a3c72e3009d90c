//! The editor's analysis (`check_edited`, which rebuilds only the top-level statements an edit
//! changed) must equal the whole-file analysis after every edit. Real files (the repository's
//! fixtures and demo, some of the standard library) are edited at random, the way a typist and
//! a few structural changes would, and after each edit the scope model and the findings of both
//! paths (and of an opened document's, `check_opened`) are compared. Each edit is parsed
//! incrementally, as the server parses it, so that the matches of units whose subtree the parse
//! reused are taken from it (`queries::reused`) and compared too.

use refhound::analysis::line_index::LineIndex;
use refhound::analysis::parse::{parse, python_parser};
use refhound::analysis::queries::{MatchCache, Matches};
use refhound::analysis::scope::{ScopeCache, ScopeTree};
use refhound::analysis::settings::{PythonVersion, Settings};
use refhound::analysis::{Cache, check, check_edited, check_opened};

#[path = "support/random.rs"]
mod random;
use random::Lcg;
#[path = "support/corpus.rs"]
mod corpus;
use corpus::{PIECES, boundary, corpus};
#[path = "support/matches.rs"]
mod matches;
use matches::assert_same_matches;

/// Every CPython version the scope model reproduces.
fn modelled_versions() -> Vec<PythonVersion> {
    (8..=13).map(|minor| PythonVersion::new(3, minor)).collect()
}

#[test]
fn edited_analysis_equals_whole_file_analysis() {
    let versions = modelled_versions();
    let mut random = Lcg(11);
    let mut edits = 0;
    for path in corpus() {
        let Ok(mut text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // Half the documents start from the cache built when they are opened.
        let mut cache = if edits % 2 == 0 {
            Cache::new(&text, &parse(&text), &Settings::default())
        } else {
            Cache::default()
        };
        let mut match_cache = MatchCache::default();
        // One cache per modelled version, each kept across the edits.
        let mut scope_caches: Vec<ScopeCache> =
            versions.iter().map(|_| ScopeCache::default()).collect();
        let rounds = if text.len() > 100_000 { 6 } else { 12 };
        let mut tree = parse(&text);
        for round in 0..rounds {
            if round > 0 {
                let start = boundary(&text, random.below(text.len() + 1));
                let end = boundary(&text, (start + random.below(8)).min(text.len()));
                let piece = if random.below(3) == 0 {
                    ""
                } else {
                    PIECES[random.below(PIECES.len())]
                };
                tree = edit_and_parse(&tree, &mut text, start..end, piece);
                edits += 1;
            }
            let lines = LineIndex::new(&text);
            let (edited, next) =
                Matches::incremental(&tree, &all(&tree), &text, std::mem::take(&mut match_cache));
            let whole = Matches::new(tree.root_node(), &text);
            assert_same_matches(
                &whole,
                &edited,
                true,
                &format!("{} after {round} edit(s)", path.display()),
            );
            match_cache = next;
            for (&version, scope_cache) in versions.iter().zip(&mut scope_caches) {
                let whole = ScopeTree::new(&text, &tree, version);
                let edited = ScopeTree::incremental(&text, &tree, &lines, scope_cache, version);
                if whole != edited {
                    let differs = (0..whole.scopes.len().max(edited.scopes.len()))
                        .find(|&i| whole.scopes.get(i) != edited.scopes.get(i));
                    panic!(
                        "{} after {round} edit(s), CPython {version}: the scope models differ at scope {differs:?}:\n{:#?}\n{:#?}",
                        path.display(),
                        differs.and_then(|i| whole.scopes.get(i)),
                        differs.and_then(|i| edited.scopes.get(i)),
                    );
                }
                scope_cache.keep(edited);
            }
            // The findings, for one version a round (the rules read the model of the target).
            let settings = Settings {
                target_version: versions[round % versions.len()],
                ..Settings::default()
            };
            let whole = check(&text, &tree, &settings);
            assert_eq!(
                whole,
                check_edited(&text, &tree, &settings, &mut cache),
                "{} after {round} edit(s): the findings differ",
                path.display()
            );
            assert_eq!(
                whole,
                check_opened(&text, &tree, &settings),
                "{} after {round} edit(s): the findings of an opened document differ",
                path.display()
            );
        }
    }
    assert!(edits > 100, "{edits} edits");
}

/// A top-level class whose body's statements are joined from parts: every way they may depend
/// on each other, each in a class of its own, with its last method typed into after the first
/// build.
#[test]
fn class_bodies_edited_equal_whole_classes() {
    let classes = [
        // CPython 3.8 to 3.10 make one code object of equal lambdas on one line.
        "class OneLine:\n    a = lambda: 0; b = lambda: 0\n    def m(self): pass\n",
        // Dead code in the class body: later constants decide what is dropped.
        "class Dead:\n    def m(self): pass\n    raise E\n    def n(self): pass\n",
        "class DeadIf:\n    if 0:\n        def m(self): pass\n    x = 1\n    def n(self): pass\n",
        // A name declared global in the class body names a later method from the top.
        "class Global:\n    global f\n    def f(self): pass\n    def m(self): pass\n",
        "class Nonlocal:\n    x = 1\n    def m(self):\n        nonlocal x\n    def n(self): pass\n",
        // Inlined into the class body (3.12+), and an annotation scope that sees the class.
        "class Inlined:\n    y = 1\n    xs = [y for _ in range(3)]\n    def m(self): pass\n",
        "class Sees:\n    T = int\n    def m[U](self, u: T) -> U: pass\n    def n(self): pass\n",
        "class Generic[T]:\n    def m(self) -> T: pass\n    def n(self): pass\n",
        // The implicit cells, from one method each.
        "class Cells:\n    def m(self): return super().m()\n    def n(self): pass\n",
        "class \u{e9}t\u{e9}:\n    __p = 1\n    def m(self): return self.__p\n    def n(self): pass\n",
    ];
    for version in modelled_versions() {
        for class in classes {
            let mut text = format!("import e\n{class}x = 2\n");
            let mut cache = ScopeCache::default();
            let mut tree = parse(&text);
            for round in 0..3 {
                if round > 0 {
                    // A parameter typed into the last method.
                    let at = text.rfind("(self").unwrap() + "(self".len();
                    tree = edit_and_parse(&tree, &mut text, at..at, &format!(", a{round}"));
                }
                let lines = LineIndex::new(&text);
                let edited = ScopeTree::incremental(&text, &tree, &lines, &mut cache, version);
                assert_eq!(
                    ScopeTree::new(&text, &tree, version),
                    edited,
                    "CPython {version}, after {round} edit(s):\n{text}"
                );
                cache.keep(edited);
            }
        }
    }
}

#[test]
fn a_keystroke_rebuilds_only_its_statement() {
    let mut text = largest_file();
    let mut cache = ScopeCache::default();
    let tree = parse(&text);
    let scopes = ScopeTree::incremental(&text, &tree, &LineIndex::new(&text), &mut cache, NEWEST);
    cache.keep(scopes);
    let statements = tree.root_node().named_child_count();
    assert_eq!(cache.built(), Some(statements - count_comments(&tree)));
    let (_, matches) = Matches::incremental(&tree, &all(&tree), &text, MatchCache::default());
    // The queries run over each statement, or each statement of a top-level class's body, once
    // for each text.
    let units: std::collections::HashSet<&str> = all(&tree)
        .iter()
        .flat_map(|statement| {
            let class = match statement.kind() {
                "decorated_definition" => statement.child_by_field_name("definition").unwrap(),
                _ => *statement,
            };
            match class.kind() {
                "class_definition" => {
                    let body = class.child_by_field_name("body").unwrap();
                    let mut cursor = body.walk();
                    body.named_children(&mut cursor).collect()
                }
                _ => vec![*statement],
            }
        })
        .map(|unit| &text[unit.byte_range()])
        .collect();
    let units = units.len();
    assert!(units > all(&tree).len() * 2);
    assert_eq!(matches.queried(), units);
    let at = keystroke_site(&text);
    let tree = edit_and_parse(&tree, &mut text, at..at, "x");
    let scopes = ScopeTree::incremental(&text, &tree, &LineIndex::new(&text), &mut cache, NEWEST);
    cache.keep(scopes);
    assert_eq!(cache.built(), Some(1), "of {statements} statements");
    // The first analysis built the classes from their body's statements: the first edit builds
    // only the method typed in.
    assert_eq!(cache.class_statements_built(), 1);
    let (_, matches) = Matches::incremental(&tree, &all(&tree), &text, matches);
    assert_eq!(matches.queried(), 1, "of {units} units");
    let tree = edit_and_parse(&tree, &mut text, at..at, "y");
    let scopes = ScopeTree::incremental(&text, &tree, &LineIndex::new(&text), &mut cache, NEWEST);
    cache.keep(scopes);
    assert_eq!(cache.built(), Some(1), "of {statements} statements");
    assert_eq!(cache.class_statements_built(), 1);
    let (_, matches) = Matches::incremental(&tree, &all(&tree), &text, matches);
    assert_eq!(matches.queried(), 1, "of {units} units");
    // The parse reused most units' subtrees (it makes about two in five again, reading their
    // first token again): their nodes are taken from there, not looked for.
    assert!(
        matches.reused() * 2 > units,
        "{} of {units} units reused",
        matches.reused()
    );
    // Nothing changed: nothing is built.
    let scopes = ScopeTree::incremental(&text, &tree, &LineIndex::new(&text), &mut cache, NEWEST);
    cache.keep(scopes);
    assert_eq!(cache.built(), Some(0));
    // A tree not handed back: its statements are built again.
    ScopeTree::incremental(&text, &tree, &LineIndex::new(&text), &mut cache, NEWEST);
    assert_eq!(cache.built(), Some(0));
    ScopeTree::incremental(&text, &tree, &LineIndex::new(&text), &mut cache, NEWEST);
    assert_eq!(cache.built(), Some(statements - count_comments(&tree)));
    // Unreachable module-level code: the whole file is walked.
    text.push_str("\nraise SystemExit\ndef late(): pass\n");
    let tree = parse(&text);
    ScopeTree::incremental(&text, &tree, &LineIndex::new(&text), &mut cache, NEWEST);
    assert_eq!(cache.built(), None);
}

#[test]
fn the_first_edit_of_an_opened_document_rebuilds_only_its_statement() {
    let mut text = largest_file();
    let tree = parse(&text);
    let settings = Settings::default();
    // As the server builds it once the document is opened (and analysed by `check_opened`).
    let mut cache = Cache::new(&text, &tree, &settings);
    let at = keystroke_site(&text);
    let tree = edit_and_parse(&tree, &mut text, at..at, "x");
    let findings = check_edited(&text, &tree, &settings, &mut cache);
    assert_eq!(findings, check(&text, &tree, &settings));
    assert_eq!(cache.scopes().built(), Some(1));
    assert_eq!(cache.scopes().class_statements_built(), 1);
    assert_eq!(cache.matches().queried(), 1);
    assert_eq!(cache.findings().checked(), 1);
}

#[test]
fn a_keystroke_checks_only_its_statement_with_the_statement_rules() {
    // RH101's finding in `make_counter` names `len(frame)` and its lines, and its fix binds it
    // with `functools.partial` (imported: a fix that adds an import reaches outside the
    // statement, which is then checked every time); `other` has none.
    let mut text = String::from(
        "import functools\n\
         from pandas import read_csv\n\
         \n\
         def make_counter(path):\n    \
             frame = read_csv(path)\n    \
             def count():\n        \
                 return len(frame)\n    \
             return count\n\
         \n\
         def other(bus):\n    \
             return bus\n",
    );
    let settings = Settings::default();
    let mut tree = parse(&text);
    let mut cache = Cache::new(&text, &tree, &settings);
    let statements = tree.root_node().named_child_count();
    assert_eq!(cache.findings().checked(), statements);
    let mut edit = |text: &mut String, range: std::ops::Range<usize>, piece: &str| {
        tree = edit_and_parse(&tree, text, range, piece);
        let findings = check_edited(text, &tree, &settings, &mut cache);
        assert_eq!(findings, check(text, &tree, &settings), "after {piece:?}");
        let found = findings
            .iter()
            .filter(|f| f.message.contains("only uses `len(frame)`"))
            .count();
        (found, cache.findings().checked())
    };
    let at = |text: &str, what: &str| text.find(what).unwrap();
    // Typing in `other`: only it is checked; the finding is kept.
    let end = at(&text, "return bus") + "return bus".len();
    assert_eq!(edit(&mut text, end..end, "y"), (1, 1));
    // A line added above the finding: its message names lines, so its statement is checked.
    let start = at(&text, "def make");
    assert_eq!(edit(&mut text, start..start, "\n"), (1, 2));
    // What the rules read outside a statement: the imports (`read_csv` is no longer pandas'),
    // the names bound at module level (`len` no longer names the small built-in).
    let start = at(&text, "pandas");
    assert_eq!(edit(&mut text, start..start + 6, "mylib"), (0, statements));
    assert_eq!(edit(&mut text, start..start + 5, "pandas"), (1, statements));
    // A syntax error anywhere: no fix adds to the imports then, nor uses them.
    let end = at(&text, "return bus") + "return bus".len();
    assert_eq!(edit(&mut text, end..end, "("), (1, statements));
    assert_eq!(edit(&mut text, end..end + 1, ""), (1, statements));
    let start = at(&text, "other");
    assert_eq!(edit(&mut text, start..start + 5, "len"), (0, statements));
}

/// The largest file of the corpus: the standard library's test_typing.py when it is there.
fn largest_file() -> String {
    let path = corpus()
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .unwrap();
    std::fs::read_to_string(path).unwrap()
}

/// Where a keystroke inside a method in the middle of `text` goes.
fn keystroke_site(text: &str) -> usize {
    let half = &text[text.len() / 2..];
    half.find("self.").or(half.find("\n    ")).unwrap() + text.len() / 2
}

/// Replaces `range` of `text` by `piece` and parses the result incrementally, as the server does.
fn edit_and_parse(
    tree: &tree_sitter::Tree,
    text: &mut String,
    range: std::ops::Range<usize>,
    piece: &str,
) -> tree_sitter::Tree {
    let point = |text: &str, at: usize| {
        let row = text[..at].matches('\n').count();
        tree_sitter::Point::new(row, at - text[..at].rfind('\n').map_or(0, |n| n + 1))
    };
    let (start_position, old_end_position) = (point(text, range.start), point(text, range.end));
    text.replace_range(range.clone(), piece);
    let new_end_byte = range.start + piece.len();
    let mut edited = tree.clone();
    edited.edit(&tree_sitter::InputEdit {
        start_byte: range.start,
        old_end_byte: range.end,
        new_end_byte,
        start_position,
        old_end_position,
        new_end_position: point(text, new_end_byte),
    });
    python_parser().parse(&*text, Some(&edited)).unwrap()
}

const NEWEST: PythonVersion = refhound::analysis::scope::NEWEST_MODELLED;

fn all(tree: &tree_sitter::Tree) -> Vec<tree_sitter::Node<'_>> {
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.children(&mut cursor).collect()
}

fn count_comments(tree: &tree_sitter::Tree) -> usize {
    let root = tree.root_node();
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .filter(|n| n.kind() == "comment")
        .count()
}

/// The module-wide rules keep their answers about each unit between keystrokes
/// (`semantic::unit_answers`), and what those answers read elsewhere is an edit away: the
/// binding of a module-level alias of a cache and a class's own binding of that name (RH302),
/// the functions of the file that register what they are given (RH501), the imports. Each edit
/// below changes another statement than the one whose finding comes or goes; after each, the
/// edited analysis equals the whole-file one.
#[test]
fn module_wide_rules_see_edits_outside_the_statement_they_report_in() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        (
            "import functools\n\nmemo = functools.partial(print)\n\n\nclass Connection:\n    @memo\n    def fetch(self, key):\n        return key\n\n\ndef handle(request):\n    return Connection().fetch(request)\n",
            &[
                (
                    "functools.partial(print)",
                    "functools.lru_cache(maxsize=None)",
                ),
                ("memo = ", "other = "),
                ("other = ", "memo = "),
                ("import functools", "import itertools"),
                ("import itertools", "import functools"),
                (
                    "functools.lru_cache(maxsize=None)",
                    "functools.partial(print)",
                ),
            ],
        ),
        (
            "import functools\n\nmemo = functools.lru_cache(maxsize=None)\n\n\nclass Connection:\n    memo = None\n\n    @memo\n    def fetch(self, key):\n        return key\n\n\ndef handle(request):\n    return Connection().fetch(request)\n",
            &[
                ("    memo = None", "    label = None"),
                ("    label = None", "    memo = None"),
            ],
        ),
        (
            "_handlers = []\n\n\ndef on_events(handler):\n    _handlers.append(handler)\n\n\ndef serve(request):\n    def reply():\n        return request\n\n    on_event(reply)\n",
            &[
                ("def on_events(", "def on_event("),
                ("_handlers.append(handler)", "print(handler)"),
                ("print(handler)", "_handlers.append(handler)"),
                ("def on_event(", "def on_events("),
            ],
        ),
        (
            "from os import register as at_exit\n\n\ndef serve(request):\n    def reply():\n        return request\n\n    at_exit(reply)\n",
            &[
                ("from os import", "from atexit import"),
                ("from atexit import", "from os import"),
            ],
        ),
    ];
    for (start, edits) in cases {
        let settings = Settings::default();
        let mut text = start.to_string();
        let mut tree = parse(&text);
        let mut cache = Cache::new(&text, &tree, &settings);
        let mut counts = vec![check(&text, &tree, &settings).len()];
        for (from, to) in edits.iter() {
            let at = text.find(from).expect("the text to edit");
            tree = edit_and_parse(&tree, &mut text, at..at + from.len(), to);
            let whole = check(&text, &tree, &settings);
            let edited = check_edited(&text, &tree, &settings, &mut cache);
            assert_eq!(whole, edited, "after `{from}` -> `{to}`:\n{text}");
            counts.push(whole.len());
        }
        // Every other edit brings the finding and the next takes it away.
        let expected: Vec<usize> = (0..=edits.len()).map(|i| i % 2).collect();
        assert_eq!(counts, expected, "findings after each edit of\n{start}");
    }
}
