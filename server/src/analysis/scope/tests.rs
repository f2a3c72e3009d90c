//! Unit tests of the scope model on small snippets; the full check against CPython is the oracle
//! test in `tests/oracle`.

use super::*;
use crate::analysis::parse::parse;

/// The version most snippets here describe (the research notes' CPython).
const V311: PythonVersion = PythonVersion::new(3, 11);

/// `(qualname, freevars, cellvars)` of every code object, as CPython 3.11 stores them.
fn code_objects(source: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    code_objects_in(source, V311)
}

/// `(qualname, freevars, cellvars)` of every code object, as CPython `version` stores them.
fn code_objects_in(
    source: &str,
    version: PythonVersion,
) -> Vec<(String, Vec<String>, Vec<String>)> {
    let tree = parse(source);
    ScopeTree::new(source, &tree, version)
        .code_objects()
        .map(|s| (s.qualname.clone(), s.freevars.clone(), s.cellvars.clone()))
        .collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn find(source: &str, qualname: &str) -> (Vec<String>, Vec<String>) {
    find_in(source, qualname, V311)
}

fn find_in(source: &str, qualname: &str, version: PythonVersion) -> (Vec<String>, Vec<String>) {
    let objects = code_objects_in(source, version);
    let (_, free, cell) = objects
        .into_iter()
        .find(|(q, _, _)| q == qualname)
        .unwrap_or_else(|| panic!("no code object {qualname}"));
    (free, cell)
}

#[test]
fn closure_captures_outer_local() {
    let src = "def outer():\n    x = 1\n    def inner():\n        return x\n    return inner\n";
    assert_eq!(find(src, "outer"), (names(&[]), names(&["x"])));
    assert_eq!(
        find(src, "outer.<locals>.inner"),
        (names(&["x"]), names(&[]))
    );
}

#[test]
fn pass_through_and_parameter_order() {
    let src = "def f(p, /, q, *args, k, **kw):\n    zz = aa = 0\n    def m():\n        def i():\n            return p, q, k, args, kw, aa, zz\n";
    assert_eq!(
        find(src, "f"),
        (
            names(&[]),
            names(&["p", "q", "k", "args", "kw", "aa", "zz"])
        )
    );
    assert_eq!(
        find(src, "f.<locals>.m").0,
        names(&["aa", "args", "k", "kw", "p", "q", "zz"])
    );
}

#[test]
fn super_gives_class_cell() {
    let src = "class C:\n    def m(self):\n        return lambda: super().m(self)\n";
    assert_eq!(find(src, "C"), (names(&[]), names(&["__class__"])));
    assert_eq!(find(src, "C.m"), (names(&["__class__"]), names(&["self"])));
    assert_eq!(
        find(src, "C.m.<locals>.<lambda>").0,
        names(&["__class__", "self"])
    );
}

#[test]
fn private_names_are_mangled() {
    let src = "class C:\n    def m(self):\n        __x = 1\n        return lambda: __x\n";
    assert_eq!(find(src, "C.m").1, names(&["_C__x"]));
}

#[test]
fn global_hides_outer_local() {
    let src = "def a():\n    x = 1\n    def b():\n        global x\n        def c():\n            return x\n";
    assert_eq!(find(src, "a"), (names(&[]), names(&[])));
    assert_eq!(find(src, "a.<locals>.b.<locals>.c").0, names(&[]));
}

#[test]
fn dead_def_keeps_cell_but_has_no_code_object() {
    let src = "def f():\n    x = 1\n    return 1\n    def g():\n        return x\n";
    let objects = code_objects(src);
    assert_eq!(objects.len(), 2, "{objects:?}");
    assert_eq!(find(src, "f").1, names(&["x"]));
}

/// Runs `f` on a thread with the stack the CLI gives the walk.
fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_nesting_is_cut_off_not_a_crash() {
    let tree = on_big_stack(|| {
        let src = format!("x = {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
        let tree = ScopeTree::new(&src, &parse(&src), V311);
        (tree.truncated, tree.code_objects().count())
    });
    assert_eq!(tree, (true, 1));
}

#[test]
fn many_nested_lambdas_are_followed() {
    let (count, innermost) = on_big_stack(|| {
        let src = format!(
            "def f(v):\n    return {}v{}\n",
            "(lambda: ".repeat(2_000),
            ")".repeat(2_000)
        );
        let tree = ScopeTree::new(&src, &parse(&src), V311);
        let last = tree.code_objects().last().unwrap().freevars.clone();
        (tree.code_objects().count(), last)
    });
    assert_eq!(count, 2 + 2_000);
    assert_eq!(innermost, names(&["v"]));
}

#[test]
fn syntax_errors_keep_what_parsed() {
    let src = "def ok():\n    x = 1\n    return lambda: x\n\ndef broken(:\n    pass\n";
    let objects = code_objects(src);
    assert!(
        objects.contains(&(
            "ok.<locals>.<lambda>".to_string(),
            names(&["x"]),
            names(&[])
        )),
        "{objects:?}"
    );
}

// ----- what differs between the modelled CPython versions (tests/oracle/README.md) -----

fn row(qualname: &str, freevars: &[&str], cellvars: &[&str]) -> (String, Vec<String>, Vec<String>) {
    (qualname.to_string(), names(freevars), names(cellvars))
}

#[test]
fn comprehensions_are_inlined_from_3_12() {
    let src = "def f(y):\n    a = [lambda: x for x in y]\n    return [g for g in (h for h in y)]\n";
    assert_eq!(
        code_objects_in(src, PythonVersion::new(3, 12)),
        vec![
            row("<module>", &[], &[]),
            row("f", &[], &["x"]),
            row("f.<locals>.<lambda>", &["x"], &[]),
            row("f.<locals>.<genexpr>", &[], &[]),
        ]
    );
    assert_eq!(
        code_objects_in(src, PythonVersion::new(3, 11)),
        vec![
            row("<module>", &[], &[]),
            row("f", &[], &[]),
            row("f.<locals>.<listcomp>", &[], &["x"]),
            row("f.<locals>.<listcomp>.<lambda>", &["x"], &[]),
            // The generator is the outer comprehension's first iterable, evaluated in `f`.
            row("f.<locals>.<genexpr>", &[], &[]),
            row("f.<locals>.<listcomp>", &[], &[]),
        ]
    );
}

#[test]
fn an_inlined_comprehension_reading_a_local_makes_no_cell() {
    // 3.11: `k` is free in the dict comprehension, so a cell of `f`; 3.12: a plain local.
    let src = "def f(k, y):\n    return {v: k for v in y}\n";
    assert_eq!(
        find_in(src, "f", PythonVersion::new(3, 11)),
        (names(&[]), names(&["k"]))
    );
    assert_eq!(
        find_in(src, "f", PythonVersion::new(3, 12)),
        (names(&[]), names(&[]))
    );
}

#[test]
fn module_level_inlined_cells_are_the_modules() {
    let src = "r = [lambda: x for x in range(3)]\n";
    assert_eq!(
        code_objects_in(src, PythonVersion::new(3, 13))[0],
        row("<module>", &[], &["x"])
    );
}

#[test]
fn pep_695_scopes_and_the_classdict_cell() {
    let src = "class C[T: int](Base[T]):\n    def m(self) -> T:\n        return super().m()\n    type A[U] = list[U]\n";
    assert_eq!(
        code_objects_in(src, PythonVersion::new(3, 12)),
        vec![
            row("<module>", &[], &[]),
            row("<generic parameters of C>", &[], &[".type_params", "T"]),
            row("T", &[], &[]),
            row("C", &[".type_params", "T"], &["__class__", "__classdict__"]),
            row("C.m", &["__class__"], &[]),
            row("C.<generic parameters of A>", &["__classdict__"], &["U"]),
            row("C.A", &["U", "__classdict__"], &[]),
        ]
    );
}

#[test]
fn before_3_11_cells_are_sorted_and_constant_branches_vanish() {
    let src = "def f(self, action):\n    if 0:\n        dead = lambda: 1\n    return lambda: (action, self)\n";
    assert_eq!(
        code_objects_in(src, PythonVersion::new(3, 8)),
        vec![
            row("<module>", &[], &[]),
            row("f", &[], &["action", "self"]),
            row("f.<locals>.<lambda>", &["action", "self"], &[]),
        ]
    );
    assert_eq!(
        find_in(src, "f", PythonVersion::new(3, 11)),
        (names(&[]), names(&["self", "action"]))
    );
}

#[test]
fn versions_outside_the_model_follow_the_nearest() {
    assert_eq!(
        modelled_version(PythonVersion::new(3, 6)),
        PythonVersion::new(3, 8)
    );
    assert_eq!(
        modelled_version(PythonVersion::new(3, 14)),
        PythonVersion::new(3, 13)
    );
}
