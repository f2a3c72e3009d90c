#!/usr/bin/env python3
"""editors/helix/languages.toml and the README's examples: their structure, and the server run
as Helix runs it.

Usage: tests/editors_helix.py BIN

Parses the file with tomllib and checks the `[language-server.refhound]` entry (command
`refhound`, args `["server"]`), that the `python` language lists refhound beside every server of
Helix's own list for Python (a list in the user's file replaces Helix's), and that every server
it lists is defined in the file or is one of Helix's built-in servers. Every TOML example of
editors/helix/README.md and of the top-level README's Helix section is held to the same rules.

Then starts the entry's command, with `command` replaced by BIN, and speaks to it as Helix
25.07 does in a git checkout of the demo with none of Python's root markers: `initialize` with
no workspace folder, no `rootUri` and the checkout as `rootPath`, Helix's code-action
capabilities, the entry's `config` as initializationOptions. It requires the diagnostics of an
opened file to be those of `refhound check`, the findings of the files left closed to arrive
(the scan ran on `rootPath`), and `space a` (a code-action request naming no kind) to offer
`source.fixAll.refhound`, whose resolved edit fixes the file; then shuts the server down.
"""

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ROOT / "editors" / "helix" / "languages.toml"
HELIX_README = ROOT / "editors" / "helix" / "README.md"
README = ROOT / "README.md"
DEMO = ROOT / "tests" / "demo" / "leaky_service"
TIMEOUT = 15.0

# Helix 25.07's own `language-servers` for Python (its languages.toml): a user's list replaces
# it, so an example that leaves one out takes that server away from whoever pastes it.
HELIX_DEFAULT_PYTHON_SERVERS = ["ty", "ruff", "jedi", "pylsp"]
# Helix 25.07's `roots` for Python, replaced the same way by a user's `roots`.
HELIX_DEFAULT_PYTHON_ROOTS = ["pyproject.toml", "setup.py", "poetry.lock", "pyrightconfig.json"]

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


def check_python(config: dict, where: str, known_servers: set[str]) -> None:
    """The `[[language]] name = "python"` entry of a languages.toml (`config`) adds refhound
    and keeps what Helix has: its servers, and its roots if the entry sets `roots`."""
    languages = config.get("language", [])
    check(isinstance(languages, list), f"{where}: [[language]] is an array of tables")
    python = [lang for lang in languages if lang.get("name") == "python"]
    check(len(python) == 1, f'{where}: one [[language]] with name = "python"', len(python))
    listed = python[0].get("language-servers")
    check(
        isinstance(listed, list) and listed, f"{where}: python has a language-servers list", listed
    )
    # An item is a server name, or a table naming one (`{ name = "ruff", only-features = [...] }`).
    names = [item if isinstance(item, str) else item.get("name") for item in listed]
    check("refhound" in names, f"{where}: python's language-servers include refhound", names)
    lost = [n for n in HELIX_DEFAULT_PYTHON_SERVERS if n not in names]
    check(not lost, f"{where}: it keeps Helix's own Python servers", lost)
    unknown = [n for n in names if n not in known_servers and n not in HELIX_PYTHON_SERVERS]
    check(not unknown, f"{where}: every listed server is defined or built into Helix", unknown)
    check(len(set(names)) == len(names), f"{where}: no server is listed twice", names)
    if "roots" in python[0]:
        roots = python[0]["roots"]
        lost = [r for r in HELIX_DEFAULT_PYTHON_ROOTS if r not in roots]
        check(not lost, f"{where}: its roots keep Helix's own Python roots", lost)


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
    check_python(config, "languages.toml", set(servers))
    return entry


def toml_examples(markdown: str) -> list[str]:
    """The ```toml blocks of a Markdown text."""
    return re.findall(r"^```toml\n(.*?)^```", markdown, flags=re.DOTALL | re.MULTILINE)


def readme_examples() -> None:
    """Every TOML example a Helix user may paste parses, and one that sets Python's servers
    follows `check_python`."""
    readme = README.read_text(encoding="utf-8")
    helix_section = re.search(r"^### Helix\n(.*?)(?=^##)", readme, flags=re.DOTALL | re.MULTILINE)
    check(helix_section is not None, "README.md has a Helix section")
    sources = [
        ("editors/helix/README.md", HELIX_README.read_text(encoding="utf-8")),
        ("README.md's Helix section", helix_section.group(1)),
    ]
    for where, text in sources:
        examples = toml_examples(text)
        check(examples, f"{where} has TOML examples")
        python_lists = 0
        for number, example in enumerate(examples, 1):
            try:
                config = tomllib.loads(example)
            except tomllib.TOMLDecodeError as error:
                check(False, f"{where}, example {number} parses", error)
            if any(lang.get("name") == "python" for lang in config.get("language", [])):
                python_lists += 1
                defined = set(config.get("language-server", {})) | {"refhound"}
                check_python(config, f"{where}, example {number}", defined)
        check(python_lists > 0, f"{where} shows how to add refhound to Python")


class Server:
    """The language server on pipes, one JSON-RPC message at a time."""

    def __init__(self, argv: list[str]):
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.messages: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.next_id = 0
        self.backlog: list[dict] = []
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
        """The first message `wanted` accepts, notifications skipped by earlier waits included
        (they are kept for later ones); requests from the server are answered (null)."""
        for index, message in enumerate(self.backlog):
            if wanted(message):
                return self.backlog.pop(index)
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
            elif "method" in message:
                self.backlog.append(message)


