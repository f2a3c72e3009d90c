"""Drives the real `refhound server` over stdio with pytest-lsp, as an editor would.

The `client` fixture starts the binary (REFHOUND_BIN, default target/release/refhound), sends
`initialize` with the capabilities of a `Session` (by default: push diagnostics, no position
encodings offered, so UTF-16), and shuts the server down after the test. A test asks for
another kind of client with indirect parametrization:

    @pytest.mark.parametrize("client", [UTF8], indirect=True)

`RefhoundClient` records every publishDiagnostics (`await client.diagnostics_for(uri, version)`
waits for one version's) and wraps the requests the tests make; the module-level helpers convert
between LSP positions and string indices in either encoding and apply text edits to a string, so
a test can compute what the server's text must be.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
REFHOUND = os.environ.get("REFHOUND_BIN") or str(ROOT / "target" / "release" / "refhound")
DEMO = ROOT / "tests" / "demo" / "leaky_service"

# How long a test waits for one answer before it fails instead of hanging.
TIMEOUT = 10.0

ALL_RULES = {"RH101", "RH102", "RH201", "RH202", "RH301", "RH302", "RH401", "RH501", "RH601"}

SEVERITIES = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class Session:
    """What the test's client tells the server at `initialize`."""

    # The client's `general.positionEncodings`; None leaves the field out.
    position_encodings: tuple[str, ...] | None = None
    # Advertise `textDocument.diagnostic` (pull diagnostics).
    pull_diagnostics: bool = False
    initialization_options: Any = None
    # The workspace root (rootUri and the one workspace folder); None sends neither.
    root: Path | None = None

    def capabilities(self) -> types.ClientCapabilities:
        general = None
        if self.position_encodings is not None:
            general = types.GeneralClientCapabilities(
                position_encodings=list(self.position_encodings)
            )
        text_document = types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=False),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True
            ),
            hover=types.HoverClientCapabilities(
                content_format=[types.MarkupKind.Markdown, types.MarkupKind.PlainText]
            ),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[types.CodeActionKind.QuickFix]
                    )
                )
            ),
            diagnostic=(
                types.DiagnosticClientCapabilities(related_document_support=False)
                if self.pull_diagnostics
                else None
            ),
        )
        return types.ClientCapabilities(general=general, text_document=text_document)

    def initialize_params(self) -> types.InitializeParams:
        root_uri = self.root.as_uri() if self.root else None
        folders = [types.WorkspaceFolder(uri=root_uri, name=self.root.name)] if self.root else None
        return types.InitializeParams(
            capabilities=self.capabilities(),
            client_info=types.ClientInfo(name="refhound-tests"),
            root_uri=root_uri,
            workspace_folders=folders,
            initialization_options=self.initialization_options,
        )


UTF16 = Session()  # offers no encoding: the protocol's default, UTF-16
UTF8 = Session(position_encodings=("utf-8", "utf-16"))


def encoding_id(session: Session) -> str:
    """A readable test id for a session parameter."""
    return (
        "utf-8 client" if session.position_encodings == UTF8.position_encodings else "utf-16 client"
    )


# ---------------------------------------------------------------- the client


