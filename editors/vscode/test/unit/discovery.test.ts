import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { whyItApplies } from '../../src/applies';
import { resolveServer, startFailure, type InterpreterCheck, type Probe, type Resolved, type Settings } from '../../src/server';

const OK: InterpreterCheck = { python: '3.12.3', source: 'bundled', missing: [], error: null };

/** A machine where only the named executables exist and interpreters answer as given. */
function machine(opts: {
  executables?: string[];
  selected?: string;
  checks?: Record<string, InterpreterCheck | string>;
}): Probe & { checked: string[] } {
  const checked: string[] = [];
  return {
    checked,
    missingExecutable: (command) => ((opts.executables ?? []).includes(command) ? undefined : `${command} is not on PATH`),
    pythonExtensionInterpreter: () => Promise.resolve(opts.selected),
    check: (python, strategy) => {
      checked.push(`${python} ${strategy}`);
      return Promise.resolve(opts.checks?.[python] ?? 'no such file');
    },
    bundledLibs: '/ext/bundled/libs',
    pythonPath: '/site/extra',
  };
}

async function resolve(settings: Settings, probe: Probe): Promise<Resolved> {
  return resolveServer(settings, probe);
}

function problemOf(resolved: Resolved): string {
  assert.ok(!resolved.ok, 'no server may start');
  return resolved.problem;
}

describe('which server starts', () => {
  it('is provguard.path first: the first of its executables that exists', async () => {
    const probe = machine({ executables: ['/b/provguard', 'provguard'], selected: '/venv/bin/python', checks: { '/venv/bin/python': OK } });
    const resolved = await resolve({ path: ['/a/provguard', '/b/provguard'], interpreter: ['/venv/bin/python'] }, probe);
    assert.deepEqual(resolved.ok && resolved.server, { command: '/b/provguard', args: ['serve'], from: 'provguard.path' });
    assert.deepEqual(probe.checked, [], 'no interpreter was asked');
  });

  it('is an error, not a fallback, when provguard.path names nothing that runs', async () => {
    const resolved = await resolve({ path: '/a/provguard' }, machine({ executables: ['provguard'] }));
    assert.equal(resolved.ok, false);
    assert.match(problemOf(resolved), /provguard\.path.*\/a\/provguard/);
  });

  it('is the Python extension’s interpreter with the bundled provguard on PYTHONPATH when it has none', async () => {
    const probe = machine({ executables: ['provguard'], selected: '/venv/bin/python', checks: { '/venv/bin/python': OK } });
    const resolved = await resolve({}, probe);
    assert.deepEqual(resolved.ok && resolved.server, {
      command: '/venv/bin/python',
      args: ['-m', 'provguard', 'serve'],
      from: 'the Python extension',
      env: { PYTHONPATH: '/ext/bundled/libs:/site/extra' },
    });
    assert.deepEqual(probe.checked, ['/venv/bin/python fromEnvironment']);
  });

  it('leaves PYTHONPATH alone when the interpreter has its own provguard', async () => {
    const own: InterpreterCheck = { ...OK, source: 'environment' };
    const resolved = await resolve({ interpreter: '/venv/bin/python' }, machine({ checks: { '/venv/bin/python': own } }));
    assert.deepEqual(resolved.ok && resolved.server.env, {});
  });

  it('prefers provguard.interpreter, then the deprecated pythonPath, to the Python extension’s choice', async () => {
    const probe = machine({ selected: '/selected/python', checks: { '/set/python': OK, '/old/python': OK, '/selected/python': OK } });
    assert.equal((await resolve({ interpreter: ['/set/python'], pythonPath: '/old/python' }, probe)).ok, true);
    assert.equal((await resolve({ pythonPath: ' /old/python ' }, probe)).ok, true);
    assert.deepEqual(probe.checked, ['/set/python fromEnvironment', '/old/python fromEnvironment']);
  });

  it('names every compiled package an interpreter lacks, with the command that installs them', async () => {
    const lacking: InterpreterCheck = {
      python: '3.12.3',
      source: 'bundled',
      missing: [
        { requirement: 'tree-sitter<0.27,>=0.25', error: "tree_sitter: No module named 'tree_sitter'" },
        { requirement: 'google-re2>=1.1', error: "re2: No module named 're2'" },
      ],
      error: null,
    };
    const resolved = await resolve({ interpreter: '/venv/bin/python' }, machine({ executables: ['provguard'], checks: { '/venv/bin/python': lacking } }));
    assert.equal(resolved.ok, false, 'an interpreter set explicitly is not passed over for PATH');
    const problem = problemOf(resolved);
    assert.match(problem, /lacks 2 compiled packages the server needs: tree-sitter, google-re2\./);
    assert.ok(problem.includes('`/venv/bin/python -m pip install "tree-sitter<0.27,>=0.25" "google-re2>=1.1"`'), problem);
    assert.match(problem, /provguard\.interpreter/);
    assert.match(resolved.notes.join('\n'), /lacks google-re2>=1\.1 \(re2: No module named 're2'\)/);
  });

  it('keeps the message short when an interpreter lacks many packages: pip install provguard brings them all', async () => {
    const many = ['tree-sitter', 'google-re2', 'zstandard', 'pyyaml', 'tree-sitter-python'];
    const lacking: InterpreterCheck = { python: '3.12.3', missing: many.map((requirement) => ({ requirement, error: 'absent' })), error: null };
    const problem = problemOf(await resolve({ interpreter: '/p' }, machine({ checks: { '/p': lacking } })));
    assert.match(problem, /lacks 5 compiled packages the server needs: tree-sitter, google-re2, zstandard and 2 more\. Install them with `\/p -m pip install provguard`/);
  });

  it('falls back to provguard on PATH when the Python extension’s interpreter cannot run it, and says why', async () => {
    const resolved = await resolve({}, machine({ executables: ['provguard'], selected: '/gone/python' }));
    assert.deepEqual(resolved.ok && resolved.server, { command: 'provguard', args: ['serve'], from: 'PATH' });
    assert.match(resolved.notes.join('\n'), /\/gone\/python \(from the Python extension\) could not be run: no such file/);
  });

  it('says what to install when there is no interpreter and nothing on PATH', async () => {
    const resolved = await resolve({}, machine({}));
    assert.equal(resolved.ok, false);
    assert.match(problemOf(resolved), /Python extension.*provguard\.interpreter.*pip install provguard/);
  });

  it('honours the deprecated command setting and refuses a list with a non-string part', async () => {
    const resolved = await resolve({ serverCommand: ['/opt/pg/bin/provguard', 'serve'] }, machine({}));
    assert.deepEqual(resolved.ok && resolved.server, { command: '/opt/pg/bin/provguard', args: ['serve'], from: 'provguard.server.command' });
    assert.equal((await resolve({ serverCommand: ['provguard', 3] }, machine({}))).ok, false);
  });

  it('asks for the bundled copy when importStrategy is useBundled', async () => {
    const probe = machine({ checks: { '/venv/bin/python': OK } });
    await resolve({ interpreter: '/venv/bin/python', importStrategy: 'useBundled' }, probe);
    assert.deepEqual(probe.checked, ['/venv/bin/python useBundled']);
  });

  it('tells how to fix a server that died while starting', () => {
    const message = startFailure({ command: 'provguard', args: ['serve'], from: 'PATH' }, 'exit 1');
    assert.match(message, /pip install provguard/);
    assert.match(message, /provguard\.interpreter/);
  });
});

