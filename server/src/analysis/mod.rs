//! The pure core: source text in, results out. Nothing here reads files or knows about LSP.

pub mod capture_hints;
pub mod context;
pub mod escape;
pub mod findings;
pub mod fix_all;
pub mod fixes;
pub mod hover;
pub mod imports;
pub mod indentation;
pub mod line_index;
pub mod notebook;
pub mod parse;
pub mod queries;
pub mod rule;
pub mod rules;
pub mod scope;
pub mod semantic;
pub mod settings;
pub mod source;
pub mod statement_findings;
pub mod statement_text;
pub mod suppression;
pub mod syntax;
pub mod words;

use tree_sitter::Tree;

use context::Context;
use findings::{Finding, Level};
use imports::Imports;
use line_index::LineIndex;
use rules::{Reach, RuleInfo};
use scope::{ScopeCache, ScopeTree};
use semantic::classes::ClassCache;
use semantic::unit_answers::AnswersUnder;
use semantic::{Checker, Semantic};
use settings::Settings;
use statement_findings::StatementFindings;
use suppression::Suppressions;
use syntax::Module;

/// Runs every enabled rule over one file and returns its findings in source order, without
/// those a suppression comment silences. On this thread: for callers that already analyse many
/// files in parallel.
pub fn check(text: &str, tree: &Tree, settings: &Settings) -> Vec<Finding> {
    let roots = [tree.root_node()];
    let module = Module::new(&roots);
    let parts = Parts::of_whole_file(text, module, settings);
    check_with(text, module, settings, false, &parts, &[], None)
}

/// What the rules' [`Context`] is made from besides the file: each path finds them its own way
/// (one walk, two threads, or again only where the file changed).
struct Parts<'t> {
    scopes: ScopeTree,
    matches: queries::Matches<'t>,
    lines: LineIndex,
    /// The module's children ([`context::module_children`]).
    top: Vec<tree_sitter::Node<'t>>,
    /// Where words are spelled, on a keystroke's path ([`words`]); elsewhere the text is read.
    words: Option<words::WordSpans>,
}

impl<'t> Parts<'t> {
    /// The parts of a whole file, on this thread ([`scopes_and_matches`]).
    fn of_whole_file(text: &'t str, module: Module<'t>, settings: &Settings) -> Parts<'t> {
        let lines = LineIndex::new(text);
        let (scopes, matches) = scopes_and_matches(text, module, &lines, settings);
        Parts {
            scopes,
            matches,
            lines,
            top: context::module_children(module),
            words: None,
        }
    }
}

/// The scope model and the query matches of a whole file, from one walk of its tree: the
/// scope model's walk hands over the nodes the patterns start at. In a tree with syntax errors
/// (the model does not look inside every part the parser could not place) or one whose model
/// skipped a part nested too deep, the matches take a walk of their own. `lines` is the line
/// index of `text`.
pub fn scopes_and_matches<'t>(
    text: &'t str,
    module: Module<'t>,
    lines: &LineIndex,
    settings: &Settings,
) -> (ScopeTree, queries::Matches<'t>) {
    let (scopes, nodes) = ScopeTree::with_nodes(
        text,
        module,
        lines,
        settings.target_version,
        queries::Matches::outer_kinds(),
    );
    let matches = if scopes.truncated || module.has_error() {
        queries::Matches::of_module(module, text)
    } else {
        queries::Matches::among(nodes, text)
    };
    (scopes, matches)
}

/// [`check`] for one document someone waits for that keeps no [`Cache`] (opened, not edited):
/// the scope model beside the query matches, then the rules shared by two threads. The
/// findings equal [`check`]'s.
pub fn check_opened(text: &str, tree: &Tree, settings: &Settings) -> Vec<Finding> {
    check_parts(text, std::slice::from_ref(tree), settings)
}

/// [`check_opened`] for a file parsed in parts ([`parse::parse_in_halves`]): `trees` each hold
/// a run of the file's top-level statements, in order, and are analysed as one module. The
/// findings equal [`check`]'s on the whole file's tree.
pub fn check_parts(text: &str, trees: &[Tree], settings: &Settings) -> Vec<Finding> {
    let roots: Vec<_> = trees.iter().map(Tree::root_node).collect();
    let module = Module::new(&roots);
    let lines = LineIndex::new(text);
    let (scopes, matches) = scopes_and_matches_of_halves(text, module, &lines, settings);
    let parts = Parts {
        scopes,
        matches,
        lines,
        top: context::module_children(module),
        words: None,
    };
    let findings = check_with(text, module, settings, true, &parts, &[], None);
    // Freeing the scope model takes half a millisecond the findings need not wait for.
    drop_beside(parts.scopes);
    findings
}

