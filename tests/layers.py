#!/usr/bin/env python3
"""The layering DESIGN.md asks of `server/src/analysis/`, checked on the source:

- the modules of `analysis/` import each other without a cycle (a module is a top-level file or
  folder of `analysis/`; test modules are left out, they may reach anywhere);
- no rule file imports another rule file;
- the catalog (`rules`) is imported only by the analysis root, which runs it.

Usage: python3 tests/layers.py        (exit status 1 with the offending imports)
"""

import os
import re
import sys

ANALYSIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server", "src", "analysis")
USE = re.compile(r"\b(?:use|pub use)\s+([\w:]+(?:::\{[^;]*\})?)\s*;", re.S)
PATH = re.compile(r"\bcrate::analysis::(\w+)|\b(super(?:::super)*)::(\w+)")


def module_of(path):
    """`analysis/semantic/lifetime.rs` -> ['semantic', 'lifetime']; a mod.rs is its folder."""
    parts = os.path.relpath(path, ANALYSIS)[:-3].split(os.sep)
    return parts[:-1] if parts[-1] == "mod" else parts


def imports(path):
    """The analysis modules (as paths from analysis/) that the non-test code of `path` names."""
    text = open(path, encoding="utf-8").read().split("#[cfg(test)]")[0]
    text = re.sub(r"//[^\n]*", "", text)  # comments and doc links do not import
    me = module_of(path)
    # `super` of a mod.rs is its folder's parent; of a file, its folder.
    home = me[:-1]
    found = set()
    for match in PATH.finditer(text):
        if match.group(1):
            found.add((match.group(1),))
        else:
            ups = match.group(2).count("super")
            base = home[: len(home) - (ups - 1)] if ups > 1 else home
            found.add(tuple(base + [match.group(3)]))
    if me == []:  # the root names its children without `super`
        for match in re.finditer(r"^use (\w+)::", text, re.M):
            found.add((match.group(1),))
    return found


def main():
    files = []
    for folder, _, names in os.walk(ANALYSIS):
        files += [os.path.join(folder, n) for n in names if n.endswith(".rs")]
    problems = []
    graph = {}
    for path in files:
        me = module_of(path)
        top = me[0] if me else "(root)"
        for target in imports(path):
            if me and me[0] == "rules" and len(me) == 2 and target[0] == "rules" and len(target) == 2 \
                    and target[1].startswith("rh") and target != tuple(me):
                problems.append(f"{os.path.relpath(path, ANALYSIS)}: a rule imports another rule ({target[1]})")
            if target[0] == "rules" and top not in ("rules", "(root)"):
                problems.append(f"{os.path.relpath(path, ANALYSIS)}: imports the rule catalog")
            if target[0] != top and me:
                graph.setdefault(top, set()).add(target[0])
    # A cycle among the top-level modules: depth-first search with colours.
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                problems.append("import cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    for problem in problems:
        print(problem)
    print(f"{len(files)} files, {len(graph)} modules: "
          + ("layering holds" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
