// The settings contract with the real `refhound server` (REFHOUND_BIN, else target/release), over stdio as the
// extension drives it: initializationOptions from serverSettings, and `workspace/configuration`
// answered as the extension's middleware answers it. VS Code itself is not run here.
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { configurationAnswer, SERVER_KEYS, serverSettings } from '../src/settings';

const BIN = process.env.REFHOUND_BIN ?? path.resolve(__dirname, '../../../../target/release/refhound');
const DEMO = path.resolve(__dirname, '../../../../tests/demo/leaky_service/reports.py');

interface Diagnostic {
    code?: string;
    severity?: number;
}

// What VS Code gives for the `refhound` section: the extension's settings and unset ones too.
const vscodeSection = {
    path: '/somewhere/refhound',
    trace: { server: 'verbose' },
    select: null,
    ignore: ['RH102'],
    severity: { RH302: 'error' },
    targetVersion: null,
    largeConstructors: null,
    registrationNames: null,
    unregistrationNames: null,
    lruCacheMaxsize: null,
    strict: null,
};

async function session(answer: (section: unknown) => unknown) {
    assert.ok(BIN, 'REFHOUND_BIN must name the refhound executable');
    const child: ChildProcess = spawn(BIN, ['server'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const connection: MessageConnection = createMessageConnection(
        new StreamMessageReader(child.stdout!),
        new StreamMessageWriter(child.stdin!),
    );
    const messages: string[] = [];
    const published: Diagnostic[][] = [];
    let waiting: (() => void) | undefined;
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) =>
        configurationAnswer(params.items, params.items.map((item) => (item.section === 'refhound' ? answer(vscodeSection) : null))),
    );
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onNotification('window/showMessage', (params: { message: string }) => messages.push(params.message));
    connection.onNotification('textDocument/publishDiagnostics', (params: { diagnostics: Diagnostic[] }) => {
        published.push(params.diagnostics);
        waiting?.();
    });
    connection.listen();
    const uri = pathToFileURL(DEMO).href;
    await connection.sendRequest('initialize', {
        processId: process.pid,
        rootUri: null,
        workspaceFolders: null,
        capabilities: { workspace: { configuration: true }, textDocument: { publishDiagnostics: {} } },
        initializationOptions: serverSettings(vscodeSection),
    });
    await connection.sendNotification('initialized', {});
    await connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'python', version: 1, text: fs.readFileSync(DEMO, 'utf8') },
    });
    return {
        messages,
        published,
        /** Waits (10 s at most) until a publication satisfies `done`; returns the last one. */
        async until(done: (diagnostics: Diagnostic[]) => boolean): Promise<Diagnostic[] | undefined> {
            const deadline = Date.now() + 10_000;
            while (!published.some(done) && Date.now() < deadline) {
                await new Promise<void>((resolve) => {
                    const timer = setTimeout(resolve, 200);
                    waiting = () => {
                        clearTimeout(timer);
                        resolve();
                    };
                });
            }
            return published.find(done) ?? published.at(-1);
        },
        async close() {
            await connection.sendRequest('shutdown');
            await connection.sendNotification('exit');
            connection.dispose();
            child.kill();
        },
    };
}

const codes = (diagnostics: Diagnostic[] | undefined) => (diagnostics ?? []).map((d) => d.code).sort();

test('the settings as the extension sends them take effect, and the server finds nothing wrong in them', async () => {
    const s = await session((section) => section);
    const applied = (d: Diagnostic[]) =>
        d.some((x) => x.code === 'RH302' && x.severity === 1) && !d.some((x) => x.code === 'RH102');
    const last = await s.until(applied);
    await s.close();
    assert.ok(last && applied(last), `RH302 as an error and no RH102 expected, got ${JSON.stringify(last)}`);
    assert.deepEqual(codes(last), ['RH302']);
    assert.deepEqual(s.messages, []);
});

test('control: the section unfiltered (as vscode-languageclient answers by default) makes the server complain about "path"', async () => {
    const messages = await rawSession();
    const complaint = messages.find((m) => m.includes('unknown key "path"'));
    assert.ok(complaint, `a message about "path" expected, got ${JSON.stringify(messages)}`);
    // The message lists the keys the server knows: the extension forwards exactly those.
    const known = /expected one of: ([^)]*)\)/.exec(complaint)?.[1]?.split(', ') ?? [];
    const camel = known.map((key) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    assert.deepEqual([...camel].sort(), [...SERVER_KEYS].sort());
});

// The server shows one message per problem, in key order: waits for the one about "path" (or
// five seconds), not merely the first, so that the answer does not depend on timing.
async function rawSession(): Promise<string[]> {
    assert.ok(BIN);
    const child = spawn(BIN, ['server'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const messages: string[] = [];
    let shown: (() => void) | undefined;
    connection.onRequest('workspace/configuration', () => [vscodeSection]);
    connection.onRequest('client/registerCapability', () => null);
    connection.onNotification('window/showMessage', (params: { message: string }) => {
        messages.push(params.message);
        if (params.message.includes('unknown key "path"')) {
            shown?.();
        }
    });
    connection.listen();
    await connection.sendRequest('initialize', {
        processId: process.pid,
        rootUri: null,
        workspaceFolders: null,
        capabilities: { workspace: { configuration: true } },
    });
    await connection.sendNotification('initialized', {});
    await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        shown = () => {
            clearTimeout(timer);
            resolve();
        };
    });
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    connection.dispose();
    child.kill();
    return messages;
}
