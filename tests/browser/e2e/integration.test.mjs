// What an integrator builds on: every string translatable (data-strings,
// the strings property) with the widget's lang set, DOM CustomEvents for
// what happens in the chat (without message text unless asked for), and the
// transcript download button (off by default). docs/widget.md.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  freshPage, hostPage, launcherScript, startShared, talk, waitMore, widget,
} from '../lib/harness.mjs';

const shared = startShared({ name: 'integration' });

const GERMAN = {
  title: 'Vertrauens-Coach',
  send: 'Senden',
  message: 'Nachricht',
  placeholder: 'Nachricht schreiben …',
  quickExit: 'Schnell weg',
  startOver: 'Neu beginnen',
  del: 'Gespräch löschen',
  close: 'Chat schließen',
};

// Records every trustcoach:* event the page sees (on document, so bubbling
// out of the element is checked too) into `events`, in Node.
async function recordEvents(page, events) {
  await page.exposeFunction('__record', (e) => events.push(e));
  await page.addInitScript(() => {
    for (const name of ['open', 'close', 'message-sent', 'reply', 'safety', 'quick-exit']) {
      document.addEventListener('trustcoach:' + name, (e) => {
        window.__record({ type: e.type, detail: e.detail, target: e.target.tagName.toLowerCase() });
      });
    }
  });
}

async function until(check, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting for ' + what);
}