/// [`scopes_and_matches`] of a module parsed as two trees, on two threads: each tree's scopes
/// and matches on a thread of its own, then joined. About half the time the whole module's
/// scope model takes, which a walk for the matches beside it would wait for. Where the two runs
/// of statements do not join ([`ScopeTree::join_runs`]), or the module is not two trees: the
/// whole module's scope model beside that walk.
pub fn scopes_and_matches_of_halves<'t>(
    text: &'t str,
    module: Module<'t>,
    lines: &LineIndex,
    settings: &Settings,
) -> (ScopeTree, queries::Matches<'t>) {
    let target = settings.target_version;
    if let [first, second] = module.roots() {
        let kinds = queries::Matches::outer_kinds();
        let run = |root, future_before| {
            let run = Module::new(std::slice::from_ref(root));
            let (scopes, nodes) =
                ScopeTree::run_with_nodes(text, run, lines, target, kinds, future_before);
            (scopes, queries::Matches::among(nodes, text))
        };
        let future = ScopeTree::leaves_future_annotations(text, *first);
        let ((second_scopes, second_matches), (first_scopes, mut matches)) =
            beside(true, || run(second, future), || run(first, false));
        let runs = vec![first_scopes, second_scopes];
        if let Some(scopes) = ScopeTree::join_runs(text, runs, module, lines, target) {
            matches.append(second_matches);
            return (scopes, matches);
        }
    }
    beside(
        true,
        || ScopeTree::with_nodes(text, module, lines, target, &[]).0,
        || queries::Matches::of_module(module, text),
    )
}

/// [`check`] for a notebook's code cells joined into one module ([`notebook::Notebook`]):
/// `cells` are their ranges in `text`, for the rules about a cell's last expression.
pub fn check_cells(
    text: &str,
    tree: &Tree,
    settings: &Settings,
    cells: &[std::ops::Range<usize>],
) -> Vec<Finding> {
    let roots = [tree.root_node()];
    let module = Module::new(&roots);
    let parts = Parts::of_whole_file(text, module, settings);
    check_with(text, module, settings, false, &parts, cells, None)
}

/// Where this file lets go of an attribute named as one of `names`, on any object (`= None`,
/// `del`, `clear()`, a consumer draining it; see [`semantic::release`]): each name found, with
/// the first such place ("`self.saved_exception = None` in `get_exception()` (line 1234)").
/// What a whole-project caller asks of the other modules for a finding's
/// [`Finding::release_elsewhere`].
pub fn released_attributes(text: &str, tree: &Tree, names: &[&str]) -> Vec<(String, String)> {
    context::with_context(text, tree, &Settings::default(), |context| {
        let releases = semantic::release::Releases::new(context);
        names
            .iter()
            .filter_map(|&name| {
                let release = releases.of_attribute(name).into_iter().next()?;
                Some((name.to_string(), release.describe(context)))
            })
            .collect()
    })
}

/// What the analysis of one version of a document keeps for the next version's: the scope
/// model, the query matches (with what the module-wide rules found about each unit's, see
/// [`semantic::unit_answers`]), the classes, the words and the findings of the rules of
/// [`Reach::Statement`] of each top-level statement.
#[derive(Default)]
pub struct Cache {
    scopes: ScopeCache,
    matches: queries::MatchCache,
    classes: ClassCache,
    words: words::WordCache,
    findings: StatementFindings,
    answers: AnswersUnder,
}

/// What [`check_with`] keeps for an editor's next keystroke, and the tree it analyses.
struct Kept<'c> {
    classes: &'c mut ClassCache,
    findings: &'c mut StatementFindings,
    answers: &'c mut AnswersUnder,
    tree: &'c Tree,
}

impl Cache {
    /// What [`check_edited`] keeps from analysing this version: built for a document just
    /// opened (and analysed by [`check_opened`]), off the serving path, so that its first edit
    /// costs what a later one does.
    pub fn new(text: &str, tree: &Tree, settings: &Settings) -> Cache {
        let mut cache = Cache::default();
        let roots = [tree.root_node()];
        let module = Module::new(&roots);
        let top = context::module_children(module);
        let lines = LineIndex::new(text);
        let (scopes, matches) = cache.update(text, tree, &top, &lines, settings, false);
        let imports = Imports::new(text, &matches);
        let context = Context {
            text,
            module,
            scopes: &scopes,
            lines: &lines,
            imports: &imports,
            settings,
            matches: &matches,
            cells: &[],
            top: &top,
            words: None,
        };
        let semantic = Semantic::new(&context, false, Some((&mut cache.classes, tree)));
        let answers =
            keeps_answers(module, &scopes).then(|| cache.answers.generation(settings, &imports));
        let checker = Checker {
            context: &context,
            semantic: &semantic,
            only: None,
            answers,
        };
        statement_rules_kept(&checker, &mut cache.findings);
        // The module-wide rules' findings are not kept, their answers are.
        for info in enabled(settings).filter(|info| info.reach == Reach::Module) {
            info.run(&checker);
        }
        cache.words.spans(text, &top, true);
        cache.scopes.keep(scopes);
        cache
    }

