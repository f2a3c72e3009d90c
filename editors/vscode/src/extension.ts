// The VS Code side: finds `refhound`, starts `refhound server` for Python documents, hands it
// the settings, and offers "refhound: Restart Server" and "refhound: Show Output".
//
// Nothing on the start path waits for the user: a notification is shown and its answer handled
// apart, so a restart (trust granted, a setting changed, another Python environment selected,
// the command) never queues behind a notification nobody has closed.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { findBinary, Host, Lookup } from './binary';
import { onPythonEnvironmentChange, selectedPythonEnvironment } from './python';
import { configurationAnswer, serverSettings } from './settings';

const SECTION = 'refhound';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
// Restarts are serialised: a second one waits for the first. Requests made while one is queued
// and not yet begun join it (trust granted also changes `refhound.path`'s effective value).
let pending: Promise<void> = Promise.resolve();
let queued = false;
// What the last restart looked up with: `refhound.path` and the trust it was read under.
let startedFor: string | undefined;

function lookupKey(): string {
    return JSON.stringify([vscode.workspace.getConfiguration(SECTION).get('path') ?? null, vscode.workspace.isTrusted]);
}

const nodeHost: Host = {
    platform: process.platform,
    env: process.env,
    homedir: os.homedir(),
    isExecutable(file: string): boolean {
        try {
            if (!fs.statSync(file).isFile()) {
                return false;
            }
            if (process.platform !== 'win32') {
                fs.accessSync(file, fs.constants.X_OK);
            }
            return true;
        } catch {
            return false;
        }
    },
};

export function activate(context: vscode.ExtensionContext): void {
    output = vscode.window.createOutputChannel('refhound');
    context.subscriptions.push(
        output,
        vscode.commands.registerCommand('refhound.restartServer', () => restart(context)),
        vscode.commands.registerCommand('refhound.showOutput', () => output?.show(true)),
        // Granting trust changes what the lookup may use, and also reports `refhound.path` as
        // changed: whichever event comes first restarts, once.
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration(`${SECTION}.path`) && lookupKey() !== startedFor) {
                void restart(context);
            }
        }),
        // `refhound.path` and the Python environment count only in a trusted workspace.
        vscode.workspace.onDidGrantWorkspaceTrust(() => {
            if (lookupKey() !== startedFor) {
                void restart(context);
            }
        }),
    );
    void restart(context);
    void onPythonEnvironmentChange(() => void restart(context), log).then((subscription) => {
        if (subscription !== undefined) {
            context.subscriptions.push(subscription);
        }
    });
}

function log(line: string): void {
    output?.appendLine(line);
}

export function deactivate(): Thenable<void> | undefined {
    return stop();
}

function restart(context: vscode.ExtensionContext): Promise<void> {
    if (queued) {
        return pending;
    }
    queued = true;
    pending = pending.then(async () => {
        queued = false;
        startedFor = lookupKey();
        await stop();
        await start(context);
    });
    return pending;
}

async function stop(): Promise<void> {
    const running = client;
    client = undefined;
    if (running === undefined) {
        return;
    }
    try {
        await running.stop();
    } catch (error) {
        output?.appendLine(`refhound: stopping the server failed: ${String(error)}`);
    }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
    const configuration = vscode.workspace.getConfiguration(SECTION);
    const configuredPath = configuration.get<string | null>('path');
    const trusted = vscode.workspace.isTrusted;
    const folder = vscode.workspace.workspaceFolders?.[0];
    // A trusted `refhound.path` wins: the Python extension need not be asked then.
    const pythonEnvironment =
        trusted && configuredPath?.trim() ? undefined : await selectedPythonEnvironment(folder, log);
    const lookup = findBinary(
        {
            configuredPath,
            trusted,
            extensionPath: context.extensionPath,
            workspaceFolder: folder?.uri.fsPath,
            pythonEnvironment,
        },
        nodeHost,
    );
    if (lookup.note !== undefined) {
        output?.appendLine(lookup.note);
    }
    if (!lookup.found) {
        output?.appendLine(lookup.message);
        notifyNotFound(lookup);
        return;
    }
    output?.appendLine(`refhound: starting ${lookup.path} server (from ${SOURCES[lookup.source]})`);

    // No `transport`: with one, vscode-languageclient appends `--stdio` to the arguments.
    const serverOptions: ServerOptions = { command: lookup.path, args: ['server'] };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [
            { scheme: 'file', language: 'python' },
            { scheme: 'untitled', language: 'python' },
            // The Python cells of Jupyter notebooks, synced to the server as notebooks
            // (`notebookDocumentSync`): all cells analysed as one module, findings per cell.
            { notebook: 'jupyter-notebook', language: 'python' },
        ],
        outputChannel: output,
        initializationOptions: serverSettings(vscode.workspace.getConfiguration().get(SECTION)),
        // Makes the client send `workspace/didChangeConfiguration` when a `refhound.*` setting
        // changes; the server then pulls the section again (answered below).
        synchronize: { configurationSection: SECTION },
        middleware: {
            workspace: {
                // The server asks for section `refhound`; the client answers with every
                // `refhound.*` setting. Keep the server's keys, and only those the user set.
                configuration: async (params, token, next) => {
                    const values = await next(params, token);
                    return Array.isArray(values) ? configurationAnswer(params.items, values) : values;
                },
                // The server pulls what it needs: send the notification without a payload.
                didChangeConfiguration: (_sections, next) => next(undefined),
            },
        },
    };
    const created = new LanguageClient(SECTION, 'refhound', serverOptions, clientOptions);
    client = created;
    try {
        await created.start();
    } catch (error) {
        const message = `refhound: could not start ${lookup.path} server: ${String(error)}`;
        output?.appendLine(message);
        void vscode.window.showErrorMessage(message);
    }
}

const SOURCES: Record<Extract<Lookup, { found: true }>['source'], string> = {
    setting: 'the refhound.path setting',
    python: 'the selected Python environment',
    bundled: 'the extension',
    PATH: 'PATH',
};

/**
 * Shows why no server was started, with the button that fixes it. Not awaited: the answer is
 * handled whenever the user gives one, and the start path goes on at once.
 */
function notifyNotFound(lookup: Extract<Lookup, { found: false }>): void {
    const actions: Record<string, () => Thenable<unknown> | void> =
        lookup.reason === 'untrusted'
            ? {
                  'Manage Workspace Trust': () => vscode.commands.executeCommand('workbench.trust.manage'),
                  'Show Output': () => output?.show(true),
              }
            : {
                  'Open Settings': () =>
                      vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.path`),
                  'Show Output': () => output?.show(true),
              };
    void vscode.window.showErrorMessage(lookup.message, ...Object.keys(actions)).then((choice) => {
        if (choice !== undefined) {
            void actions[choice]?.();
        }
    });
}
