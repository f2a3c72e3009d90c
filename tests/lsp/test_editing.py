"""Incremental didChange: after each edit the server's text is the text the editor has (read
back with `refhound/syntaxTree`), its tree is the tree of a fresh parse, and the diagnostics of
the new version are those `refhound check` gives for that text. Positions are counted in the
negotiated encoding, so UTF-8 and UTF-16 clients editing after astral and CJK characters land
their edits at the same place."""

import random

import pytest
from conftest import (
    DEMO,
    UTF8,
    UTF16,
    apply_changes,
    cli_findings_of_text,
    comparable,
    edit,
    encoding_id,
    expected_diagnostics,
    position_of,
)
from lsprotocol import types

BOTH_ENCODINGS = pytest.mark.parametrize("client", [UTF16, UTF8], indirect=True, ids=encoding_id)


async def send(client, uri, text, version, edits):
    """Sends `edits` as one didChange and returns the text the editor now has, after
    checking that the server holds the same text and version."""
    client.change(uri, version, edits)
    new_text = apply_changes(text, edits, client.encoding)
    held = await client.syntax_tree(uri)
    assert held["version"] == version
    assert held["text"] == new_text
    return new_text


async def assert_diagnostics_match_cli(client, uri, text, version, tmp_path):
    got = await client.diagnostics_for(uri, version)
    want = expected_diagnostics(text, cli_findings_of_text(text, tmp_path), client.encoding, uri)
    assert comparable(got) == want
    return got


async def test_deleting_the_leaky_line_clears_its_diagnostic_and_undo_restores_it(client):
    path = DEMO / "debug.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    [finding] = await client.diagnostics_for(uri, 1)
    assert finding.code == "RH601"
    line = finding.range.start.line
    whole_line = types.Range(
        start=types.Position(line=line, character=0), end=types.Position(line=line + 1, character=0)
    )
    removed = text.splitlines(keepends=True)[line]
    assert "DEBUG_SAVEALL" in removed

    deleted = await send(client, uri, text, 2, [types.TextEdit(range=whole_line, new_text="")])
    assert await client.diagnostics_for(uri, 2) == []

    at_line_start = types.Range(start=whole_line.start, end=whole_line.start)
    restored = await send(
        client, uri, deleted, 3, [types.TextEdit(range=at_line_start, new_text=removed)]
    )
    assert restored == text
    [back] = await client.diagnostics_for(uri, 3)
    assert (back.code, back.range, back.message) == (finding.code, finding.range, finding.message)


async def test_lines_inserted_above_move_the_findings(client, tmp_path):
    path = DEMO / "events.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    before = await client.diagnostics_for(uri, 1)
    at = text.index("def watch")
    text = await send(
        client, uri, text, 2, [edit(text, at, at, "# one\n# two\n\n", client.encoding)]
    )
    after = await assert_diagnostics_match_cli(client, uri, text, 2, tmp_path)
    moved = {d.code: d.range.start.line for d in after}
    for d in before:
        shift = 3 if d.range.start.line >= 18 else 0
        assert moved[d.code] == d.range.start.line + shift, d.code


async def test_a_leak_typed_character_by_character(client, tmp_path):
    """Forty-odd notifications sent without waiting, as fast typing sends them: the server
    ends with the editor's text, the fresh parse's tree, and the final version's findings,
    and no older version's diagnostics arrive after the newest."""
    text = "import gc\n\n\ndef enable():\n    pass\n"
    uri = client.open(tmp_path / "typed.py", text=text)
    await client.diagnostics_for(uri, 1)
    typed = "gc.set_debug(gc.DEBUG_SAVEALL)"
    version = 1
    at = text.index("pass")
    text = apply_changes(
        text, [first := edit(text, at, at + 4, "", client.encoding)], client.encoding
    )
    version += 1
    client.change(uri, version, [first])
    for i, char in enumerate(typed):
        version += 1
        change = edit(text, at + i, at + i, char, client.encoding)
        client.change(uri, version, [change])
        text = apply_changes(text, [change], client.encoding)
    held = await client.syntax_tree(uri)
    assert (held["version"], held["text"]) == (version, text)

    final = await assert_diagnostics_match_cli(client, uri, text, version, tmp_path)
    assert [d.code for d in final] == ["RH601"]

    fresh_uri = client.open(tmp_path / "fresh.py", text=text)
    assert (await client.syntax_tree(fresh_uri))["tree"] == held["tree"]

    # Nothing stale after the newest: wait for a round trip, then look at the arrival order.
    await client.syntax_tree(uri)
    versions = [p.version for p in client.published if p.uri == uri]
    assert versions == sorted(versions), versions
    assert versions[-1] == version


