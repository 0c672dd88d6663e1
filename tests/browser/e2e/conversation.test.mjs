// A whole conversation through the widget, in headless Chromium, against
// the real `trustcoach serve`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  freshPage, hostPage, launcherScript, startShared, waitCount, waitMore, widget,
} from '../lib/harness.mjs';

const shared = startShared({ name: 'conversation' });

describe('conversation', () => {
  test('the demo page shows the launcher, the inline element and the snippet', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    await page.goto(shared.server.url + '/');
    assert.match(await page.title(), /widget/i);
    const snippet = await page.locator('pre code').first().textContent();
    assert.match(snippet, /<script src="https:\/\/[^"]+\/widget\.js"/);
    assert.match(snippet, /data-api=/);
    // The launcher from the script tag.
    const w = widget(page);
    await w.launcher.waitFor();
    assert.equal(await w.panel.isVisible(), false);
    // The inline element starts its conversation on its own.
    const inline = widget(page, 'trustcoach-chat:not([mode])');
    await waitMore(inline.coach, 0);
    assert.ok(await inline.disclosure.isVisible());
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a whole conversation: open, disclosure, greeting, typed messages, replies', async () => {
    const { context, page, errors, calls } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript('data-title="Rebuilding trust"') });
    const w = widget(page);
    await w.launcher.click();
    assert.ok(await w.panel.isVisible());
    assert.equal(await w.launcher.getAttribute('aria-expanded'), 'true');
    assert.equal(await w.root.locator('h2').textContent(), 'Rebuilding trust');
    // The disclosure is visible from the start.
    const disclosure = await w.disclosure.textContent();
    assert.match(disclosure, /automated/i);
    assert.match(disclosure, /not a therapist/i);
    assert.match(disclosure, /emergenc/i);
    assert.ok(await w.disclosure.isVisible());
    // The greeting.
    await waitMore(w.coach, 0);
    const greeting = await w.coach.first().textContent();
    assert.ok(greeting.length > 10, greeting);
    assert.equal(calls.filter((c) => c.method === 'POST' && c.path === '/v1/conversations').length, 1);
    const create = JSON.parse(calls[0].body);
    assert.equal(typeof create.region, 'string');

    // Focus lands in the input; type and press Enter.
    assert.ok(await w.input.evaluate((el) => el.getRootNode().activeElement === el));
    let coachCount = await w.coach.count();
    await w.input.fill('My partner read my messages and I feel like I cannot trust them anymore');
    await w.input.press('Enter');
    await waitCount(w.person, 1);
    assert.equal(await w.input.inputValue(), '');
    coachCount = await waitMore(w.coach, coachCount);
    assert.equal(await w.person.first().textContent(), 'You: My partner read my messages and I feel like I cannot trust them anymore');

    // A second turn through the Send button.
    await w.input.fill('I want to talk about it');
    await w.send.click();
    await waitCount(w.person, 2);
    await waitMore(w.coach, coachCount);
    const sent = calls.filter((c) => c.method === 'POST' && c.path.endsWith('/messages'));
    assert.equal(sent.length, 2);
    assert.equal(JSON.parse(sent[1].body).text, 'I want to talk about it');
    // Escape closes the panel and gives focus back to the launcher.
    await w.input.press('Escape');
    assert.equal(await w.panel.isVisible(), false);
    assert.equal(await w.launcher.getAttribute('aria-expanded'), 'false');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the greeting waits for the configured delay, with the typing indicator', async () => {
    const { context, page } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: '<script src="/widget.js" data-greeting-delay="1200" async></script>' });
    const w = widget(page);
    const opened = Date.now();
    await w.launcher.click();
    await w.typing.waitFor({ state: 'visible' });
    await waitMore(w.coach, 0);
    assert.ok(Date.now() - opened >= 1000, `greeting after ${Date.now() - opened} ms`);
    assert.equal(await w.typing.isVisible(), false);
    await context.close();
  });

  test('clicking a quick reply sends it and it stays as the person\'s message', async () => {
    const { context, page, errors, calls } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    await waitMore(w.replies, 0);
    const choice = (await w.replies.first().textContent()).trim();
    const coachBefore = await w.coach.count();
    await w.replies.first().click();
    await waitCount(w.person, 1);
    assert.equal(await w.person.first().textContent(), 'You: ' + choice);
    await waitMore(w.coach, coachBefore);
    const sent = calls.filter((c) => c.path.endsWith('/messages'));
    assert.equal(sent.length, 1);
    assert.equal(JSON.parse(sent[0].body).text, choice);
    // The clicked reply is still in the transcript, and the old buttons are gone.
    assert.equal(await w.person.first().textContent(), 'You: ' + choice);
    for (const b of await w.replies.all()) assert.ok(await b.isEnabled());
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a double click, or Enter pressed twice, sends once; Enter while waiting sends after the reply', async () => {
    const { context, page, calls } = await freshPage(shared.browser);
    // Slow the answer down so the second click lands while the first is pending.
    await page.route('**/v1/conversations/*/messages', async (route) => {
      await new Promise((r) => setTimeout(r, 400));
      await route.continue();
    });
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    await w.input.fill('hello there');
    await w.send.dblclick();
    await w.input.fill('second message');
    await w.input.press('Enter');
    await w.input.press('Enter');
    // While waiting, the typing indicator shows.
    await w.typing.waitFor({ state: 'visible' });
    // The message typed while waiting goes once, after the first reply.
    await waitCount(w.person, 2);
    await waitMore(w.coach, 2);
    await page.waitForTimeout(600);
    const sent = calls.filter((c) => c.path.endsWith('/messages')).map((c) => JSON.parse(c.body).text);
    assert.deepEqual(sent, ['hello there', 'second message']);
    assert.equal(await w.input.inputValue(), '');
    await context.close();
  });

  test('Enter pressed while the greeting is on its way sends once it has come', async () => {
    const { context, page, calls } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: '<script src="/widget.js" data-greeting-delay="1200" async></script>' });
    const w = widget(page);
    await w.launcher.click();
    await w.typing.waitFor({ state: 'visible' });
    await w.input.fill('my partner lied to me');
    await w.input.press('Enter');
    assert.equal(await w.person.count(), 0);
    await waitCount(w.person, 1);
    await waitMore(w.coach, 1);
    const sent = calls.filter((c) => c.path.endsWith('/messages')).map((c) => JSON.parse(c.body).text);
    assert.deepEqual(sent, ['my partner lied to me']);
    // The greeting came first, then the message, then its reply.
    const order = await w.log.locator('.msg').evaluateAll((els) => els.map((e) => (e.classList.contains('person') ? 'p' : 'c')));
    assert.deepEqual(order.slice(0, 3), ['c', 'p', 'c']);
    await context.close();
  });

  test('an XSS attempt is shown as text, never run', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    const attack = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>bold</b>';
    const before = await w.coach.count();
    await w.input.fill(attack);
    await w.input.press('Enter');
    await waitCount(w.person, 1);
    await waitMore(w.coach, before);
    assert.equal(await w.person.first().textContent(), 'You: ' + attack);
    const counts = await w.root.evaluate((host) => ({
      img: host.shadowRoot.querySelectorAll('.log img').length,
      script: host.shadowRoot.querySelectorAll('.log script').length,
      b: host.shadowRoot.querySelectorAll('.log b').length,
    }));
    assert.deepEqual(counts, { img: 0, script: 0, b: 0 });
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('a crisis message shows the safety reply prominently with tappable resources', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript('data-open="true" data-region="en-US"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    await w.input.fill('I want to kill myself');
    await w.input.press('Enter');
    await w.help.first().waitFor({ state: 'visible' });
    // The coach's safety messages are marked, and come before the resources.
    assert.ok(await w.root.locator('.log .msg.safety').count() > 0);
    const links = w.help.first().locator('a');
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(hrefs.length > 0, 'resources have links');
    assert.ok(hrefs.some((h) => h.startsWith('tel:')), JSON.stringify(hrefs));
    for (const h of hrefs) assert.match(h, /^(tel:\+?[\d#*]+|sms:\+?\d+(\?body=.+)?|https?:\/\/.+)$/, h);
    // Resources are visible without scrolling away from the reply.
    assert.ok(await links.first().isVisible());
    assert.equal(await w.help.first().getAttribute('role'), 'group');
    // The first helplines stay in view above the transcript from now on.
    assert.ok(await w.helpbar.isVisible());
    const bar = await w.helpbar.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(bar.length >= 1 && bar.length <= 2, JSON.stringify(bar));
    assert.ok(bar[0].startsWith('tel:'), JSON.stringify(bar));
    const n = await w.coach.count();
    await w.input.fill('ok');
    await w.input.press('Enter');
    await waitMore(w.coach, n);
    assert.ok(await w.helpbar.isVisible(), 'still there on the next turn');
    // Start over clears it and brings the disclosure back.
    await w.startOver.click();
    await waitCount(w.person, 0);
    assert.equal(await w.helpbar.isVisible(), false);
    assert.ok(await w.disclosure.isVisible());
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('auto-scroll does not pull a person who is reading back', async () => {
    const { context, page } = await freshPage(shared.browser);
    await page.setViewportSize({ width: 1280, height: 640 });
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    for (let i = 0; i < 4; i++) {
      const n = await w.coach.count();
      await w.input.fill(`Message number ${i}: it has been hard to feel close again after what happened`);
      await w.input.press('Enter');
      await waitMore(w.coach, n);
    }
    const scrollable = await w.scroller.evaluate((l) => l.scrollHeight > l.clientHeight + 100);
    assert.ok(scrollable, 'the transcript is long enough to scroll');
    // A reply arrives while the person reads back: the view stays put.
    await page.route('**/v1/conversations/*/messages', async (route) => {
      await new Promise((r) => setTimeout(r, 300));
      await route.continue();
    });
    const m = await w.coach.count();
    await w.input.fill('and another');
    // Sending follows the person's own message; then they scroll back up
    // while the reply is on its way.
    await w.input.press('Enter');
    await page.waitForTimeout(80);
    await w.scroller.evaluate((l) => { l.scrollTop = 0; });
    await waitMore(w.coach, m);
    await page.waitForTimeout(400);
    assert.equal(await w.scroller.evaluate((l) => l.scrollTop), 0);
    // A "new messages" button offers the way down.
    const newer = w.root.locator('.newer');
    assert.ok(await newer.isVisible());
    await newer.click();
    await page.waitForTimeout(300);
    assert.ok(await w.scroller.evaluate((l) => l.scrollHeight - l.scrollTop - l.clientHeight < 40));
    await context.close();
  });
});
