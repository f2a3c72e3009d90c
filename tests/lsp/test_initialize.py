"""initialize: the server's name, the negotiated position encoding and the capabilities an
editor relies on (incremental sync, hover, quick fixes)."""

import pytest
from conftest import UTF8, UTF16, Session
from lsprotocol import types


async def test_server_names_itself_and_offers_what_editors_use(client):
    result = client.initialize_result
    assert result.server_info is not None
    assert result.server_info.name == "refhound"
    capabilities = result.capabilities
    sync = capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.open_close is True
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert sync.change == 2
    assert capabilities.hover_provider is True
    actions = capabilities.code_action_provider
    assert isinstance(actions, types.CodeActionOptions)
    assert types.CodeActionKind.QuickFix in actions.code_action_kinds


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        (UTF16, "utf-16"),
        (UTF8, "utf-8"),
        (Session(position_encodings=("utf-16", "utf-8")), "utf-8"),
        (Session(position_encodings=("utf-16",)), "utf-16"),
        (Session(position_encodings=("utf-32",)), "utf-16"),
        (Session(position_encodings=()), "utf-16"),
    ],
    indirect=["client"],
    ids=[
        "nothing offered",
        "utf-8 and utf-16",
        "utf-16 and utf-8",
        "utf-16 only",
        "utf-32 only",
        "empty list",
    ],
)
async def test_position_encoding_is_utf8_only_when_offered(client, expected):
    assert client.initialize_result.capabilities.position_encoding == expected
