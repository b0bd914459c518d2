/**
 * The settings passed to the server (initializationOptions and workspace/didChangeConfiguration).
 *
 * Only settings the person actually set are sent: the server lets explicit editor settings override the
 * project's own configuration (provguard.toml, pyproject.toml), so sending package.json defaults would
 * silently override a project's choice of packs.
 */

/** Server settings, by their names under `provguard.` (the server accepts camelCase). */
export const SERVER_SETTINGS = ['packs', 'severity', 'ledger', 'bulkInsertChars', 'aiTools', 'reviewer'] as const;

export interface Inspected {
  readonly globalValue?: unknown;
  readonly workspaceValue?: unknown;
  readonly workspaceFolderValue?: unknown;
}

export interface SettingsSource {
  inspect(key: string): Inspected | undefined;
}

export function serverSettings(source: SettingsSource): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SERVER_SETTINGS) {
    const found = source.inspect(key);
    const value = found?.workspaceFolderValue ?? found?.workspaceValue ?? found?.globalValue;
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) {
      continue; // unset, or cleared to the empty default: the server's default applies
    }
    out[key] = value;
  }
  return out;
}
