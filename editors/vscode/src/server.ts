/** How the language server is started, from the settings, and what to tell a person when it cannot be. */

export interface ServerCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** The setting that chose it, for messages. */
  readonly from: 'provguard.server.command' | 'provguard.server.pythonPath' | 'PATH';
}

export type Resolved = { readonly ok: true; readonly server: ServerCommand } | { readonly ok: false; readonly problem: string };

export function resolveServer(command: unknown, pythonPath: unknown): Resolved {
  if (Array.isArray(command) && command.length > 0) {
    if (!command.every((part): part is string => typeof part === 'string' && part.length > 0)) {
      return { ok: false, problem: 'provguard.server.command must be a list of non-empty strings' };
    }
    const [first, ...rest] = command;
    return { ok: true, server: { command: first, args: rest, from: 'provguard.server.command' } };
  }
  if (typeof pythonPath === 'string' && pythonPath.trim() !== '') {
    return {
      ok: true,
      server: { command: pythonPath.trim(), args: ['-m', 'provguard', 'serve'], from: 'provguard.server.pythonPath' },
    };
  }
  return { ok: true, server: { command: 'provguard', args: ['serve'], from: 'PATH' } };
}

/** A message that says what failed and how to fix it. */
export function startFailure(server: ServerCommand, detail: string): string {
  const line = [server.command, ...server.args].join(' ');
  const fix =
    server.from === 'PATH'
      ? 'Install it (`pip install provguard`) so that `provguard` is on PATH, or set provguard.server.pythonPath to a Python interpreter that has it.'
      : `Check ${server.from}: it must name a Python interpreter or command that has provguard installed (\`pip install provguard\`).`;
  return `provguard: the language server could not start (\`${line}\`: ${detail}). ${fix}`;
}
