// Where the `refhound` executable is: the `refhound.path` setting, then the Python environment
// the Python extension has selected (both in trusted workspaces only), then the one bundled in
// the extension's `bin/`, then `PATH`. No `vscode` import here: the file system, the environment
// and the selected Python environment come in as plain values, so this is unit-tested under node.

import * as path from 'node:path';

export interface Host {
    /** `process.platform`: decides path syntax, the `.exe` suffix and `PATHEXT`. */
    platform: string;
    /** The environment: `PATH` (`Path` on Windows) and `PATHEXT`. */
    env: Record<string, string | undefined>;
    homedir: string;
    /** Whether `file` is a file that can be executed (on Windows: exists). */
    isExecutable(file: string): boolean;
}

export interface LookupRequest {
    /** The `refhound.path` setting; `null`, `undefined` or blank when unset. */
    configuredPath: string | null | undefined;
    /** `workspace.isTrusted`: the setting is used only then. */
    trusted: boolean;
    /** The extension's install directory (`context.extensionPath`). */
    extensionPath: string;
    /** The first workspace folder, against which a relative `refhound.path` is resolved. */
    workspaceFolder?: string;
    /** The Python environment the Python extension has selected, when it is installed. */
    pythonEnvironment?: PythonEnvironment;
}

/**
 * What the Python extension says of its selected environment (`environments.resolveEnvironment`
 * of `getActiveEnvironmentPath`): file system paths, each possibly unknown.
 */
export interface PythonEnvironment {
    /** The interpreter (`executable.uri`), e.g. `/proj/.venv/bin/python`. */
    executable?: string;
    /** `sys.prefix` (`executable.sysPrefix`). */
    sysPrefix?: string;
    /** The environment's folder (`environment.folderUri`), for virtual and conda environments. */
    folder?: string;
}

/** Why no executable was started, for the notification and its buttons. */
export type NotFoundReason =
    /** `refhound.path` names no executable. */
    | 'bad-setting'
    /** One was there (`refhound.path`, the Python environment) but the workspace is not trusted. */
    | 'untrusted'
    /** None anywhere. */
    | 'missing';

export type Lookup =
    | {
          found: true;
          path: string;
          source: 'setting' | 'python' | 'bundled' | 'PATH';
          /** Set when `refhound.path` or the Python environment was skipped (untrusted workspace). */
          note?: string;
      }
    | { found: false; reason: NotFoundReason; message: string; note?: string };

export const INSTALL_HINT =
    'Install it with `pip install refhound` into the Python environment selected in VS Code ' +
    '(Python: Select Interpreter), or set `refhound.path` to the executable.';

function pathModule(platform: string): path.PlatformPath {
    return platform === 'win32' ? path.win32 : path.posix;
}

/** `~` and `~/...` expanded; a relative path taken from the workspace folder. */
export function resolveConfiguredPath(
    configured: string,
    host: Host,
    workspaceFolder: string | undefined,
): string {
    const p = pathModule(host.platform);
    let file = configured.trim();
    if (file === '~') {
        file = host.homedir;
    } else if (file.startsWith('~/') || (host.platform === 'win32' && file.startsWith('~\\'))) {
        file = p.join(host.homedir, file.slice(2));
    }
    if (!p.isAbsolute(file) && workspaceFolder !== undefined) {
        file = p.join(workspaceFolder, file);
    }
    return file;
}

