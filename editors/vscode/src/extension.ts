// The VS Code side: finds `refhound`, starts `refhound server` for Python documents, hands it
// the settings, and offers "refhound: Restart Server" and "refhound: Show Output".

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { findBinary, Host } from './binary';
import { configurationAnswer, serverSettings } from './settings';

const SECTION = 'refhound';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
// Restarts are serialised: a second one waits for the first.
let pending: Promise<void> = Promise.resolve();

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
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration(`${SECTION}.path`)) {
                void restart(context);
            }
        }),
        // `refhound.path` counts only in a trusted workspace.
        vscode.workspace.onDidGrantWorkspaceTrust(() => void restart(context)),
    );
    void restart(context);
}

export function deactivate(): Thenable<void> | undefined {
    return stop();
}

function restart(context: vscode.ExtensionContext): Promise<void> {
    pending = pending.then(async () => {
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
    const lookup = findBinary(
        {
            configuredPath: configuration.get<string | null>('path'),
            trusted: vscode.workspace.isTrusted,
            extensionPath: context.extensionPath,
            workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
        },
        nodeHost,
    );
    if (lookup.note !== undefined) {
        output?.appendLine(lookup.note);
    }
    if (!lookup.found) {
        output?.appendLine(lookup.message);
        const choice = await vscode.window.showErrorMessage(lookup.message, 'Open Settings', 'Show Output');
        if (choice === 'Open Settings') {
            await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.path`);
        } else if (choice === 'Show Output') {
            output?.show(true);
        }
        return;
    }
    output?.appendLine(`refhound: starting ${lookup.path} server (from ${lookup.source})`);

    // No `transport`: with one, vscode-languageclient appends `--stdio` to the arguments.
    const serverOptions: ServerOptions = { command: lookup.path, args: ['server'] };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [
            { scheme: 'file', language: 'python' },
            { scheme: 'untitled', language: 'python' },
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