class RefhoundClient(LanguageClient):
    """pytest-lsp's client, plus a record of every publishDiagnostics and the requests the
    tests make, each with a timeout."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.published: list[types.PublishDiagnosticsParams] = []
        self._new_publish = asyncio.Event()
        self.initialize_result: types.InitializeResult | None = None
        self.encoding = "utf-16"

    # ------------------------------------------------ session

    async def start_session(self, session: Session) -> types.InitializeResult:
        result = await asyncio.wait_for(
            self.initialize_session(session.initialize_params()), TIMEOUT
        )
        self.initialize_result = result
        self.encoding = str(result.capabilities.position_encoding or "utf-16")
        return result

    async def end_session(self) -> None:
        """Shutdown and exit, unless the test already ended the server; kills it if it
        does not go."""
        server = self._server
        if server is None or server.returncode is not None:
            return
        try:
            await asyncio.wait_for(self.shutdown_session(), TIMEOUT)
        finally:
            if server.returncode is None:
                server.kill()
                await server.wait()

    @property
    def process(self) -> asyncio.subprocess.Process:
        assert self._server is not None, "the server was not started"
        return self._server

    # ------------------------------------------------ documents

    def open(self, path: Path, text: str | None = None, version: int = 1) -> str:
        """didOpen of `path` (its contents unless `text` is given); returns the URI."""
        uri = path.resolve().as_uri()
        if text is None:
            text = path.read_text(encoding="utf-8")
        self.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=version, text=text
                )
            )
        )
        return uri

    def change(self, uri: str, version: int, edits: list[types.TextEdit]) -> None:
        """One incremental didChange carrying `edits` as content changes, in order."""
        self.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                    for e in edits
                ],
            )
        )

    def close(self, uri: str) -> None:
        self.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def record_publish(self, params: types.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        self._new_publish.set()

    async def publish(self, uri: str, version: int | None) -> types.PublishDiagnosticsParams:
        """The first publishDiagnostics for `uri` with `version`, waiting for it if need be."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            for params in self.published:
                if params.uri == uri and params.version == version:
                    return params
            self._new_publish.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [(p.uri, p.version) for p in self.published]
                raise AssertionError(f"no diagnostics for {uri} version {version}; got {seen}")
            try:
                await asyncio.wait_for(self._new_publish.wait(), remaining)
            except TimeoutError:
                pass

    async def diagnostics_for(self, uri: str, version: int | None) -> list[types.Diagnostic]:
        return list((await self.publish(uri, version)).diagnostics)

    # ------------------------------------------------ requests

    async def hover(self, uri: str, line: int, character: int) -> types.Hover | None:
        return await asyncio.wait_for(
            self.text_document_hover_async(
                types.HoverParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=line, character=character),
                )
            ),
            TIMEOUT,
        )

    async def code_actions(
        self, uri: str, range_: types.Range, diagnostics: list[types.Diagnostic]
    ) -> list[types.CodeAction | types.Command] | None:
        return await asyncio.wait_for(
            self.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=range_,
                    context=types.CodeActionContext(diagnostics=diagnostics),
                )
            ),
            TIMEOUT,
        )

    async def syntax_tree(self, uri: str) -> dict[str, Any]:
        """`refhound/syntaxTree`: {"version", "text", "tree"} as the server holds the document."""
        result = await asyncio.wait_for(
            self.protocol.send_request_async("refhound/syntaxTree", {"textDocument": {"uri": uri}}),
            TIMEOUT,
        )
        # pygls hands an unknown method's result over as a namedtuple.
        return result._asdict()


def make_refhound_client() -> RefhoundClient:
    client = RefhoundClient(converter_factory=default_converter)

    keep_latest = DEFAULT_CLIENT_FEATURES[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def publish_diagnostics(client: RefhoundClient, params: types.PublishDiagnosticsParams):
        keep_latest(client, params)  # pytest-lsp's `client.diagnostics[uri]`
        client.record_publish(params)

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish_diagnostics
    register_lsp_features(client, features)
    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[REFHOUND, "server"], client_factory=make_refhound_client
    )
)
async def client(lsp_client: RefhoundClient, request):
    """A started and initialized `refhound server`; the session is `request.param` when the
    test parametrizes `client` indirectly, else `UTF16`."""
    await lsp_client.start_session(getattr(request, "param", UTF16))
    yield
    await lsp_client.end_session()


# ---------------------------------------------------------------- positions and edits


def split_lines(text: str) -> list[str]:
    """The lines as LSP counts them (`\\n`, `\\r\\n` and `\\r` end a line), without their
    line ends; a trailing line end starts one more, empty, line."""
    return re.split(r"\r\n|\r|\n", text)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        starts.append(match.end())
    return starts


def units(text: str, encoding: str) -> int:
    """Length of `text` in the encoding's code units (bytes for UTF-8)."""
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)  # utf-32: code points


def index_of(text: str, position: types.Position, encoding: str) -> int:
    """The string index of an LSP position (clamped to its line and to the text)."""
    starts = _line_starts(text)
    if position.line >= len(starts):
        return len(text)
    start = starts[position.line]
    line = split_lines(text)[position.line]
    counted = 0
    for i, char in enumerate(line):
        if counted >= position.character:
            return start + i
        counted += units(char, encoding)
    return start + len(line)


