/** Whether a command can be run, checked before starting the server so a missing one gets a clear message. */

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Undefined when `command` names an executable file (directly or on PATH), otherwise why not. */
export function missingExecutable(command: string, path: string | undefined = process.env.PATH): string | undefined {
  const candidates =
    isAbsolute(command) || command.includes('/')
      ? [command]
      : (path ?? '').split(delimiter).filter((dir) => dir !== '').map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return undefined;
      }
    } catch {
      // not here, or not executable: try the next
    }
  }
  return candidates.length === 1 && candidates[0] === command ? `${command} does not exist or is not executable` : `${command} is not on PATH`;
}