async def test_changes_in_one_notification_apply_in_order(client, tmp_path):
    text = "import gc\n\n\ndef enable():\n    pass\n"
    uri = client.open(tmp_path / "ordered.py", text=text)
    await client.diagnostics_for(uri, 1)
    at = text.index("pass")
    # The second change's range is in the text the first one left.
    first = edit(text, at, at + 4, "gc.set_debug(gc.DEBUG_STATS)", client.encoding)
    middle = apply_changes(text, [first], client.encoding)
    stats = middle.index("STATS")
    second = edit(middle, stats, stats + 5, "SAVEALL", client.encoding)
    text = await send(client, uri, text, 2, [first, second])
    assert "gc.set_debug(gc.DEBUG_SAVEALL)" in text
    await assert_diagnostics_match_cli(client, uri, text, 2, tmp_path)


async def test_a_whole_document_change_replaces_the_text(client, tmp_path):
    uri = client.open(tmp_path / "whole.py", text="x = 1\n")
    assert await client.diagnostics_for(uri, 1) == []
    text = (DEMO / "events.py").read_text(encoding="utf-8")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    assert (await client.syntax_tree(uri))["text"] == text
    await assert_diagnostics_match_cli(client, uri, text, 2, tmp_path)


@BOTH_ENCODINGS
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["LF", "CRLF"])
async def test_edits_after_astral_and_cjk_text_land_at_the_same_place(client, tmp_path, newline):
    text = newline.join(
        [
            "import gc",
            "",
            "",
            "def enable():",
            '    label = "😀 名前"; gc.set_debug(gc.DEBUG_STATS)',
            "",
        ]
    )
    uri = client.open(tmp_path / "unicode.py", text=text)
    assert await client.diagnostics_for(uri, 1) == []
    stats = text.index("STATS")
    # The position of STATS in the client's encoding: 😀 is 2 UTF-16 units or 4 bytes, each
    # CJK character 1 unit or 3 bytes; 42 code points precede it.
    start = position_of(text, stats, client.encoding)
    assert start.line == 4
    assert text.splitlines()[4].index("STATS") == 42
    assert start.character == {"utf-16": 43, "utf-8": 49}[client.encoding]

    text = await send(
        client, uri, text, 2, [edit(text, stats, stats + 5, "SAVEALL", client.encoding)]
    )
    assert 'label = "😀 名前"; gc.set_debug(gc.DEBUG_SAVEALL)' in text
    [finding] = await assert_diagnostics_match_cli(client, uri, text, 2, tmp_path)
    assert finding.code == "RH601"
    call = text.index("gc.set_debug")
    assert finding.range.start == position_of(text, call, client.encoding)
    assert finding.range.end == position_of(text, text.index(")", call) + 1, client.encoding)


@BOTH_ENCODINGS
async def test_random_edits_around_multibyte_text_keep_the_server_in_step(client, tmp_path):
    """Sixty seeded edits (inserts, deletes, replacements, line breaks) at character
    boundaries of a text full of astral, CJK and accented characters, each one didChange."""
    text = (
        (DEMO / "events.py").read_text(encoding="utf-8").replace("report_id", "rapport_😀_名前_é")
    )
    uri = client.open(tmp_path / "random.py", text=text)
    pieces = ["x", "😀", "名", "é", "\n", "\r\n", "(", "lambda: big", "  ", ""]
    rng = random.Random(20240611)
    version = 1
    for _ in range(60):
        version += 1
        start = rng.randrange(len(text) + 1)
        end = min(len(text), start + rng.randrange(4))
        # Never split a CRLF pair: an editor's positions cannot point between them.
        if 0 < start < len(text) and text[start - 1 : start + 1] == "\r\n":
            start += 1
        end = max(end, start)
        if 0 < end < len(text) and text[end - 1 : end + 1] == "\r\n":
            end += 1
        change = edit(text, start, end, rng.choice(pieces), client.encoding)
        client.change(uri, version, [change])
        text = apply_changes(text, [change], client.encoding)
    held = await client.syntax_tree(uri)
    assert (held["version"], held["text"]) == (version, text)
    fresh = client.open(tmp_path / "random_fresh.py", text=text)
    assert (await client.syntax_tree(fresh))["tree"] == held["tree"]
    await assert_diagnostics_match_cli(client, uri, text, version, tmp_path)