describe('where provguard applies', () => {
  const folder = (files: Record<string, string>, dirs: string[] = []): string => {
    const root = mkdtempSync(join(tmpdir(), 'provguard-applies-'));
    for (const d of dirs) {
      mkdirSync(join(root, d));
    }
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(root, name), text);
    }
    return root;
  };

  it('is a folder with provguard.toml, a .provguard folder or [tool.provguard] in pyproject.toml', () => {
    assert.match(whyItApplies([folder({ 'provguard.toml': '' })], null) ?? '', /provguard\.toml exists/);
    assert.match(whyItApplies([folder({}, ['.provguard'])], undefined) ?? '', /\.provguard exists/);
    assert.match(whyItApplies([folder({}), folder({ 'pyproject.toml': '[project]\n[tool.provguard]\npacks = []\n' })], null) ?? '', /has \[tool\.provguard\]/);
    assert.ok(whyItApplies([folder({ 'pyproject.toml': '[tool.provguard.severity]\n' })], null));
  });

  it('is not a Python project that never mentions provguard, unless provguard.enable says so', () => {
    const plain = folder({ 'pyproject.toml': '[project]\nname = "x"\n# [tool.provguard] in a comment\n[tool.ruff]\n' });
    assert.equal(whyItApplies([plain], null), undefined);
    assert.match(whyItApplies([plain], true) ?? '', /provguard\.enable/);
    assert.equal(whyItApplies([folder({ 'provguard.toml': '' })], false), undefined);
  });
});
