// The optional "That missed the point" link (data-report-missed, off by
// default): one click, whose wording is the consent, puts that one message
// in the server's review queue (docs/privacy.md), and nothing else.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BIN, freshPage, hostPage, launchBrowser, launcherScript, startServer, talk, widget,
} from '../lib/harness.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustcoach-review-'));
const db = path.join(dir, 'review.db');
const shared = { on: null, off: null, browser: null };
before(async () => {
  shared.on = await startServer({ name: 'review-on', extra: ['--review-queue', 'sqlite:' + db] });
  shared.off = await startServer({ name: 'review-off' });
  shared.browser = await launchBrowser();
});
after(async () => {
  await shared.browser?.close();
  await shared.on?.stop();
  await shared.off?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function exported() {
  const out = execFileSync(BIN, ['review', 'export', '--db', db], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

// A 409 from the report route is expected where the queue is off.
const real = (errors) => errors.filter((e) => !/status of 409/.test(e));

describe('review', () => {
  test('off by default: no link on any reply', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    await hostPage(page, shared.on, { script: launcherScript() });
    const w = widget(page);
    await w.launcher.click();
    await talk(w, 'my wife cheated on me');
    assert.equal(await w.root.locator('.missed').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('one click with its consent wording queues that one message, without ids', async () => {
    const { context, page, errors, calls } = await freshPage(shared.browser);
    await hostPage(page, shared.on, { script: launcherScript('data-report-missed="true"') });
    const w = widget(page);
    await w.launcher.click();
    // Not on the greeting.
    await w.coach.first().waitFor();
    assert.equal(await w.root.locator('.missed').count(), 0);
    await talk(w, 'my wife cheated on me');
    await talk(w, 'it still hurts every single day');
    // Only the latest reply offers it, and the wording asks for consent.
    const link = w.root.locator('.missed');
    assert.equal(await link.count(), 1);
    const wording = await link.textContent();
    assert.match(wording, /missed the point/i);
    assert.match(wording, /share my message/i);
    await link.click();
    const done = w.root.locator('.missed-done');
    await done.waitFor();
    assert.match(await done.textContent(), /shared without your name/i);
    assert.equal(await w.root.locator('.missed').count(), 0);
    const reports = calls.filter((c) => c.method === 'POST' && c.path.endsWith('/review'));
    assert.equal(reports.length, 1);
    assert.deepEqual(JSON.parse(reports[0].body), { turn: 2 });
    // Stored by a background writer: wait for it.
    let items = [];
    for (let i = 0; i < 100; i++) {
      items = exported().filter((x) => x.reason === 'reported');
      if (items.length) break;
      await sleep(50);
    }
    assert.equal(items.length, 1);
    assert.equal(items[0].text, 'it still hurts every single day');
    assert.deepEqual(items[0].turn, { say: 'it still hurts every single day' });
    const raw = fs.readFileSync(db, 'latin1');
    const conv = await page.evaluate(() => JSON.parse(sessionStorage.getItem('trustcoach')));
    assert.ok(!raw.includes(conv.id), 'the conversation id is not stored');
    assert.ok(!raw.includes(conv.token), 'the token is not stored');
    assert.ok(!raw.includes('my wife cheated'), 'the other message is not stored');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('where the server keeps no queue, the link says nothing was shared', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    await hostPage(page, shared.off, { script: launcherScript('data-report-missed="true"') });
    const w = widget(page);
    await w.launcher.click();
    await talk(w, 'my wife cheated on me');
    await w.root.locator('.missed').click();
    const done = w.root.locator('.missed-done');
    await done.waitFor();
    assert.match(await done.textContent(), /nothing was shared/i);
    assert.equal(await w.alert.isVisible(), false);
    assert.deepEqual(real(errors), []);
    await context.close();
  });
});
