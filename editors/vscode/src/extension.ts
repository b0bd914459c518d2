/**
 * The provguard extension: starts `provguard serve` where provguard applies (see applies.ts; server.ts says
 * which server), passes the settings, sends insertion hints (pastes, accepted inline suggestions) and shows the
 * active file's provenance in the status bar.
 */

import { join } from 'node:path';

import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

import { ACCEPT_COMMANDS, acceptInlineSuggestion, completionTool } from './hints/completion';
import { PASTE_MIME, PasteObserver } from './hints/paste';
import { HintTracker, type InsertHint } from './hints/tracker';
import { whyItApplies } from './applies';
import { missingExecutable } from './executable';
import { checkInterpreter, onInterpreterChange, selectedInterpreter } from './python';
import { resolveServer, startFailure, type ServerCommand } from './server';
import { serverSettings } from './settings';
import { StatusBar } from './statusBar';
import { findingItems } from './status';

const DID_INSERT = 'provguard/didInsert';
const SOURCE = 'provguard';

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('provguard');
  controller = new Controller(output, context.extensionPath);
  const tracker = new HintTracker((hint) => controller?.sendHint(hint));
  const status = new StatusBar(() => controller?.running);
  controller.onStateChange = () => {
    status.refresh();
  };
  context.subscriptions.push(
    output,
    status,
    vscode.workspace.onDidChangeTextDocument((event) =>
      tracker.onDidChange({
        document: {
          uri: event.document.uri.toString(),
          version: event.document.version,
          positionAt: (offset) => {
            const p = event.document.positionAt(offset);
            return { line: p.line, character: p.character };
          },
        },
        contentChanges: event.contentChanges,
        reason: event.reason,
      }),
    ),
    vscode.languages.registerDocumentPasteEditProvider({ scheme: 'file' }, new PasteObserver(tracker), {
      providedPasteEditKinds: [vscode.DocumentDropOrPasteEditKind.Text],
      pasteMimeTypes: [PASTE_MIME],
    }),
    ...Object.entries(ACCEPT_COMMANDS).map(([ours, original]) =>
      vscode.commands.registerCommand(ours, () =>
        acceptInlineSuggestion(
          tracker,
          {
            activeUri: () => vscode.window.activeTextEditor?.document.uri.toString(),
            tool: () =>
              completionTool(
                vscode.env.appName,
                vscode.extensions.all.filter((e) => e.isActive).map((e) => e.id),
              ),
            execute: (command) => vscode.commands.executeCommand(command),
          },
          original,
        ),
      ),
    ),
    vscode.commands.registerCommand('provguard.restartServer', () => controller?.restart()),
    vscode.commands.registerCommand('provguard.showLog', () => {
      output.show(true);
    }),
    vscode.commands.registerCommand('provguard.showFindings', showFindings),
    vscode.workspace.onDidChangeConfiguration((event) => controller?.configurationChanged(event)),
    // a provguard config added later (or [tool.provguard] written into pyproject.toml) starts the server
    ...['provguard.toml', 'pyproject.toml', '.provguard'].map((name) => {
      const watcher = vscode.workspace.createFileSystemWatcher(`**/${name}`, false, name !== 'pyproject.toml', true);
      const retry = (): void => {
        void controller?.startIfApplies();
      };
      watcher.onDidCreate(retry);
      watcher.onDidChange(retry);
      return watcher;
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      void controller?.startIfApplies();
    }),
  );
  const interpreterWatch = await onInterpreterChange(() => {
    if (controller?.usesPythonExtension === true) {
      output.appendLine('The interpreter selected in the Python extension changed; restarting the server.');
      void controller.restart();
    }
  });
  if (interpreterWatch !== undefined) {
    context.subscriptions.push(interpreterWatch);
  }
  status.bind(context.subscriptions, (uri) => controller?.summary(uri) ?? Promise.resolve(undefined));
  await controller.startIfApplies();
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}

