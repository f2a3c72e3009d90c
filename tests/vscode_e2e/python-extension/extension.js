// A stand-in for the Python extension (ms-python.python) in the VS Code end-to-end test: the
// real one is on the Open VSX and Microsoft marketplaces, which the tests cannot reach. It
// exports the part of the public `environments` API that refhound's extension uses, with the
// shapes of `@vscode/python-extension`: the selected environment is the interpreter named by
// `python.defaultInterpreterPath` (a virtual environment's bin/python), and changing that
// setting fires `onDidChangeActiveEnvironmentPath`, as selecting an interpreter does.
'use strict';
const path = require('node:path');
const vscode = require('vscode');

function activate(context) {
    const changed = new vscode.EventEmitter();
    const active = () => {
        const interpreter = vscode.workspace.getConfiguration('python').get('defaultInterpreterPath') || 'python';
        return { id: interpreter, path: interpreter };
    };
    context.subscriptions.push(
        changed,
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration('python.defaultInterpreterPath')) {
                changed.fire({ ...active(), resource: undefined });
            }
        }),
    );
    return {
        ready: Promise.resolve(),
        environments: {
            getActiveEnvironmentPath: () => active(),
            // A bare `python` (nothing selected) cannot be resolved here: undefined, as the real
            // API answers for an environment it does not know.
            resolveEnvironment: async (environment) => {
                const interpreter = typeof environment === 'string' ? environment : environment.path;
                if (!path.isAbsolute(interpreter)) {
                    return undefined;
                }
                const prefix = path.dirname(path.dirname(interpreter));
                return {
                    id: interpreter,
                    path: interpreter,
                    executable: { uri: vscode.Uri.file(interpreter), bitness: '64-bit', sysPrefix: prefix },
                    environment: {
                        type: 'VirtualEnvironment',
                        name: path.basename(prefix),
                        folderUri: vscode.Uri.file(prefix),
                        workspaceFolder: undefined,
                    },
                    version: undefined,
                    tools: ['Venv'],
                };
            },
            onDidChangeActiveEnvironmentPath: changed.event,
        },
    };
}

module.exports = { activate, deactivate() {} };
