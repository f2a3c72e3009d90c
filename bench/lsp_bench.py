"""Language-server benchmark (prints figures; not a test): refhound's and ruff's servers in the
same run, each spoken to over stdio by the small JSON-RPC client below.

(a) Edit -> diagnostics latency: the standard library's test/test_typing.py, copied into a
    temporary workspace, opened, then EDITS single-character incremental didChange
    notifications: insert "x" at the end of a line that ends in an identifier, then delete it
    again, over sites spread evenly through the file. The servers run side by side, each in
    its own copy, and every edit goes to each in turn (the order rotating), so that a shared
    machine's drifting speed slows them alike. After each edit the client waits for that
    version's diagnostics before the next server gets it:
      push: the publishDiagnostics for the document with that version (the first one after
            the change when the server sends no version);
      pull: the textDocument/diagnostic response, requested right after the didChange (only
            for a server that advertises diagnosticProvider to a client that supports it).
    Reports p50 / p95 / max in milliseconds per server and mode, and didOpen -> the first
    diagnostics: the median of the edit session's opening and OPENS more, each of a fresh
    server opened while the others are idle (refhound's workspace scan has analysed the file
    by then, and the document takes that over); and the median of OPENS openings of a copy
    outside the workspace, which nothing analysed before.
(b) Memory: a fresh server (push mode; workspace root the standard library, or with
    --workspace empty an empty directory) is read idle, then opens FILES standard-library
    files, sorted by path, skipping test directories (any directory named test, tests,
    idle_test) and site-packages/dist-packages; once every file's diagnostics have arrived,
    VmRSS and VmHWM of the server process from /proc/PID/status; then VmRSS again after
    closing them all.
(c) Push soak (--soak-edits N, 0 skips it): VmRSS after N edits written back to back.

Usage: lsp_bench.py --refhound BIN --ruff BIN [--edits 200] [--files 200] [--opens 5] [--soak-edits N]
       [--workspace stdlib|empty] [--memory-only] [--also NAME=BIN]...
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

TIMEOUT = 60.0  # seconds to wait for any one answer
RUFF_B = "ruff-B019,B023"  # ruff's server with only B019 and B023 selected
SKIPPED_DIRECTORIES = {
    "test",
    "tests",
    "idle_test",
    "site-packages",
    "dist-packages",
    "__pycache__",
}


class ServerGone(Exception):
    pass


class Spec:
    """How to start one server: its command, and the initializationOptions it is given."""

    def __init__(self, command: list[str], options: dict | None = None):
        self.command = command
        self.options = options


class LanguageServer:
    """A language server process, spoken to over its standard input and output. A reader
    thread stamps each incoming message with its arrival time and answers the server's own
    requests (configuration, capability registration, progress) with null results."""

    def __init__(self, name: str, spec: Spec, cwd: Path):
        self.name = name
        self.options = spec.options
        self.process = subprocess.Popen(
            spec.command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.inbox: queue.Queue[tuple[float, dict | None]] = queue.Queue()
        self._write_lock = threading.Lock()
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    # ------------------------------------------------ transport

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    self.inbox.put((time.perf_counter(), None))
                    return
                header = header.strip()
                if not header:
                    break
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            message = json.loads(stream.read(length))
            arrived = time.perf_counter()
            if message.get("method") == "textDocument/publishDiagnostics":
                # Only their number is read; a soak leaves thousands unread in the inbox, and
                # whole diagnostics lists would grow this client by gigabytes.
                message["params"]["diagnostics"] = len(message["params"]["diagnostics"])
            if "method" in message and "id" in message:
                self._answer(message)
            else:
                self.inbox.put((arrived, message))

    def _answer(self, request: dict) -> None:
        result = None
        if request["method"] == "workspace/configuration":
            result = [None for _ in request["params"]["items"]]
        self._send({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def _send(self, message: dict) -> float:
        body = json.dumps(message).encode("utf-8")
        with self._write_lock:
            sent = time.perf_counter()
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()
        return sent

    # ------------------------------------------------ messages

    def notify(self, method: str, params: dict | None) -> float:
        """Sends a notification; returns when it was sent."""
        return self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: dict | None) -> tuple[int, float]:
        """Sends a request without waiting; returns its id and when it was sent."""
        self._next_id += 1
        sent = self._send(
            {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        )
        return self._next_id, sent

    def wait(self, accept) -> tuple[float, dict]:
        """The next message `accept` takes and its arrival time; others are dropped."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                arrived, message = self.inbox.get(
                    timeout=max(0.0, deadline - time.monotonic())
                )
            except queue.Empty:
                raise TimeoutError(
                    f"{self.name}: nothing acceptable within {TIMEOUT} s"
                ) from None
            if message is None:
                raise ServerGone(
                    f"{self.name} exited with status {self.process.wait()}"
                )
            if accept(message):
                return arrived, message

    def call(self, method: str, params: dict | None) -> tuple[dict | None, float]:
        """A request and its result; also returns the seconds it took."""
        request_id, sent = self.request(method, params)
        arrived, response = self.wait(
            lambda m: m.get("id") == request_id and "method" not in m
        )
        if "error" in response:
            raise RuntimeError(f"{self.name}: {method} failed: {response['error']}")
        return response.get("result"), arrived - sent

    # ------------------------------------------------ session

    def initialize(self, root: Path, pull: bool) -> dict:
        text_document = {
            "synchronization": {"didSave": False},
            "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
        }
        if pull:
            text_document["diagnostic"] = {"relatedDocumentSupport": False}
        result, _ = self.call(
            "initialize",
            {
                "processId": os.getpid(),
                "clientInfo": {"name": "refhound-lsp-bench"},
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {
                    "textDocument": text_document,
                    "workspace": {"configuration": True},
                },
                **({"initializationOptions": self.options} if self.options else {}),
            },
        )
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str, version: int = 1) -> str:
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": version,
                    "text": text,
                }
            },
        )
        return uri

    def published(self, uri: str, version: int | None) -> tuple[float, dict]:
        """The next publishDiagnostics for `uri` with `version` (any, if it carries none)."""

        def accept(message: dict) -> bool:
            if message.get("method") != "textDocument/publishDiagnostics":
                return False
            params = message["params"]
            sent_version = params.get("version")
            return params["uri"] == uri and sent_version in (None, version)

        return self.wait(accept)

    def memory(self) -> tuple[int, int, int]:
        """(VmRSS in kB, VmHWM in kB, threads) of the process."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(
            re.findall(r"^(VmRSS|VmHWM|Threads):\s+(\d+)", status, re.MULTILINE)
        )
        return int(fields["VmRSS"]), int(fields["VmHWM"]), int(fields["Threads"])

    def stop(self) -> None:
        try:
            self.call("shutdown", None)
            self.notify("exit", None)
            self.process.wait(timeout=10)
        except (
            ServerGone,
            TimeoutError,
            RuntimeError,
            BrokenPipeError,
            subprocess.TimeoutExpired,
        ):
            self.process.kill()
            self.process.wait()


# ---------------------------------------------------------------- the edits


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def edit_sites(lines: list[str], count: int) -> list[int]:
    """`count` line numbers spread evenly over the lines that end in an identifier (so one more
    letter only renames it)."""
    candidates = [
        n for n, line in enumerate(lines) if re.search(r"[A-Za-z_]\w*$", line)
    ]
    step = len(candidates) / count
    return [candidates[int(i * step)] for i in range(count)]


def single_character_edits(text: str, edits: int) -> list[dict]:
    """`edits` content changes: insert "x" at the end of a line, then delete it, alternately."""
    lines = text.split("\n")
    changes = []
    for line in edit_sites(lines, (edits + 1) // 2):
        end = utf16_length(lines[line])
        at = {"line": line, "character": end}
        after = {"line": line, "character": end + 1}
        changes.append({"range": {"start": at, "end": at}, "text": "x"})
        changes.append({"range": {"start": at, "end": after}, "text": ""})
    return changes[:edits]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class EditSession:
    """One server with test_typing.py open in a workspace of its own, in one mode (push or
    pull), ready to be edited: `edit` returns the edit -> diagnostics latency in ms."""

    def __init__(
        self, name: str, spec: Spec, source: Path, pull: bool, outside: bool = False
    ):
        """`outside`: the file is not in the workspace directory (an empty one), so no
        workspace scan analyses it before it is opened."""
        self.name, self.pull = name, pull
        self._directory = tempfile.TemporaryDirectory(prefix="refhound-lsp-bench-")
        workspace = Path(self._directory.name) / "workspace"
        workspace.mkdir()
        folder = Path(self._directory.name) / "elsewhere" if outside else workspace
        folder.mkdir(exist_ok=True)
        path = folder / source.name
        shutil.copyfile(source, path)
        self.text = path.read_text(encoding="utf-8")
        self.server = LanguageServer(name, spec, workspace)
        capabilities = self.server.initialize(workspace, pull)["capabilities"]
        self.supported = not pull or bool(capabilities.get("diagnosticProvider"))
        self.path, self.uri, self.version = path, None, 1

    def open(self) -> tuple[float, int]:
        """didOpen -> the first diagnostics, in ms, and how many there were."""
        started = time.perf_counter()
        self.uri = self.server.open(self.path, self.text)
        if self.pull:
            report, _ = self.server.call(
                "textDocument/diagnostic", {"textDocument": {"uri": self.uri}}
            )
            return (time.perf_counter() - started) * 1000, len(
                (report or {}).get("items", [])
            )
        arrived, message = self.server.published(self.uri, 1)
        return (arrived - started) * 1000, message["params"]["diagnostics"]

    def edit(self, change: dict) -> float:
        self.version += 1
        sent = self.server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [change],
            },
        )
        if self.pull:
            _, took = self.server.call(
                "textDocument/diagnostic", {"textDocument": {"uri": self.uri}}
            )
            return took * 1000
        arrived, _ = self.server.published(self.uri, self.version)
        return (arrived - sent) * 1000

    def close(self) -> None:
        self.server.stop()
        self._directory.cleanup()


def measure_latencies_side_by_side(
    servers: dict, source: Path, edits: int, pull: bool
) -> dict:
    """Per server: (latencies in ms, didOpen ms, diagnostics on opening), or None when it does
    not offer pull diagnostics. The servers run at the same time and take the edits in turn
    (each edit goes to every server, in an order that rotates), so that a machine whose speed
    drifts, as shared ones do, slows them alike; each is opened while the others are idle."""
    sessions = []
    try:
        for name, spec in servers.items():
            sessions.append(EditSession(name, spec, source, pull))
        # Whatever the servers do in the background once initialized (refhound scans its
        # workspace, the file) ends before the first is opened.
        time.sleep(1.5)
        results = {}
        for session in sessions:
            if session.supported:
                results[session.name] = session.open()
                # Whatever a server does in the background after opening ends before the next.
                time.sleep(1.5)
        active = [s for s in sessions if s.supported]
        latencies = {s.name: [] for s in active}
        changes = single_character_edits(active[0].text, edits) if active else []
        for number, change in enumerate(changes):
            turn = number % max(1, len(active))
            for session in active[turn:] + active[:turn]:
                latencies[session.name].append(session.edit(change))
        return {
            s.name: (latencies[s.name], *results[s.name]) if s.supported else None
            for s in sessions
        }
    finally:
        for session in sessions:
            session.close()


def measure_opens(
    servers: dict, source: Path, rounds: int, pull: bool, outside: bool
) -> dict:
    """Per server that offers diagnostics in this mode: didOpen -> first diagnostics in ms, one
    fresh server per round (in an order that rotates), opened 1.5 s after it is initialized,
    when the others are idle. A single opening moves by a third from one to the next on a
    shared machine; the median of several does not."""
    opened = {name: [] for name in servers}
    names = list(servers)
    for round_ in range(rounds):
        turn = round_ % len(names)
        for name in names[turn:] + names[:turn]:
            session = EditSession(name, servers[name], source, pull, outside)
            try:
                if not session.supported:
                    continue
                time.sleep(1.5)
                opened[name].append(session.open()[0])
            finally:
                session.close()
    return {name: times for name, times in opened.items() if times}


# ---------------------------------------------------------------- memory


def stdlib_files(count: int) -> list[Path]:
    """The first `count` *.py files of the standard library, sorted by path, less test
    directories, site-packages/dist-packages and files that are not UTF-8."""
    root = Path(sysconfig.get_paths()["stdlib"])
    found = []
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if d not in SKIPPED_DIRECTORIES]
        found += [Path(directory) / f for f in files if f.endswith(".py")]
    chosen = []
    for path in sorted(found):
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        chosen.append(path)
        if len(chosen) == count:
            break
    return chosen


def measure_memory(name: str, spec: Spec, files: list[Path], root: Path):
    """VmRSS kB a second after `initialized` (idle, unless the workspace `root` is being
    scanned); (VmRSS kB, VmHWM kB, threads) after opening `files` and receiving every file's
    diagnostics, the seconds that took; and VmRSS kB after closing them all again (and a
    second's pause)."""
    server = LanguageServer(name, spec, root)
    try:
        server.initialize(root, pull=False)
        time.sleep(1)
        idle = server.memory()[0]
        started = time.perf_counter()
        uris = {server.open(path, path.read_text(encoding="utf-8")) for path in files}
        waiting = set(uris)
        while waiting:
            _, message = server.wait(
                lambda m: (
                    m.get("method") == "textDocument/publishDiagnostics"
                    and m["params"]["uri"] in waiting
                )
            )
            waiting.discard(message["params"]["uri"])
        took = time.perf_counter() - started
        opened = (*server.memory(), took)
        for uri in uris:
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        # A request answered after every didClose: the closes have been handled.
        server.call("shutdown", None)
        time.sleep(1)
        return (idle, *opened, server.memory()[0])
    finally:
        server.stop()


def measure_soak(name: str, spec: Spec, source: Path, edits: int):
    """Push soak: `edits` single-character didChange notifications written back to back into
    `source`, then the wait for the last version's diagnostics; (VmRSS kB, VmHWM kB, seconds)."""
    with tempfile.TemporaryDirectory(prefix="refhound-lsp-soak-") as directory:
        workspace = Path(directory)
        path = workspace / source.name
        shutil.copyfile(source, path)
        text = path.read_text(encoding="utf-8")
        server = LanguageServer(name, spec, workspace)
        try:
            server.initialize(workspace, pull=False)
            uri = server.open(path, text)
            server.published(uri, 1)
            changes = single_character_edits(text, 400)
            started = time.perf_counter()
            for i in range(edits):
                server.notify(
                    "textDocument/didChange",
                    {
                        "textDocument": {"uri": uri, "version": 2 + i},
                        "contentChanges": [changes[i % len(changes)]],
                    },
                )
            server.published(uri, 1 + edits)
            took = time.perf_counter() - started
            rss, hwm, _ = server.memory()
            return rss, hwm, took
        finally:
            server.stop()


# ---------------------------------------------------------------- report


def version_of(command: list[str]) -> str:
    return subprocess.run(
        command, capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--refhound", required=True)
    parser.add_argument("--ruff", required=True)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument(
        "--opens",
        type=int,
        default=5,
        help="fresh servers opened per server and mode for (a)'s open ms",
    )
    parser.add_argument("--soak-edits", type=int, default=10000)
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="NAME=BIN",
        help="another refhound binary to measure beside (another allocator, say)",
    )
    parser.add_argument("--memory-only", action="store_true", help="skip (a)")
    parser.add_argument(
        "--workspace",
        choices=("stdlib", "empty"),
        default="stdlib",
        help="(b)'s workspace root: the standard library (scanned in the background while the "
        "files are opened), or an empty directory (no scan: the documents' own cost)",
    )
    options = parser.parse_args()

    # Absolute: each server runs in its own workspace directory.
    options.refhound = os.path.abspath(options.refhound)
    options.ruff = os.path.abspath(options.ruff)
    # ruff twice: with its default rules, and with only the two rules that do refhound's job
    # (B019 for RH302, B023 for closures), so that equal work is compared too.
    servers = {
        "refhound": Spec([options.refhound, "server"]),
        "ruff": Spec([options.ruff, "server"]),
        RUFF_B: Spec(
            [options.ruff, "server"],
            {"settings": {"lint": {"select": ["B019", "B023"]}}},
        ),
    }
    for extra in options.also:
        name, _, binary = extra.partition("=")
        servers[name] = Spec([os.path.abspath(binary), "server"])
    import test  # the standard library's own test package

    source = Path(test.__file__).parent / "test_typing.py"
    lines = source.read_text(encoding="utf-8").count("\n")
    print(
        f"versions: {version_of([options.refhound, '--version'])}; "
        f"{version_of([options.ruff, '--version'])}; Python {sys.version.split()[0]}; "
        f"nproc {os.cpu_count()}"
    )

    if not options.memory_only:
        measure_latencies(servers, source, lines, options)
    measure_memories(servers, source, options)


def measure_latencies(servers, source, lines, options) -> None:
    print()
    print(
        f"(a) edit -> diagnostics: {options.edits} single-character didChange edits in"
    )
    print(f"    {source} ({lines} lines), one at a time")
    rows, p50, p95, opened_ms, spread = [], {}, {}, {}, {}
    opened_outside, spread_outside = {}, {}
    by_mode = {
        mode: measure_latencies_side_by_side(
            servers, source, options.edits, pull=(mode == "pull")
        )
        for mode in ("push", "pull")
    }
    opens = {
        mode: measure_opens(
            servers, source, options.opens, pull=(mode == "pull"), outside=False
        )
        for mode in ("push", "pull")
    }
    # The same file outside the workspace: what opening costs when no scan analysed it.
    opens_outside = {
        mode: measure_opens(
            servers, source, options.opens, pull=(mode == "pull"), outside=True
        )
        for mode in ("push", "pull")
    }
    for name in servers:
        for mode in ("push", "pull"):
            measured = by_mode[mode][name]
            if measured is None:
                rows.append(
                    f"{name:<16}{mode:<6}{'(no diagnosticProvider for a pull client)':>45}"
                )
                continue
            latencies, first_open, found = measured
            # The edit session's opening is one more sample.
            openings = opens[mode].get(name, []) + [first_open]
            opened = statistics.median(openings)
            p50[name, mode] = statistics.median(latencies)
            p95[name, mode] = percentile(latencies, 0.95)
            opened_ms[name, mode] = opened
            spread[name, mode] = f"{min(openings):.0f}-{max(openings):.0f}"
            outside = opens_outside[mode].get(name, [])
            if outside:
                opened_outside[name, mode] = statistics.median(outside)
                spread_outside[name, mode] = f"{min(outside):.0f}-{max(outside):.0f}"
            rows.append(
                f"{name:<16}{mode:<6}{len(latencies):>6}{p50[name, mode]:>9.2f}"
                f"{p95[name, mode]:>9.2f}{max(latencies):>9.2f}{opened:>12.1f}"
                f"{opened_outside.get((name, mode), float('nan')):>12.1f}{found:>8}"
            )
    print(
        f"{'server':<16}{'mode':<6}{'edits':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'open ms':>12}"
        f"{'open new ms':>12}{'diags':>8}"
    )
    for row in rows:
        print(row)
    print(
        f"(open ms: didOpen to the first diagnostics of the file, in the workspace (refhound's scan"
        f" analysed it meanwhile), the median of {options.opens + 1} openings, each of a fresh "
        f"server; open new ms: the same for the file outside the workspace, {options.opens} "
        "openings, nothing analysed before; diags: how many it had)"
    )
    print(
        "open ms, least-most: "
        + "; ".join(f"{name} {mode} {spread[name, mode]}" for name, mode in spread)
    )
    print(
        "open new ms, least-most: "
        + "; ".join(
            f"{name} {mode} {spread_outside[name, mode]}"
            for name, mode in spread_outside
        )
    )
    parses = parse_alone(options.refhound, source, options.opens)
    print(
        f"refhound parse alone, a fresh process (`refhound parse FILE`, wall, process start "
        f"included), least-median-most of {len(parses)}: {min(parses):.0f}-"
        f"{statistics.median(parses):.0f}-{max(parses):.0f} ms (open new ms parses a large file in "
        "halves at once)"
    )
    print(
        "refhound / ruff, per mode (issue 17's targets: p50 <= 0.25x ruff, <= 1.0x ruff-B019,B023;"
    )
    print("p95 <= 1.0x; open <= 1.0x ruff):")
    for other in ("ruff", RUFF_B):
        for mode in ("push", "pull"):
            if ("refhound", mode) not in p50 or (other, mode) not in p50:
                continue
            ratios = [
                f"{what} {ours[('refhound', mode)] / ours[(other, mode)]:.2f}x"
                for what, ours in (
                    ("p50", p50),
                    ("p95", p95),
                    ("open", opened_ms),
                    ("open new", opened_outside),
                )
                if ("refhound", mode) in ours and (other, mode) in ours
            ]
            print(f"  vs {other:<16}{mode:<6}" + ", ".join(ratios))


def parse_alone(refhound: str, source: Path, runs: int) -> list[float]:
    """Wall ms of `refhound parse SOURCE` in fresh processes, each 1.5 s after the last (as
    the fresh servers of open new ms are opened 1.5 s after their start)."""
    took = []
    for _ in range(runs):
        time.sleep(1.5)
        started = time.perf_counter()
        subprocess.run(
            [refhound, "parse", str(source)], check=True, capture_output=True
        )
        took.append((time.perf_counter() - started) * 1000)
    return took


def measure_memories(servers, source, options) -> None:
    print()
    files = stdlib_files(options.files)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    first, last = (path.relative_to(stdlib) for path in (files[0], files[-1]))
    print(
        f"(b) memory after opening {len(files)} standard-library files and receiving their"
    )
    print(
        f"    diagnostics: in {stdlib}, {first} to {last} by path, test directories skipped"
    )
    size = sum(path.stat().st_size for path in files) / 1e6
    print(f"    ({size:.1f} MB of source)")
    with tempfile.TemporaryDirectory(prefix="refhound-lsp-empty-") as empty:
        if options.workspace == "empty":
            root = Path(empty)
            print("    workspace root: an empty directory (nothing scanned)")
        else:
            root = Path(os.path.commonpath([path.parent for path in files]))
            print(f"    workspace root: {root} (scanned in the background meanwhile)")
        print(
            f"{'server':<18}{'idle MB':>9}{'VmRSS MB':>10}{'VmHWM MB':>10}{'threads':>9}"
            f"{'all diagnosed s':>17}{'closed: VmRSS MB':>18}"
        )
        rss_of = {}
        for name, spec in servers.items():
            idle, rss, hwm, threads, took, closed = measure_memory(
                name, spec, files, root
            )
            rss_of[name] = rss
            print(
                f"{name:<18}{idle / 1024:>9.1f}{rss / 1024:>10.1f}{hwm / 1024:>10.1f}"
                f"{threads:>9}{took:>17.2f}{closed / 1024:>18.1f}"
            )
    print(
        "(idle: VmRSS a second after `initialized`, before any document is opened; VmRSS and"
    )
    print(
        " VmHWM once every document's diagnostics arrived; closed: VmRSS after closing them all,"
    )
    print(" a `shutdown` answered, and a second's pause)")
    for other in ("ruff", RUFF_B):
        print(
            f"VmRSS refhound / {other}: {rss_of['refhound'] / rss_of[other]:.2f}x (target <= 1.5x ruff)"
        )
    if options.soak_edits:
        print()
        print(
            f"(c) push soak: {options.soak_edits} single-character didChange edits to {source.name}"
        )
        print("    written back to back, then the last version's diagnostics awaited")
        print(
            f"{'server':<18}{'VmRSS MB':>10}{'VmHWM MB':>10}{'last diagnostics s':>20}"
        )
        for name, spec in servers.items():
            rss, hwm, took = measure_soak(name, spec, source, options.soak_edits)
            print(f"{name:<18}{rss / 1024:>10.1f}{hwm / 1024:>10.1f}{took:>20.2f}")


if __name__ == "__main__":
    main()
