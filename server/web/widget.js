/*! trustcoach web widget: plain JavaScript, no framework, no build step.
 * One script tag gives a launcher and a chat panel:
 *   <script src="https://HOST/widget.js" data-api="https://HOST" async></script>
 * or mount it inline with <trustcoach-chat api="https://HOST"></trustcoach-chat>.
 * Options, theming and storage: docs/widget.md. Everything from the server or
 * the person is rendered as text (textContent), never as HTML. */
(() => {
  'use strict';
  if (!window.customElements || customElements.get('trustcoach-chat')) return;

  const script = document.currentScript ||
    [...document.querySelectorAll('script[src]')].find((s) => /\/widget\.js([?#]|$)/.test(s.src));
  const sd = (script && script.dataset) || {};
  const scriptOrigin = script ? new URL(script.src, location.href).origin : location.origin;

  const T = {
    title: 'Trust coach',
    subtitle: 'Automated coach',
    disclosure: 'This is an automated coach, not a therapist, and it is not for emergencies. ' +
      'If you or someone else is in danger, call your local emergency number now.',
    close: 'Close chat',
    quickExit: 'Quick exit',
    quickExitHint: 'Leave this page now',
    log: 'Conversation',
    message: 'Message',
    placeholder: 'Write a message…',
    send: 'Send',
    typing: 'The coach is writing…',
    coach: 'Coach: ',
    you: 'You: ',
    replies: 'Suggested replies',
    startOver: 'Start over',
    del: 'Delete my conversation',
    deleted: 'Your conversation was deleted, here and on our server.',
    newChat: 'Start a new conversation',
    retry: 'Try again',
    offline: 'The coach can’t be reached right now. What you wrote is kept: check your connection and try again.',
    busy: 'That was a lot of messages at once. Please wait a moment, then try again.',
    failed: 'Something went wrong on our side. What you wrote is kept: please try again.',
    gone: 'This conversation has ended or expired. You can start a new one.',
    full: 'This conversation has reached its length limit. Thank you for staying with it. You can start a new conversation, and a counsellor or therapist can go further with you than this coach can.',
    help: 'Help is available now',
    call: 'Call ',
    text: 'Text ',
    web: 'Website: ',
    newer: 'New messages ↓',
    download: 'Download transcript',
    transcriptFile: 'conversation.txt',
    missed: 'That missed the point: share my message (no name, no conversation) to improve the coach',
    missedThanks: 'Thank you. Your message was shared without your name or this conversation.',
    missedOff: 'Thank you. This site does not collect feedback, so nothing was shared.',
  };

  // Strings given as JSON (data-strings, the strings attribute) or as an
  // object (the strings property): only known keys with string values count.
  function pickStrings(v) {
    let o = v;
    if (typeof v === 'string') {
      if (!v.trim()) return {};
      try { o = JSON.parse(v); } catch (e) { console.warn('trustcoach-chat: strings is not JSON'); return {}; }
    }
    const out = {};
    if (!o || typeof o !== 'object') return out;
    for (const [k, s] of Object.entries(o)) {
      if (Object.prototype.hasOwnProperty.call(T, k) && typeof s === 'string') out[k] = s;
      else console.warn('trustcoach-chat: unknown or non-text string "' + k + '"');
    }
    return out;
  }

  const REDUCED = window.matchMedia && matchMedia('(prefers-reduced-motion: reduce)');
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // Builds an element. Text goes in as text nodes only.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids) if (c != null && c !== false) el.append(c);
    return el;
  }
  function icon(d) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    svg.append(p);
    return svg;
  }
  const ICON_CHAT = 'M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.5.4-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z';
  const ICON_CLOSE = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z';

  // Where the conversation id and token are kept: sessionStorage (default),
  // localStorage, or nowhere ("none": forgotten on reload).
  function makeStore(mode) {
    let s = null;
    try { s = mode === 'local' ? window.localStorage : mode === 'none' ? null : window.sessionStorage; } catch (e) { s = null; }
    return {
      get(k) { try { return s ? JSON.parse(s.getItem(k) || 'null') : null; } catch (e) { return null; } },
      set(k, v) { try { if (s) s.setItem(k, JSON.stringify(v)); } catch (e) { /* full or blocked */ } },
      del(k) { try { if (s) s.removeItem(k); } catch (e) { /* blocked */ } },
    };
  }

  class ApiError extends Error {
    constructor(kind, status) { super(kind); this.kind = kind; this.status = status; }
  }

  async function api(cfg, method, path, token, body, keepalive) {
    const headers = { Accept: 'application/json' };
    if (cfg.apiKey) headers['X-API-Key'] = cfg.apiKey;
    if (body) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 20000);
    let res;
    try {
      res = await fetch(cfg.api + path, {
        method, headers, body: body ? JSON.stringify(body) : undefined,
        signal: ctl.signal, credentials: 'omit', cache: 'no-store', keepalive: !!keepalive,
      });
    } catch (e) {
      throw new ApiError('offline', 0);
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 204) return null;
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const s = res.status;
      const full = s === 409 && data && data.type === 'urn:trustcoach:problem:conversation-full';
      throw new ApiError(full ? 'full' : s === 429 ? 'busy' : (s === 401 || s === 403 || s === 404 || s === 410) ? 'gone' : 'failed', s);
    }
    if (!data || typeof data !== 'object') throw new ApiError('failed', res.status);
    return data;
  }

  // Links for a helpline: only tel:, sms: and http(s): ever come out.
  function telHref(phone) {
    const n = String(phone).replace(/[^\d+#*]/g, '');
    return n ? 'tel:' + n : null;
  }
  function smsHref(sms) {
    const s = String(sms).trim();
    const m = /^text\s+(\S+)\s+to\s+([+\d][\d\s-]*)$/i.exec(s);
    if (m) return 'sms:' + m[2].replace(/[^\d+]/g, '') + '?body=' + encodeURIComponent(m[1]);
    return /^[+\d][\d\s()-]*$/.test(s) ? 'sms:' + s.replace(/[^\d+]/g, '') : null;
  }
  function webHref(web) {
    try {
      const u = new URL(String(web));
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (e) { return null; }
  }

  const CSS = `
:host{all:initial;display:block;
--_font:var(--tc-font,system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif);
--_radius:var(--tc-radius,16px);
--_bg:var(--tc-bg,#fbfaf7);--_surface:var(--tc-surface,#ffffff);--_fg:var(--tc-fg,#1f2a2e);
--_muted:var(--tc-muted,#4f5d62);--_border:var(--tc-border,#d9dfdc);
--_accent:var(--tc-accent,#2c6a5d);--_on-accent:var(--tc-on-accent,#ffffff);
--_coach:var(--tc-coach-bg,#ecf2ef);--_on-coach:var(--tc-coach-fg,#1f2a2e);
--_person:var(--tc-person-bg,#2c6a5d);--_on-person:var(--tc-person-fg,#ffffff);
--_safety:var(--tc-safety,#a33d1c);--_safety-bg:var(--tc-safety-bg,#fff3ec);
--_exit:var(--tc-exit,#8f2424);--_focus:var(--tc-focus,#1c5bd8);
--_shadow:0 10px 40px rgba(20,30,35,.18),0 2px 8px rgba(20,30,35,.08)}
@media (prefers-color-scheme:dark){:host(:not([theme=light])){
--_bg:var(--tc-bg,#15191b);--_surface:var(--tc-surface,#1d2326);--_fg:var(--tc-fg,#e7ecea);
--_muted:var(--tc-muted,#b1bdb9);--_border:var(--tc-border,#34403f);
--_accent:var(--tc-accent,#7cc4b2);--_on-accent:var(--tc-on-accent,#10201c);
--_coach:var(--tc-coach-bg,#242d30);--_on-coach:var(--tc-coach-fg,#e7ecea);
--_person:var(--tc-person-bg,#3d7f70);--_on-person:var(--tc-person-fg,#ffffff);
--_safety:var(--tc-safety,#ffb28f);--_safety-bg:var(--tc-safety-bg,#2f211b);
--_exit:var(--tc-exit,#ff9d9d);--_focus:var(--tc-focus,#8ab4ff);--_shadow:0 10px 40px rgba(0,0,0,.5)}}
:host([theme=dark]){
--_bg:var(--tc-bg,#15191b);--_surface:var(--tc-surface,#1d2326);--_fg:var(--tc-fg,#e7ecea);
--_muted:var(--tc-muted,#b1bdb9);--_border:var(--tc-border,#34403f);
--_accent:var(--tc-accent,#7cc4b2);--_on-accent:var(--tc-on-accent,#10201c);
--_coach:var(--tc-coach-bg,#242d30);--_on-coach:var(--tc-coach-fg,#e7ecea);
--_person:var(--tc-person-bg,#3d7f70);--_on-person:var(--tc-person-fg,#ffffff);
--_safety:var(--tc-safety,#ffb28f);--_safety-bg:var(--tc-safety-bg,#2f211b);
--_exit:var(--tc-exit,#ff9d9d);--_focus:var(--tc-focus,#8ab4ff);--_shadow:0 10px 40px rgba(0,0,0,.5)}
:host([hidden]){display:none!important}
:host([mode=launcher]){position:fixed;right:16px;bottom:16px;z-index:2147483000}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.wrap{font-family:var(--_font);font-size:16px;line-height:1.45;color:var(--_fg);text-align:left;-webkit-text-size-adjust:100%}
button,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer;min-height:44px;min-width:44px;border-radius:999px;border:1px solid transparent;background:none;padding:0 16px}
button:disabled{cursor:default;opacity:.6}
:focus{outline:none}
:focus-visible{outline:3px solid var(--_focus);outline-offset:2px}
.sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.launcher{display:flex;align-items:center;gap:8px;height:56px;padding:0 22px 0 18px;background:var(--_accent);color:var(--_on-accent);font-weight:600;box-shadow:var(--_shadow);margin-left:auto}
.launcher svg{width:24px;height:24px;fill:currentColor}
.panel{display:flex;flex-direction:column;background:var(--_bg);border:1px solid var(--_border);border-radius:var(--_radius);overflow:hidden;height:var(--tc-height,560px);width:100%}
:host([mode=launcher]) .panel{position:absolute;right:0;bottom:72px;width:min(384px,calc(100vw - 32px));height:min(var(--tc-height,600px),calc(100vh - 112px));box-shadow:var(--_shadow)}
@supports (height:100dvh){:host([mode=launcher]) .panel{height:min(var(--tc-height,600px),calc(100dvh - 112px))}}
header{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 18px;background:var(--_surface);border-bottom:1px solid var(--_border)}
.titles{flex:1;min-width:0}
h2{margin:0;font-size:17px;font-weight:650;line-height:1.25;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sub{margin:0;font-size:13px;color:var(--_muted)}
.exit{background:var(--_exit);color:var(--_surface);font-weight:600;font-size:14px;padding:0 14px;white-space:nowrap}
.close{padding:0;display:grid;place-items:center;color:var(--_muted)}
.close svg{width:22px;height:22px;fill:currentColor}
.close:hover{background:var(--_coach)}
.disclosure{margin:0;padding:10px 18px;font-size:13.5px;line-height:1.4;color:var(--_muted);background:var(--_surface);border-bottom:1px solid var(--_border)}
.helpbar{display:flex;flex-wrap:wrap;align-items:center;gap:6px 8px;padding:8px 14px;background:var(--_safety-bg);border-bottom:2px solid var(--_safety)}
.helpbar p{margin:0;font-size:14px;font-weight:600;color:var(--_safety);flex-basis:100%}
.helpbar a{display:inline-flex;align-items:center;min-height:44px;padding:0 14px;border-radius:999px;background:var(--_safety);color:var(--_surface);text-decoration:none;font-weight:600;font-size:15px}
.helpbar a+a{background:var(--_surface);color:var(--_fg);border:1px solid var(--_safety)}
.body{position:relative;flex:1;min-height:0;display:flex;flex-direction:column}
.scroller{position:relative;flex:1;min-height:0;overflow-y:auto;overflow-x:hidden;overscroll-behavior:contain}
.log{padding:16px 14px 8px;display:flex;flex-direction:column;gap:8px}
.msg{max-width:86%;padding:10px 14px;border-radius:var(--_radius);white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}
.coach{align-self:flex-start;background:var(--_coach);color:var(--_on-coach);border-bottom-left-radius:6px}
.person{align-self:flex-end;background:var(--_person);color:var(--_on-person);border-bottom-right-radius:6px}
.pending{opacity:.7}
.msg.safety{max-width:100%;background:var(--_safety-bg);color:var(--_fg);border:2px solid var(--_safety);border-bottom-left-radius:6px;font-weight:500}
.help{align-self:stretch;background:var(--_safety-bg);border:2px solid var(--_safety);border-radius:var(--_radius);padding:12px 14px}
.help h3{margin:0 0 8px;font-size:15px;color:var(--_safety)}
.help ul{list-style:none;margin:0;padding:0;display:grid;gap:10px}
.help li{display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.help .name{flex-basis:100%;font-weight:600}
.help .hours{flex-basis:100%;font-size:13px;color:var(--_muted);margin-top:-6px}
.help a{display:inline-flex;align-items:center;min-height:44px;padding:0 14px;border-radius:999px;background:var(--_surface);color:var(--_fg);border:1px solid var(--_safety);text-decoration:none;font-weight:600;overflow-wrap:anywhere}
.help a.primary{background:var(--_safety);color:var(--_surface);border-color:var(--_safety)}
.help a:hover{text-decoration:underline}
.note{align-self:center;text-align:center;font-size:14px;color:var(--_muted);padding:8px;max-width:100%}
.note button{margin-top:8px}
.missed{align-self:flex-start;min-height:32px;padding:2px 6px;border-radius:8px;font-size:13px;color:var(--_muted);text-decoration:underline;text-underline-offset:3px;text-align:left;max-width:86%}
.missed:hover{color:var(--_fg)}
.missed-done{align-self:flex-start;margin:0;padding:2px 6px;font-size:13px;color:var(--_muted);max-width:86%}
.typing{align-self:flex-start;display:flex;gap:5px;align-items:center;margin:0 14px 6px;padding:12px 16px;border-radius:var(--_radius);background:var(--_coach)}
.typing i{width:7px;height:7px;border-radius:50%;background:var(--_muted);opacity:.4;animation:tc-dot 1.2s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
@keyframes tc-dot{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}
.newer{position:absolute;left:50%;transform:translateX(-50%);bottom:8px;background:var(--_surface);border:1px solid var(--_border);box-shadow:var(--_shadow);font-size:14px}
.alert{margin:0 12px 8px;padding:10px 12px;border-radius:12px;border:1px solid var(--_border);border-left:4px solid var(--_safety);background:var(--_surface);font-size:14px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.alert p{margin:0;flex:1 1 180px}
.primary-btn{background:var(--_accent);color:var(--_on-accent);font-weight:600}
.secondary-btn{border-color:var(--_border);background:var(--_surface)}
.replies{display:flex;flex-wrap:wrap;gap:8px;padding:2px 14px 12px;justify-content:flex-end}
.replies button{border-color:var(--_accent);color:var(--_accent);background:var(--_surface);font-size:15px;padding:8px 16px;text-align:left;max-width:100%;overflow-wrap:anywhere}
.replies button:hover{background:var(--_coach)}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid var(--_border);background:var(--_surface)}
textarea{flex:1;min-width:0;min-height:44px;max-height:132px;resize:none;padding:10px 14px;border:1px solid var(--_border);border-radius:22px;background:var(--_bg);line-height:1.4}
textarea::placeholder{color:var(--_muted);opacity:1}
textarea:focus-visible{outline-offset:0}
.send{background:var(--_accent);color:var(--_on-accent);font-weight:600;padding:0 18px}
footer{display:flex;justify-content:space-between;gap:4px;padding:0 6px 4px;background:var(--_surface)}
footer button{font-size:13.5px;color:var(--_muted);padding:0 10px;text-decoration:underline;text-underline-offset:3px}
footer button:hover{color:var(--_fg)}
.cover{position:fixed;inset:0;background:#fff;z-index:2147483647}
@media (prefers-reduced-motion:reduce){.typing i{animation:none;opacity:.7}*{transition:none!important;scroll-behavior:auto!important}}
@media (prefers-reduced-motion:no-preference){.msg,.help{animation:tc-in .22s ease-out}
@keyframes tc-in{from{opacity:0;transform:translateY(4px)}to{opacity:1;transform:none}}}
@media (max-width:480px){:host([mode=launcher]) .panel{position:fixed;inset:0;width:100%;height:100%;border:0;border-radius:0;box-shadow:none}
:host([mode=launcher][expanded]) .launcher{display:none}header{padding-left:14px}.exit{padding:0 12px}}
`;

  let sheet = null;
  function styleInto(root) {
    try {
      if (!sheet) { sheet = new CSSStyleSheet(); sheet.replaceSync(CSS); }
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.append(h('style', { text: CSS }));
    }
  }

  let seq = 0;

  class TrustcoachChat extends HTMLElement {
    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      this._built = false;
      this.conv = null;      // {id, token}
      this.busy = false;     // one request at a time: double clicks never send twice
      this.queued = false;   // Enter pressed while busy: submit once free
      this.started = false;
      this.retryFn = null;
      this._strings = null;  // the strings property, if set before connecting
    }

    // Every text the widget shows, merged over the English defaults. Set it
    // before the element is connected (docs/widget.md).
    get strings() { return Object.assign({}, this.T || T); }
    set strings(v) { this._strings = pickStrings(v); }

    // A CustomEvent "trustcoach:NAME" on the element; it bubbles and crosses
    // the shadow root. No message text unless the page asked for it.
    emit(name, detail) {
      this.dispatchEvent(new CustomEvent('trustcoach:' + name, { bubbles: true, composed: true, detail: detail || {} }));
    }

    opt(name, data, def) {
      const v = this.getAttribute(name);
      if (v != null && v !== '') return v;
      if (data && this.hasAttribute('data-from-script') && sd[data] != null && sd[data] !== '') return sd[data];
      return def;
    }

    connectedCallback() {
      if (this._built) return;
      this._built = true;
      const launcher = this.getAttribute('mode') === 'launcher';
      const given = Object.assign(pickStrings(this.opt('strings', 'strings', '')), this._strings || {});
      this.T = Object.assign({}, T, given);
      const apiBase = this.opt('api', 'api', sd.api || scriptOrigin);
      this.cfg = {
        launcher,
        api: String(apiBase).replace(/\/+$/, ''),
        title: this.opt('chat-title', 'title', this.T.title),
        delay: Math.max(0, Number(this.opt('greeting-delay', 'greetingDelay', '700')) || 0),
        storage: this.opt('storage', 'storage', 'session'),
        key: this.opt('storage-key', 'storageKey', 'trustcoach'),
        exitUrl: webHref(this.opt('quick-exit', 'quickExit', '')) || 'https://www.google.com/',
        region: this.opt('region', 'region', navigator.language || ''),
        apiKey: this.opt('api-key', 'apiKey', ''),
        // The language of the widget's own text: as given, else English for
        // the built-in strings, else (translated strings) the page's.
        lang: this.opt('lang', 'lang', Object.keys(given).length ? '' : 'en'),
        eventText: this.opt('events-text', 'eventsText', 'false') === 'true',
        download: this.opt('transcript-download', 'transcriptDownload', 'false') === 'true',
        reportMissed: this.opt('report-missed', 'reportMissed', 'false') === 'true',
      };
      this.store = makeStore(this.cfg.storage);
      this.mem = null;
      this.build();
      const saved = this.load();
      if (!launcher) this.start();
      else if (this.hasAttribute('open') || (saved && saved.open)) this.open(false);
    }

    // Local data: {id, token, open}; in memory too, for storage "none".
    load() { return this.store.get(this.cfg.key) || this.mem; }
    save(patch) {
      const v = Object.assign({}, this.load() || {}, patch);
      this.mem = v;
      this.store.set(this.cfg.key, v);
    }
    forget() { this.mem = null; this.store.del(this.cfg.key); this.conv = null; }

    build() {
      const id = 'tc' + (++seq);
      const c = this.cfg;
      styleInto(this._root);
      const wrap = h('div', { class: 'wrap', part: 'wrap', lang: c.lang || null });

      this.log = h('div', {
        class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
        'aria-label': this.T.log, id: id + 'log',
      });
      this.replies = h('div', { class: 'replies', role: 'group', 'aria-label': this.T.replies, hidden: true });
      // The transcript and the quick replies scroll together; the scroller
      // can take focus so the transcript can be read back from the keyboard.
      this.scroller = h('div', { class: 'scroller', tabindex: '0' }, this.log, this.replies);
      // Following the end stops only when the person scrolls up, never
      // because a smooth scroll of ours is still on its way down.
      this.pinned = true;
      this.lastTop = 0;
      this.scroller.addEventListener('scroll', () => {
        const top = this.scroller.scrollTop;
        if (top < this.lastTop - 2) this.pinned = this.nearBottom();
        else if (this.nearBottom()) this.pinned = true;
        this.lastTop = top;
        if (this.pinned) this.newer.hidden = true;
      }, { passive: true });
      this.disclosure = h('p', { class: 'disclosure', text: this.T.disclosure });
      this.helpbar = h('div', { class: 'helpbar', hidden: true });
      this.newer = h('button', { class: 'newer', type: 'button', hidden: true, text: this.T.newer, onclick: () => this.scrollEnd(true) });
      this.typing = h('div', { class: 'typing', role: 'status', hidden: true },
        h('i', { 'aria-hidden': 'true' }), h('i', { 'aria-hidden': 'true' }), h('i', { 'aria-hidden': 'true' }),
        h('span', { class: 'sr', text: this.T.typing }));
      this.alertText = h('p');
      this.retryBtn = h('button', { type: 'button', class: 'primary-btn', text: this.T.retry, onclick: () => this.retry() });
      this.alert = h('div', { class: 'alert', role: 'alert', hidden: true }, this.alertText, this.retryBtn);
      this.input = h('textarea', {
        rows: '1', 'aria-label': this.T.message, placeholder: this.T.placeholder, maxlength: '2000',
        autocomplete: 'off', enterkeyhint: 'send', id: id + 'in',
      });
      this.input.addEventListener('input', () => this.autosize());
      this.input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); }
      });
      this.sendBtn = h('button', { class: 'send', type: 'submit', text: this.T.send });
      const form = h('form', { onsubmit: (e) => { e.preventDefault(); this.submit(); } }, this.input, this.sendBtn);

      this.exitBtn = h('button', { class: 'exit', type: 'button', title: this.T.quickExitHint, text: this.T.quickExit, onclick: () => this.quickExit() });
      const header = h('header', null,
        h('div', { class: 'titles' }, h('h2', { id: id + 't', text: c.title }), h('p', { class: 'sub', text: this.T.subtitle })),
        this.exitBtn,
        c.launcher ? h('button', { class: 'close', type: 'button', 'aria-label': this.T.close, onclick: () => this.close(true) }, icon(ICON_CLOSE)) : null);

      const footer = h('footer', null,
        h('button', { type: 'button', text: this.T.startOver, onclick: () => this.startOver() }),
        c.download ? h('button', { type: 'button', class: 'download', text: this.T.download, onclick: () => this.downloadTranscript() }) : null,
        h('button', { type: 'button', text: this.T.del, onclick: () => this.deleteConversation() }));

      this.panel = h('section', {
        class: 'panel', id: id + 'p',
        role: c.launcher ? 'dialog' : 'region', 'aria-labelledby': id + 't',
        hidden: c.launcher,
      },
      header,
      this.disclosure,
      this.helpbar,
      h('div', { class: 'body' }, this.scroller, this.newer),
      this.typing, this.alert, form, footer);
      this.panel.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && this.cfg.launcher) { e.stopPropagation(); this.close(true); }
      });

      if (c.launcher) {
        this.launcherBtn = h('button', {
          class: 'launcher', type: 'button', 'aria-expanded': 'false', 'aria-controls': id + 'p',
          onclick: () => (this.panel.hidden ? this.open(true) : this.close(true)),
        }, icon(ICON_CHAT), h('span', { text: c.title }));
        wrap.append(this.panel, this.launcherBtn);
      } else {
        wrap.append(this.panel);
      }
      this.cover = h('div', { class: 'cover', hidden: true });
      wrap.append(this.cover);
      this._root.append(wrap);
    }

    open(focus) {
      this.panel.hidden = false;
      this.setAttribute('expanded', '');
      this.launcherBtn.setAttribute('aria-expanded', 'true');
      if (this.conv || this.load()) this.save({ open: true });
      if (!this.started) this.start();
      if (focus) this.input.focus();
      this.scrollEnd(true);
      this.emit('open');
    }

    close(focus) {
      if (!this.cfg.launcher) return;
      this.panel.hidden = true;
      this.removeAttribute('expanded');
      this.launcherBtn.setAttribute('aria-expanded', 'false');
      if (this.load()) this.save({ open: false });
      if (focus) this.launcherBtn.focus();
      this.emit('close');
    }

    autosize() {
      const i = this.input;
      i.style.height = 'auto';
      i.style.height = Math.min(i.scrollHeight + 2, 132) + 'px';
    }

    // ---- transcript rendering ----
    nearBottom() {
      const l = this.scroller;
      return l.scrollHeight - l.scrollTop - l.clientHeight < 40;
    }
    scrollEnd(force) {
      const l = this.scroller;
      l.scrollTo({ top: l.scrollHeight, behavior: force || (REDUCED && REDUCED.matches) ? 'auto' : 'smooth' });
      this.pinned = true;
      this.newer.hidden = true;
    }
    // Appends nodes; follows them only when the person was already at the end
    // (or `follow`), so reading back is never interrupted.
    append(nodes, follow, replies) {
      const stick = follow || this.pinned || this.nearBottom();
      for (const n of nodes) this.log.append(n);
      if (replies) this.setReplies(replies);
      if (!nodes.length) return;
      if (!stick) { this.newer.hidden = false; return; }
      const first = nodes[0];
      const l = this.scroller;
      const room = l.clientHeight - 16;
      const fresh = l.scrollHeight - first.offsetTop;
      if (fresh > room && first.offsetTop > l.scrollTop) {
        l.scrollTo({ top: first.offsetTop - 8, behavior: REDUCED && REDUCED.matches ? 'auto' : 'smooth' });
        this.newer.hidden = true;
      } else {
        this.scrollEnd(false);
      }
    }
    bubble(role, text, safety) {
      return h('div', { class: 'msg ' + role + (safety ? ' safety' : '') },
        h('span', { class: 'sr', text: role === 'coach' ? this.T.coach : this.T.you }), String(text == null ? '' : text));
    }
    helpCard(resources) {
      const list = h('ul');
      for (const r of resources) {
        if (!r || typeof r !== 'object') continue;
        const li = h('li');
        const name = r.name || r.kind || '';
        if (name) li.append(h('span', { class: 'name', text: name }));
        if (r.hours) li.append(h('span', { class: 'hours', text: r.hours }));
        const tel = r.phone && telHref(r.phone);
        if (tel) li.append(h('a', { class: 'primary', href: tel, text: this.T.call + r.phone }));
        const sms = r.sms && smsHref(r.sms);
        if (sms) li.append(h('a', { href: sms, text: /^text\s/i.test(r.sms) ? r.sms.charAt(0).toUpperCase() + r.sms.slice(1) : this.T.text + r.sms }));
        const web = r.web && webHref(r.web);
        if (web) li.append(h('a', { href: web, target: '_blank', rel: 'noopener noreferrer', text: this.T.web + new URL(web).host.replace(/^www\./, '') }));
        list.append(li);
      }
      return h('div', { class: 'help', role: 'group', 'aria-label': this.T.help }, h('h3', { text: this.T.help }), list);
    }
    setReplies(list) {
      this.replies.textContent = '';
      const items = (Array.isArray(list) ? list : []).filter((q) => typeof q === 'string' && q.trim());
      for (const q of items) {
        this.replies.append(h('button', { type: 'button', text: q, onclick: () => this.pick(q) }));
      }
      this.replies.hidden = !items.length;
    }
    // Coach messages of one reply, with a safety reply shown prominently and
    // its resources as tappable links.
    renderReply(data, follow, opening) {
      const msgs = Array.isArray(data.messages) ? data.messages : [];
      const safety = data.safety || {};
      const flagged = safety.level === 'crisis' || safety.level === 'check_in';
      const nodes = msgs.map((m) => this.bubble('coach', m && m.text, flagged));
      const res = Array.isArray(data.resources) ? data.resources : [];
      if (res.length) nodes.push(this.helpCard(res));
      if (safety.level === 'crisis' && res.length) this.showHelpbar(res);
      this.clearMissed();
      // Not on the opening, nor on a safety reply (those are reviewed
      // anyway when the server keeps a queue).
      if (this.cfg.reportMissed && !opening && !flagged && Number.isInteger(data.turn) && data.turn > 0) {
        this.missedBtn = h('button', { type: 'button', class: 'missed', text: this.T.missed, onclick: () => this.reportMissed(data.turn) });
        nodes.push(this.missedBtn);
      }
      let qr = [];
      for (const m of msgs) if (m && Array.isArray(m.quick_replies) && m.quick_replies.length) qr = m.quick_replies;
      this.append(nodes, follow, qr);
      const detail = {
        opening: !!opening, messages: msgs.length, quickReplies: qr.length,
        safety: { kind: String(safety.kind || 'none'), level: String(safety.level || 'none') },
      };
      if (this.cfg.eventText) detail.text = msgs.map((m) => String((m && m.text) || ''));
      this.emit('reply', detail);
      if (flagged) {
        this.emit('safety', { kind: detail.safety.kind, level: detail.safety.level, resources: res.length });
      }
    }
    // After a crisis reply, the first helplines stay in view above the
    // transcript (in place of the disclosure) for the rest of the conversation.
    showHelpbar(resources) {
      const links = [];
      for (const r of resources) {
        if (links.length === 2 || !r || typeof r !== 'object') break;
        const tel = r.phone && telHref(r.phone);
        const sms = !tel && r.sms && smsHref(r.sms);
        if (tel) links.push(h('a', { href: tel, text: this.T.call + r.phone }));
        else if (sms) links.push(h('a', { href: sms, text: this.T.text + r.sms.replace(/^text\s+/i, '') }));
      }
      if (!links.length) return;
      this.helpbar.textContent = '';
      this.helpbar.append(h('p', { text: this.T.help }), ...links);
      this.helpbar.hidden = false;
      this.disclosure.hidden = true;
    }
    // Only the latest reply offers "that missed the point".
    clearMissed() {
      if (this.missedBtn) this.missedBtn.remove();
      this.missedBtn = null;
    }
    // One click is the consent its wording asks for: the person's message of
    // that turn goes to the server's review queue (docs/privacy.md).
    async reportMissed(turn) {
      const btn = this.missedBtn;
      const conv = this.conv;
      if (!btn || !conv || btn.disabled) return;
      btn.disabled = true;
      let text = this.T.missedThanks;
      try {
        await api(this.cfg, 'POST', '/v1/conversations/' + encodeURIComponent(conv.id) + '/review', conv.token, { turn });
        this.emit('reported', { turn });
      } catch (e) {
        if (e.status !== 409) {
          btn.disabled = false;
          this.showError(e, () => this.reportMissed(turn));
          return;
        }
        text = this.T.missedOff;
      }
      if (this.missedBtn !== btn) return;
      const done = h('p', { class: 'missed-done', role: 'status', text });
      btn.replaceWith(done);
      this.missedBtn = null;
    }
    clearLog() {
      this.missedBtn = null;
      this.log.textContent = '';
      this.hideHelpbar();
    }
    hideHelpbar() {
      this.helpbar.hidden = true;
      this.helpbar.textContent = '';
      this.disclosure.hidden = false;
    }
    // GET /v1/conversations/{id}: the transcript, restored after a reload.
    renderTranscript(conv) {
      this.clearLog();
      const t = Array.isArray(conv.transcript) ? conv.transcript : [];
      const nodes = [];
      let qr = [];
      for (const e of t) {
        if (!e || typeof e !== 'object') continue;
        const role = e.role === 'person' || e.role === 'user' ? 'person' : 'coach';
        const flagged = role === 'coach' && e.safety && (e.safety.level === 'crisis' || e.safety.level === 'check_in');
        nodes.push(this.bubble(role, e.text, flagged));
        if (role === 'coach' && Array.isArray(e.resources) && e.resources.length) nodes.push(this.helpCard(e.resources));
        qr = role === 'coach' ? (Array.isArray(e.quick_replies) ? e.quick_replies : qr) : [];
      }
      this.append(nodes, true, qr);
      this.scrollEnd(true);
    }

    // ---- status ----
    setBusy(b) {
      this.busy = b;
      this.log.setAttribute('aria-busy', b ? 'true' : 'false');
      if (b || !this.queued) return;
      this.queued = false;
      // After an error the person decides (Retry, or Enter again).
      if (this.alert.hidden) queueMicrotask(() => this.submit());
    }
    showTyping(on) {
      this.typing.hidden = !on;
      if (on && (this.pinned || this.nearBottom())) this.scrollEnd(false);
    }
    showError(err, retry) {
      this.retryFn = retry;
      this.alertText.textContent = this.T[err && err.kind] || this.T.failed;
      this.retryBtn.textContent = err && (err.kind === 'gone' || err.kind === 'full') ? this.T.newChat : this.T.retry;
      this.alert.hidden = false;
    }
    clearError() { this.alert.hidden = true; this.retryFn = null; }
    retry() {
      const f = this.retryFn;
      this.clearError();
      if (f) f();
    }

    // ---- conversation ----
    async start(fresh) {
      if (this.busy) return;
      this.started = true;
      this.setBusy(true);
      this.clearError();
      try {
        const saved = fresh ? null : this.load();
        if (saved && saved.id && saved.token) {
          try {
            const path = '/v1/conversations/' + encodeURIComponent(saved.id);
            const conv = await api(this.cfg, 'GET', path, saved.token);
            // The transcript comes in pages: follow `next` (bounded).
            for (let page = 0; Number.isInteger(conv.next) && Array.isArray(conv.transcript) && page < 50; page++) {
              const more = await api(this.cfg, 'GET', path + '?from=' + conv.next, saved.token);
              conv.transcript = conv.transcript.concat(Array.isArray(more.transcript) ? more.transcript : []);
              conv.next = more.next;
            }
            this.conv = { id: saved.id, token: saved.token };
            this.renderTranscript(conv);
            return;
          } catch (e) {
            if (e.kind !== 'gone') { this.showError(e, () => this.start()); return; }
            this.forget();
          }
        }
        this.clearLog();
        this.setReplies([]);
        this.showTyping(true);
        const delay = sleep(this.cfg.delay);
        let data;
        try {
          data = await api(this.cfg, 'POST', '/v1/conversations', null, { region: this.cfg.region });
        } catch (e) {
          this.showError(e.kind === 'gone' ? new ApiError('failed', e.status) : e, () => this.start(true));
          return;
        }
        await delay;
        if (!data.id || !data.token) { this.showError(new ApiError('failed', 0), () => this.start(true)); return; }
        this.conv = { id: String(data.id), token: String(data.token) };
        this.save({ id: this.conv.id, token: this.conv.token, open: !this.cfg.launcher || !this.panel.hidden });
        this.renderReply(data, true, true);
      } finally {
        this.showTyping(false);
        this.setBusy(false);
      }
    }

    submit() {
      const text = this.input.value;
      if (!text.trim()) return;
      // While the greeting or a reply is on its way, Enter is remembered and
      // the text goes as soon as the widget is free (still one at a time).
      if (this.busy) { this.queued = true; return; }
      this.send(text, 'input');
    }
    pick(text) {
      if (this.busy) return;
      this.send(text, 'reply');
      this.input.focus();
    }

    async send(text, source) {
      if (this.busy) return;
      if (!this.conv) {
        // No conversation yet (the first call failed, or it was deleted):
        // open one, then send. The text stays in the input meanwhile.
        await this.start(true);
        if (!this.conv) return;
      }
      const clean = text.trim();
      const offered = [...this.replies.querySelectorAll('button')].map((b) => b.textContent);
      this.setBusy(true);
      this.clearError();
      this.setReplies([]);
      if (source === 'input') { this.input.value = ''; this.autosize(); }
      const mine = this.bubble('person', clean);
      mine.classList.add('pending');
      this.append([mine], true);
      this.showTyping(true);
      try {
        const data = await api(this.cfg, 'POST', '/v1/conversations/' + encodeURIComponent(this.conv.id) + '/messages',
          this.conv.token, { text: clean, region: this.cfg.region });
        mine.classList.remove('pending');
        this.showTyping(false);
        const sent = { source };
        if (this.cfg.eventText) sent.text = clean;
        this.emit('message-sent', sent);
        this.renderReply(data, false);
      } catch (e) {
        mine.remove();
        this.showTyping(false);
        if (source === 'input') {
          // What they typed is never lost: back into the input, with anything
          // they wrote meanwhile.
          const now = this.input.value;
          this.input.value = now.trim() ? clean + '\n' + now : clean;
          this.autosize();
        } else {
          this.setReplies(offered);
        }
        if (e.kind === 'full') {
          this.showError(e, () => this.startOver());
        } else if (e.kind === 'gone') {
          this.forget();
          this.showError(e, () => this.startOver());
        } else {
          this.showError(e, () => (source === 'input' ? this.submit() : this.pick(clean)));
        }
      } finally {
        this.setBusy(false);
      }
    }

    // Starts a fresh conversation; the old one is deleted on the server.
    async startOver() {
      if (this.busy) return;
      const old = this.conv;
      this.forget();
      this.clearError();
      this.clearLog();
      this.setReplies([]);
      if (old) api(this.cfg, 'DELETE', '/v1/conversations/' + encodeURIComponent(old.id), old.token, null, true).catch(() => {});
      await this.start(true);
      this.input.focus();
    }

    // DELETE, then clear local data; a note confirms it.
    async deleteConversation() {
      if (this.busy) return;
      this.setBusy(true);
      this.clearError();
      const conv = this.conv || this.load();
      try {
        if (conv && conv.id && conv.token) {
          await api(this.cfg, 'DELETE', '/v1/conversations/' + encodeURIComponent(conv.id), conv.token);
        }
      } catch (e) {
        if (e.kind !== 'gone') {
          this.queued = false;
          this.setBusy(false);
          this.showError(e, () => this.deleteConversation());
          return;
        }
      }
      this.forget();
      this.queued = false;  // nothing typed meanwhile starts a new conversation
      this.setBusy(false);
      this.clearLog();
      this.setReplies([]);
      const again = h('button', { type: 'button', class: 'primary-btn', text: this.T.newChat, onclick: () => this.startOver() });
      this.log.append(h('div', { class: 'note' }, h('p', { text: this.T.deleted }), again));
      again.focus();
    }

    // The conversation as shown, saved as a text file on the person's device
    // (nothing is sent anywhere). Offered only with transcript-download.
    downloadTranscript() {
      const lines = [this.cfg.title, this.T.disclosure, ''];
      for (const n of this.log.children) {
        if (n.classList.contains('msg')) {
          lines.push(n.textContent);
        } else if (n.classList.contains('help')) {
          lines.push(this.T.help + ':');
          for (const li of n.querySelectorAll('li')) {
            lines.push('  ' + [...li.children].map((c) => c.textContent).join(' · '));
          }
        }
        if (n.classList.contains('msg') || n.classList.contains('help')) lines.push('');
      }
      const url = URL.createObjectURL(new Blob([lines.join('\n')], { type: 'text/plain;charset=utf-8' }));
      const a = h('a', { href: url, download: this.T.transcriptFile, hidden: true });
      this._root.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    }

    // Quick exit: hide everything at once, forget the conversation on this
    // device (and on the server), and replace this page in the history.
    quickExit() {
      this.emit('quick-exit');
      this.cover.hidden = false;
      this.panel.hidden = true;
      if (this.launcherBtn) this.launcherBtn.hidden = true;
      const conv = this.conv || this.load();
      this.forget();
      if (conv && conv.id && conv.token) {
        try { api(this.cfg, 'DELETE', '/v1/conversations/' + encodeURIComponent(conv.id), conv.token, null, true).catch(() => {}); } catch (e) { /* leaving anyway */ }
      }
      try { document.title = ''; } catch (e) { /* ignore */ }
      location.replace(this.cfg.exitUrl);
    }
  }

  customElements.define('trustcoach-chat', TrustcoachChat);

  // The script tag's launcher, unless data-launcher="false".
  if (script && sd.launcher !== 'false') {
    const mount = () => {
      const el = document.createElement('trustcoach-chat');
      el.setAttribute('mode', 'launcher');
      el.setAttribute('data-from-script', '');
      if (sd.open === 'true') el.setAttribute('open', '');
      if (sd.theme) el.setAttribute('theme', sd.theme);
      document.body.append(el);
    };
    if (document.body) mount();
    else document.addEventListener('DOMContentLoaded', mount, { once: true });
  }
})();
