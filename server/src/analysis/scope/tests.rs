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
    let objects = code_objects(source);
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
