/** The status bar's words for a document's provenance summary (`provguard/summary`), and the findings list. */

export interface Summary {
  readonly version: number | null;
  readonly aiLines: number;
  readonly undeclared: number;
  readonly findings: { readonly error: number; readonly warning: number; readonly info: number; readonly hint: number };
}

export interface StatusText {
  readonly text: string;
  readonly tooltip: string;
}

function count(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function statusText(summary: Summary): StatusText {
  const parts = [`AI ${count(summary.aiLines, 'line')}`];
  if (summary.undeclared > 0) {
    parts.push(`${summary.undeclared} undeclared`);
  }
  if (summary.findings.error > 0) {
    parts.push(count(summary.findings.error, 'error'));
  }
  const f = summary.findings;
  const tooltip = [
    `provguard: ${count(summary.aiLines, 'line')} of AI code in this file`,
    `${count(summary.undeclared, 'insertion')} of undeclared origin`,
    `findings: ${count(f.error, 'error')}, ${count(f.warning, 'warning')}, ${f.info} info, ${count(f.hint, 'hint')}`,
    'Click to list the findings.',
  ].join('\n');
  return { text: `$(shield) ${parts.join(', ')}`, tooltip };
}

export function isSummary(value: unknown): value is Summary {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const v = value as Record<string, unknown>;
  const f: unknown = v.findings;
  if (typeof f !== 'object' || f === null) {
    return false;
  }
  const counts = f as Record<string, unknown>;
  return (
    typeof v.aiLines === 'number' &&
    typeof v.undeclared === 'number' &&
    ['error', 'warning', 'info', 'hint'].every((k) => typeof counts[k] === 'number')
  );
}

export interface FindingLike {
  readonly message: string;
  readonly severity: number;
  readonly code?: string | number | { readonly value: string | number };
  readonly range: { readonly start: { readonly line: number; readonly character: number } };
}

export interface FindingItem<T> {
  readonly label: string;
  readonly description: string;
  readonly finding: T;
}

const ICONS = ['$(error)', '$(warning)', '$(info)', '$(lightbulb)'];

/** Quick-pick rows for a file's findings: worst first, then by line. `severity` is vscode's (0 = error). */
export function findingItems<T extends FindingLike>(findings: readonly T[]): FindingItem<T>[] {
  return [...findings]
    .sort((a, b) => a.severity - b.severity || a.range.start.line - b.range.start.line)
    .map((finding) => {
      const code = typeof finding.code === 'object' ? finding.code.value : finding.code;
      return {
        label: `${ICONS[finding.severity] ?? ''} ${finding.message}`.trim(),
        description: `line ${finding.range.start.line + 1}${code !== undefined ? ` · ${code}` : ''}`,
        finding,
      };
    });
}
