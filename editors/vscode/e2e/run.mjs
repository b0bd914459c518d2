// End-to-end check of the extension in a real VS Code: code-server in headless Chromium (playwright-core).
//
// node e2e/run.mjs --code-server BIN --vsix FILE --python PYTHON --workspace DIR --artifacts DIR [--scenario S]
//
// The workspace must hold src/app.py with an AI marker block (see tests/test_vscode_e2e.py).
// Scenario `edit` (the default) opens it, waits for the marker's squiggle, the Problems rows and the status
// bar summary, pastes a block through the clipboard and waits for the paste's own diagnostic (which says
// "paste", so the hint reached the server), accepts an inline suggestion from a stand-in completion extension
// (e2e/fake-completions) with Tab and waits for its AI-completion diagnostics, applies "Mark as reviewed" from
// the quick-fix menu, and saves.
// Scenario `zero-setup` is given a workspace with a provguard.toml and a Python that has only provguard's compiled
// dependencies (no provguard): the extension's bundled provguard runs on it, and the marker's squiggle, the
// Problems row and the status bar appear. Scenario `broken-server` is given a bare Python and waits for the one
// notification that names what it lacks and how to install it. Scenario `not-applicable` is a Python project
// that never uses provguard: the log says the server was not started, and no notification or status bar item
// shows. Scenario `multi-root` is given a `.code-workspace` file holding folders `plain`, `team` and `scratch`, whose
// provguard.toml select different packs and whose src/<folder>_app.py hold the same Codex-marked code (scratch's own
// settings file keeps its ledger in memory): Problems lists each file under its own folder's pack (the default pack's unreviewed warning, the team
// pack's "no Codex in this project"). In every scenario the interpreter comes from `provguard.interpreter` (the Python extension cannot be
// installed offline) and no `provguard` is on PATH. The script prints one line per step, keeps screenshots in
// the artifacts folder, and exits 1 with the reason when a step does not happen in time.

import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    'code-server': { type: 'string' },
    vsix: { type: 'string' },
    python: { type: 'string' },
    workspace: { type: 'string' },
    artifacts: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    scenario: { type: 'string', default: 'edit' },
    keep: { type: 'boolean', default: false },
  },
});
for (const name of ['code-server', 'vsix', 'python', 'workspace', 'artifacts']) {
  if (!opts[name]) {
    console.error(`e2e: --${name} is required`);
    process.exit(2);
  }
}

