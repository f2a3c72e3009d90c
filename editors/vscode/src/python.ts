// The Python extension (`ms-python.python`), through its public API: the environment it has
// selected for a folder, and the event fired when the user selects another. Only the few members
// used here are declared (the shapes are those of `@vscode/python-extension`, the API's published
// types; that package is not a dependency because it is only these declarations and a
// `getExtension` call, and it requires a newer VS Code than this extension supports).

import * as vscode from 'vscode';
import type { PythonEnvironment } from './binary';

export const PYTHON_EXTENSION_ID = 'ms-python.python';

interface EnvironmentPath {
    readonly id: string;
    /** The environment's folder or its interpreter. */
    readonly path: string;
}

interface ResolvedEnvironment extends EnvironmentPath {
    readonly executable: { readonly uri: vscode.Uri | undefined; readonly sysPrefix: string | undefined };
    readonly environment: { readonly folderUri: vscode.Uri } | undefined;
}

interface PythonExtensionApi {
    readonly environments: {
        getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
        resolveEnvironment(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
        readonly onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
    };
}

/** The API, activating the extension if it is not yet; `undefined` when it is not installed. */
async function pythonApi(): Promise<PythonExtensionApi | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
    if (extension === undefined) {
        return undefined;
    }
    const api = extension.isActive ? extension.exports : await extension.activate();
    return api?.environments === undefined ? undefined : api;
}

/**
 * The environment selected for `folder` (the whole window when undefined): `undefined` when
 * the Python extension is not installed. Errors are logged and count as no environment.
 */
export async function selectedPythonEnvironment(
    folder: vscode.WorkspaceFolder | undefined,
    log: (line: string) => void,
): Promise<PythonEnvironment | undefined> {
    try {
        const api = await pythonApi();
        if (api === undefined) {
            return undefined;
        }
        const active = api.environments.getActiveEnvironmentPath(folder);
        const resolved = await api.environments.resolveEnvironment(active);
        if (resolved === undefined) {
            log(`refhound: the Python extension could not resolve its selected environment (${active.path})`);
            // The path is the interpreter or the environment's folder: both are looked in.
            return { executable: active.path, folder: active.path };
        }
        return {
            executable: resolved.executable.uri?.fsPath,
            sysPrefix: resolved.executable.sysPrefix,
            folder: resolved.environment?.folderUri.fsPath,
        };
    } catch (error) {
        log(`refhound: asking the Python extension for its selected environment failed: ${String(error)}`);
        return undefined;
    }
}

/** Calls `listener` when the user selects another Python environment. */
export async function onPythonEnvironmentChange(
    listener: () => void,
    log: (line: string) => void,
): Promise<vscode.Disposable | undefined> {
    try {
        return (await pythonApi())?.environments.onDidChangeActiveEnvironmentPath(() => listener());
    } catch (error) {
        log(`refhound: watching the Python extension's selected environment failed: ${String(error)}`);
        return undefined;
    }
}
