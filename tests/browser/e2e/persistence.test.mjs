// What the widget keeps and forgets: reload persistence in each storage
// mode, "Start over", "Delete my conversation" and the quick exit.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freshPage, hostPage, launcherScript, startShared, stored, talk, waitCount, waitMore, widget,
} from '../lib/harness.mjs';

const shared = startShared({ name: 'persistence' });

// Status of GET /v1/conversations/{id} straight from the server.
async function serverStatus(conv) {
  const res = await fetch(`${shared.server.url}/v1/conversations/${conv.id}`, { headers: { Authorization: 'Bearer ' + conv.token } });
  return res.status;
}

describe('persistence', () => {
  test('the conversation survives a reload (sessionStorage by default)', async () => {
    const { context, page, errors, calls } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript() });
    let w = widget(page);
    await w.launcher.click();
    await waitMore(w.coach, 0);
    await talk(w, 'We had a big fight about trust last week');
    await talk(w, 'I do not know where to start');
    const before = await w.log.locator('.msg').allTextContents();
    const conv = await stored(page);
    assert.ok(conv && conv.id && conv.token, 'id and token are in sessionStorage');
    assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
    // Only the id and token are kept on the device, not the text.
    assert.deepEqual(Object.keys(conv).sort(), ['id', 'open', 'token']);

    await page.reload();
    w = widget(page);
    // It was open, so it opens again, with the transcript from GET.
    await w.panel.waitFor({ state: 'visible' });
    await waitCount(w.log.locator('.msg'), before.length);
    assert.deepEqual(await w.log.locator('.msg').allTextContents(), before);
    assert.ok(calls.some((c) => c.method === 'GET' && c.path === `/v1/conversations/${conv.id}`));
    assert.equal(calls.filter((c) => c.method === 'POST' && c.path === '/v1/conversations').length, 1);
    // The talk goes on in the same conversation.
    await talk(w, 'Thank you');
    assert.equal((await stored(page)).id, conv.id);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a new tab forgets a sessionStorage conversation; storage "local" keeps it', async () => {
    const context = await shared.browser.newContext();
    const a = await context.newPage();
    await hostPage(a, shared.server, { script: launcherScript('data-open="true"') });
    await waitMore(widget(a).coach, 0);
    const b = await context.newPage();
    await hostPage(b, shared.server, { script: launcherScript() });
    assert.equal(await stored(b), null);

    const c = await context.newPage();
    await hostPage(c, shared.server, { script: launcherScript('data-open="true" data-storage="local"') });
    const wc = widget(c);
    await waitMore(wc.coach, 0);
    await talk(wc, 'Remember me please');
    const conv = await stored(c, 'localStorage');
    assert.ok(conv && conv.id);
    const d = await context.newPage();
    await hostPage(d, shared.server, { script: launcherScript('data-open="true" data-storage="local"') });
    const wd = widget(d);
    await waitCount(wd.person, 1);
    assert.equal(await wd.person.first().textContent(), 'You: Remember me please');
    await context.close();
  });

  test('storage "none" keeps nothing: a reload starts afresh', async () => {
    const { context, page, calls } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript('data-open="true" data-storage="none"') });
    let w = widget(page);
    await waitMore(w.coach, 0);
    await talk(w, 'Just testing');
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);
    await page.reload();
    w = widget(page);
    await w.launcher.click();
    await waitMore(w.coach, 0);
    assert.equal(await w.person.count(), 0);
    assert.equal(calls.filter((c) => c.method === 'POST' && c.path === '/v1/conversations').length, 2);
    await context.close();
  });

  test('"Delete my conversation" calls DELETE and clears local data', async () => {
    const { context, page, errors, calls } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    await talk(w, 'Something private');
    const conv = await stored(page);
    assert.equal(await serverStatus(conv), 200);
    const del = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await w.del.click();
    assert.equal((await del).status(), 204);
    assert.ok(calls.some((c) => c.method === 'DELETE' && c.path === `/v1/conversations/${conv.id}`));
    await w.root.locator('.note').waitFor();
    assert.match(await w.root.locator('.note').textContent(), /deleted/i);
    assert.equal(await w.log.locator('.msg').count(), 0, 'the transcript is cleared');
    assert.equal(await stored(page), null, 'id and token are gone from the device');
    assert.equal(await serverStatus(conv), 404, 'and from the server');
    // Focus goes to the way forward.
    const again = w.root.getByRole('button', { name: 'Start a new conversation' });
    assert.ok(await again.evaluate((el) => el.getRootNode().activeElement === el));
    // After a reload nothing comes back.
    await page.reload();
    const w2 = widget(page);
    await w2.launcher.click();
    await waitMore(w2.coach, 0);
    assert.equal(await w2.person.count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('"Start over" opens a new conversation and deletes the old one', async () => {
    const { context, page } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    await talk(w, 'First try');
    const old = await stored(page);
    const gone = page.waitForResponse((r) => r.request().method() === 'DELETE');
    await w.startOver.click();
    await waitCount(w.person, 0);
    await waitMore(w.coach, 0);
    const now = await stored(page);
    assert.ok(now && now.id && now.id !== old.id);
    assert.equal((await gone).status(), 204);
    assert.equal(await serverStatus(old), 404);
    assert.ok(await w.input.evaluate((el) => el.getRootNode().activeElement === el));
    await context.close();
  });

  test('quick exit hides the widget at once and replaces the page with a neutral one', async () => {
    const { context, page } = await freshPage(shared.browser);
    const neutral = 'https://neutral.test/weather';
    await context.route('https://neutral.test/**', (route) => route.fulfill({
      contentType: 'text/html', body: '<!doctype html><title>Weather</title><h1>Weather</h1>',
    }));
    await page.route(shared.server.url + '/e2e/before.html', (route) => route.fulfill({
      contentType: 'text/html', body: '<!doctype html><title>Before</title><p>before</p>',
    }));
    await page.goto(shared.server.url + '/e2e/before.html');
    await hostPage(page, shared.server, { script: launcherScript(`data-open="true" data-quick-exit="${neutral}"`) });
    const w = widget(page);
    await waitMore(w.coach, 0);
    await talk(w, 'He checks my phone');
    // Hold the navigation, click, and read the widget's state in the same
    // task as the click: it is hidden at once, before the page goes.
    let release;
    const held = new Promise((r) => { release = r; });
    await context.unroute('https://neutral.test/**');
    await context.route('https://neutral.test/**', async (route) => {
      await held;
      await route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Weather</title><h1>Weather</h1>' });
    });
    const state = await page.evaluate(() => {
      const root = document.querySelector('trustcoach-chat[mode=launcher]').shadowRoot;
      root.querySelector('.exit').click();
      const shown = (sel) => root.querySelector(sel).getClientRects().length > 0;
      return {
        panel: shown('.panel'), launcher: shown('.launcher'), cover: shown('.cover'),
        stored: sessionStorage.getItem('trustcoach'),
      };
    });
    assert.deepEqual(state, { panel: false, launcher: false, cover: true, stored: null });
    release();
    await page.waitForURL(neutral);
    assert.equal(await page.title(), 'Weather');
    // The chat page was replaced in the history, not pushed.
    await page.goBack();
    assert.equal(page.url(), shared.server.url + '/e2e/before.html');
    await context.close();
  });
});