class Controller {
  private client: LanguageClient | undefined;
  /** Whether this start reached Running, and whether its failure was already shown. */
  private reachedRunning = false;
  private failureShown = false;
  /** Whether provguard applies to this workspace: until then no server, no status bar item, no message. */
  private active = false;
  private starting: Promise<void> | undefined;
  /** Whether the running server's interpreter is the Python extension's selection (restart when it changes). */
  usesPythonExtension = false;
  onStateChange: () => void = () => undefined;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly extensionPath: string,
  ) {}

  /** Undefined while provguard does not apply to the workspace (the status bar item stays hidden). */
  get running(): boolean | undefined {
    return this.active ? this.client?.state === State.Running : undefined;
  }

  async startIfApplies(): Promise<void> {
    if (this.active) {
      return;
    }
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const why = whyItApplies(folders, vscode.workspace.getConfiguration('provguard').get('enable'));
    if (why === undefined) {
      this.output.appendLine(
        'provguard does not apply to this workspace (no provguard.toml, .provguard or [tool.provguard] in ' +
          'pyproject.toml, and provguard.enable is not on): the server is not started.',
      );
      return;
    }
    this.output.appendLine(`provguard applies: ${why}.`);
    this.active = true;
    await this.start();
  }

  async start(): Promise<void> {
    if (!this.active) {
      return;
    }
    this.starting ??= this.startOnce().finally(() => {
      this.starting = undefined;
    });
    await this.starting;
  }

  private async startOnce(): Promise<void> {
    this.reachedRunning = false;
    this.failureShown = false;
    const config = vscode.workspace.getConfiguration('provguard');
    const folder = vscode.workspace.workspaceFolders?.[0];
    const expand = (value: unknown): unknown =>
      typeof value === 'string' && folder !== undefined ? value.replaceAll('${workspaceFolder}', folder.uri.fsPath) : value;
    const resolved = await resolveServer(
      {
        path: Array.isArray(config.get('path')) ? (config.get<unknown[]>('path') ?? []).map(expand) : expand(config.get('path')),
        interpreter: Array.isArray(config.get('interpreter'))
          ? (config.get<unknown[]>('interpreter') ?? []).map(expand)
          : expand(config.get('interpreter')),
        importStrategy: config.get('importStrategy'),
        serverCommand: config.get('server.command'),
        pythonPath: expand(config.get('server.pythonPath')),
      },
      {
        missingExecutable: (command) => missingExecutable(command),
        pythonExtensionInterpreter: () =>
          selectedInterpreter(folder?.uri, (line) => {
            this.output.appendLine(line);
          }),
        check: (python, strategy) => checkInterpreter(this.extensionPath, python, strategy),
        bundledLibs: join(this.extensionPath, 'bundled', 'libs'),
        pythonPath: process.env.PYTHONPATH,
      },
    );
    for (const note of resolved.notes) {
      this.output.appendLine(note);
    }
    if (!resolved.ok) {
      this.fail(resolved.problem);
      return;
    }
    const server = resolved.server;
    this.usesPythonExtension = server.from === 'the Python extension';
    this.output.appendLine(`Starting ${[server.command, ...server.args].join(' ')} (from ${server.from})`);
    const client = new LanguageClient('provguard', 'provguard', serverOptions(server), this.clientOptions(server));
    this.client = client;
    client.onDidChangeState((event) => {
      this.reachedRunning ||= event.newState === State.Running;
      this.onStateChange();
    });
    try {
      await client.start();
    } catch (error) {
      this.fail(startFailure(server, errorText(error)));
    }
    this.onStateChange();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined && client.state !== State.Stopped) {
      await client.stop().catch((error: unknown) => {
        this.output.appendLine(`Stopping the server failed: ${String(error)}`);
      });
    }
  }

  async restart(): Promise<void> {
    if (!this.active) {
      await this.startIfApplies();
      return;
    }
    await this.stop();
    await this.start();
  }

  sendHint(hint: InsertHint): void {
    if (this.running) {
      void this.client?.sendNotification(DID_INSERT, hint);
    }
  }

  async summary(uri: vscode.Uri): Promise<unknown> {
    if (!this.running || this.client === undefined) {
      return undefined;
    }
    return this.client.sendRequest('provguard/summary', { textDocument: { uri: uri.toString() } });
  }

  async configurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (event.affectsConfiguration('provguard.enable')) {
      if (vscode.workspace.getConfiguration('provguard').get('enable') === false) {
        this.active = false;
        await this.stop();
        this.onStateChange();
      } else {
        await this.startIfApplies();
      }
    } else if (['provguard.server', 'provguard.path', 'provguard.interpreter', 'provguard.importStrategy'].some((s) => event.affectsConfiguration(s))) {
      await this.restart();
    } else if (event.affectsConfiguration('provguard') && this.running) {
      const settings = serverSettings(vscode.workspace.getConfiguration('provguard'));
      this.output.appendLine(`Settings changed; the server now has ${JSON.stringify(settings)}`);
      await this.client?.sendNotification('workspace/didChangeConfiguration', { settings: { provguard: settings } });
    }
  }

  private clientOptions(server: ServerCommand): LanguageClientOptions {
    let restarts: number[] = [];
    return {
      documentSelector: [{ scheme: 'file' }],
      outputChannel: this.output,
      initializationOptions: serverSettings(vscode.workspace.getConfiguration('provguard')),
      initializationFailedHandler: (error) => {
        this.fail(startFailure(server, `initialization failed: ${errorText(error)}`));
        return false;
      },
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          if (!this.reachedRunning) {
            this.fail(startFailure(server, 'it exited while starting; the log (Show Log) says why'));
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          const now = Date.now();
          restarts = restarts.filter((t) => now - t < 180_000);
          if (restarts.length >= 3) {
            this.fail(startFailure(server, 'the server stopped 4 times in 3 minutes; not restarting it'));
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          restarts.push(now);
          this.output.appendLine('The server stopped; restarting it.');
          return { action: CloseAction.Restart, handled: true };
        },
      },
      middleware: {
        executeCommand: async (command, args, next): Promise<unknown> =>
          (await next(command, await withExternalSource(command, args))) as unknown,
        workspace: {
          // Each workspace folder's own settings, only those set (as initializationOptions): the default
          // answer would send every package.json default, overriding each project's own packs.
          configuration: (params, token, next) =>
            params.items.every((item) => item.section === 'provguard')
              ? params.items.map((item) =>
                  serverSettings(vscode.workspace.getConfiguration('provguard',
                    item.scopeUri === undefined ? undefined : vscode.Uri.parse(item.scopeUri))))
              : next(params, token),
        },
      },
    };
  }

  private fail(message: string): void {
    if (this.failureShown) {
      return;
    }
    this.failureShown = true;
    this.output.appendLine(message);
    this.onStateChange();
    // one notification per start, whatever else fails after it; the details are in the output channel
    void vscode.window.showErrorMessage(message, 'Show Output', 'Open Settings').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:provguard.provguard');
      } else if (choice === 'Show Output') {
        this.output.show(true);
      }
    });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function serverOptions(server: ServerCommand): ServerOptions {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return {
    command: server.command,
    args: [...server.args],
    // stdio without TransportKind.stdio, which would append a `--stdio` flag `provguard serve` does not take
    options: { ...(folder !== undefined ? { cwd: folder } : {}), env: { ...process.env, ...server.env } },
  };
}

