/**
 * Which language server to start, in the order ruff's and Microsoft's Python tool extensions use: an explicit
 * `provguard.path`; else an interpreter (`provguard.interpreter`, or the one selected in the Python extension)
 * running `python -m provguard serve`, with the provguard shipped in the .vsix when that interpreter has none of
 * its own; else `provguard` on PATH. Kept free of the vscode API so the order is unit-tested.
 */

import { delimiter } from 'node:path';

export type Source =
  | 'provguard.path'
  | 'provguard.server.command'
  | 'provguard.interpreter'
  | 'provguard.server.pythonPath'
  | 'the Python extension'
  | 'PATH';

export interface ServerCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** The setting (or place) that chose it, for messages. */
  readonly from: Source;
  /** Added to the server's environment: PYTHONPATH for the bundled provguard. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Settings {
  readonly path?: unknown;
  readonly interpreter?: unknown;
  readonly importStrategy?: unknown;
  /** Deprecated names, still honoured. */
  readonly serverCommand?: unknown;
  readonly pythonPath?: unknown;
}

/** What bundled/tool/check.py says of an interpreter. */
export interface InterpreterCheck {
  readonly python: string;
  readonly source?: 'environment' | 'bundled';
  readonly missing: readonly { readonly requirement: string; readonly error: string }[];
  readonly error: string | null;
}

export interface Probe {
  /** Undefined when the command can be run, otherwise why not. */
  missingExecutable(command: string): string | undefined;
  /** The interpreter selected in the Python extension, when it is installed. */
  pythonExtensionInterpreter(): Promise<string | undefined>;
  /** Runs the check with the interpreter; a string says why it could not be run at all. */
  check(python: string, strategy: ImportStrategy): Promise<InterpreterCheck | string>;
  /** The folder holding the bundled provguard and its pure-Python dependencies. */
  readonly bundledLibs: string;
  /** The PYTHONPATH the extension host has, kept after the bundled folder. */
  readonly pythonPath?: string | undefined;
}

export type ImportStrategy = 'fromEnvironment' | 'useBundled';

export type Resolved =
  | { readonly ok: true; readonly server: ServerCommand; readonly notes: readonly string[] }
  | { readonly ok: false; readonly problem: string; readonly notes: readonly string[] };

export async function resolveServer(settings: Settings, probe: Probe): Promise<Resolved> {
  const notes: string[] = [];
  const paths = strings(settings.path);
  if (paths === undefined) {
    return { ok: false, problem: 'provguard.path must be a path or a list of paths', notes };
  }
  if (paths.length > 0) {
    for (const path of paths) {
      const missing = probe.missingExecutable(path);
      if (missing === undefined) {
        return { ok: true, server: { command: path, args: ['serve'], from: 'provguard.path' }, notes };
      }
      notes.push(`provguard.path: ${missing}`);
    }
    return { ok: false, problem: `provguard.path names no provguard that can be run (${notes.join('; ')})`, notes };
  }
  const command = settings.serverCommand;
  if (Array.isArray(command) && command.length > 0) {
    if (!command.every((part): part is string => typeof part === 'string' && part.length > 0)) {
      return { ok: false, problem: 'provguard.server.command must be a list of non-empty strings', notes };
    }
    const [first, ...rest] = command;
    return { ok: true, server: { command: first, args: rest, from: 'provguard.server.command' }, notes };
  }

  const strategy: ImportStrategy = settings.importStrategy === 'useBundled' ? 'useBundled' : 'fromEnvironment';
  const chosen = firstString(settings.interpreter);
  const legacy = firstString(settings.pythonPath);
  const [python, from]: [string | undefined, Source] =
    chosen !== undefined
      ? [chosen, 'provguard.interpreter']
      : legacy !== undefined
        ? [legacy, 'provguard.server.pythonPath']
        : [await probe.pythonExtensionInterpreter(), 'the Python extension'];
  let interpreterProblem: string | undefined;
  if (python !== undefined) {
    const checked = await probe.check(python, strategy);
    if (typeof checked !== 'string' && checked.missing.length === 0 && checked.error === null) {
      const env: Record<string, string> =
        checked.source === 'bundled' ? { PYTHONPATH: [probe.bundledLibs, probe.pythonPath].filter(nonEmpty).join(delimiter) } : {};
      notes.push(`${python} (Python ${checked.python}, from ${from}) runs the ${checked.source === 'bundled' ? 'bundled' : "environment's own"} provguard`);
      return { ok: true, server: { command: python, args: ['-m', 'provguard', 'serve'], from, env }, notes };
    }
    interpreterProblem = interpreterFailure(python, from, checked);
    if (typeof checked !== 'string') {
      notes.push(...checked.missing.map((m) => `${python} lacks ${m.requirement} (${m.error})`));
      if (checked.missing.length > 0) {
        notes.push(`To install exactly these: ${installCommand(python, checked)}`);
      }
    }
    if (from !== 'the Python extension') {
      return { ok: false, problem: interpreterProblem, notes }; // an explicit setting is not silently passed over
    }
    notes.push(interpreterProblem);
  }
  const missing = probe.missingExecutable('provguard');
  if (missing === undefined) {
    return { ok: true, server: { command: 'provguard', args: ['serve'], from: 'PATH' }, notes };
  }
  return {
    ok: false,
    problem:
      interpreterProblem ??
      'provguard: no language server found. Install the Python extension and select an interpreter (it needs ' +
        "provguard's compiled dependencies: `pip install provguard` brings them), set provguard.interpreter, " +
        'or put `provguard` on PATH (`pip install provguard`).',
    notes,
  };
}

