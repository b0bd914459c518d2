import * as assert from 'node:assert/strict';

import type * as vscode from 'vscode';

import { acceptInlineSuggestion, ACCEPT_COMMANDS, completionTool } from '../../src/hints/completion';
import { PasteObserver } from '../../src/hints/paste';
import { HintTracker } from '../../src/hints/tracker';
import { collect, FakeDocument } from './fakes';

const URI = 'file:///w/app.py';

/** A paste's data transfer holding one text item, as VS Code hands it to paste edit providers. */
function transfer(items: Record<string, string>): vscode.DataTransfer {
  return {
    get: (mime: string) => (mime in items ? { asString: () => Promise.resolve(items[mime]) } : undefined),
  } as unknown as vscode.DataTransfer;
}

function textDocument(uri: string): vscode.TextDocument {
  return { uri: { toString: () => uri } } as unknown as vscode.TextDocument;
}

describe('the paste observer', () => {
  it('leaves the paste to the editor and expects the clipboard text in the document', async () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const observer = new PasteObserver(tracker);
    const edits = await observer.provideDocumentPasteEdits(textDocument(URI), [], transfer({ 'text/plain': 'x = 1\ny = 2\n' }));
    assert.equal(edits, undefined, 'no edit of its own: the default paste runs');
    const doc = new FakeDocument(URI, '\n');
    tracker.onDidChange(doc.edit([{ offset: 0, length: 0, text: 'x = 1\ny = 2\n' }]));
    assert.deepEqual(sent.map((h) => h.kind), ['paste']);
  });

  it('expects nothing when the clipboard holds no text (an image, a file)', async () => {
    const tracker = new HintTracker(() => undefined);
    await new PasteObserver(tracker).provideDocumentPasteEdits(textDocument(URI), [], transfer({ 'image/png': 'PNG' }));
    assert.equal(tracker.waiting, 0);
  });
});

describe('accepting an inline suggestion', () => {
  it('runs VS Code’s own accept command, after telling the tracker to expect the suggestion', async () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, 'def fo\n');
    const ran: string[] = [];
    await acceptInlineSuggestion(
      tracker,
      {
        activeUri: () => URI,
        tool: () => 'cursor',
        execute: (command) => {
          ran.push(command);
          tracker.onDidChange(doc.edit([{ offset: 0, length: 6, text: 'def foo(): pass' }]));
          return Promise.resolve();
        },
      },
      ACCEPT_COMMANDS['provguard.inlineSuggest.commit'] ?? '',
    );
    assert.deepEqual(ran, ['editor.action.inlineSuggest.commit']);
    assert.deepEqual(
      sent.map((h) => [h.kind, h.tool]),
      [['inline-completion', 'cursor']],
    );
  });

  it('still runs the original without a focused document, and expects nothing', async () => {
    const tracker = new HintTracker(() => undefined);
    const ran: string[] = [];
    await acceptInlineSuggestion(
      tracker,
      {
        activeUri: () => undefined,
        tool: () => undefined,
        execute: (c) => {
          ran.push(c);
          return Promise.resolve();
        },
      },
      'editor.action.inlineSuggest.acceptNextWord',
    );
    assert.deepEqual(ran, ['editor.action.inlineSuggest.acceptNextWord']);
    assert.equal(tracker.waiting, 0);
  });

  it('wraps every accept command VS Code binds to a key', () => {
    assert.deepEqual(Object.values(ACCEPT_COMMANDS).sort(), [
      'editor.action.inlineSuggest.acceptNextLine',
      'editor.action.inlineSuggest.acceptNextWord',
      'editor.action.inlineSuggest.commit',
    ]);
  });
});

describe('which tool made an inline completion', () => {
  it('is Cursor Tab inside Cursor, whatever extensions run', () => {
    assert.equal(completionTool('Cursor', ['GitHub.copilot']), 'cursor');
  });

  it('is Copilot when Copilot is the only completion extension running', () => {
    assert.equal(completionTool('Visual Studio Code', ['ms-python.python', 'GitHub.copilot', 'GitHub.copilot-chat']), 'copilot');
  });

  it('is unknown with two completion extensions, or none', () => {
    assert.equal(completionTool('Visual Studio Code', ['GitHub.copilot', 'TabNine.tabnine-vscode']), undefined);
    assert.equal(completionTool('code-server', ['ms-python.python']), undefined);
  });
});
