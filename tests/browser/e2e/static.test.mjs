// What `trustcoach serve` sends for the widget: the files, their types, the
// size budget (under 20 KB gzipped) and no HTML sinks in the source.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startShared } from '../lib/harness.mjs';

const shared = startShared({ name: 'static', browser: false });

describe('static files', () => {
  test('/ is the demo page and /widget.js the widget, as JavaScript', async () => {
    const page = await fetch(shared.server.url + '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);
    const html = await page.text();
    assert.match(html, /<trustcoach-chat[\s>]/);
    assert.match(html, /<script src="\/widget\.js(\?v=[0-9a-f]{12})?"/);
    const js = await fetch(shared.server.url + '/widget.js');
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type'), /javascript/);
    const css = await fetch(shared.server.url + '/demo.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type'), /text\/css/);
  });

  test('widget.js stays under 20 KB gzipped', async () => {
    const body = Buffer.from(await (await fetch(shared.server.url + '/widget.js')).arrayBuffer());
    const gz = zlib.gzipSync(body, { level: 9 }).length;
    console.log(`widget.js: ${body.length} bytes, ${gz} bytes gzipped`);
    assert.ok(gz < 20 * 1024, `${gz} bytes gzipped`);
  });

  test('widget.js never writes HTML: no innerHTML, outerHTML, insertAdjacentHTML or document.write', async () => {
    const src = await (await fetch(shared.server.url + '/widget.js')).text();
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
      assert.equal(src.includes(sink), false, sink);
    }
  });
});