/** What is wrong with an interpreter, and the command that fixes it. */
export function interpreterFailure(python: string, from: Source, checked: InterpreterCheck | string): string {
  const other =
    from === 'the Python extension'
      ? 'or select another with "Python: Select Interpreter"'
      : `or set ${from} to another interpreter`;
  if (typeof checked === 'string') {
    return `provguard: the Python interpreter ${python} (from ${from}) could not be run: ${checked}. Install Python 3.11 or later, ${other}.`;
  }
  if (checked.missing.length > 0) {
    const names = checked.missing.map((m) => m.requirement.split(/[<>=!~;[ ]/)[0] ?? m.requirement);
    const shown = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
    // a few: exactly those; many: provguard itself, which brings them all (the output lists each)
    const install = names.length <= 3 ? installCommand(python, checked) : `${python} -m pip install provguard`;
    return (
      `provguard: the Python interpreter ${python} (from ${from}, Python ${checked.python}) lacks ` +
      `${names.length} compiled package${names.length === 1 ? '' : 's'} the server needs: ${shown}. ` +
      `Install ${names.length === 1 ? 'it' : 'them'} with \`${install}\`, ${other}.`
    );
  }
  return `provguard: the Python interpreter ${python} (from ${from}, Python ${checked.python}) cannot run provguard: ${checked.error ?? 'unknown error'}. Run \`${python} -m pip install provguard\`, ${other}.`;
}

/** The pip command that installs exactly what an interpreter lacks, as its requirements state it. */
export function installCommand(python: string, checked: InterpreterCheck): string {
  const quoted = checked.missing.map((m) => (/[<>=!~,; ]/.test(m.requirement) ? `"${m.requirement}"` : m.requirement));
  return `${python} -m pip install ${quoted.join(' ')}`;
}

/** A message that says what failed once the server was started, and how to fix it. */
export function startFailure(server: ServerCommand, detail: string): string {
  const line = [server.command, ...server.args].join(' ');
  const fix =
    server.from === 'PATH'
      ? 'Reinstall it (`pip install provguard`), or select a Python interpreter for it (provguard.interpreter).'
      : `Check ${server.from}: it must name a Python interpreter or command that can run provguard (\`pip install provguard\`).`;
  return `provguard: the language server could not start (\`${line}\`: ${detail}). ${fix}`;
}

/** A setting that is a string or a list of strings, as a list; undefined when it is neither. */
function strings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) {
    return [];
  }
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (!list.every((v): v is string => typeof v === 'string')) {
    return undefined;
  }
  return list.map((v) => v.trim()).filter(nonEmpty);
}

function firstString(value: unknown): string | undefined {
  return strings(value)?.[0];
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}
