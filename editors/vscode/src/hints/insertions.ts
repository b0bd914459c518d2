/**
 * Where the text of one change event lies in the document version it produced.
 *
 * VS Code reports each change against the text before the event, so a change's place afterwards is shifted by
 * every change before it in the document. Offsets are UTF-16 code units, like VS Code's and LSP's default
 * positions.
 */

export interface ContentChange {
  readonly rangeOffset: number;
  readonly rangeLength: number;
  readonly text: string;
}

export interface Insertion {
  /** Offset of the inserted text in the new version. */
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export function insertionsOf(changes: readonly ContentChange[]): Insertion[] {
  const ordered = [...changes].sort((a, b) => a.rangeOffset - b.rangeOffset);
  const out: Insertion[] = [];
  let shift = 0;
  for (const change of ordered) {
    const start = change.rangeOffset + shift;
    if (change.text.length > 0) {
      out.push({ start, end: start + change.text.length, text: change.text });
    }
    shift += change.text.length - change.rangeLength;
  }
  return out;
}
