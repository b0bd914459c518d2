/** Plain stand-ins for the few vscode objects the hint logic reads: a document is its text and version. */

import type { ChangeEvent, InsertHint } from '../../src/hints/tracker';
import type { ContentChange } from '../../src/hints/insertions';

export class FakeDocument {
  version = 1;

  constructor(
    readonly uri: string,
    public text: string,
  ) {}

  positionAt(offset: number): { line: number; character: number } {
    const before = this.text.slice(0, offset).split('\n');
    return { line: before.length - 1, character: before[before.length - 1]?.length ?? 0 };
  }

  offsetAt(line: number, character: number): number {
    const lines = this.text.split('\n');
    return lines.slice(0, line).reduce((sum, l) => sum + l.length + 1, 0) + character;
  }

  /** Applies changes given against the current text, as one event, the way VS Code reports an edit. */
  edit(changes: readonly { offset: number; length: number; text: string }[], reason?: number): ChangeEvent {
    const contentChanges: ContentChange[] = changes.map((c) => ({
      rangeOffset: c.offset,
      rangeLength: c.length,
      text: c.text,
    }));
    for (const c of [...changes].sort((a, b) => b.offset - a.offset)) {
      this.text = this.text.slice(0, c.offset) + c.text + this.text.slice(c.offset + c.length);
    }
    this.version += 1;
    return { document: this, contentChanges, ...(reason !== undefined ? { reason } : {}) };
  }
}

export class Clock {
  constructor(public ms = 1_000_000) {}
  now = (): number => this.ms;
}

export function collect(): { sent: InsertHint[]; send: (hint: InsertHint) => void } {
  const sent: InsertHint[] = [];
  return { sent, send: (hint) => sent.push(hint) };
}
