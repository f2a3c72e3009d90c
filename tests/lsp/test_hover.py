"""Hover: on a `lambda` keyword or a `def` name, the variables the closure captures, exactly as
CPython's `co_freevars` lists them (compiled here, as the ground truth); on empty space,
nothing."""

import re
import types as pytypes

import pytest
from conftest import DEMO, UTF8, UTF16, encoding_id, position_of


def code_object(source: str, name: str, line: int) -> pytypes.CodeType:
    """The code object CPython compiles for `name` defined on 1-based `line`."""
    pending = [compile(source, "<test>", "exec")]
    while pending:
        code = pending.pop()
        if code.co_name == name and code.co_firstlineno == line:
            return code
        pending += [c for c in code.co_consts if isinstance(c, pytypes.CodeType)]
    raise AssertionError(f"no code object {name} on line {line}")


def listed_captures(markdown: str) -> list[str]:
    """The captured names a hover lists, one `- \\`name\\`` item each, in order."""
    return re.findall(r"^- `([^`]+)`", markdown, re.MULTILINE)


async def hover_at(client, uri, text, index):
    """The hover at string index `index` of the document, positioned in the client's
    encoding."""
    position = position_of(text, index, client.encoding)
    return await client.hover(uri, position.line, position.character)


def assert_markdown_hover(hover, text, word_start, word, encoding):
    assert hover is not None
    assert hover.contents.kind == "markdown"
    assert hover.range is not None
    assert hover.range.start == position_of(text, word_start, encoding)
    assert hover.range.end == position_of(text, word_start + len(word), encoding)


@pytest.mark.parametrize("offset", [0, 3, 5], ids=["first char", "middle", "last char"])
async def test_hover_on_lambda_lists_what_it_captures(client, offset):
    path = DEMO / "events.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    start = text.index("lambda report_id")
    hover = await hover_at(client, uri, text, start + offset)
    assert_markdown_hover(hover, text, start, "lambda", client.encoding)
    line = text.count("\n", 0, start) + 1
    expected = code_object(text, "<lambda>", line).co_freevars
    assert expected == ("big",)
    assert listed_captures(hover.contents.value) == list(expected)


async def test_hover_on_def_name_lists_what_it_captures(client):
    path = DEMO / "reports.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    start = text.index("formatter(value)")
    hover = await hover_at(client, uri, text, start + 2)
    assert_markdown_hover(hover, text, start, "formatter", client.encoding)
    line = text.count("\n", 0, start) + 1
    expected = code_object(text, "formatter", line).co_freevars
    assert expected == ("dataset",)
    assert listed_captures(hover.contents.value) == list(expected)


async def test_hover_on_outer_def_captures_nothing_and_names_its_cell(client):
    path = DEMO / "reports.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    start = text.index("make_formatter(path)")
    hover = await hover_at(client, uri, text, start)
    assert_markdown_hover(hover, text, start, "make_formatter", client.encoding)
    code = code_object(text, "make_formatter", text.count("\n", 0, start) + 1)
    assert code.co_freevars == () and code.co_cellvars == ("dataset",)
    assert listed_captures(hover.contents.value) == []
    assert "captures nothing" in hover.contents.value
    assert "`dataset`" in hover.contents.value


async def test_hover_order_is_co_freevars_order(client, tmp_path):
    # co_freevars is sorted by name, not by first use.
    text = (
        "def outer():\n"
        "    zeta = [0] * 10\n"
        "    alpha = bytearray(10)\n"
        "    mid = {}\n"
        "    return lambda: (zeta, mid, alpha)\n"
    )
    uri = client.open(tmp_path / "order.py", text=text)
    start = text.index("lambda")
    hover = await hover_at(client, uri, text, start)
    expected = code_object(text, "<lambda>", 5).co_freevars
    assert expected == ("alpha", "mid", "zeta")
    assert listed_captures(hover.contents.value) == list(expected)


@pytest.mark.parametrize(
    "where",
    ["blank line", "indentation", "past the line end"],
)
async def test_hover_on_empty_space_is_null(client, where):
    path = DEMO / "events.py"
    text = path.read_text(encoding="utf-8")
    uri = client.open(path)
    line_22 = text.index("    add_listener(lambda")
    index = {
        "blank line": text.index("\n\n\ndef add_listener") + 1,
        "indentation": line_22 + 2,
        "past the line end": text.index("\n", line_22),
    }[where]
    assert await hover_at(client, uri, text, index) is None


@pytest.mark.parametrize("client", [UTF16, UTF8], indirect=True, ids=encoding_id)
async def test_hover_after_astral_and_cjk_text(client, tmp_path):
    text = (
        "def watch(source):\n"
        "    rows = [line for line in open(source)]\n"
        "    label = '😀 名前'; handler = lambda: (label, rows)\n"
        "    return handler\n"
    )
    uri = client.open(tmp_path / "unicode.py", text=text)
    start = text.index("lambda")
    hover = await hover_at(client, uri, text, start + 1)
    assert_markdown_hover(hover, text, start, "lambda", client.encoding)
    assert listed_captures(hover.contents.value) == ["label", "rows"]
    # The columns really are in the negotiated encoding: 30 code points precede `lambda`;
    # 😀 is 2 UTF-16 units or 4 bytes, each CJK character 1 unit or 3 bytes.
    assert text.splitlines()[2].index("lambda") == 30
    assert hover.range.start.character == {"utf-16": 31, "utf-8": 37}[client.encoding]