/** `name` in the directories of `PATH`, with the extensions of `PATHEXT` on Windows. */
export function searchPath(name: string, host: Host): string | undefined {
    const p = pathModule(host.platform);
    const windows = host.platform === 'win32';
    const pathVariable = windows ? (host.env.PATH ?? host.env.Path ?? host.env.path) : host.env.PATH;
    if (!pathVariable) {
        return undefined;
    }
    const suffixes = windows
        ? (host.env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD')
              .split(';')
              .filter((ext) => ext !== '')
              .map((ext) => ext.toLowerCase())
        : [''];
    for (const directory of pathVariable.split(p.delimiter)) {
        // An empty entry means the current directory: not a place to run a linter from.
        if (directory === '') {
            continue;
        }
        for (const suffix of suffixes) {
            const candidate = p.join(windows ? directory.replace(/^"(.*)"$/, '$1') : directory, name + suffix);
            if (host.isExecutable(candidate)) {
                return candidate;
            }
        }
    }
    return undefined;
}

/**
 * Where `pip install refhound` puts the executable in a Python environment: the directory of its
 * interpreter (a virtual environment's `bin/`, or `Scripts\` on Windows), then the scripts
 * directory of `sys.prefix` and of the environment folder (`bin/`; `Scripts\` on Windows, where
 * a base or conda interpreter sits at the prefix's top). Existing or not; relative paths and
 * duplicates dropped.
 */
export function pythonScriptDirectories(environment: PythonEnvironment, platform: string): string[] {
    const p = pathModule(platform);
    const scripts = platform === 'win32' ? 'Scripts' : 'bin';
    const directories: string[] = [];
    if (environment.executable) {
        directories.push(p.dirname(environment.executable));
    }
    for (const prefix of [environment.sysPrefix, environment.folder]) {
        if (prefix) {
            directories.push(p.join(prefix, scripts));
        }
    }
    const seen = new Set<string>();
    // A bare `python` (nothing selected) names no directory: never look relative to the cwd.
    return directories.filter((directory) => {
        if (!p.isAbsolute(directory)) {
            return false;
        }
        const key = platform === 'win32' ? directory.toLowerCase() : directory;
        if (seen.has(key)) {
            return false;
        }
        seen.add(key);
        return true;
    });
}

/** `refhound` in the selected Python environment, if it is there. */
export function findInPythonEnvironment(environment: PythonEnvironment, host: Host): string | undefined {
    const p = pathModule(host.platform);
    const executable = host.platform === 'win32' ? 'refhound.exe' : 'refhound';
    for (const directory of pythonScriptDirectories(environment, host.platform)) {
        const candidate = p.join(directory, executable);
        if (host.isExecutable(candidate)) {
            return candidate;
        }
    }
    return undefined;
}

/**
 * The search, in order: `refhound.path`, the selected Python environment, the bundled `bin/`,
 * `PATH`. The first two are skipped in an untrusted workspace (a setting or an environment of
 * the workspace could name any program); when one of them would have given an executable and
 * nothing else does, the answer says that trust is what is missing.
 */
export function findBinary(request: LookupRequest, host: Host): Lookup {
    const p = pathModule(host.platform);
    const configured = request.configuredPath?.trim();
    const skipped: string[] = [];
    if (configured) {
        const file = resolveConfiguredPath(configured, host, request.workspaceFolder);
        if (request.trusted) {
            if (host.isExecutable(file)) {
                return { found: true, path: file, source: 'setting' };
            }
            return {
                found: false,
                reason: 'bad-setting',
                message:
                    `refhound: \`refhound.path\` is set to "${configured}", but ${file} is not ` +
                    'an executable file. Fix the setting, or remove it to use the refhound of ' +
                    'the selected Python environment, the bundled one or the one on PATH.',
            };
        }
        skipped.push(`\`refhound.path\` ("${configured}")`);
    }
    if (request.pythonEnvironment !== undefined) {
        const inEnvironment = findInPythonEnvironment(request.pythonEnvironment, host);
        if (inEnvironment !== undefined) {
            if (request.trusted) {
                return { found: true, path: inEnvironment, source: 'python' };
            }
            skipped.push(`the refhound of the selected Python environment (${inEnvironment})`);
        }
    }
    const note =
        skipped.length > 0
            ? `${skipped.join(' and ')} ${skipped.length > 1 ? 'are' : 'is'} not used because the workspace ` +
              'is not trusted; looking for the bundled refhound, then PATH.'
            : undefined;
    const executable = host.platform === 'win32' ? 'refhound.exe' : 'refhound';
    const bundled = p.join(request.extensionPath, 'bin', executable);
    if (host.isExecutable(bundled)) {
        return { found: true, path: bundled, source: 'bundled', note };
    }
    const onPath = searchPath('refhound', host);
    if (onPath !== undefined) {
        return { found: true, path: onPath, source: 'PATH', note };
    }
    if (skipped.length > 0) {
        return {
            found: false,
            reason: 'untrusted',
            message:
                `refhound: this folder is not trusted (Restricted Mode), so ${skipped.join(' and ')} ` +
                `${skipped.length > 1 ? 'are' : 'is'} not used, and no other refhound executable was ` +
                'found (none bundled, none on PATH). Trust the folder to start the server.',
            note,
        };
    }
    const searched = [
        ...(request.pythonEnvironment !== undefined ? ['not in the selected Python environment'] : []),
        'not bundled in the extension',
        'not on PATH',
    ];
    return {
        found: false,
        reason: 'missing',
        message: `refhound: the refhound executable was not found (${searched.join(', ')}). ${INSTALL_HINT}`,
        note,
    };
}
