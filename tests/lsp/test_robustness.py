"""Bad input never takes the server down: requests about documents that are not open get a
JSON-RPC error, positions far past the end are clamped, files with syntax errors keep the
findings of what parsed, deep nesting is survived, and shutdown then exit ends the process
with status 0. After each error the server still answers."""

import asyncio

import pytest
from conftest import (
    DEMO,
    TIMEOUT,
    apply_changes,
    cli_findings_of_text,
    comparable,
    expected_diagnostics,
)
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
)

NOT_OPEN = "file:///nowhere/not_open.py"


PROBE_TEXT = (
    "def watch(source):\n    rows = [line for line in open(source)]\n    return lambda: len(rows)\n"
)


async def assert_still_serving(client):
    """The server takes a new document (an editor's unsaved buffer), publishes its finding and
    answers a hover on its lambda."""
    uri = f"untitled:Untitled-{len(client.published)}"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=PROBE_TEXT
            )
        )
    )
    assert [d.code for d in await client.diagnostics_for(uri, 1)] == ["RH101"]
    hover = await client.hover(uri, 2, 12)
    assert hover is not None and "`rows`" in hover.contents.value


async def test_hover_on_a_document_not_open_is_an_error(client):
    with pytest.raises(JsonRpcInvalidParams, match="not open"):
        await client.hover(NOT_OPEN, 0, 0)
    await assert_still_serving(client)


async def test_code_action_on_a_document_not_open_is_an_error(client):
    diagnostic = types.Diagnostic(
        range=types.Range(
            start=types.Position(line=0, character=0), end=types.Position(line=0, character=1)
        ),
        message="m",
        source="refhound",
        code="RH601",
    )
    with pytest.raises(JsonRpcInvalidParams, match="not open"):
        await client.code_actions(NOT_OPEN, diagnostic.range, [diagnostic])
    await assert_still_serving(client)


async def test_syntax_tree_of_a_document_not_open_is_an_error(client):
    with pytest.raises(JsonRpcException):
        await client.syntax_tree(NOT_OPEN)
    await assert_still_serving(client)


async def test_change_to_a_document_not_open_is_logged_not_fatal(client):
    client.change(NOT_OPEN, 2, [])
    await assert_still_serving(client)
    assert any(NOT_OPEN in m.message for m in client.log_messages), client.log_messages


@pytest.mark.parametrize(
    ("line", "character"),
    [(10**6, 10**6), (0, 10**6), (2**31 - 1, 2**31 - 1), (21, 2**31 - 1)],
    ids=["far past the end", "past the first line's end", "largest position", "past a line's end"],
)
async def test_positions_far_past_the_end(client, line, character):
    path = DEMO / "events.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    assert await client.hover(uri, line, character) is None
    # A change there is clamped to the end of the line, or of the text.
    far = types.Position(line=line, character=character)
    insertion = types.TextEdit(range=types.Range(start=far, end=far), new_text="\n# appended\n")
    client.change(uri, 2, [insertion])
    held = await client.syntax_tree(uri)
    assert held["text"] == apply_changes(text, [insertion], client.encoding)
    assert {d.code for d in await client.diagnostics_for(uri, 2)} == {"RH101", "RH301", "RH501"}
    await assert_still_serving(client)


async def test_position_inside_a_surrogate_pair(client, tmp_path):
    # UTF-16 column 9 is between the two halves of 😀: no crash, and a change there lands
    # on the character's start, as the server documents.
    text = "label = '😀'\n"
    uri = client.open(tmp_path / "pair.py", text=text)
    await client.hover(uri, 0, 10)
    middle = types.Position(line=0, character=10)
    client.change(
        uri, 2, [types.TextEdit(range=types.Range(start=middle, end=middle), new_text="x")]
    )
    assert (await client.syntax_tree(uri))["text"] == "label = 'x😀'\n"
    await assert_still_serving(client)


BROKEN = {
    "unclosed paren after the findings": """\
import functools
import gc


class Dataset:
    @functools.lru_cache(maxsize=None)
    def summary(self):
        return 1


def enable():
    gc.set_debug(gc.DEBUG_SAVEALL)


def broken(items):
    return lambda: print(len(items)
""",
    "broken signature between the findings": """\
import functools
import gc


class Dataset:
    @functools.lru_cache(maxsize=None)
    def summary(self):
        return 1


def broken(items:
    return lambda: items


def enable():
    gc.set_debug(gc.DEBUG_SAVEALL)
""",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
async def test_a_file_with_syntax_errors_keeps_the_other_findings(client, tmp_path, name):
    text = BROKEN[name]
    with pytest.raises(SyntaxError):
        compile(text, name, "exec")
    uri = client.open(tmp_path / "broken.py", text=text)
    diagnostics = await client.diagnostics_for(uri, 1)
    assert sorted(d.code for d in diagnostics) == ["RH302", "RH601"]
    want = expected_diagnostics(text, cli_findings_of_text(text, tmp_path), client.encoding, uri)
    assert comparable(diagnostics) == want
    await assert_still_serving(client)


async def test_deep_nesting_is_survived(client, tmp_path):
    texts = {
        "parens.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
        "lambdas.py": "x = " + "lambda: " * 3000 + "1\n",
        "defs.py": "".join("    " * i + f"def f{i}():\n" for i in range(99))
        + "    " * 99
        + "return 1\n",
    }
    for name, text in texts.items():
        uri = client.open(tmp_path / name, text=text)
        await client.diagnostics_for(uri, 1)
        await client.hover(uri, 0, 5)
    await assert_still_serving(client)


async def test_unknown_request_is_method_not_found(client):
    with pytest.raises(JsonRpcException, match="Method not found"):
        await asyncio.wait_for(
            client.protocol.send_request_async("refhound/noSuchThing", {}), TIMEOUT
        )
    await assert_still_serving(client)


async def test_shutdown_then_exit_ends_the_process_with_status_0(client):
    await assert_still_serving(client)
    await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
    # After shutdown, requests are refused, as the protocol says.
    with pytest.raises(JsonRpcInvalidRequest):
        await client.hover("untitled:Untitled-0", 2, 12)
    client.exit(None)
    assert await asyncio.wait_for(client.process.wait(), TIMEOUT) == 0
