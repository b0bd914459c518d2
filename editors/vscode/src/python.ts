/** The interpreter side of server discovery: the Python extension's selection and the start-up check. */

import { execFile } from 'node:child_process';
import { join } from 'node:path';

import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';

import type { ImportStrategy, InterpreterCheck } from './server';

const PYTHON_EXTENSION = 'ms-python.python';

/** The interpreter selected in the Python extension for the resource, when that extension is installed. */
export async function selectedInterpreter(resource: vscode.Uri | undefined, log: (line: string) => void): Promise<string | undefined> {
  if (vscode.extensions.getExtension(PYTHON_EXTENSION) === undefined) {
    return undefined;
  }
  try {
    const environments = (await PythonExtension.api()).environments;
    const resolved = await environments.resolveEnvironment(environments.getActiveEnvironmentPath(resource));
    return resolved?.executable.uri?.fsPath;
  } catch (error) {
    log(`The Python extension gave no interpreter: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** Calls `listener` when the Python extension's selected interpreter changes; nothing when it is not installed. */
export async function onInterpreterChange(listener: () => void): Promise<vscode.Disposable | undefined> {
  if (vscode.extensions.getExtension(PYTHON_EXTENSION) === undefined) {
    return undefined;
  }
  try {
    return (await PythonExtension.api()).environments.onDidChangeActiveEnvironmentPath(listener);
  } catch {
    return undefined;
  }
}

/** Runs bundled/tool/check.py with the interpreter; a string says why it could not be run. */
export function checkInterpreter(extensionPath: string, python: string, strategy: ImportStrategy): Promise<InterpreterCheck | string> {
  const bundled = join(extensionPath, 'bundled');
  const args = [join(bundled, 'tool', 'check.py'), join(bundled, 'libs'), join(bundled, 'libs.json'), strategy];
  return new Promise((resolve) => {
    execFile(python, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as InterpreterCheck);
      } catch {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve(code === 'ENOENT' ? 'no such file' : (stderr.trim().split('\n').pop() ?? error?.message ?? 'no answer'));
      }
    });
  });
}