/** "Declare: from an external source" records where the code came from: ask the person for its URL or licence. */
async function withExternalSource(command: string, args: unknown[]): Promise<unknown[]> {
  const origin = args[2] as { kind?: unknown } | undefined;
  if (command !== 'provguard.declare' || origin?.kind !== 'external' || args.length > 3) {
    return args;
  }
  const note = await vscode.window.showInputBox({
    title: 'provguard: where does this code come from?',
    prompt: 'A URL, a package and version, or a licence (optional)',
    ignoreFocusOut: true,
  });
  return note === undefined || note.trim() === '' ? args : [...args.slice(0, 3), note.trim()];
}

async function showFindings(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined) {
    return;
  }
  const findings = vscode.languages.getDiagnostics(editor.document.uri).filter((d) => d.source === SOURCE);
  if (findings.length === 0) {
    void vscode.window.showInformationMessage('provguard: no findings in this file.');
    return;
  }
  const picked = await vscode.window.showQuickPick(findingItems(findings), {
    title: `provguard: ${findings.length} finding${findings.length === 1 ? '' : 's'} in ${vscode.workspace.asRelativePath(editor.document.uri)}`,
    matchOnDescription: true,
  });
  if (picked !== undefined) {
    editor.selection = new vscode.Selection(picked.finding.range.start, picked.finding.range.end);
    editor.revealRange(picked.finding.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }
}
