// Shared pieces of the browser suite: the real `trustcoach serve` on a free
// loopback port, Debian's Chromium through playwright-core (never a browser
// download), and locators for the widget inside its shadow root.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SUITE_DIR = path.resolve(here, '..');
export const REPO = path.resolve(SUITE_DIR, '../..');
export const ARTIFACTS = process.env.TRUSTCOACH_ARTIFACTS || path.join(SUITE_DIR, 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

export const BIN = process.env.TRUSTCOACH_BIN || path.join(REPO, 'build/bin/trustcoach');
const CHROMIUM = process.env.TRUSTCOACH_CHROMIUM || '/usr/bin/chromium';
// Flags for this closed network: no background connections, no sandbox (root).
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `trustcoach serve` and waits for /readyz. `store` defaults to memory.
export async function startServer({ port, store = 'memory', extra = [], name = 'server' } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`trustcoach binary not found at ${BIN} (set TRUSTCOACH_BIN)`);
  port = port || await freePort();
  const args = [
    'serve', '--host', '127.0.0.1', '--port', String(port), '--store', store,
    '--web-dir', path.join(REPO, 'server/web'),
    // The binary's own dialogs unless TRUSTCOACH_DIALOGS names a folder.
    ...(process.env.TRUSTCOACH_DIALOGS ? ['--dialogs', process.env.TRUSTCOACH_DIALOGS] : []),
    // The whole suite comes from one address: no per-client rate limit.
    '--client-rate', '0',
    ...extra,
  ];
  const logFile = path.join(ARTIFACTS, `${name}-${port}.log`);
  const log = fs.openSync(logFile, 'a');
  const proc = spawn(BIN, args, { stdio: ['ignore', log, log], cwd: os.tmpdir() });
  fs.closeSync(log);
  let exited = null;
  proc.on('exit', (code, signal) => { exited = { code, signal }; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (exited) {
      throw new Error(`trustcoach serve exited (${JSON.stringify(exited)}): ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
    }
    try {
      const res = await fetch(url + '/readyz');
      if (res.ok) break;
    } catch (e) { /* not yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('trustcoach serve did not become ready'); }
    await sleep(50);
  }
  return {
    url, port, proc, logFile,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

// What a test file shares: in node:test's `before`, a server named `name`
// (unless `server` is false) and Chromium (unless `browser` is false); both
// are stopped in `after`. Returns an object whose `server` and `browser` are
// set once `before` has run.
export function startShared({ name, server = true, browser = true } = {}) {
  const shared = { server: null, browser: null };
  before(async () => {
    if (server) shared.server = await startServer({ name });
    if (browser) shared.browser = await launchBrowser();
  });
  after(async () => {
    await shared.browser?.close();
    await shared.server?.stop();
  });
  return shared;
}

// A page in a new context of `browser`, made with `options` as they are
// (a 1280 x 900 viewport unless given), its errors and API calls watched.
export async function freshPage(browser, options = { viewport: { width: 1280, height: 900 } }) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  return { context, page, errors: watchErrors(page), calls: watchApi(page) };
}

// A page on the server's own origin with the given markup, so tests can try
// every embedding option against the real server.
export async function hostPage(page, server, { head = '', body = '', script = '', path: p = '/e2e/host.html' } = {}) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Host page</title>
<link rel="icon" href="data:,">${head}</head><body><main><h1>Host page</h1><p><a href="#top">A link on the host page</a></p>${body}</main>
${script}</body></html>`;
  await page.route(server.url + p, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
  await page.goto(server.url + p);
}

export function launcherScript(attrs = '') {
  return `<script src="/widget.js" data-greeting-delay="0" ${attrs} async></script>`;
}

// Locators for one widget (launcher by default). Playwright's CSS and role
// locators pierce open shadow roots.
export function widget(page, host = 'trustcoach-chat[mode=launcher]') {
  const root = page.locator(host);
  return {
    root,
    launcher: root.locator('.launcher'),
    panel: root.locator('.panel'),
    log: root.locator('[role=log]'),
    scroller: root.locator('.scroller'),
    helpbar: root.locator('.helpbar'),
    input: root.getByRole('textbox', { name: 'Message' }),
    send: root.getByRole('button', { name: 'Send', exact: true }),
    coach: root.locator('.log .msg.coach'),
    person: root.locator('.log .msg.person'),
    replies: root.locator('.replies button'),
    alert: root.getByRole('alert'),
    retry: root.locator('.alert button'),
    help: root.locator('.help'),
    disclosure: root.locator('.disclosure'),
    exit: root.getByRole('button', { name: 'Quick exit' }),
    close: root.getByRole('button', { name: 'Close chat' }),
    startOver: root.getByRole('button', { name: 'Start over' }),
    del: root.getByRole('button', { name: 'Delete my conversation' }),
    typing: root.locator('.typing'),
  };
}

// Types `text` into widget `w` and sends it with Enter; returns once it
// shows as the person's and a coach message more has come. Waits first for
// the widget to be idle: while a reply (or the greeting) is on its way,
// Enter only queues the text, so the counts below would race.
export async function talk(w, text) {
  await w.root.locator('[aria-busy="true"]').waitFor({ state: 'hidden', timeout: 10000 });
  const n = await w.coach.count();
  const p = await w.person.count();
  await w.input.fill(text);
  await w.input.press('Enter');
  await waitCount(w.person, p + 1);
  await waitMore(w.coach, n);
}

// Waits until `locator` has exactly `n` elements.
export async function waitCount(locator, n, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let c = -1;
  while (Date.now() < deadline) {
    c = await locator.count();
    if (c === n) return;
    await sleep(50);
  }
  throw new Error(`expected ${n} elements, found ${c}`);
}

// Waits until `locator` has more than `n` elements; returns the count.
export async function waitMore(locator, n, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let c = 0;
  while (Date.now() < deadline) {
    c = await locator.count();
    if (c > n) return c;
    await sleep(50);
  }
  throw new Error(`expected more than ${n} elements, still ${c}`);
}

// Collects page errors and failed console messages, for tests to assert none.
export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
  return errors;
}

// Requests to the API, by method and route, for counting.
export function watchApi(page) {
  const calls = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/v1/')) calls.push({ method: r.method(), path: u.pathname, body: r.postData() });
  });
  return calls;
}

// The conversation id and token the widget keeps, or null.
export async function stored(page, area = 'sessionStorage', key = 'trustcoach') {
  return page.evaluate(([a, k]) => JSON.parse(window[a].getItem(k) || 'null'), [area, key]);
}
