/**
 * Joins "an insertion is about to happen" (a paste, an accepted inline suggestion) to the document change that
 * carries it, and turns it into a `provguard/didInsert` hint naming the version and the inserted range.
 *
 * Pure logic: the vscode API is reached only through the small structural types below, so tests drive it
 * with plain objects.
 */

import { insertionsOf, type ContentChange } from './insertions';

export type HintKind = 'paste' | 'inline-completion' | 'agent-edit' | 'chat-apply';

export interface Position {
  readonly line: number;
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** The params of `provguard/didInsert` (see server/provguard/lsp/hints.py). */
export interface InsertHint {
  readonly textDocument: { readonly uri: string; readonly version: number };
  readonly range: Range;
  readonly kind: HintKind;
  readonly tool?: string;
}

export interface ChangedDocument {
  readonly uri: string;
  readonly version: number;
  positionAt(offset: number): Position;
}

export interface ChangeEvent {
  readonly document: ChangedDocument;
  readonly contentChanges: readonly ContentChange[];
  /** Set for undo and redo, which restore text rather than insert it. */
  readonly reason?: number | undefined;
}

export interface Expectation {
  readonly uri: string;
  readonly kind: HintKind;
  readonly tool?: string;
  /**
   * The text the action will insert, when known (a paste knows its clipboard text). Then only a change whose
   * every insertion is part of that text matches; a paste into several cursors splits the text among them.
   */
  readonly text?: string;
}

/** How long an expectation waits for its change: the paste or accept command runs within milliseconds. */
export const EXPECTATION_MS = 1000;

interface Pending extends Expectation {
  readonly deadline: number;
}

export class HintTracker {
  private pending: Pending[] = [];

  constructor(
    private readonly send: (hint: InsertHint) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** An action that will insert text into `uri` is starting. A later expectation for the same document and
   * kind replaces an earlier one (a second paste before the first landed means the first inserted nothing). */
  expect(expectation: Expectation): void {
    this.prune();
    this.pending = this.pending.filter((p) => p.uri !== expectation.uri || p.kind !== expectation.kind);
    this.pending.push({ ...expectation, deadline: this.now() + EXPECTATION_MS });
  }

  /** Call for every document change; returns the hints it sent. */
  onDidChange(event: ChangeEvent): InsertHint[] {
    this.prune();
    if (event.reason !== undefined) {
      return [];
    }
    const uri = event.document.uri;
    const insertions = insertionsOf(event.contentChanges);
    if (insertions.length === 0) {
      return [];
    }
    const match = this.pending.find((p) => p.uri === uri && matches(p, insertions.map((i) => i.text)));
    if (match === undefined) {
      return [];
    }
    this.pending = this.pending.filter((p) => p !== match);
    const hints = insertions.map((insertion): InsertHint => ({
      textDocument: { uri, version: event.document.version },
      range: { start: event.document.positionAt(insertion.start), end: event.document.positionAt(insertion.end) },
      kind: match.kind,
      ...(match.tool !== undefined ? { tool: match.tool } : {}),
    }));
    for (const hint of hints) {
      this.send(hint);
    }
    return hints;
  }

  get waiting(): number {
    this.prune();
    return this.pending.length;
  }

  private prune(): void {
    const now = this.now();
    this.pending = this.pending.filter((p) => p.deadline >= now);
  }
}

/** Compared without whitespace: the editor may re-indent pasted lines or change their line endings. */
function matches(expectation: Expectation, inserted: readonly string[]): boolean {
  if (expectation.text === undefined) {
    return true;
  }
  const whole = withoutWhitespace(expectation.text);
  return inserted.every((text) => whole.includes(withoutWhitespace(text)));
}

function withoutWhitespace(text: string): string {
  return text.replace(/\s+/g, '');
}
