// Where the `refhound` executable is: the `refhound.path` setting (trusted workspaces only),
// then the one bundled in the extension's `bin/`, then `PATH`. No `vscode` import here: the
// file system and the environment come in through `Host`, so this is unit-tested under node.

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
}

export type Lookup =
    | {
          found: true;
          path: string;
          source: 'setting' | 'bundled' | 'PATH';
          /** Set when `refhound.path` was set but ignored (untrusted workspace). */
          note?: string;
      }
    | { found: false; message: string; note?: string };

export const INSTALL_HINT =
    'Install it with `pip install refhound` (into the environment VS Code is started from, ' +
    'so that it is on PATH), or set `refhound.path` to the executable.';

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

export function findBinary(request: LookupRequest, host: Host): Lookup {
    const p = pathModule(host.platform);
    const configured = request.configuredPath?.trim();
    let note: string | undefined;
    if (configured) {
        if (request.trusted) {
            const file = resolveConfiguredPath(configured, host, request.workspaceFolder);
            if (host.isExecutable(file)) {
                return { found: true, path: file, source: 'setting' };
            }
            return {
                found: false,
                message:
                    `refhound: \`refhound.path\` is set to "${configured}", but ${file} is not ` +
                    'an executable file. Fix the setting, or remove it to use the refhound ' +
                    'bundled with the extension or found on PATH.',
            };
        }
        note =
            `refhound.path ("${configured}") is ignored because the workspace is not trusted; ` +
            'looking for the bundled refhound, then PATH.';
    }
    const executable = host.platform === 'win32' ? 'refhound.exe' : 'refhound';
    const bundled = p.join(request.extensionPath, 'bin', executable);
    if (host.isExecutable(bundled)) {
        return { found: true, path: bundled, source: 'bundled', note };
    }
    const onPath = searchPath('refhound', host);
    if (onPath !== undefined) {
        return { found: true, path: onPath, source: 'PATH', note };
    }
    return {
        found: false,
        message: `refhound: the refhound executable was not found (not bundled in the extension, not on PATH). ${INSTALL_HINT}`,
        note,
    };
}