def position_of(text: str, index: int, encoding: str) -> types.Position:
    """The LSP position of string index `index`."""
    starts = _line_starts(text)
    line = max(i for i, s in enumerate(starts) if s <= index)
    return types.Position(line=line, character=units(text[starts[line] : index], encoding))


def range_of(text: str, start: int, end: int, encoding: str) -> types.Range:
    return types.Range(
        start=position_of(text, start, encoding), end=position_of(text, end, encoding)
    )


def apply_edits(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    """The text after applying `edits` (non-overlapping, ranges in the original text), as
    a client applies a WorkspaceEdit's TextEdits."""
    spans = sorted(
        (index_of(text, e.range.start, encoding), index_of(text, e.range.end, encoding), e.new_text)
        for e in edits
    )
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


def apply_changes(text: str, edits: list[types.TextEdit], encoding: str) -> str:
    """The text after one didChange carrying `edits`: each applies to the text the previous
    one left, as the protocol specifies for content changes."""
    for edit in edits:
        text = apply_edits(text, [edit], encoding)
    return text


def edit(text: str, start: int, end: int, new_text: str, encoding: str) -> types.TextEdit:
    """A TextEdit replacing text[start:end] by `new_text`, positioned in `encoding`."""
    return types.TextEdit(range=range_of(text, start, end, encoding), new_text=new_text)


# ---------------------------------------------------------------- ground truth


def cli_findings(*paths: Path) -> list[dict[str, Any]]:
    """`refhound check --format json` of the paths: the command line's findings, one dict
    each (1-based `row`, 1-based `column` in code points). Entries for files not fully analysed
    (code null) are left out: the server logs those instead."""
    run = subprocess.run(
        [REFHOUND, "check", "--exit-zero", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    return [finding for finding in json.loads(run.stdout) if finding["code"] is not None]


def cli_range(text: str, start: dict[str, int], end: dict[str, int], encoding: str) -> types.Range:
    """A CLI location pair (1-based rows, 1-based code-point columns) as an LSP range."""

    def position(location: dict[str, int]) -> types.Position:
        line = split_lines(text)[location["row"] - 1]
        return types.Position(
            line=location["row"] - 1,
            character=units(line[: location["column"] - 1], encoding),
        )

    return types.Range(start=position(start), end=position(end))


def cli_findings_of_text(
    text: str, directory: Path, name: str = "snippet.py"
) -> list[dict[str, Any]]:
    """The CLI's findings on `text`, written to `directory`/`name` (no configuration file
    above it, so default settings, as the server uses)."""
    path = directory / name
    path.write_bytes(text.encode("utf-8"))
    return cli_findings(path)


def expected_diagnostics(text: str, findings: list[dict[str, Any]], encoding: str, uri: str):
    """The CLI's findings of one file in the shape an editor receives them (see
    `comparable`): code, severity, range, message, related locations."""
    return sorted(
        (
            finding["code"],
            SEVERITIES[finding["severity"]],
            cli_range(text, finding["location"], finding["end_location"], encoding),
            finding["message"],
            tuple(
                (uri, cli_range(text, r["location"], r["end_location"], encoding), r["message"])
                for r in finding["related"]
            ),
        )
        for finding in findings
    )


def comparable(diagnostics: list[types.Diagnostic]):
    """Diagnostics as sorted tuples, comparable with `expected_diagnostics`."""
    return sorted(
        (
            d.code,
            d.severity,
            d.range,
            d.message,
            tuple(
                (r.location.uri, r.location.range, r.message) for r in d.related_information or ()
            ),
        )
        for d in diagnostics
    )


@pytest.fixture(scope="session")
def demo_findings() -> dict[Path, list[dict[str, Any]]]:
    """The CLI's findings on the demo, by absolute file path."""
    by_file: dict[Path, list[dict[str, Any]]] = {}
    for finding in cli_findings(DEMO):
        by_file.setdefault((ROOT / finding["filename"]).resolve(), []).append(finding)
    return by_file
