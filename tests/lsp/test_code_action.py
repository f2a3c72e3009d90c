"""Code actions: "Ignore RHxxx on this line" on every finding of the demo. Applied as an editor
applies it, the edit leaves Python that compiles, with the suppression comment on the
finding's line; sent back as a didChange, it makes that one diagnostic disappear and leaves
the others as they were. A comment changes nothing CPython sees: the edited file has the same
AST as before."""

import ast

import pytest
from conftest import DEMO, apply_edits, cli_findings, split_lines
from lsprotocol import types


def assert_same_program(old: str, new: str, filename: str) -> None:
    """`new` compiles and is, to CPython, the same program as `old`."""
    compile(new, filename, "exec")
    assert ast.dump(ast.parse(new)) == ast.dump(ast.parse(old))


def demo_cases():
    """(module, code) for every finding of the demo, as the CLI reports them."""
    return sorted(
        (finding["filename"].rsplit("/", 1)[1], finding["code"]) for finding in cli_findings(DEMO)
    )


def identity(diagnostic: types.Diagnostic):
    return (diagnostic.code, diagnostic.range, diagnostic.message)


def the_action(actions, title):
    matching = [a for a in actions or [] if isinstance(a, types.CodeAction) and a.title == title]
    assert len(matching) == 1, [a.title for a in actions or []]
    return matching[0]


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.changes is not None
    assert set(action.edit.changes) == {uri}
    return list(action.edit.changes[uri])


async def apply_action(client, uri, text, action, version):
    """Applies the action's edit to `text` as the editor would and sends it as one didChange
    (last edit first, so each range still points into the text it was computed for);
    returns the new text."""
    edits = edits_of(action, uri)
    new_text = apply_edits(text, edits, client.encoding)
    ordered = sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    )
    client.change(uri, version, ordered)
    assert (await client.syntax_tree(uri))["text"] == new_text
    return new_text


@pytest.mark.parametrize(("module", "code"), demo_cases())
async def test_ignore_on_this_line_silences_just_that_finding(client, module, code):
    path = DEMO / module
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    before = await client.diagnostics_for(uri, 1)
    target = next(d for d in before if d.code == code)
    # What an editor sends: the diagnostics under the cursor.
    under_cursor = [
        d for d in before if d.range.start.line <= target.range.start.line <= d.range.end.line
    ]
    actions = await client.code_actions(uri, target.range, under_cursor)
    action = the_action(actions, f"Ignore {code} on this line")
    assert action.kind == types.CodeActionKind.QuickFix
    assert [d.code for d in action.diagnostics or []] == [code]

    new_text = await apply_action(client, uri, text, action, version=2)
    line = split_lines(new_text)[target.range.start.line]
    assert line.endswith(f"# refhound: ignore[{code}]"), line
    # Only that line changed, and only by a comment.
    old_lines, new_lines = split_lines(text), split_lines(new_text)
    assert len(new_lines) == len(old_lines)
    assert [n for n, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b] == [
        target.range.start.line
    ]
    assert_same_program(text, new_text, str(path))

    after = await client.diagnostics_for(uri, 2)
    assert sorted(map(identity, after)) == sorted(identity(d) for d in before if d is not target)


async def test_a_second_ignore_extends_the_comment(client):
    path = DEMO / "events.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    before = await client.diagnostics_for(uri, 1)
    rh501 = next(d for d in before if d.code == "RH501")
    text = await apply_action(
        client,
        uri,
        text,
        the_action(
            await client.code_actions(uri, rh501.range, [rh501]), "Ignore RH501 on this line"
        ),
        version=2,
    )
    middle = await client.diagnostics_for(uri, 2)
    assert sorted(d.code for d in middle) == ["RH101", "RH301"]
    rh101 = next(d for d in middle if d.code == "RH101")
    text = await apply_action(
        client,
        uri,
        text,
        the_action(
            await client.code_actions(uri, rh101.range, [rh101]), "Ignore RH101 on this line"
        ),
        version=3,
    )
    line = split_lines(text)[rh101.range.start.line]
    assert line.endswith("# refhound: ignore[RH501, RH101]"), line
    assert line.count("#") == 1
    assert_same_program(path.read_text(encoding="utf-8"), text, str(path))
    assert [d.code for d in await client.diagnostics_for(uri, 3)] == ["RH301"]


async def test_no_action_without_a_refhound_diagnostic(client):
    path = DEMO / "debug.py"
    uri = client.open(path)
    [finding] = await client.diagnostics_for(uri, 1)
    assert not await client.code_actions(uri, finding.range, [])
    foreign = types.Diagnostic(
        range=finding.range, message="line too long", source="ruff", code="E501"
    )
    assert not await client.code_actions(uri, finding.range, [foreign])


# Lines where a comment at the end of the line is not a comment, or not allowed.
AWKWARD_LINES = {
    "line continuation": (
        "import gc\n"
        "\n"
        "\n"
        "def enable():\n"
        "    gc.set_debug(gc.DEBUG_SAVEALL) or \\\n"
        '        print("on")\n'
    ),
    "triple-quoted string opened on the line": (
        "def make(source):\n"
        "    rows = [line for line in open(source)]\n"
        '    return lambda: (len(rows), """\n'
        '    note""")\n'
    ),
}


@pytest.mark.parametrize("name", sorted(AWKWARD_LINES))
async def test_no_ignore_comment_where_it_would_break_or_change_the_program(client, tmp_path, name):
    """After a backslash continuation a comment is a SyntaxError; at the end of a line that opens
    a triple-quoted string it would change the string. The server offers no ignore action there,
    and every action it does offer keeps the program."""
    text = AWKWARD_LINES[name]
    compile(text, name, "exec")
    uri = client.open(tmp_path / "awkward.py", text=text)
    [finding] = await client.diagnostics_for(uri, 1)
    actions = await client.code_actions(uri, finding.range, [finding]) or []
    titles = [a.title for a in actions]
    assert f"Ignore {finding.code} on this line" not in titles, titles
    for action in actions:
        new_text = apply_edits(text, edits_of(action, uri), client.encoding)
        compile(new_text, name, "exec")
