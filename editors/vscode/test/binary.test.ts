import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
    findBinary,
    findInPythonEnvironment,
    Host,
    INSTALL_HINT,
    pythonScriptDirectories,
    resolveConfiguredPath,
    searchPath,
} from '../src/binary';

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
    assert.match(lookup.note ?? '', /`refhound\.path` \("\/opt\/rh\/refhound"\) is not used because the workspace is not trusted/);
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

// The selected Python environment (what the Python extension's API resolves), as a venv.
const venv = { executable: '/proj/.venv/bin/python', sysPrefix: '/proj/.venv', folder: '/proj/.venv' };

test('untrusted, refhound.path set, nothing else: the reason given is trust, not "not found"', () => {
    const host = posixHost(['/opt/rh/refhound']);
    const lookup = findBinary({ ...request, configuredPath: '/opt/rh/refhound', trusted: false }, host);
    assert.equal(lookup.found, false);
    assert.equal(!lookup.found && lookup.reason, 'untrusted');
    const message = !lookup.found ? lookup.message : '';
    assert.match(message, /this folder is not trusted \(Restricted Mode\), so `refhound\.path` \("\/opt\/rh\/refhound"\) is not used/);
    assert.match(message, /Trust the folder to start the server\.$/);
    assert.doesNotMatch(message, /not found/);
});

test('the selected Python environment comes after the setting and before the bundled one and PATH', () => {
    const host = posixHost(['/opt/rh/refhound', '/proj/.venv/bin/refhound', '/ext/bin/refhound', '/usr/bin/refhound']);
    assert.deepEqual(findBinary({ ...request, pythonEnvironment: venv }, host), {
        found: true,
        path: '/proj/.venv/bin/refhound',
        source: 'python',
    });
    assert.equal(
        findBinary({ ...request, configuredPath: '/opt/rh/refhound', pythonEnvironment: venv }, host).found &&
            'setting',
        'setting',
    );
    // No refhound in the environment: on to the bundled one, then PATH.
    const without = posixHost(['/proj/.venv/bin/python', '/usr/bin/refhound']);
    const lookup = findBinary({ ...request, pythonEnvironment: venv }, without);
    assert.equal(lookup.found && lookup.source, 'PATH');
});

test('untrusted: the Python environment is not used either, and the user is told why', () => {
    const host = posixHost(['/proj/.venv/bin/refhound', '/usr/bin/refhound']);
    const onPath = findBinary({ ...request, trusted: false, pythonEnvironment: venv }, host);
    assert.equal(onPath.found && onPath.path, '/usr/bin/refhound');
    assert.match(onPath.note ?? '', /the refhound of the selected Python environment \(\/proj\/\.venv\/bin\/refhound\) is not used because the workspace is not trusted/);
    const none = findBinary({ ...request, trusted: false, pythonEnvironment: venv }, posixHost(['/proj/.venv/bin/refhound']));
    assert.equal(!none.found && none.reason, 'untrusted');
    assert.match(!none.found ? none.message : '', /not trusted .* selected Python environment/);
});

test('the "not found" message names the Python environment only when there is one to look in', () => {
    const withPython = findBinary({ ...request, pythonEnvironment: venv }, posixHost([]));
    assert.match(!withPython.found ? withPython.message : '', /not in the selected Python environment, not bundled/);
    assert.equal(!withPython.found && withPython.reason, 'missing');
    const withoutPython = findBinary(request, posixHost([]));
    assert.doesNotMatch(!withoutPython.found ? withoutPython.message : '', /Python environment,/);
});

test('script directories of a Python environment: venv, base interpreter, conda, Windows', () => {
    assert.deepEqual(pythonScriptDirectories(venv, 'linux'), ['/proj/.venv/bin']);
    // A symlinked or base interpreter: its own directory, then the prefix's bin/.
    assert.deepEqual(pythonScriptDirectories({ executable: '/usr/bin/python3.12', sysPrefix: '/usr' }, 'linux'), ['/usr/bin']);
    assert.deepEqual(
        pythonScriptDirectories({ executable: '/opt/py/bin/python3', sysPrefix: '/opt/py-real' }, 'linux'),
        ['/opt/py/bin', '/opt/py-real/bin'],
    );
    // Windows: a venv's python.exe is in Scripts\; a base or conda one at the prefix's top.
    assert.deepEqual(
        pythonScriptDirectories({ executable: 'C:\\proj\\.venv\\Scripts\\python.exe', sysPrefix: 'C:\\proj\\.venv' }, 'win32'),
        ['C:\\proj\\.venv\\Scripts'],
    );
    assert.deepEqual(
        pythonScriptDirectories({ executable: 'C:\\conda\\envs\\x\\python.exe', sysPrefix: 'C:\\conda\\envs\\x' }, 'win32'),
        ['C:\\conda\\envs\\x', 'C:\\conda\\envs\\x\\Scripts'],
    );
    // Only a folder known (the extension could not resolve the environment).
    assert.deepEqual(pythonScriptDirectories({ folder: '/envs/x' }, 'linux'), ['/envs/x/bin']);
    // Nothing selected: the bare name is no place to look in.
    assert.deepEqual(pythonScriptDirectories({ executable: 'python', folder: 'python' }, 'linux'), []);
});

test('the environment\'s refhound is found in its scripts directory', () => {
    const host = posixHost(['/opt/py-real/bin/refhound']);
    assert.equal(
        findInPythonEnvironment({ executable: '/opt/py/bin/python3', sysPrefix: '/opt/py-real' }, host),
        '/opt/py-real/bin/refhound',
    );
    assert.equal(findInPythonEnvironment(venv, host), undefined);
});
