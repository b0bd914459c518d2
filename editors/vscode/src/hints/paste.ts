/**
 * Paste hints through a DocumentPasteEditProvider.
 *
 * Why a paste edit provider and not a wrapped paste command: VS Code (stable API since 1.97) calls every
 * registered provider for each paste into a text editor however it was started, with the keyboard, the
 * context menu, the Edit menu or the `editor.action.clipboardPasteAction` command, and in the browser
 * (code-server, vscode.dev) from the DOM paste event. A keybinding that wraps the paste command sees only
 * the keyboard, and in a browser it cannot read the clipboard without a permission prompt. The provider
 * returns no edit of its own, so the editor pastes exactly as it would without provguard; it only notes the
 * clipboard text and the target, and the tracker joins that to the change the paste makes.
 */

import type * as vscode from 'vscode';
import type { HintTracker } from './tracker';

export const PASTE_MIME = 'text/plain';

export class PasteObserver implements vscode.DocumentPasteEditProvider {
  constructor(private readonly tracker: HintTracker) {}

  async provideDocumentPasteEdits(
    document: vscode.TextDocument,
    _ranges: readonly vscode.Range[],
    dataTransfer: vscode.DataTransfer,
  ): Promise<vscode.DocumentPasteEdit[] | undefined> {
    const item = dataTransfer.get(PASTE_MIME);
    const text = item === undefined ? '' : await item.asString();
    if (text.length > 0) {
      this.tracker.expect({ uri: document.uri.toString(), kind: 'paste', text });
    }
    return undefined;
  }
}
