import * as assert from 'node:assert/strict';

import { insertionsOf } from '../../src/hints/insertions';
import { EXPECTATION_MS, HintTracker } from '../../src/hints/tracker';
import { Clock, collect, FakeDocument } from './fakes';

const URI = 'file:///w/app.py';
const PASTED = 'def pasted(rows):\n    return sorted(rows)\n';

describe('where inserted text lies after a change event', () => {
  it('shifts each insertion by the changes before it in the document', () => {
    // VS Code lists changes last first, each against the text before the event
    const found = insertionsOf([
      { rangeOffset: 20, rangeLength: 0, text: 'abc' },
      { rangeOffset: 10, rangeLength: 4, text: 'x' },
      { rangeOffset: 0, rangeLength: 0, text: 'hello' },
    ]);
    assert.deepEqual(found, [
      { start: 0, end: 5, text: 'hello' },
      { start: 15, end: 16, text: 'x' },
      { start: 22, end: 25, text: 'abc' },
    ]);
  });

  it('ignores pure deletions', () => {
    assert.deepEqual(insertionsOf([{ rangeOffset: 3, rangeLength: 5, text: '' }]), []);
  });
});

describe('a paste hint', () => {
  it('names the version and the range the pasted text occupies', () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, 'import os\n\nprint(1)\n');
    tracker.expect({ uri: URI, kind: 'paste', text: PASTED });
    tracker.onDidChange(doc.edit([{ offset: doc.offsetAt(1, 0), length: 0, text: PASTED }]));
    assert.deepEqual(sent, [
      {
        textDocument: { uri: URI, version: 2 },
        range: { start: { line: 1, character: 0 }, end: { line: 3, character: 0 } },
        kind: 'paste',
      },
    ]);
    assert.equal(tracker.waiting, 0, 'one paste, one hint');
  });

  it('is sent for a paste over a selection, at the new text', () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, 'x = old_value\n');
    tracker.expect({ uri: URI, kind: 'paste', text: 'new_value' });
    tracker.onDidChange(doc.edit([{ offset: 4, length: 9, text: 'new_value' }]));
    assert.deepEqual(sent[0]?.range, { start: { line: 0, character: 4 }, end: { line: 0, character: 13 } });
  });

  it('covers every cursor of a multi-cursor paste, each with its own line of the clipboard', () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, 'a = \nb = \n');
    tracker.expect({ uri: URI, kind: 'paste', text: 'first()\nsecond()' });
    tracker.onDidChange(
      doc.edit([
        { offset: 9, length: 0, text: 'second()' },
        { offset: 4, length: 0, text: 'first()' },
      ]),
    );
    assert.equal(doc.text, 'a = first()\nb = second()\n');
    assert.deepEqual(
      sent.map((h) => [h.range.start, h.range.end]),
      [
        [{ line: 0, character: 4 }, { line: 0, character: 11 }],
        [{ line: 1, character: 4 }, { line: 1, character: 12 }],
      ],
    );
  });

  it('still matches when the editor converted line endings or re-indented the pasted lines', () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, 'class A:\n    \n');
    tracker.expect({ uri: URI, kind: 'paste', text: 'def f(self):\r\n    return 1\r\n' });
    tracker.onDidChange(doc.edit([{ offset: 13, length: 0, text: 'def f(self):\n        return 1\n' }]));
    assert.equal(sent.length, 1);
  });

  it('is not sent for a change that inserts other text (typing before the paste landed)', () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, '\n');
    tracker.expect({ uri: URI, kind: 'paste', text: PASTED });
    const typed = tracker.onDidChange(doc.edit([{ offset: 0, length: 0, text: 'z' }]));
    assert.deepEqual(typed, []);
    const pasted = tracker.onDidChange(doc.edit([{ offset: 1, length: 0, text: PASTED }]));
    assert.deepEqual(pasted.map((h) => h.textDocument.version), [3], 'the paste itself still gets its hint');
    assert.deepEqual(sent, pasted);
  });

  it('is not sent for another document, for undo or redo, or once the paste is long past', () => {
    const clock = new Clock();
    const { sent, send } = collect();
    const tracker = new HintTracker(send, clock.now);
    const other = new FakeDocument('file:///w/other.py', '');
    const doc = new FakeDocument(URI, '');
    tracker.expect({ uri: URI, kind: 'paste', text: PASTED });
    tracker.onDidChange(other.edit([{ offset: 0, length: 0, text: PASTED }]));
    tracker.onDidChange(doc.edit([{ offset: 0, length: 0, text: PASTED }], 1 /* undo */));
    assert.deepEqual(sent, []);
    clock.ms += EXPECTATION_MS + 1;
    tracker.onDidChange(doc.edit([{ offset: 0, length: 0, text: PASTED }]));
    assert.deepEqual(sent, []);
    assert.equal(tracker.waiting, 0);
  });

  it('is not sent for a deletion', () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, PASTED);
    tracker.expect({ uri: URI, kind: 'paste', text: PASTED });
    tracker.onDidChange(doc.edit([{ offset: 0, length: 4, text: '' }]));
    assert.deepEqual(sent, []);
    assert.equal(tracker.waiting, 1);
  });
});

describe('an inline completion hint', () => {
  it('takes the next insertion, whatever its text, and names the tool', () => {
    const { sent, send } = collect();
    const tracker = new HintTracker(send);
    const doc = new FakeDocument(URI, 'def fo\n');
    tracker.expect({ uri: URI, kind: 'inline-completion', tool: 'copilot' });
    tracker.onDidChange(doc.edit([{ offset: 0, length: 6, text: 'def foo():\n    return 42' }]));
    assert.deepEqual(sent, [
      {
        textDocument: { uri: URI, version: 2 },
        range: { start: { line: 0, character: 0 }, end: { line: 1, character: 13 } },
        kind: 'inline-completion',
        tool: 'copilot',
      },
    ]);
  });
});
