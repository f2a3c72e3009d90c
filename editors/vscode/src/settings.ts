// The extension's settings (`refhound.*`) as the language server reads them. No `vscode`
// import here: unit-tested under plain node.

/**
 * The `refhound.*` settings the server understands, in the camelCase it accepts. The others
 * (`path`, `trace.server`) belong to the extension: the server would report them as unknown
 * keys.
 */
export const SERVER_KEYS = [
    'select',
    'ignore',
    'severity',
    'targetVersion',
    'largeConstructors',
    'registrationNames',
    'unregistrationNames',
    'lruCacheMaxsize',
    'strict',
    'inlayHints',
    'baseline',
] as const;

export type ServerKey = (typeof SERVER_KEYS)[number];
export type ServerSettings = Partial<Record<ServerKey, unknown>>;

/**
 * `section` is the `refhound` section as VS Code gives it (`workspace.getConfiguration()
 * .get('refhound')`): every setting, the extension's own and unset ones (`null`) included.
 * Returns what the server should see: only its keys, and only those the user set. An unset
 * setting must not reach the server, because the editor's settings override the project's
 * `pyproject.toml` / `refhound.toml`: `ignore: []` would undo the file's `ignore`. Values are
 * passed as they are; the server checks them and shows what is wrong.
 */
export function serverSettings(section: unknown): ServerSettings {
    const result: ServerSettings = {};
    if (section === null || typeof section !== 'object' || Array.isArray(section)) {
        return result;
    }
    const values = section as Record<string, unknown>;
    for (const key of SERVER_KEYS) {
        const value = values[key];
        if (value === undefined || value === null) {
            continue;
        }
        // An empty severity table overrides nothing: leave the file's in force.
        if (
            key === 'severity' &&
            typeof value === 'object' &&
            !Array.isArray(value) &&
            Object.keys(value).length === 0
        ) {
            continue;
        }
        result[key] = value;
    }
    return result;
}

/**
 * The answer to a `workspace/configuration` request, given what the client computed for each
 * item: items for section `refhound` get the server's view of it; others pass unchanged.
 */
export function configurationAnswer(
    items: ReadonlyArray<{ section?: string | null }>,
    values: readonly unknown[],
): unknown[] {
    return values.map((value, index) =>
        items[index]?.section === 'refhound' ? serverSettings(value) : value,
    );
}
