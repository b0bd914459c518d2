/**
 * Whether provguard applies to a workspace, so a window that never uses it starts no server and shows no
 * message. The same signs as the CLI's project discovery: a provguard.toml, a .provguard ledger folder or a
 * pyproject.toml with [tool.provguard] in a workspace folder; `provguard.enable` overrides either way.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TOOL_TABLE = /^\s*\[\s*tool\s*\.\s*provguard\s*[\].]/m;

/** Why provguard applies (for the log), or undefined when it does not. */
export function whyItApplies(folders: readonly string[], enable: unknown): string | undefined {
  if (enable === false) {
    return undefined;
  }
  if (enable === true) {
    return 'provguard.enable is on';
  }
  for (const folder of folders) {
    for (const sign of ['provguard.toml', '.provguard']) {
      if (existsSync(join(folder, sign))) {
        return `${join(folder, sign)} exists`;
      }
    }
    const pyproject = join(folder, 'pyproject.toml');
    if (existsSync(pyproject) && TOOL_TABLE.test(readText(pyproject))) {
      return `${pyproject} has [tool.provguard]`;
    }
  }
  return undefined;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