# What Helix 25.07 announces that the server's behaviour depends on (helix-lsp's client.rs).
HELIX_CAPABILITIES = {
    "general": {"positionEncodings": ["utf-8", "utf-32", "utf-16"]},
    "workspace": {"configuration": True, "workspaceFolders": True},
    "textDocument": {
        "publishDiagnostics": {"versionSupport": True},
        "codeAction": {
            "codeActionLiteralSupport": {
                "codeActionKind": {
                    "valueSet": [
                        "",
                        "quickfix",
                        "refactor",
                        "refactor.extract",
                        "refactor.inline",
                        "refactor.rewrite",
                        "source",
                        "source.organizeImports",
                    ]
                }
            },
            "isPreferredSupport": True,
            "disabledSupport": True,
            "dataSupport": True,
            "resolveSupport": {"properties": ["edit", "command"]},
        },
    },
}


def cli_findings(binary: str, path: Path) -> dict[str, list[tuple[str, int]]]:
    """`refhound check`'s findings under `path`, as sorted (code, line) by file name."""
    cli = subprocess.run(
        [binary, "check", "--exit-zero", "--format", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
    )
    found: dict[str, list[tuple[str, int]]] = {}
    for finding in json.loads(cli.stdout):
        name = Path(finding["filename"]).name
        found.setdefault(name, []).append((finding["code"], finding["location"]["row"]))
    return {name: sorted(codes) for name, codes in found.items()}


def pushed(message: dict) -> list[tuple[str, int]]:
    return sorted(
        (d["code"], d["range"]["start"]["line"] + 1) for d in message["params"]["diagnostics"]
    )


def apply_edits(text: str, edits: list[dict]) -> str:
    """`text` after `edits` (ASCII text: any position encoding counts characters)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: dict) -> int:
        return starts[position["line"]] + position["character"]

    for edit in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text


def run(entry: dict, binary: str, checkout: Path) -> None:
    """The server on a git checkout of the demo with none of Python's root markers."""
    package = checkout / "leaky_service"
    shutil.copytree(DEMO, package)
    (checkout / ".git").mkdir()
    expected = cli_findings(binary, package)
    argv = [binary, *entry["args"]]
    server = Server(argv)
    try:
        response = server.request(
            "initialize",
            {
                "processId": os.getpid(),
                "clientInfo": {"name": "helix", "version": "25.07"},
                # What Helix sends when it finds none of the language's `roots`: its workspace
                # (the directory holding .git) as rootPath alone.
                "workspaceFolders": [],
                "rootUri": None,
                "rootPath": str(checkout),
                "capabilities": HELIX_CAPABILITIES,
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
        check(
            capabilities.get("positionEncoding") == "utf-8",
            "it speaks UTF-8 positions, Helix's first choice",
            capabilities.get("positionEncoding"),
        )
        server.send({"method": "initialized", "params": {}})

        def open_file(name: str) -> tuple[str, str]:
            path = package / name
            uri, text = path.as_uri(), path.read_text(encoding="utf-8")
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
            return uri, text

        def diagnostics_of(uri: str, version) -> dict:
            return server.wait(
                lambda m: m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and m["params"].get("version") == version,
                f"publishDiagnostics for {uri}",
            )

        uri, _ = open_file("events.py")
        got = pushed(diagnostics_of(uri, 1))
        want = expected.get("events.py")
        check(want and got == want, f"events.py: diagnostics are refhound check's: {got}", want)

        # The files left closed: their findings come from the scan of rootPath.
        for name in sorted(set(expected) - {"events.py"}):
            got = pushed(diagnostics_of((package / name).as_uri(), None))
            want = expected[name]
            check(got == want, f"closed {name}: the scan's findings: {got}", want)

        # `space a` at the top of debug.py: no kind named, invoked by the user.
        uri, text = open_file("debug.py")
        check(text.isascii(), "debug.py is ASCII (positions count characters)")
        diagnostics_of(uri, 1)
        answer = server.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": uri},
                "range": {
                    "start": {"line": 0, "character": 0},
                    "end": {"line": 0, "character": 1},
                },
                "context": {"diagnostics": [], "triggerKind": 1},
            },
        )
        actions = answer.get("result") or []
        fix_all = [a for a in actions if a.get("kind") == "source.fixAll.refhound"]
        check(
            len(fix_all) == 1,
            "`space a` offers source.fixAll.refhound",
            [a.get("title") for a in actions],
        )
        resolved = server.request("codeAction/resolve", fix_all[0])
        edit = (resolved.get("result") or {}).get("edit") or {}
        edits = (edit.get("changes") or {}).get(uri)
        check(edits, "codeAction/resolve gives fix-all's edit", resolved)
        fixed = apply_edits(text, edits)
        check(
            "DEBUG_SAVEALL" not in fixed and "gc.set_debug(gc.DEBUG_STATS)" in fixed,
            "fix-all removes the leaking gc.set_debug call and keeps the other",
            fixed,
        )
        try:
            compile(fixed, "debug.py", "exec")
            error = None
        except SyntaxError as syntax_error:
            error = syntax_error
        check(error is None, "the fixed file compiles", error)

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
    readme_examples()
    with tempfile.TemporaryDirectory(prefix="refhound-helix-") as checkout:
        run(entry, str(Path(sys.argv[1]).resolve()), Path(checkout))
    print(f"Helix languages.toml: {checks} checks passed")


if __name__ == "__main__":
    main()