    pub fn scopes(&self) -> &ScopeCache {
        &self.scopes
    }

    pub fn matches(&self) -> &queries::MatchCache {
        &self.matches
    }

    pub fn classes(&self) -> &ClassCache {
        &self.classes
    }

    pub fn findings(&self) -> &StatementFindings {
        &self.findings
    }

    /// The scope model and the query matches of this version, found again only for the
    /// top-level statements that changed since the version the cache last saw; with
    /// `two_threads`, the scope model beside the matches (as [`check_opened`] splits them:
    /// after a keystroke the two take about as long). The cache then holds this version's
    /// matches; hand the scope model back with [`ScopeCache::keep`] once done with it.
    /// `statements` are the module's children ([`context::module_children`]), comments among
    /// them: the units the matches are kept by.
    fn update<'t>(
        &mut self,
        text: &str,
        tree: &'t Tree,
        statements: &[tree_sitter::Node<'t>],
        lines: &LineIndex,
        settings: &Settings,
        two_threads: bool,
    ) -> (ScopeTree, queries::Matches<'t>) {
        let last_matches = std::mem::take(&mut self.matches);
        let scope_cache = std::sync::Mutex::new(&mut self.scopes);
        let (scopes, (matches, kept)) = beside(
            two_threads,
            || {
                let mut scope_cache = scope_cache.lock().unwrap_or_else(|p| p.into_inner());
                ScopeTree::incremental(text, tree, lines, &mut scope_cache, settings.target_version)
            },
            || queries::Matches::incremental(tree, statements, text, last_matches),
        );
        self.matches = kept;
        (scopes, matches)
    }
}

/// [`check`] for one document someone waits for (an editor, after each keystroke): the scope
/// model and the query matches are found again only for the top-level statements that changed
/// since the version `cache` last saw ([`Cache::update`], on two threads), then the rules
/// shared by two threads. The findings equal [`check`]'s.
pub fn check_edited(
    text: &str,
    tree: &Tree,
    settings: &Settings,
    cache: &mut Cache,
) -> Vec<Finding> {
    let lines = LineIndex::new(text);
    let roots = [tree.root_node()];
    let module = Module::new(&roots);
    let top = context::module_children(module);
    let (scopes, matches) = cache.update(text, tree, &top, &lines, settings, true);
    let words = Some(cache.words.spans(text, &top, false));
    let parts = Parts {
        scopes,
        matches,
        lines,
        top,
        words,
    };
    let kept = Kept {
        classes: &mut cache.classes,
        findings: &mut cache.findings,
        answers: &mut cache.answers,
        tree,
    };
    let findings = check_with(text, module, settings, true, &parts, &[], Some(kept));
    cache.scopes.keep(parts.scopes);
    drop_beside(cache.scopes.take_leftovers());
    findings
}