describe('integration', () => {
  test('data-strings translates the widget and data-lang sets its language', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    const strings = JSON.stringify(GERMAN).replace(/"/g, '&quot;');
    await hostPage(page, shared.server, {
      script: launcherScript(`data-open="true" data-lang="de" data-strings="${strings}"`),
    });
    const root = page.locator('trustcoach-chat[mode=launcher]');
    const input = root.getByRole('textbox', { name: 'Nachricht' });
    await input.waitFor();
    assert.equal(await input.getAttribute('placeholder'), GERMAN.placeholder);
    assert.ok(await root.getByRole('button', { name: 'Senden', exact: true }).isVisible());
    assert.ok(await root.getByRole('button', { name: 'Schnell weg' }).isVisible());
    assert.ok(await root.getByRole('button', { name: 'Chat schließen' }).isVisible());
    assert.equal(await root.locator('h2').textContent(), GERMAN.title);
    assert.equal(await root.locator('.wrap').getAttribute('lang'), 'de');
    // Strings not given keep their English default.
    assert.match(await root.locator('.disclosure').textContent(), /automated coach/);
    // The translated widget still talks.
    await waitMore(root.locator('.log .msg.coach'), 0);
    await input.fill('my partner lied to me');
    await root.getByRole('button', { name: 'Senden', exact: true }).click();
    await waitMore(root.locator('.log .msg.person'), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the strings property, set before connecting, wins over the attribute; lang follows the page', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    await hostPage(page, shared.server, {
      script: `<script src="/widget.js" data-launcher="false"></script>
<script>
  const el = document.createElement('trustcoach-chat');
  el.setAttribute('greeting-delay', '0');
  el.setAttribute('strings', JSON.stringify({ send: 'Envoyer (attribut)', message: 'Message (attribut)' }));
  el.strings = { send: 'Envoyer', notAString: 'ignored', quickExit: 42 };
  document.querySelector('main').append(el);
  const plain = document.createElement('trustcoach-chat');
  plain.id = 'plain';
  plain.setAttribute('greeting-delay', '0');
  document.querySelector('main').append(plain);
</script>`,
    });
    const root = page.locator('trustcoach-chat:not(#plain)');
    await root.locator('.log .msg.coach').first().waitFor();
    assert.ok(await root.getByRole('button', { name: 'Envoyer', exact: true }).isVisible());
    assert.ok(await root.getByRole('textbox', { name: 'Message (attribut)' }).isVisible());
    // Unknown keys and values that are not text are ignored.
    assert.ok(await root.getByRole('button', { name: 'Quick exit' }).isVisible());
    const strings = await page.evaluate(() => document.querySelector('trustcoach-chat:not(#plain)').strings);
    assert.equal(strings.send, 'Envoyer');
    assert.equal(strings.notAString, undefined);
    // Translated strings without a lang: the page's language applies.
    assert.equal(await root.locator('.wrap').getAttribute('lang'), null);
    // The built-in English strings are marked as English.
    assert.equal(await page.locator('#plain').locator('.wrap').getAttribute('lang'), 'en');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('events: open, reply, message sent, safety, close; no message text by default', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    const events = [];
    await recordEvents(page, events);
    await hostPage(page, shared.server, { script: launcherScript('data-region="en-US"') });
    const w = widget(page);
    await w.launcher.click();
    await waitMore(w.coach, 0);
    await until(() => events.some((e) => e.type === 'trustcoach:reply'), 'the opening reply');
    assert.deepEqual(events.map((e) => e.type), ['trustcoach:open', 'trustcoach:reply']);
    const opening = events[1].detail;
    assert.equal(opening.opening, true);
    assert.ok(opening.messages > 0);
    assert.deepEqual(opening.safety, { kind: 'none', level: 'none' });
    assert.ok(events.every((e) => e.target === 'trustcoach-chat'));

    const secret = 'my husband cheated with my sister';
    await talk(w, secret);
    await until(() => events.filter((e) => e.type === 'trustcoach:reply').length === 2, 'the second reply');
    assert.deepEqual(events.slice(2).map((e) => e.type), ['trustcoach:message-sent', 'trustcoach:reply']);
    assert.deepEqual(events[2].detail, { source: 'input' });
    assert.equal(events[3].detail.opening, false);

    await talk(w, 'I want to kill myself');
    await until(() => events.some((e) => e.type === 'trustcoach:safety'), 'the safety event');
    const safety = events.find((e) => e.type === 'trustcoach:safety').detail;
    assert.equal(safety.kind, 'suicide');
    assert.equal(safety.level, 'crisis');
    assert.ok(safety.resources > 0);

    await w.close.click();
    await until(() => events.some((e) => e.type === 'trustcoach:close'), 'the close event');
    // Nothing anyone wrote, and nothing the coach said, is in any event.
    const all = JSON.stringify(events);
    for (const text of [secret, 'kill myself', 'sister']) assert.ok(!all.includes(text), text);
    assert.ok(!all.includes('automated coach'));
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('events carry the text only when the page opts in; quick exit is announced first', async () => {
    const { context, page } = await freshPage(shared.browser);
    const events = [];
    await recordEvents(page, events);
    const neutral = 'https://neutral.test/news';
    await context.route('https://neutral.test/**', (route) => route.fulfill({
      contentType: 'text/html', body: '<!doctype html><title>News</title><h1>News</h1>',
    }));
    await hostPage(page, shared.server, {
      script: launcherScript(`data-open="true" data-events-text="true" data-quick-exit="${neutral}"`),
    });
    const w = widget(page);
    await waitMore(w.coach, 0);
    await talk(w, 'we want to rebuild trust');
    await until(() => events.filter((e) => e.type === 'trustcoach:reply').length === 2, 'two replies');
    const sent = events.find((e) => e.type === 'trustcoach:message-sent');
    assert.deepEqual(sent.detail, { source: 'input', text: 'we want to rebuild trust' });
    const reply = events.filter((e) => e.type === 'trustcoach:reply')[1].detail;
    assert.ok(Array.isArray(reply.text) && reply.text.length === reply.messages);
    const shown = await w.coach.last().textContent();
    assert.ok(shown.endsWith(reply.text[reply.text.length - 1]), shown);

    await w.exit.click();
    await page.waitForURL(neutral);
    assert.equal(events[events.length - 1].type, 'trustcoach:quick-exit');
    await context.close();
  });

  test('the transcript download is off by default; when on it saves what was said', async () => {
    const { context, page, errors } = await freshPage(shared.browser, {
      viewport: { width: 1280, height: 900 }, acceptDownloads: true,
    });
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    let w = widget(page);
    await waitMore(w.coach, 0);
    assert.equal(await w.root.locator('footer .download').count(), 0);

    await hostPage(page, shared.server, {
      path: '/e2e/download.html',
      script: launcherScript('data-open="true" data-transcript-download="true" data-region="en-US" data-storage="none"'),
    });
    w = widget(page);
    await waitMore(w.coach, 0);
    await talk(w, 'she lied about where she was');
    await talk(w, 'I want to kill myself');
    await w.help.first().waitFor();
    const button = w.root.getByRole('button', { name: 'Download transcript' });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    assert.equal(download.suggestedFilename(), 'conversation.txt');
    const text = fs.readFileSync(await download.path(), 'utf8');
    assert.match(text, /^Trust coach\n/);
    assert.match(text, /automated coach, not a therapist/);
    assert.match(text, /\nYou: she lied about where she was\n/);
    assert.match(text, /\nYou: I want to kill myself\n/);
    assert.match(text, /\nCoach: /);
    assert.match(text, /\nHelp is available now:\n {2}.+/);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
