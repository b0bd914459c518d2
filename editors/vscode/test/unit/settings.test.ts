import * as assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { missingExecutable } from '../../src/executable';
import { serverSettings, type Inspected } from '../../src/settings';
import { findingItems, statusText } from '../../src/status';

function source(values: Record<string, Inspected>): { inspect(key: string): Inspected | undefined } {
  return { inspect: (key) => values[key] };
}

describe('settings sent to the server', () => {
  it('are only those the person set, the most specific scope winning', () => {
    const sent = serverSettings(
      source({
        packs: { globalValue: ['default'], workspaceValue: ['team.yaml'] },
        severity: { globalValue: { 'ai-output-unreviewed': 'info' } },
        bulkInsertChars: {},
        ledger: { workspaceValue: '' },
        aiTools: { workspaceFolderValue: ['claude-code'], globalValue: ['codex'] },
      }),
    );
    assert.deepEqual(sent, {
      packs: ['team.yaml'],
      severity: { 'ai-output-unreviewed': 'info' },
      aiTools: ['claude-code'],
    });
  });

  it('are empty when nothing is set, so the project’s provguard.toml chooses the packs', () => {
    assert.deepEqual(serverSettings(source({})), {});
  });
});

describe('starting the server', () => {
  it('finds an executable by path and refuses a file that cannot be run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'provguard-exe-'));
    const tool = join(dir, 'provguard');
    writeFileSync(tool, '#!/bin/sh\n');
    assert.equal(missingExecutable(tool), `${tool} does not exist or is not executable`);
    chmodSync(tool, 0o755);
    assert.equal(missingExecutable(tool), undefined);
    assert.equal(missingExecutable('provguard', dir), undefined);
  });
});

describe('the status bar', () => {
  const findings = { error: 0, warning: 3, info: 1, hint: 0 };

  it('shows AI lines and undeclared insertions', () => {
    assert.equal(statusText({ version: 4, aiLines: 34, undeclared: 2, findings }).text, '$(shield) AI 34 lines, 2 undeclared');
    assert.equal(statusText({ version: 4, aiLines: 1, undeclared: 0, findings }).text, '$(shield) AI 1 line');
  });

  it('adds errors, which break the pack', () => {
    const text = statusText({ version: 1, aiLines: 3, undeclared: 0, findings: { ...findings, error: 2 } }).text;
    assert.equal(text, '$(shield) AI 3 lines, 2 errors');
  });

  it('lists findings worst first, then by line', () => {
    const at = (line: number) => ({ start: { line, character: 0 } });
    const items = findingItems([
      { message: 'unreviewed', severity: 1, code: 'ai-output-unreviewed', range: at(9) },
      { message: 'in a test', severity: 0, code: { value: 'ai-output-in-test-function' }, range: at(20) },
      { message: 'undeclared', severity: 1, code: 'undeclared-insertion', range: at(2) },
    ]);
    assert.deepEqual(
      items.map((i) => [i.label, i.description]),
      [
        ['$(error) in a test', 'line 21 · ai-output-in-test-function'],
        ['$(warning) undeclared', 'line 3 · undeclared-insertion'],
        ['$(warning) unreviewed', 'line 10 · ai-output-unreviewed'],
      ],
    );
  });
});
