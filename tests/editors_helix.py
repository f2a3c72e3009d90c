#!/usr/bin/env python3
"""editors/helix/languages.toml: its structure, and its command run as Helix runs it.

Usage: tests/editors_helix.py BIN

Parses the file with tomllib and checks the `[language-server.refhound]` entry (command
`refhound`, args `["server"]`), that the `python` language lists refhound, and that every
server it lists is defined in the file or is one of Helix's built-in servers. Then starts the
entry's command, with `command` replaced by BIN, sends `initialize` (with the entry's `config`
as initializationOptions, as Helix does), opens a demo file and requires the diagnostics to be
those of `refhound check`, then shuts the server down.
"""

import json
import os
import queue
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ROOT / "editors" / "helix" / "languages.toml"
DEMO_FILE = ROOT / "tests" / "demo" / "leaky_service" / "events.py"
TIMEOUT = 15.0

# Python language servers Helix defines in its own languages.toml, usable by name without a
# `[language-server.NAME]` entry of the user's.
HELIX_PYTHON_SERVERS = {
    "basedpyright",
    "jedi",
    "pylsp",
    "pylyzer",
    "pyrefly",
    "pyright",
    "ruff",
    "ty",
    "zuban",
}

checks = 0


def check(condition: bool, what: str, detail: object = None) -> None:
    global checks
    if not condition:
        print(f"FAILED: {what}" + (f": {detail}" if detail is not None else ""))
        sys.exit(1)
    checks += 1
    print(f"ok: {what}")


def structure() -> dict:
    with LANGUAGES.open("rb") as f:
        config = tomllib.load(f)
    servers = config.get("language-server", {})
    entry = servers.get("refhound")
    check(isinstance(entry, dict), "[language-server.refhound] is defined")
    check(entry.get("command") == "refhound", 'its command is "refhound"', entry.get("command"))
    check(entry.get("args") == ["server"], 'its args are ["server"]', entry.get("args"))
    known = {"command", "args", "config", "environment", "timeout", "required-root-patterns"}
    check(set(entry) <= known, "it has only keys Helix knows", sorted(set(entry) - known))

    languages = config.get("language", [])
    check(isinstance(languages, list), "[[language]] is an array of tables")
    python = [lang for lang in languages if lang.get("name") == "python"]
    check(len(python) == 1, 'one [[language]] with name = "python"', len(python))
    listed = python[0].get("language-servers")
    check(isinstance(listed, list) and listed, "python has a language-servers list", listed)
    # An item is a server name, or a table naming one (`{ name = "ruff", only-features = [...] }`).
    names = [item if isinstance(item, str) else item.get("name") for item in listed]
    check("refhound" in names, "python's language-servers include refhound", names)
    check(len(names) > 1, "refhound is listed beside other Python servers", names)
    unknown = [n for n in names if n not in servers and n not in HELIX_PYTHON_SERVERS]
    check(not unknown, "every listed server is defined here or built into Helix", unknown)
    check(len(set(names)) == len(names), "no server is listed twice", names)
    return entry


class Server:
    """The language server on pipes, one JSON-RPC message at a time."""

    def __init__(self, argv: list[str]):
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0
        # Warnings and errors the server shows (`window/showMessage`): a Helix user sees them.
        self.problems: list[str] = []

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method: str, params) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id and "method" not in m, method)

    def wait(self, wanted, what: str) -> dict:
        """The first message `wanted` accepts; requests from the server are answered (null)."""
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                check(False, f"{what}: an answer within {TIMEOUT:.0f}s")
            if message is None:
                check(False, f"{what}: the server ended without answering")
            if message.get("method") == "window/showMessage" and message["params"]["type"] <= 2:
                self.problems.append(message["params"]["message"])
            if wanted(message):
                return message
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})


def run(entry: dict, binary: str) -> None:
    argv = [binary, *entry["args"]]
    server = Server(argv)
    try:
        uri = DEMO_FILE.as_uri()
        response = server.request(
            "initialize",
            {
                "processId": os.getpid(),
                "clientInfo": {"name": "helix"},
                "rootUri": ROOT.as_uri(),
                "capabilities": {
                    "textDocument": {"publishDiagnostics": {"versionSupport": True}}
                },
                "initializationOptions": entry.get("config"),
            },
        )
        check("result" in response, f"`{' '.join(argv)}` answers initialize", response)
        result = response["result"]
        check(
            result.get("serverInfo", {}).get("name") == "refhound",
            "the server is refhound",
            result.get("serverInfo"),
        )
        capabilities = result["capabilities"]
        check(
            capabilities.get("hoverProvider") and capabilities.get("codeActionProvider"),
            "it offers hover and code actions",
        )
        server.send({"method": "initialized", "params": {}})
        text = DEMO_FILE.read_text(encoding="utf-8")
        server.send(
            {
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {
                        "uri": uri,
                        "languageId": "python",
                        "version": 1,
                        "text": text,
                    }
                },
            }
        )
        published = server.wait(
            lambda m: m.get("method") == "textDocument/publishDiagnostics"
            and m["params"]["uri"] == uri,
            "publishDiagnostics",
        )
        got = sorted(
            (d["code"], d["range"]["start"]["line"] + 1) for d in published["params"]["diagnostics"]
        )
        cli = subprocess.run(
            [binary, "check", "--exit-zero", "--format", "json", str(DEMO_FILE)],
            capture_output=True,
            check=True,
            text=True,
        )
        expected = sorted((f["code"], f["location"]["row"]) for f in json.loads(cli.stdout))
        check(expected and got == expected, f"diagnostics are refhound check's: {got}", expected)
        server.request("shutdown", None)
        check(not server.problems, "the server showed no warning or error", server.problems)
        server.send({"method": "exit"})
        code = server.process.wait(timeout=TIMEOUT)
        check(code == 0, "the server exits cleanly after shutdown/exit", code)
    finally:
        if server.process.poll() is None:
            server.process.kill()


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: tests/editors_helix.py BIN")
    entry = structure()
    run(entry, str(Path(sys.argv[1]).resolve()))
    print(f"Helix languages.toml: {checks} checks passed")


if __name__ == "__main__":
    main()
