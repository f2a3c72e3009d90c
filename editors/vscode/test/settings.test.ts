import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { configurationAnswer, SERVER_KEYS, serverSettings } from '../src/settings';

// What `workspace.getConfiguration().get('refhound')` gives when nothing is set: every
// contributed setting at its default.
const untouched = {
    path: null,
    select: null,
    ignore: null,
    severity: null,
    targetVersion: null,
    largeConstructors: null,
    registrationNames: null,
    unregistrationNames: null,
    lruCacheMaxsize: null,
    strict: null,
    trace: { server: 'off' },
};

test('nothing set: the server gets no settings, so the project files decide', () => {
    assert.deepEqual(serverSettings(untouched), {});
});

test('set values reach the server under the keys it reads', () => {
    const section = {
        ...untouched,
        path: '/opt/refhound/bin/refhound',
        select: ['RH101', 'cached-instance-method'],
        ignore: ['RH601'],
        severity: { RH302: 'error', RH501: 'hint' },
        targetVersion: 'py38',
        largeConstructors: ['mylib.load_frame'],
        registrationNames: ['watch'],
        unregistrationNames: ['unwatch'],
        lruCacheMaxsize: 256,
        trace: { server: 'verbose' },
    };
    assert.deepEqual(serverSettings(section), {
        select: ['RH101', 'cached-instance-method'],
        ignore: ['RH601'],
        severity: { RH302: 'error', RH501: 'hint' },
        targetVersion: 'py38',
        largeConstructors: ['mylib.load_frame'],
        registrationNames: ['watch'],
        unregistrationNames: ['unwatch'],
        lruCacheMaxsize: 256,
    });
});

test("the extension's own settings never reach the server", () => {
    const settings = serverSettings({ path: 'refhound', trace: { server: 'messages' }, other: 1 });
    assert.deepEqual(Object.keys(settings), []);
});

test('an explicitly empty list is kept (the user chose it); an empty severity table is not', () => {
    assert.deepEqual(serverSettings({ ignore: [], severity: {} }), { ignore: [] });
});

test('bad values are passed on for the server to report', () => {
    assert.deepEqual(serverSettings({ targetVersion: 'python2', lruCacheMaxsize: 0 }), {
        targetVersion: 'python2',
        lruCacheMaxsize: 0,
    });
});

test('a section that is not an object gives no settings', () => {
    for (const section of [undefined, null, 'refhound', 3, ['select']]) {
        assert.deepEqual(serverSettings(section), {});
    }
});

test('workspace/configuration: only section refhound is rewritten', () => {
    const answer = configurationAnswer(
        [{ section: 'refhound' }, { section: 'python' }, {}],
        [{ ...untouched, ignore: ['RH302'] }, { analysis: { x: 1 } }, { everything: true }],
    );
    assert.deepEqual(answer, [{ ignore: ['RH302'] }, { analysis: { x: 1 } }, { everything: true }]);
});

test('package.json contributes a setting for every server key, and those are unset by default', () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    const properties: Record<string, { default?: unknown; scope?: string }> = manifest.contributes.configuration.properties;
    const names = Object.keys(properties).map((name) => name.replace(/^refhound\./, ''));
    assert.deepEqual(names.filter((n) => n !== 'path' && n !== 'trace.server').sort(), [...SERVER_KEYS].sort());
    for (const key of SERVER_KEYS) {
        assert.equal(properties[`refhound.${key}`].default, null, `refhound.${key} must default to null`);
    }
    assert.equal(properties['refhound.path'].scope, 'machine-overridable');
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['refhound.path']);
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    const commands = manifest.contributes.commands.map((c: { command: string; category: string; title: string }) => `${c.command}=${c.category}: ${c.title}`);
    assert.deepEqual(commands, ['refhound.restartServer=refhound: Restart Server', 'refhound.showOutput=refhound: Show Output']);
});
