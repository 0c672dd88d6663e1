// The widget on another origin than the API (CORS, as on an integrator's
// site), and with an API key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  freePort, freshPage, startServer, startShared, stored, waitCount, waitMore, widget,
} from '../lib/harness.mjs';

const shared = startShared({ server: false });

// An integrator's site: a real page server on its own loopback port (its
// own origin), embedding the widget from the API server's origin.
async function siteServer(apiUrl) {
  const port = await freePort();
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Site</title><link rel="icon" href="data:,"></head>
<body><h1>An integrator's site</h1>
<script src="${apiUrl}/widget.js" data-api="${apiUrl}" data-greeting-delay="0" data-open="true" async></script></body></html>`;
  const site = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise((r) => site.listen(port, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => { site.closeAllConnections(); site.close(r); }),
  };
}

// The API on one port, the site on another, the site's origin allowed or not.
async function crossOrigin(allow) {
  const apiPort = await freePort();
  const site = await siteServer(`http://127.0.0.1:${apiPort}`);
  const server = await startServer({
    name: 'cors', port: apiPort, extra: ['--allowed-origin', allow ? site.origin : 'https://elsewhere.example'],
  });
  const { context, page } = await freshPage(shared.browser, {});
  await page.goto(site.origin + '/');
  return {
    server, page,
    async close() { await context.close(); await site.close(); await server.stop(); },
  };
}

describe('embedding', () => {
  test('cross-origin: an allowed origin talks to the API, including DELETE', async () => {
    const { server, page, close } = await crossOrigin(true);
    try {
      const w = widget(page);
      await waitMore(w.coach, 0);
      const n = await w.coach.count();
      await w.input.fill('Hello from another origin');
      await w.input.press('Enter');
      await waitCount(w.person, 1);
      await waitMore(w.coach, n);
      const conv = await stored(page);
      await page.reload();
      const w2 = widget(page);
      await waitCount(w2.person, 1);
      const del = page.waitForResponse((r) => r.request().method() === 'DELETE');
      await w2.del.click();
      assert.equal((await del).status(), 204);
      const res = await fetch(`${server.url}/v1/conversations/${conv.id}`, { headers: { Authorization: 'Bearer ' + conv.token } });
      assert.equal(res.status, 404);
    } finally {
      await close();
    }
  });

  test('cross-origin: an origin the server does not allow gets a plain error, not a broken widget', async () => {
    const { page, close } = await crossOrigin(false);
    try {
      const w = widget(page);
      await w.alert.waitFor({ state: 'visible' });
      assert.match(await w.alert.textContent(), /can.t be reached/i);
      assert.equal(await w.coach.count(), 0);
    } finally {
      await close();
    }
  });

  test('an API key from data-api-key is sent as X-API-Key', async () => {
    const server = await startServer({ name: 'apikey', extra: ['--api-key', 'browser-key-123'] });
    try {
      const { context, page } = await freshPage(shared.browser, {});
      const keys = [];
      page.on('request', (r) => { if (r.url().includes('/v1/')) keys.push(r.headers()['x-api-key']); });
      await page.goto(server.url + '/');
      // The demo page has no key: the inline element shows the error.
      const inline = widget(page, 'trustcoach-chat:not([mode])');
      await inline.alert.waitFor({ state: 'visible' });
      await page.route(server.url + '/e2e/key.html', (route) => route.fulfill({
        contentType: 'text/html; charset=utf-8',
        body: '<!doctype html><html lang="en"><head><title>Key</title></head><body>' +
          '<script src="/widget.js" data-api-key="browser-key-123" data-greeting-delay="0" data-open="true" async></script></body></html>',
      }));
      await page.goto(server.url + '/e2e/key.html');
      const w = widget(page);
      await waitMore(w.coach, 0);
      assert.ok(keys.includes('browser-key-123'));
      await context.close();
    } finally {
      await server.stop();
    }
  });
});
