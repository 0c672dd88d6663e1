// Keyboard-only use, an axe-core scan, the 360 px phone viewport, touch
// targets, theming and isolation, and screenshots for a person to look at.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import {
  ARTIFACTS, freshPage, hostPage, launcherScript, startShared, talk, waitCount, waitMore, widget,
} from '../lib/harness.mjs';

const shared = startShared({ name: 'accessibility' });

// The element that has focus, looking into shadow roots.
async function focused(page) {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return null;
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      cls: el.className && typeof el.className === 'string' ? el.className : '',
      label: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 60),
      inReplies: !!el.closest('.replies'),
      outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    };
  });
}

// A conversation with a crisis reply and its resources, for the scans and
// the screenshots.
async function demoWithCrisis(page) {
  await page.goto(shared.server.url + '/');
  const w = widget(page);
  await w.launcher.click();
  await waitMore(w.coach, 0);
  await talk(w, 'My partner lied to me about money and I do not know if I can trust them again');
  await w.input.fill('I want to kill myself');
  await w.input.press('Enter');
  await w.help.first().waitFor({ state: 'visible' });
  await page.waitForTimeout(400);
  return w;
}

async function seriousViolations(page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('accessibility and mobile', () => {
  test('keyboard only: open, type, Enter, quick reply, Escape, with visible focus', async () => {
    const { context, page, errors } = await freshPage(shared.browser);
    await hostPage(page, shared.server, { script: launcherScript() });
    const w = widget(page);
    await w.launcher.waitFor();
    // Tab from the top of the page reaches the launcher.
    let f = null;
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      f = await focused(page);
      if (f && f.cls.includes('launcher')) break;
    }
    assert.ok(f && f.cls.includes('launcher'), JSON.stringify(f));
    assert.ok(f.outline, 'the launcher shows visible focus');
    // Enter opens; focus goes to the message box.
    await page.keyboard.press('Enter');
    await w.panel.waitFor({ state: 'visible' });
    f = await focused(page);
    assert.equal(f.tag, 'textarea');
    assert.equal(f.label, 'Message');
    await waitMore(w.coach, 0);
    // Type, Enter sends; Shift+Enter makes a new line instead.
    await page.keyboard.type('First line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    assert.equal(await w.input.inputValue(), 'First line\nsecond line');
    const n = await w.coach.count();
    await page.keyboard.press('Enter');
    await waitCount(w.person, 1);
    await waitMore(w.coach, n);
    assert.equal((await focused(page)).tag, 'textarea', 'focus stays in the message box');
    // Quick replies come before the input: Shift+Tab reaches them.
    if (await w.replies.count() > 0) {
      // While a reply is still scrolling into view (slow machines), the
      // "New messages" button sits between the replies and the input: it is
      // a legitimate stop on the way.
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Shift+Tab');
        f = await focused(page);
        if (!(f && f.cls.includes('newer'))) break;
      }
      assert.ok(f.tag === 'button' && f.inReplies, JSON.stringify(f));
      assert.ok(f.outline, 'quick replies show visible focus');
      const choice = f.label;
      const m = await w.coach.count();
      await page.keyboard.press('Enter');
      await waitCount(w.person, 2);
      assert.equal(await w.person.nth(1).textContent(), 'You: ' + choice);
      await waitMore(w.coach, m);
      assert.equal((await focused(page)).tag, 'textarea', 'focus returns to the message box');
    }
    // Tab goes on to Send, then to the footer actions.
    await page.keyboard.press('Tab');
    f = await focused(page);
    assert.equal(f.label, 'Send');
    assert.ok(f.outline);
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).label, 'Start over');
    // Escape closes and focus returns to the launcher.
    await page.keyboard.press('Escape');
    assert.equal(await w.panel.isVisible(), false);
    f = await focused(page);
    assert.ok(f.cls.includes('launcher'), JSON.stringify(f));
    // The transcript and the controls have the names the issue asks for.
    assert.equal(await w.log.getAttribute('aria-live'), 'polite');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('axe-core finds no serious or critical violations (light and dark, desktop and phone)', async () => {
    for (const [width, height, colorScheme] of [[1280, 900, 'light'], [360, 740, 'dark'], [360, 740, 'light']]) {
      const { context, page } = await freshPage(shared.browser, { viewport: { width, height }, colorScheme });
      await demoWithCrisis(page);
      const found = await seriousViolations(page);
      assert.deepEqual(found, [], `${width}px ${colorScheme}`);
      await context.close();
    }
  });

  test('360 px: no horizontal scroll, touch targets of at least 44 px', async () => {
    const { context, page } = await freshPage(shared.browser, { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
    const w = await demoWithCrisis(page);
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
    assert.ok(widths.doc <= widths.win, JSON.stringify(widths));
    const panel = await w.panel.boundingBox();
    assert.ok(panel.x >= 0 && panel.x + panel.width <= 360, JSON.stringify(panel));
    // Every button and link inside the widget that is shown.
    const small = await w.root.evaluate((host) => {
      const out = [];
      const rootEl = host.shadowRoot;
      for (const el of rootEl.querySelectorAll('button, a, textarea')) {
        const r = el.getBoundingClientRect();
        if (!r.width && !r.height) continue;
        if (r.height < 44 || r.width < 44) out.push(`${el.tagName} "${el.textContent.trim()}" ${r.width}x${r.height}`);
      }
      return out;
    });
    assert.deepEqual(small, []);
    // The inline element on the demo page fits too.
    const inline = await page.locator('trustcoach-chat:not([mode])').boundingBox();
    assert.ok(inline.x >= 0 && inline.x + inline.width <= 360, JSON.stringify(inline));
    await context.close();
  });

  test('screenshots at 1280 and 360 px', async () => {
    const shots = [
      ['desktop-1280', { width: 1280, height: 860 }, 'light'],
      ['phone-360', { width: 360, height: 740 }, 'light'],
      ['phone-360-dark', { width: 360, height: 740 }, 'dark'],
    ];
    for (const [name, viewport, colorScheme] of shots) {
      const { context, page } = await freshPage(shared.browser, { viewport, colorScheme, reducedMotion: 'reduce' });
      await page.goto(shared.server.url + '/');
      const w = widget(page);
      await w.launcher.click();
      await waitMore(w.coach, 0);
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-greeting.png`) });
      if (await w.replies.count() > 0) {
        const n = await w.coach.count();
        await w.replies.first().click();
        await waitCount(w.person, 1);
        await waitMore(w.coach, n);
      }
      await talk(w, 'I found out my partner has been lying to me for months.');
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-conversation.png`) });
      await w.input.fill('I want to kill myself');
      await w.input.press('Enter');
      await w.help.first().waitFor({ state: 'visible' });
      await page.waitForTimeout(300);
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-crisis.png`) });
      // The server is unreachable.
      await page.route('**/v1/conversations/*/messages', (route) => route.abort('connectionrefused'));
      await w.input.fill('Are you there?');
      await w.input.press('Enter');
      await w.alert.waitFor({ state: 'visible' });
      await page.screenshot({ path: path.join(ARTIFACTS, `${name}-error.png`) });
      await context.close();
    }
    // The inline element, on its own.
    const { context, page } = await freshPage(shared.browser, { viewport: { width: 1280, height: 1000 } });
    await page.goto(shared.server.url + '/');
    const inline = page.locator('trustcoach-chat:not([mode])');
    await waitMore(widget(page, 'trustcoach-chat:not([mode])').coach, 0);
    await inline.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await inline.screenshot({ path: path.join(ARTIFACTS, 'inline-element.png') });
    await context.close();
  });

  test('reduced motion stops the animations', async () => {
    const { context, page } = await freshPage(shared.browser, { reducedMotion: 'reduce' });
    await page.route('**/v1/conversations', async (route) => {
      await new Promise((r) => setTimeout(r, 500));
      await route.continue();
    });
    await hostPage(page, shared.server, { script: launcherScript('data-open="true"') });
    const w = widget(page);
    await w.typing.waitFor({ state: 'visible' });
    const anim = await w.typing.locator('i').first().evaluate((el) => getComputedStyle(el).animationName);
    assert.equal(anim, 'none');
    await context.close();
  });

  test('theming through custom properties; the host page\'s CSS does not leak in', async () => {
    const { context, page } = await freshPage(shared.browser, {});
    const head = `<style>
      trustcoach-chat { --tc-accent: rgb(91, 75, 138); --tc-font: Georgia, serif; --tc-radius: 4px; }
      button { background: rgb(255, 0, 0) !important; font-size: 40px !important; }
      * { letter-spacing: 5px; color: rgb(0, 255, 0); }
    </style>`;
    await hostPage(page, shared.server, { head, script: launcherScript('data-open="true"') });
    const w = widget(page);
    await waitMore(w.coach, 0);
    const s = await w.send.evaluate((el) => {
      const cs = getComputedStyle(el);
      return { bg: cs.backgroundColor, size: cs.fontSize, font: cs.fontFamily, spacing: cs.letterSpacing };
    });
    assert.equal(s.bg, 'rgb(91, 75, 138)', 'the accent comes from --tc-accent');
    assert.equal(s.size, '16px', 'the page\'s button rule does not reach inside');
    assert.match(s.font, /Georgia/);
    assert.equal(s.spacing, 'normal');
    const radius = await w.coach.first().evaluate((el) => getComputedStyle(el).borderTopLeftRadius);
    assert.equal(radius, '4px');
    const coachColor = await w.coach.first().evaluate((el) => getComputedStyle(el).color);
    assert.notEqual(coachColor, 'rgb(0, 255, 0)');
    // And the widget's styles do not leak out.
    const pageLink = await page.locator('main a').evaluate((el) => getComputedStyle(el).letterSpacing);
    assert.equal(pageLink, '5px');
    await context.close();
  });

  test('dark mode follows prefers-color-scheme, and theme="light" overrides it', async () => {
    const { context, page } = await freshPage(shared.browser, { colorScheme: 'dark' });
    await hostPage(page, shared.server, {
      body: '<trustcoach-chat id="dark" greeting-delay="0" storage="none"></trustcoach-chat>' +
        '<trustcoach-chat id="light" theme="light" greeting-delay="0" storage="none"></trustcoach-chat>',
      script: launcherScript('data-launcher="false"'),
    });
    const bg = (id) => page.locator(`#${id}`).locator('.panel').evaluate((el) => getComputedStyle(el).backgroundColor);
    const lum = (rgb) => rgb.match(/\d+/g).slice(0, 3).reduce((a, b) => a + Number(b), 0) / 3;
    assert.ok(lum(await bg('dark')) < 80, await bg('dark'));
    assert.ok(lum(await bg('light')) > 200, await bg('light'));
    // data-launcher="false": the element only, no launcher.
    assert.equal(await page.locator('trustcoach-chat[mode=launcher]').count(), 0);
    await context.close();
  });
});
