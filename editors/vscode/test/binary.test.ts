import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findBinary, Host, INSTALL_HINT, resolveConfiguredPath, searchPath } from '../src/binary';

function posixHost(executables: string[], PATH = '/usr/local/bin:/usr/bin'): Host {
    const set = new Set(executables);
    return { platform: 'linux', env: { PATH }, homedir: '/home/ana', isExecutable: (f) => set.has(f) };
}

const request = { configuredPath: null, trusted: true, extensionPath: '/ext', workspaceFolder: '/proj' };

test('the setting wins when the workspace is trusted', () => {
    const host = posixHost(['/opt/rh/refhound', '/ext/bin/refhound', '/usr/bin/refhound']);
    assert.deepEqual(findBinary({ ...request, configuredPath: '/opt/rh/refhound' }, host), {
        found: true,
        path: '/opt/rh/refhound',
        source: 'setting',
    });
});

test('in an untrusted workspace the setting is ignored, and the user is told', () => {
    const host = posixHost(['/opt/rh/refhound', '/ext/bin/refhound']);
    const lookup = findBinary({ ...request, configuredPath: '/opt/rh/refhound', trusted: false }, host);
    assert.equal(lookup.found, true);
    assert.equal(lookup.found && lookup.path, '/ext/bin/refhound');
    assert.equal(lookup.found && lookup.source, 'bundled');
    assert.match(lookup.note ?? '', /ignored because the workspace is not trusted/);
});

test('a setting that names no executable is an error naming the setting, not a silent fallback', () => {
    const host = posixHost(['/ext/bin/refhound']);
    const lookup = findBinary({ ...request, configuredPath: '.venv/bin/refhound' }, host);
    assert.equal(lookup.found, false);
    assert.match(!lookup.found ? lookup.message : '', /`refhound\.path`.*\/proj\/\.venv\/bin\/refhound is not an executable/);
});

test('blank setting: bundled binary first, then PATH', () => {
    assert.deepEqual(findBinary({ ...request, configuredPath: '  ' }, posixHost(['/ext/bin/refhound', '/usr/bin/refhound'])), {
        found: true,
        path: '/ext/bin/refhound',
        source: 'bundled',
        note: undefined,
    });
    assert.deepEqual(findBinary(request, posixHost(['/usr/bin/refhound', '/usr/local/bin/x'])), {
        found: true,
        path: '/usr/bin/refhound',
        source: 'PATH',
        note: undefined,
    });
});

test('nothing found: the message says how to install it or where to set it', () => {
    const lookup = findBinary(request, posixHost([]));
    assert.equal(lookup.found, false);
    const message = !lookup.found ? lookup.message : '';
    assert.ok(message.includes('pip install refhound'), message);
    assert.ok(message.includes('refhound.path'), message);
    assert.ok(message.endsWith(INSTALL_HINT));
});

test('PATH is searched in order, skipping empty entries (the current directory)', () => {
    const host = posixHost(['refhound', '/b/refhound', '/c/refhound'], ':/a:/b:/c');
    assert.equal(searchPath('refhound', host), '/b/refhound');
    assert.equal(searchPath('refhound', posixHost(['/b/refhound'], '')), undefined);
});

test('~ and relative settings are resolved', () => {
    const host = posixHost([]);
    assert.equal(resolveConfiguredPath('~/.local/bin/refhound', host, '/proj'), '/home/ana/.local/bin/refhound');
    assert.equal(resolveConfiguredPath('venv/bin/refhound', host, '/proj'), '/proj/venv/bin/refhound');
    assert.equal(resolveConfiguredPath('venv/bin/refhound', host, undefined), 'venv/bin/refhound');
    assert.equal(resolveConfiguredPath('/abs/refhound', host, '/proj'), '/abs/refhound');
});

test('Windows: bin\\refhound.exe is bundled; PATH (or Path) with PATHEXT', () => {
    const files = new Set(['C:\\ext\\bin\\refhound.exe', 'C:\\Py\\Scripts\\refhound.EXE'.toLowerCase()]);
    const host: Host = {
        platform: 'win32',
        env: { Path: 'C:\\Windows;"C:\\Py\\Scripts"', PATHEXT: '.COM;.EXE' },
        homedir: 'C:\\Users\\ana',
        isExecutable: (f) => files.has(f) || files.has(f.toLowerCase()),
    };
    assert.deepEqual(findBinary({ ...request, extensionPath: 'C:\\ext', workspaceFolder: 'C:\\proj' }, host), {
        found: true,
        path: 'C:\\ext\\bin\\refhound.exe',
        source: 'bundled',
        note: undefined,
    });
    assert.equal(searchPath('refhound', host)?.toLowerCase(), 'c:\\py\\scripts\\refhound.exe');
    assert.equal(
        resolveConfiguredPath('.venv\\Scripts\\refhound.exe', host, 'C:\\proj'),
        'C:\\proj\\.venv\\Scripts\\refhound.exe',
    );
});
