// When the server is down or answers with an error: a plain message, a retry
// button, and nothing the person typed is lost.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freshPage, hostPage, launcherScript, startServer, startShared, stored, waitCount, waitMore, widget,
} from '../lib/harness.mjs';

const shared = startShared({ server: false });

describe('resilience', () => {
  test('requests that fail: plain message, text kept, retry recovers', async () => {
    const server = await startServer({ name: 'resilience' });
    try {
      const { context, page, calls } = await freshPage(shared.browser);
      await hostPage(page, server, { script: launcherScript('data-open="true"') });
      const w = widget(page);
      await waitMore(w.coach, 0);
      const coachBefore = await w.coach.count();

      // The network drops every message.
      await page.route('**/v1/conversations/*/messages', (route) => route.abort('connectionrefused'));
      await w.input.fill('Please keep this text safe');
      await w.input.press('Enter');
      await w.alert.waitFor({ state: 'visible' });
      assert.match(await w.alert.textContent(), /can.t be reached/i);
      assert.equal(await w.input.inputValue(), 'Please keep this text safe', 'the text is back in the input');
      assert.equal(await w.person.count(), 0, 'no half-sent bubble is left');
      assert.equal(await w.retry.textContent(), 'Try again');

      // A server error (500) reads differently but keeps the text too.
      await page.unroute('**/v1/conversations/*/messages');
      await page.route('**/v1/conversations/*/messages', (route) => route.fulfill({
        status: 500, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: '<b>x</b>' }),
      }));
      await w.retry.click();
      await w.alert.waitFor({ state: 'visible' });
      assert.match(await w.alert.textContent(), /went wrong/i);
      assert.equal(await w.input.inputValue(), 'Please keep this text safe');

      // The server is back: Try again sends it, once.
      await page.unroute('**/v1/conversations/*/messages');
      await w.retry.click();
      await waitCount(w.person, 1);
      await waitMore(w.coach, coachBefore);
      assert.equal(await w.person.first().textContent(), 'You: Please keep this text safe');
      assert.equal(await w.input.inputValue(), '');
      assert.equal(await w.alert.isVisible(), false);
      const sent = calls.filter((c) => c.path.endsWith('/messages'));
      assert.equal(sent.length, 3, 'two failed tries and one that worked');
      await context.close();
    } finally {
      await server.stop();
    }
  });

  test('the server really stops and comes back: the conversation goes on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trustcoach-e2e-'));
    const store = 'sqlite:' + path.join(dir, 'e2e.db');
    let server = await startServer({ name: 'restart', store });
    const port = server.port;
    try {
      const { context, page } = await freshPage(shared.browser);
      await hostPage(page, server, { script: launcherScript() });
      const w = widget(page);

      // Down before the first call: opening the chat shows the error.
      await server.stop();
      await w.launcher.click();
      await w.alert.waitFor({ state: 'visible' });
      assert.match(await w.alert.textContent(), /can.t be reached/i);
      server = await startServer({ name: 'restart', store, port });
      await w.retry.click();
      await waitMore(w.coach, 0);
      assert.equal(await w.alert.isVisible(), false);

      // Down in the middle of the conversation.
      const conv = await stored(page);
      const n = await w.coach.count();
      await server.stop();
      await w.input.fill('Are you still there?');
      await w.send.click();
      await w.alert.waitFor({ state: 'visible' });
      assert.equal(await w.input.inputValue(), 'Are you still there?');
      server = await startServer({ name: 'restart', store, port });
      await w.retry.click();
      await waitCount(w.person, 1);
      await waitMore(w.coach, n);
      assert.equal((await stored(page)).id, conv.id, 'the same conversation, from the SQLite store');
      await context.close();
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a conversation the server no longer knows: the widget offers a new one', async () => {
    let server = await startServer({ name: 'expired' });
    const port = server.port;
    try {
      const { context, page } = await freshPage(shared.browser);
      await hostPage(page, server, { script: launcherScript('data-open="true"') });
      const w = widget(page);
      await waitMore(w.coach, 0);
      const old = await stored(page);
      // A memory store forgets everything on restart.
      await server.stop();
      server = await startServer({ name: 'expired', port });
      await w.input.fill('Hello again');
      await w.input.press('Enter');
      await w.alert.waitFor({ state: 'visible' });
      assert.match(await w.alert.textContent(), /ended or expired/i);
      assert.equal(await w.input.inputValue(), 'Hello again');
      await w.retry.click();
      await waitMore(w.coach, 0);
      const now = await stored(page);
      assert.ok(now && now.id !== old.id);
      // The kept text goes out in the new conversation.
      await w.input.press('Enter');
      await waitCount(w.person, 1);
      assert.equal(await w.person.first().textContent(), 'You: Hello again');

      // On reload, an unknown stored id starts afresh instead of failing.
      await page.evaluate(() => sessionStorage.setItem('trustcoach', JSON.stringify({ id: 'nope', token: 'nope', open: true })));
      await page.reload();
      const w2 = widget(page);
      await waitMore(w2.coach, 0);
      assert.equal(await w2.person.count(), 0);
      assert.notEqual((await stored(page)).id, 'nope');
      await context.close();
    } finally {
      await server.stop();
    }
  });
  test('too many messages (429): asked to wait, text kept, retry later works', async () => {
    // One message of burst, then one every two seconds.
    const server = await startServer({ name: 'ratelimit', extra: ['--conversation-burst', '1', '--conversation-rate', '0.5'] });
    try {
      const { context, page } = await freshPage(shared.browser);
      await hostPage(page, server, { script: launcherScript('data-open="true"') });
      const w = widget(page);
      await waitMore(w.coach, 0);
      let n = await w.coach.count();
      await w.input.fill('first');
      await w.input.press('Enter');
      await waitMore(w.coach, n);
      await w.input.fill('second, too soon');
      await w.input.press('Enter');
      await w.alert.waitFor({ state: 'visible' });
      assert.match(await w.alert.textContent(), /wait a moment/i);
      assert.equal(await w.input.inputValue(), 'second, too soon');
      await page.waitForTimeout(2200);
      n = await w.coach.count();
      await w.retry.click();
      await waitCount(w.person, 2);
      await waitMore(w.coach, n);
      await context.close();
    } finally {
      await server.stop();
    }
  });
});
