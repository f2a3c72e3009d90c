"""Bad input over stdio: every malformed frame and lifecycle case is followed by a valid request
that must be answered, and a bounded soak of random edits whose text and tree must equal a fresh
parse. Raw frames, so this file speaks JSON-RPC itself (pytest-lsp only sends well-formed ones)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import threading
import time

import pytest

REFHOUND = os.environ.get("REFHOUND_BIN", "target/release/refhound")
WAIT = 20  # seconds: the bound on any one answer


class Raw:
    def __init__(self):
        self.p = subprocess.Popen([REFHOUND, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.msgs: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while h := self.p.stdout.readline():
            if h.lower().startswith(b"content-length"):
                n = int(h.split(b":")[1])
                self.p.stdout.readline()
                self.msgs.append(json.loads(self.p.stdout.read(n)))

    def raw(self, data: bytes):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, message: dict):
        body = json.dumps(message).encode()
        self.raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def answer(self, rid, timeout=WAIT):
        end = time.time() + timeout
        while time.time() < end:
            for m in list(self.msgs):
                if m.get("id") == rid and "method" not in m:
                    return m
            time.sleep(0.01)
        return None

    def request(self, rid, method, params=None):
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return self.answer(rid)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def start(self):
        assert self.request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})["result"]
        self.notify("initialized", {})
        self.notify("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": "x = 1\n"}})

    def alive(self, rid):
        """A valid request after the bad input: it must be answered."""
        return self.request(rid, "refhound/syntaxTree", {"textDocument": {"uri": URI}})

    def stop(self):
        if self.p.poll() is None:
            self.request(9999, "shutdown")
            self.notify("exit", None)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


URI = "file:///bad/a.py"

def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


BAD_FRAMES = {
    "truncated json": b'Content-Length: 16\r\n\r\n{"jsonrpc":"2.0"',
    "not json": b"Content-Length: 5\r\n\r\nhello",
    "lone surrogate": frame(b'{"jsonrpc":"2.0","id":5,"method":"x","params":{"a":"\\ud800"}}'),
    "float id": frame(b'{"jsonrpc":"2.0","id":1.5,"method":"textDocument/hover"}'),
    "no method": frame(b'{"jsonrpc":"2.0","id":7}'),
    "batch": b"Content-Length: 6\r\n\r\n[1, 2]",
    "missing content-length": b"Content-Type: application/json\r\n\r\n{}",
    "bad content-length": b"Content-Length: abc\r\n\r\n{}",
    "too large content-length": b'Content-Length: 60\r\n\r\n{"jsonrpc":',
    "third header line": b"Content-Length: 42\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\nX-Extra: 1\r\n\r\n"
    + b'{"jsonrpc":"2.0","method":"$/unknownNote"}',
    "garbage": b"\x00\xff garbage bytes\r\n",
    "invalid utf-8": b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc",
}

BAD_PARAMS = {
    "unknown document": ("textDocument/hover", {"textDocument": {"uri": "file:///nope.py"}, "position": {"line": 0, "character": 0}}),
    "position out of range": ("textDocument/hover", {"textDocument": {"uri": URI}, "position": {"line": 10**6, "character": 10**6}}),
    "wrong params type": ("textDocument/hover", [1, 2, 3]),
    "unknown method": ("refhound/noSuchMethod", {}),
    "unknown $/ request": ("$/noSuchRequest", {}),
}


@pytest.fixture
def server():
    s = Raw()
    s.start()
    yield s
    s.stop()


@pytest.mark.parametrize("name", BAD_FRAMES)
def test_a_bad_frame_is_answered_or_skipped_and_the_next_request_answered(server, name):
    server.raw(BAD_FRAMES[name])
    answer = server.alive(2)
    assert answer is not None and "result" in answer, f"{name}: no answer after the bad frame"
    assert server.p.poll() is None


def test_errors_carry_the_json_rpc_codes(server):
    server.raw(BAD_FRAMES["truncated json"])
    server.raw(BAD_FRAMES["float id"])
    server.alive(2)
    codes = {m["error"]["code"] for m in server.msgs if "error" in m}
    assert {-32700, -32600} <= codes


@pytest.mark.parametrize("name", BAD_PARAMS)
def test_a_bad_request_gets_an_answer_and_the_server_goes_on(server, name):
    method, params = BAD_PARAMS[name]
    answer = server.request(3, method, params)
    assert answer is not None, f"{name}: never answered"
    assert server.alive(4) is not None


@pytest.mark.parametrize("text", ["'\n" + "".join(" " * i + f"def f{i}():\n" for i in range(600)) + " " * 600 + "pass\n",
                                  "x = " + "[" * 5000 + "]" * 5000 + "\n", "\ud7ff\r\rdef f():\r  pass\r", "é" * 200000])
def test_hostile_documents_are_served(server, text):
    server.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///bad/b.py", "languageId": "python", "version": 1, "text": text}})
    answer = server.request(5, "refhound/syntaxTree", {"textDocument": {"uri": "file:///bad/b.py"}})
    assert answer is not None and "result" in answer
    assert server.p.poll() is None


def test_text_sync_out_of_order_is_survived(server):
    server.notify("textDocument/didChange", {"textDocument": {"uri": "file:///never-opened.py", "version": 2}, "contentChanges": [{"text": "y"}]})
    server.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": 1}, "contentChanges": [
        {"range": {"start": {"line": 50, "character": 3}, "end": {"line": 0, "character": 0}}, "text": "z"}]})
    server.notify("textDocument/didClose", {"textDocument": {"uri": "file:///never-opened.py"}})
    assert server.alive(6) is not None


@pytest.mark.parametrize("how", ["eof", "exit", "exit without shutdown"])
def test_the_server_exits_with_a_request_of_its_own_pending(how):
    s = Raw()
    # The client advertises workspace/configuration and never answers it.
    assert s.request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {"workspace": {"configuration": True}}})
    s.notify("initialized", {})
    end = time.time() + WAIT
    while time.time() < end and not any(m.get("method") == "workspace/configuration" for m in s.msgs):
        time.sleep(0.01)
    if how == "exit":
        assert s.request(2, "shutdown") is not None
    if how != "eof":
        s.notify("exit", None)
    s.p.stdin.close()
    try:
        status = s.p.wait(WAIT)
    except subprocess.TimeoutExpired:
        s.p.kill()
        pytest.fail(f"{how}: still running")
    assert status == (0 if how == "exit" else 1)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line.split()[1] for line in f if line.startswith("VmRSS")))


def test_soak_random_edits_keep_text_and_tree_equal_to_a_fresh_parse():
    """2,000 random incremental edits (CRLF, lone CR, emoji, CJK, pasted blocks) into a real file;
    the server's text must equal the edits applied here, its tree the tree of a fresh open."""
    import sysconfig
    source = open(os.path.join(sysconfig.get_paths()["stdlib"], "textwrap.py"), encoding="utf-8").read()
    s = Raw()
    s.start()
    try:
        uri = "file:///soak/t.py"
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": source}})
        rnd = random.Random(14)
        pieces = ["x", "(", ")", "\n", "\r\n", "\r", "    ", "😀", "漢字", "def g():\n    return lambda: y\n", "'", '"""', "#", ""]
        text = source
        for version in range(2, 2002):
            # Lines as LSP counts them: ended by \r\n, \n or a lone \r.
            starts = [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r(?!\n)", text)]
            line = rnd.randrange(len(starts))
            end_of_line = re.compile(r"\r\n|\n|\r").search(text, starts[line])
            content = text[starts[line]:end_of_line.start() if end_of_line else len(text)]
            units = len(content.encode("utf-16-le")) // 2
            # Edit only where a code-unit position is a character position (no astral characters).
            simple = all(ord(c) <= 0xFFFF for c in content)
            start = rnd.randrange(units + 1) if simple else 0
            length = rnd.randrange(min(4, units - start) + 1) if simple else 0
            new = rnd.choice(pieces)
            offset = starts[line] + start
            text = text[:offset] + new + text[offset + length:]
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
                {"range": {"start": {"line": line, "character": start}, "end": {"line": line, "character": start + length}}, "text": new}]})
            if version % 500 == 0:
                s.alive(10_000 + version)
        got = s.request(3, "refhound/syntaxTree", {"textDocument": {"uri": uri}})["result"]
        s.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///soak/fresh.py", "languageId": "python", "version": 1, "text": text}})
        fresh = s.request(4, "refhound/syntaxTree", {"textDocument": {"uri": "file:///soak/fresh.py"}})["result"]
        assert got["text"] == text
        assert got["tree"] == fresh["tree"]
        print(f"soak: 2000 edits, VmRSS {rss_kb(s.p.pid) / 1024:.1f} MB")
    finally:
        s.stop()