export const PASTED = 'def pasted(rows):\n    return sorted(set(rows), key=len)\n';
const REVIEWER = 'e2e@example.com';
const started = Date.now();
const log = (message) => console.log(`e2e [${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

const state = mkdtempSync(join(tmpdir(), 'provguard-e2e-'));
const dirs = {
  user: join(state, 'user-data'),
  extensions: join(state, 'extensions'),
  xdg: join(state, 'xdg'),
};
Object.values(dirs).forEach((dir) => mkdirSync(dir, { recursive: true }));
mkdirSync(opts.artifacts, { recursive: true });
// code-server's window is a remote one: machine-scoped settings (the server's interpreter) are read from the
// Machine settings, the rest from the User settings.
mkdirSync(join(dirs.user, 'User'), { recursive: true });
mkdirSync(join(dirs.user, 'Machine'), { recursive: true });
writeFileSync(
  join(dirs.user, 'Machine', 'settings.json'),
  JSON.stringify({ 'provguard.interpreter': [opts.python] }, null, 2),
);
writeFileSync(join(dirs.user, 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'workbench.tips.enabled': false,
  'provguard.reviewer': REVIEWER,
}));
// the edit scenario's project has no provguard config: its workspace setting is what turns provguard on there
const workspaceSettings = { 'provguard.enable': true };
if (opts.scenario === 'edit') {
  mkdirSync(join(opts.workspace, '.vscode'), { recursive: true });
  writeFileSync(join(opts.workspace, '.vscode', 'settings.json'), JSON.stringify(workspaceSettings));
}
const config = join(state, 'config.yaml');
writeFileSync(config, 'auth: none\ncert: false\n');
const env = {
  ...process.env,
  PATH: withoutProvguard(process.env.PATH ?? ''),
  XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
  XDG_DATA_HOME: join(dirs.xdg, 'data'),
  XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
};
const common = ['--config', config, '--user-data-dir', dirs.user, '--extensions-dir', dirs.extensions];

let server;
let browser;
let page;
try {
  // a stand-in for a completion extension such as Copilot: offers one inline suggestion
  const fakeVsix = join(state, 'fake-completions.vsix');
  await run(
    process.execPath,
    [join(here, '..', 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', '--skip-license', '--out', fakeVsix],
    { cwd: join(here, 'fake-completions') },
  );
  for (const vsix of [opts.vsix, fakeVsix]) {
    await run(opts['code-server'], [...common, '--install-extension', vsix, '--force']);
  }
  log('extensions installed');
  const port = await freePort();
  server = spawn(
    opts['code-server'],
    [
      ...common,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      opts.workspace,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const serverLog = [];
  server.stdout.on('data', (d) => serverLog.push(String(d)));
  server.stderr.on('data', (d) => serverLog.push(String(d)));
  const origin = `http://127.0.0.1:${port}`;
  await until(async () => (await fetch(`${origin}/healthz`).catch(() => undefined))?.ok, 'code-server to answer /healthz', 60_000, 250);
  log('code-server is up');

  browser = await chromium.launch({
    executablePath: opts.chromium,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  page = await context.newPage();
  const opened = opts.workspace.endsWith('.code-workspace') ? 'workspace' : 'folder';
  await page.goto(`${origin}/?${opened}=${encodeURIComponent(opts.workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  log('workbench loaded');

  if (opts.scenario === 'broken-server') {
    await brokenServer();
  } else if (opts.scenario === 'zero-setup') {
    await zeroSetup();
  } else if (opts.scenario === 'not-applicable') {
    await notApplicable();
  } else if (opts.scenario === 'multi-root') {
    await multiRoot();
  } else {
    await edit();
  }
  console.log('e2e: passed');
} catch (error) {
  console.error(`e2e: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  if (page) {
    await page.screenshot({ path: join(opts.artifacts, `vscode-${opts.scenario}-failure.png`) }).catch(() => undefined);
    console.error(`e2e: problems at failure: ${JSON.stringify(await problemTexts().catch(() => []))}`);
  }
  console.error(`e2e: state (logs) kept in ${state}`);
  opts.keep = true;
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => undefined);
  if (server && server.exitCode === null) {
    // code-server and its extension host write logs until they exit: removing the state under them fails
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  if (!opts.keep) {
    rmSync(state, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

async function edit() {
  await openFile('app.py');
  await page.waitForSelector('.squiggly-warning, .squiggly-info', { timeout: 60_000 });
  log('marker squiggle shown');
  await status(/AI 4 lines/);
  log('status bar shows the AI lines');

  await page.keyboard.press('Control+Shift+M');
  await problemRow(/Code written by Claude Code has not been reviewed/);
  log('Problems lists the unreviewed AI block');

  await focusEditor();
  await page.keyboard.press('Control+End');
  await page.evaluate((text) => navigator.clipboard.writeText(text), PASTED);
  await page.keyboard.press('Control+V');
  await until(async () => (await editorText()).includes('def pasted(rows)'), 'the pasted text in the editor');
  await problemRow(/arrived as a pasted insertion/);
  log('the paste is tracked as a paste');
  await status(/1 undeclared/);

  // an inline suggestion accepted with Tab goes through provguard's wrapper of the accept command
  await page.keyboard.press('Control+End');
  await page.keyboard.type('def completed(rows):');
  await page.keyboard.press('Enter');
  await page.keyboard.type('return');
  const ghost = page.locator('.ghost-text-decoration, .ghost-text').first();
  // typing asks for suggestions; on a loaded machine that request can be dropped, so ask once more (Alt+Backslash triggers one)
  if (!(await ghost.waitFor({ timeout: 20_000 }).then(() => true, () => false))) {
    await page.keyboard.press('Alt+Backslash');
    await ghost.waitFor({ timeout: 30_000 });
  }
  log('inline suggestion shown');
  await page.keyboard.press('Tab');
  await until(async () => (await editorText()).includes('return sorted(rows, reverse=True)'), 'the suggestion to be accepted');
  await problemRow(/Code suggested by /);
  await status(/AI 5 lines/);
  log('the accepted suggestion is tracked as an AI completion');
  await page.screenshot({ path: join(opts.artifacts, 'vscode-diagnostics.png') });

  await page.locator('.statusbar-item', { hasText: 'AI 5 lines' }).first().click();
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'arrived as a pasted insertion' }).first().waitFor({ timeout: 30_000 });
  log('the status bar lists the findings');
  await page.keyboard.press('Escape');

  await focusEditor();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('Control+.');
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: `Mark as reviewed by ${REVIEWER}` });
  await fix.first().waitFor({ timeout: 30_000 });
  await page.screenshot({ path: join(opts.artifacts, 'vscode-quick-fix-menu.png') });
  await fix.first().click();
  await until(async () => (await editorText()).includes(`reviewed-by=${REVIEWER}`), 'the quick fix to change the marker');
  log('quick fix applied');
  await until(async () => !(await problemTexts()).some((t) => /Code written by Claude Code has not been reviewed/.test(t)), 'the unreviewed diagnostic to go');
  log('its diagnostic is gone');
  await problemRow(/arrived as a pasted insertion/);
  await page.screenshot({ path: join(opts.artifacts, 'vscode-after-fix.png') });
  await focusEditor();
  await page.keyboard.press('Control+S');
  const file = join(opts.workspace, 'src', 'app.py');
  await until(async () => readFileSync(file, 'utf8').includes(`reviewed-by=${REVIEWER}`), `${file} to be saved`);
  log('saved');

  // a changed setting reaches the running server: silencing a rule takes its diagnostic away
  mkdirSync(join(opts.workspace, '.vscode'), { recursive: true });
  writeFileSync(
    join(opts.workspace, '.vscode', 'settings.json'),
    JSON.stringify({ ...workspaceSettings, 'provguard.severity': { 'undeclared-insertion': 'off' } }),
  );
  await until(async () => !(await problemTexts()).some((t) => /arrived as a pasted insertion/.test(t)), 'the silenced rule to go');
  log('a settings change reached the server');
}

async function zeroSetup() {
  await openFile('app.py');
  await page.waitForSelector('.squiggly-warning, .squiggly-info', { timeout: 60_000 });
  log('marker squiggle shown by the bundled server');
  await status(/AI 4 lines/);
  await page.keyboard.press('Control+Shift+M');
  await problemRow(/Code written by Claude Code has not been reviewed/);
  log('Problems lists the unreviewed AI block');
  const toasts = await page.locator('.notification-toast').allInnerTexts();
  if (toasts.some((t) => /provguard/.test(t))) {
    throw new Error(`a provguard notification showed: ${JSON.stringify(toasts)}`);
  }
  await page.screenshot({ path: join(opts.artifacts, 'vscode-zero-setup.png') });
}

async function brokenServer() {
  const toast = page.locator('.notification-toast', { hasText: 'provguard' });
  await toast.first().waitFor({ timeout: 60_000 });
  const text = await toast.first().innerText();
  if (!/lacks \d+ compiled packages the server needs: google-re2, /.test(text)) {
    throw new Error(`the start failure message does not name what is missing: ${JSON.stringify(text)}`);
  }
  for (const expected of [opts.python, '-m pip install provguard', 'provguard.interpreter', 'Show Output']) {
    if (!text.includes(expected)) {
      throw new Error(`the start failure message lacks ${JSON.stringify(expected)}: ${JSON.stringify(text)}`);
    }
  }
  log('the start failure names the missing packages and how to install them');
  await status(/^\s*provguard\s*$/);
  log('the status bar shows the server is not running');
  const count = await toast.count();
  if (count !== 1) {
    throw new Error(`${count} provguard notifications instead of one: ${JSON.stringify(await toast.allInnerTexts())}`);
  }
  await page.screenshot({ path: join(opts.artifacts, 'vscode-broken-server.png') });
  await toast.first().locator('.monaco-button', { hasText: 'Show Output' }).click();
  await until(async () => /No module named[^]*To install exactly these:/.test(await outputText()), 'the output channel to list each missing package');
  log('"Show Output" opens the log with the details');
}

async function notApplicable() {
  await openFile('app.py');
  // the log line is written once activation decided: after it, a start failure would already have been shown
  await runCommand('provguard: Show Server Log');
  await until(async () => (await outputText()).includes('provguard does not apply to this workspace'), 'the log to say provguard does not apply');
  log('the log says the server was not started');
  const toasts = await page.locator('.notification-toast').allInnerTexts();
  if (toasts.some((t) => /provguard/.test(t))) {
    throw new Error(`a provguard notification showed in a workspace without provguard: ${JSON.stringify(toasts)}`);
  }
  if ((await page.locator('.statusbar-item').allInnerTexts()).some((t) => /provguard/.test(t))) {
    throw new Error('the status bar shows provguard in a workspace without provguard');
  }
  log('no notification and no status bar item');
  await page.screenshot({ path: join(opts.artifacts, 'vscode-not-applicable.png') });
}

async function multiRoot() {
  await openFile('plain_app.py');
  await openFile('team_app.py');
  await openFile('scratch_app.py');
  await page.keyboard.press('Control+Shift+M');
  await problemRow(/Code written by Codex has not been reviewed/);
  log('Problems lists the plain folder\'s file under the default pack');
  await problemRow(/no Codex in this project/);
  log('Problems lists the team folder\'s file under the team pack');
  const rows = await problemTexts();
  if (rows.filter((t) => /no Codex in this project/.test(t)).length !== 1) {
    throw new Error(`the team pack's rule should apply to the team folder's file only: ${JSON.stringify(rows)}`);
  }
  await page.screenshot({ path: join(opts.artifacts, 'vscode-multi-root.png') });
}

async function runCommand(title) {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 30_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

async function outputText() {
  return (await page.locator('.part.panel .view-lines').allInnerTexts().catch(() => [])).join('\n').replace(/\u00a0/g, ' ');
}

/** PATH without the folders that hold a `provguard` executable: the extension must find its server otherwise. */
function withoutProvguard(path) {
  return path
    .split(delimiter)
    .filter((dir) => {
      try {
        accessSync(join(dir, 'provguard'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);
}

async function openFile(name) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 30_000 });
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await until(async () => (await editorText()).includes('def '), `${name} to open`);
  log(`${name} opened`);
}

async function focusEditor() {
  await page.locator('.editor-instance .view-lines').first().click();
}

async function editorText() {
  return (await page.locator('.editor-instance .view-lines').first().innerText().catch(() => '')).replace(/\u00a0/g, ' ');
}

async function problemTexts() {
  return page.locator('.markers-panel .monaco-list-row').allInnerTexts();
}

async function problemRow(pattern) {
  await until(async () => (await problemTexts()).some((t) => pattern.test(t)), `a Problems row matching ${pattern}`);
}

async function status(pattern) {
  await until(
    async () => (await page.locator('.statusbar-item').allInnerTexts()).some((t) => pattern.test(t)),
    `the status bar to show ${pattern}`,
  );
}

async function until(check, what, timeout = 30_000, every = 200) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}`);
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, timeout: 120_000, ...options }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || stdout || error.message}`)) : resolve(stdout),
    );
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