fn check_with(
    text: &str,
    module: Module,
    settings: &Settings,
    two_threads: bool,
    parts: &Parts,
    cells: &[std::ops::Range<usize>],
    kept: Option<Kept>,
) -> Vec<Finding> {
    let imports = Imports::new(text, &parts.matches);
    let context = Context {
        text,
        module,
        scopes: &parts.scopes,
        lines: &parts.lines,
        imports: &imports,
        settings,
        matches: &parts.matches,
        cells,
        top: &parts.top,
        words: parts.words.as_ref(),
    };
    let (classes, statement_findings, answers) = match kept {
        Some(kept) => (
            Some((kept.classes, kept.tree)),
            Some(kept.findings),
            keeps_answers(module, &parts.scopes)
                .then(|| kept.answers.generation(settings, &imports)),
        ),
        None => (None, None, None),
    };
    let semantic = Semantic::new(&context, two_threads, classes);
    let checker = Checker {
        context: &context,
        semantic: &semantic,
        only: None,
        answers,
    };
    // An editor's keystroke runs the rules of `Reach::Statement` apart (`statement_rules_kept`).
    let mut enabled: Vec<_> = enabled(settings)
        .filter(|info| statement_findings.is_none() || info.reach == Reach::Module)
        .collect();
    // Each thread takes the next rule when done with one, the heavy ones first: whichever
    // thread is left with the last rule, it is a light one.
    enabled.sort_by_key(|info| !info.heavy);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take_rules = || {
        let mut found = Vec::new();
        loop {
            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(info) = enabled.get(at) else {
                return found;
            };
            found.extend(info.run(&checker));
        }
    };
    // Which thread ran a rule does not change the order below: the findings the sort sees as
    // equal are one rule's, in its order. This thread first runs the statement rules an
    // editor's keystroke runs apart; the other thread meanwhile takes rules.
    let (mut findings, (statement, more, suppressions)) = beside(two_threads, take_rules, || {
        let statement = statement_findings.map(|kept| statement_rules_kept(&checker, kept));
        (
            statement,
            take_rules(),
            Suppressions::new(text, &parts.lines),
        )
    });
    findings.extend(more);
    findings.extend(statement.into_iter().flatten());
    findings.retain(|f| {
        (settings.strict || f.level == Level::Default)
            && !suppressions.suppresses(parts.lines.line_of(f.range.start), f.rule)
    });
    findings.sort_by_key(|f| (f.range.start, f.rule));
    findings
}

/// Whether the module-wide rules' answers may be kept per unit
/// ([`semantic::unit_answers`]): not in a file with syntax errors (what a statement's text parses to
/// depends on the rest) or whose scope model was cut short for deep nesting.
fn keeps_answers(module: Module, scopes: &ScopeTree) -> bool {
    !module.has_error() && !scopes.truncated
}

/// The findings of the enabled rules of [`Reach::Statement`]: those of the top-level statements
/// `kept` holds findings for are taken from it, the rest are found (by `checker`, which this
/// restricts to them) and kept.
fn statement_rules_kept(checker: &Checker, kept: &mut StatementFindings) -> Vec<Finding> {
    let plan = kept.plan(checker.context);
    let only = Checker {
        only: Some(&plan.check),
        ..*checker
    };
    let found: Vec<Finding> = enabled(checker.settings)
        .filter(|info| info.reach == Reach::Statement)
        .flat_map(|info| info.run(&only))
        .collect();
    let mut findings = kept.keep(plan, checker.context, &found);
    findings.extend(found);
    findings
}

/// The rules `settings` enable, in code order.
fn enabled(settings: &Settings) -> impl Iterator<Item = &'static RuleInfo> + '_ {
    rules::RULES
        .iter()
        .filter(|info| settings.enabled(info.rule))
}

/// Runs `first` on another thread (with the stack deep nesting needs) while `second` runs on
/// this one, and returns both results. Without `two_threads`, or when no thread can be had,
/// `first` runs here too.
///
/// The other thread is one of a pool kept for this: a thread spawned for each call starts
/// 0.2–0.8 ms after it is asked for on a busy two-core machine, and a keystroke splits its work
/// three times.
pub(crate) fn beside<A: Send, B>(
    two_threads: bool,
    first: impl Fn() -> A + Sync,
    second: impl FnOnce() -> B,
) -> (A, B) {
    let Some(helpers) = two_threads.then(helpers).flatten() else {
        return (first(), second());
    };
    let mut a = None;
    let b = helpers.in_place_scope(|scope| {
        scope.spawn(|_| a = Some(first()));
        second()
    });
    (a.expect("the scope ran `first` to its end"), b)
}

/// Frees `value` on one of [`beside`]'s threads, once the work someone waits for is done:
/// freeing what an analysis leaves behind (an edited class's old scopes, the trees of a large
/// file parsed in halves) takes milliseconds its results need not wait for. Here when no thread
/// can be had.
pub(crate) fn drop_beside<T: Send + 'static>(value: T) {
    match helpers() {
        Some(helpers) => helpers.spawn(move || drop(value)),
        None => drop(value),
    }
}

/// The threads [`beside`] hands work to: one per core, with [`scope::STACK_SIZE`] of stack;
/// `None` when they cannot be had.
fn helpers() -> Option<&'static rayon::ThreadPool> {
    static HELPERS: std::sync::LazyLock<Option<rayon::ThreadPool>> =
        std::sync::LazyLock::new(|| {
            rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("refhound-beside-{i}"))
                .stack_size(scope::STACK_SIZE)
                .build()
                .ok()
        });
    HELPERS.as_ref()
}
