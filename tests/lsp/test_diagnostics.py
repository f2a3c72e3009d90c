"""Pushed diagnostics (a client without the `textDocument.diagnostic` capability): the demo
service opened file by file gets, for each document version, exactly the findings
`refhound check --format json` prints for the same file, as LSP diagnostics."""

import re

from conftest import ALL_RULES, DEMO, ROOT, comparable, expected_diagnostics
from lsprotocol import types


def rules_by_module() -> dict[str, set[str]]:
    """The module → rules table of tests/demo/README.md."""
    table = {}
    readme = (ROOT / "tests" / "demo" / "README.md").read_text(encoding="utf-8")
    for module, rules in re.findall(
        r"^\| `(\w+\.py)` \|.*\| ([RH0-9, ]+) \|$", readme, re.MULTILINE
    ):
        table[module] = {code.strip() for code in rules.split(",")}
    assert table, "tests/demo/README.md has no module table"
    return table


async def test_demo_gets_the_cli_findings_with_versions(client, demo_findings):
    files = sorted(DEMO.glob("*.py"))
    assert len(files) == 6
    uris = {}
    # Distinct versions per file, so a server that reports a constant version is caught.
    for version, path in enumerate(files, start=3):
        uris[path] = (client.open(path, version=version), version)

    seen_codes = []
    for path, (uri, version) in uris.items():
        diagnostics = await client.diagnostics_for(uri, version)
        for d in diagnostics:
            assert d.source == "refhound"
            assert isinstance(d.code, str) and re.fullmatch(r"RH\d{3}", d.code), d.code
        text = path.read_text(encoding="utf-8")
        want = expected_diagnostics(text, demo_findings.get(path, []), client.encoding, uri)
        assert comparable(diagnostics) == want, path.name
        seen_codes += [d.code for d in diagnostics]

    # Every rule of the catalog exactly once across the demo.
    assert sorted(seen_codes) == sorted(ALL_RULES)


async def test_each_demo_module_shows_the_rules_its_readme_names(client):
    table = rules_by_module()
    assert set().union(*table.values()) == ALL_RULES
    for module, rules in table.items():
        uri = client.open(DEMO / module)
        codes = {d.code for d in await client.diagnostics_for(uri, 1)}
        assert codes == rules, module


async def test_a_clean_module_gets_an_empty_publish(client):
    uri = client.open(DEMO / "__init__.py", version=9)
    assert await client.diagnostics_for(uri, 9) == []


async def test_closing_a_document_clears_its_diagnostics(client, tmp_path):
    # A document with no file on disk: nothing takes over when it closes. (A file on disk in
    # the project, which the server scans even for a client naming no workspace, gets the
    # findings of its text on disk instead.)
    uri = client.open(tmp_path / "debug.py", text=(DEMO / "debug.py").read_text(encoding="utf-8"))
    assert [d.code for d in await client.diagnostics_for(uri, 1)] == ["RH601"]
    client.close(uri)
    cleared = await client.publish(uri, None)
    assert list(cleared.diagnostics) == []
    assert list(client.diagnostics[uri]) == []


async def test_severity_follows_the_rule_default(client):
    uri = client.open(DEMO / "events.py")
    severities = {d.code: d.severity for d in await client.diagnostics_for(uri, 1)}
    # RH301 cannot see how many keys there will be: information by default.
    assert severities["RH301"] == types.DiagnosticSeverity.Information
    assert severities["RH101"] == types.DiagnosticSeverity.Warning
