/** The status bar item: the active file's provenance summary, refreshed when its diagnostics change. */

import * as vscode from 'vscode';

import { isSummary, statusText } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('provguard.summary', vscode.StatusBarAlignment.Left, 10);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private fetch: (uri: vscode.Uri) => Promise<unknown> = () => Promise.resolve(undefined);

  constructor(private readonly running: () => boolean | undefined) {
    this.item.name = 'provguard';
  }

  bind(subscriptions: vscode.ExtensionContext['subscriptions'], fetch: (uri: vscode.Uri) => Promise<unknown>): void {
    this.fetch = fetch;
    subscriptions.push(
      vscode.window.onDidChangeActiveTextEditor(() => {
        this.refresh();
      }),
      vscode.languages.onDidChangeDiagnostics((event) => {
        const active = vscode.window.activeTextEditor?.document.uri.toString();
        if (active !== undefined && event.uris.some((uri) => uri.toString() === active)) {
          this.refresh();
        }
      }),
    );
    this.refresh();
  }

  /** Debounced: diagnostics change on every keystroke. */
  refresh(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => void this.update(), 150);
  }

  private async update(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const running = this.running();
    if (running === undefined) {
      this.item.hide(); // provguard does not apply to this workspace
      return;
    }
    if (!running) {
      this.item.text = '$(error) provguard';
      this.item.tooltip = 'provguard: the language server is not running. Click to see its log.';
      this.item.command = 'provguard.showLog';
      this.item.show();
      return;
    }
    if (editor === undefined || editor.document.uri.scheme !== 'file') {
      this.item.hide();
      return;
    }
    let summary: unknown;
    try {
      summary = await this.fetch(editor.document.uri);
    } catch {
      summary = undefined; // the server restarted or the document closed meanwhile: the next change refreshes
    }
    if (!isSummary(summary) || vscode.window.activeTextEditor !== editor) {
      return;
    }
    const shown = statusText(summary);
    this.item.text = shown.text;
    this.item.tooltip = shown.tooltip;
    this.item.command = 'provguard.showFindings';
    this.item.show();
  }

  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
    }
    this.item.dispose();
  }
}
