// The browser test of `tributary serve`: Debian's chromium, driven by
// playwright-core, against a real server on loopback that fetches real feeds
// from a small fixture server on loopback (fixtures/).
//
//   node scenario.mjs [--update-screenshots]
//
// Environment: TRIBUTARY_BIN (default ../../target/debug/tributary),
// ARTIFACTS (default ../../target/browser-artifacts).
//
// Each step is printed; the first failed check stops the run with a plain
// message, a screenshot (failure.png) and the end of the server's log, and
// exits 1. Screenshots of every step go to the artifacts folder; with
// --update-screenshots the river, an entry, the subscriptions page and the
// phone layout are copied to docs/screenshots/.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import { digestSteps } from './digest.mjs';
import { rulesSteps } from './rules.mjs';
import { privacySteps } from './privacy.mjs';
import { webhookSteps } from './webhooks.mjs';

import { articles } from './articles.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const BIN = process.env.TRIBUTARY_BIN || path.join(ROOT, 'target', 'debug', 'tributary');
const ARTIFACTS = process.env.ARTIFACTS || path.join(ROOT, 'target', 'browser-artifacts');
const SCREENSHOTS = path.join(ROOT, 'docs', 'screenshots');
const FIXTURES = path.join(HERE, 'fixtures');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PASSWORD = 'browser-test-password-1';
const DESKTOP = { width: 1280, height: 860 };
const PHONE = { width: 390, height: 844 };
const RUN_LIMIT_MS = 115_000;

const args = process.argv.slice(2);
for (const a of args) {
  if (a !== '--update-screenshots') {
    console.error(`scenario: unknown option ${a} (only --update-screenshots)`);
    process.exit(2);
  }
}
const UPDATE_SCREENSHOTS = args.includes('--update-screenshots');

/** A failed check: its message is what the run prints. */
class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- fixtures

/** Fixture files with {{base}}, {{rfc822 N}}, {{rfc3339 N}} (N days ago) filled in. */
function render(text, base) {
  const now = Date.now() - 3600_000; // an hour ago: nothing is in the future
  const daysAgo = (n) => new Date(now - Number(n) * 86400_000);
  return text
    .replaceAll('{{base}}', base)
    .replace(/\{\{rfc822 (\d+)\}\}/g, (_, n) => daysAgo(n).toUTCString().replace('GMT', '+0000'))
    .replace(/\{\{rfc3339 (\d+)\}\}/g, (_, n) => daysAgo(n).toISOString());
}

const TYPES = {
  '/blog/': 'text/html; charset=utf-8',
  '/blog/rss.xml': 'application/rss+xml; charset=utf-8',
  '/blog/atom.xml': 'application/atom+xml; charset=utf-8',
  '/third/feed.xml': 'application/rss+xml; charset=utf-8',
  '/blog/2026/kingfishers.html': 'text/html; charset=utf-8',
};

/** The feeds and the blog page on 127.0.0.1 (a random port). */
async function startFixtures() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const bodies = new Map();
  for (const route of Object.keys(TYPES)) {
    const file = route.endsWith('/') ? `${route}index.html` : route;
    bodies.set(route, render(fs.readFileSync(path.join(FIXTURES, file), 'utf8'), base));
  }
  const hits = new Map();
  server.on('request', (req, res) => {
    const route = new URL(req.url, base).pathname;
    hits.set(route, (hits.get(route) || 0) + 1);
    const body = bodies.get(route);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[route] });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  /** How many items (RSS) or entries (Atom) a fixture feed has. */
  const items = (route) => (bodies.get(route).match(/<item>|<entry>/g) || []).length;
  return { server, base, hits, items };
}

// ------------------------------------------------------------------ server

const ANSI = /\x1b\[[0-9;]*m/g;

/** Ends the server at once (on a timeout or a signal: the process exits next). */
let killServer = () => {};

/** `tributary serve --listen 127.0.0.1:0` on a fresh database in `dir`. */
async function startTributary(dir) {
  check(fs.existsSync(BIN), `${BIN} does not exist: build it with cargo build -p tributary`);
  const log = [];
  const logFile = fs.createWriteStream(path.join(ARTIFACTS, 'serve.log'));
  const child = spawn(
    BIN,
    ['--database', `sqlite://${path.join(dir, 'tributary.db')}`, 'serve', '--listen', '127.0.0.1:0'],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TRIBUTARY_ADMIN_PASSWORD: PASSWORD,
        // The fixture feeds are on loopback, which the fetcher refuses by default.
        TRIBUTARY_ALLOW_PRIVATE_NETWORKS: '1',
        RUST_LOG: process.env.RUST_LOG || 'info',
        // No config file of the machine's user.
        HOME: dir,
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        XDG_DATA_HOME: path.join(dir, 'data'),
      },
    },
  );
  let url = null;
  let exited = null;
  const onData = (chunk) => {
    const text = chunk.toString().replace(ANSI, '');
    logFile.write(text);
    for (const line of text.split('\n')) {
      if (line) log.push(line);
      const m = /listening on (http:\/\/[^\s,]+)/.exec(line);
      if (m && !url) url = m[1].replace(/\/+$/, '');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('exit', (code, signal) => { exited = signal || code; });
  killServer = () => { if (exited === null) child.kill('SIGKILL'); };
  const deadline = Date.now() + 30_000;
  while (!url) {
    if (exited !== null) {
      throw new Failure(`tributary serve exited (${exited}) before listening:\n${log.slice(-20).join('\n')}`);
    }
    check(Date.now() < deadline, `tributary serve printed no "listening on http://..." line within 30 s:\n${log.slice(-20).join('\n')}`);
    await sleep(50);
  }
  return {
    url,
    log,
    alive: () => exited === null,
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        for (let i = 0; i < 100 && exited === null; i++) await sleep(50);
        if (exited === null) child.kill('SIGKILL');
      }
      logFile.end();
    },
  };
}

// ----------------------------------------------------------------- helpers

let page; // the page of the current step (for the failure screenshot)
let shot = 0;

async function screenshot(p, name) {
  shot += 1;
  const file = path.join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`);
  await p.screenshot({ path: file });
  return file;
}

let stepNo = 0;
async function step(name, fn) {
  stepNo += 1;
  const started = Date.now();
  process.stdout.write(`[${String(stepNo).padStart(2)}] ${name} ... `);
  await fn();
  console.log(`ok (${Date.now() - started} ms)`);
}

/** Path of the page's URL (`/login`). */
const pathOf = (p) => new URL(p.url()).pathname;

/** Go to a path of the server and check it answered 200. */
async function open(p, base, route) {
  const res = await p.goto(base + route, { waitUntil: 'load' });
  check(res, `no answer for ${route}`);
  check(res.status() === 200, `GET ${route} answered ${res.status()}, not 200 (now at ${p.url()})`);
  return res;
}

/** Click a submit control and wait for the navigation it starts. */
async function submitAndWait(p, submit) {
  await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), submit.click()]);
}

/** The submit button of the form `field` belongs to. */
function submitOf(form) {
  return form.locator('button[type=submit], button:not([type]), input[type=submit]').first();
}

/** Make sure `form` is on the page: if it is not, follow the link `link` to it (as a person would). */
async function followToForm(p, form, link) {
  if (await p.locator(form).count() === 1) return;
  const a = p.locator(link).first();
  check(await a.count() === 1, `${pathOf(p)} has neither ${form} nor a link ${link} to it`);
  await Promise.all([p.waitForNavigation({ waitUntil: 'load' }), a.click()]);
  check(await p.locator(form).count() === 1, `${pathOf(p)} (the ${link} link) has no ${form}`);
}

/** Index of the selected `article.entry` (focused, or marked by a class or attribute), -1 if none. */
function selectedIndex(p) {
  return p.evaluate(() => {
    const articles = [...document.querySelectorAll('article.entry')];
    const active = document.activeElement;
    const focused = articles.findIndex((a) => a === active || a.contains(active));
    if (focused >= 0) return focused;
    return articles.findIndex((a) => a.matches(
      '.selected, .current, .active, .focused, [aria-current], [aria-selected="true"], [data-selected], [data-current]'));
  });
}

async function expectSelected(p, want, after) {
  let got = -1;
  for (let i = 0; i < 20; i++) {
    got = await selectedIndex(p);
    if (got === want) return;
    await sleep(50);
  }
  throw new Failure(`after ${after} the selected article.entry is #${got} (counting from 0; -1: none), not #${want}`);
}

async function articleAttr(p, index, name) {
  return p.locator('article.entry').nth(index).getAttribute(name);
}

async function waitAttr(p, index, name, want, after) {
  let got;
  for (let i = 0; i < 100; i++) {
    got = await articleAttr(p, index, name);
    if (got === want) return;
    await sleep(50);
  }
  throw new Failure(`after ${after} article.entry #${index} has ${name}=${JSON.stringify(got)}, not "${want}"`);
}

/** The title of article.entry #index (its first heading). */
async function articleTitle(p, index) {
  const text = await p.locator('article.entry').nth(index).evaluate(
    (a) => (a.querySelector('h1, h2, h3, h4') || a).innerText);
  return text.trim().split('\n')[0].trim();
}

/** Reload `route` until `ready(page)` is true or `ms` pass. */
async function poll(p, base, route, ready, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    await open(p, base, route);
    if (await ready(p)) return true;
    if (Date.now() > deadline) return false;
    await sleep(500);
  }
}

// ---------------------------------------------------------------- scenario

async function scenario(ctx, base, fixtures) {
  page = ctx.pages()[0] || (await ctx.newPage());
  page.setDefaultTimeout(10_000);
  page.setDefaultNavigationTimeout(15_000);
  const browserErrors = [];
  page.on('pageerror', (e) => browserErrors.push(`${page.url()}: ${e}`));
  // Console errors too: a Content-Security-Policy that blocks the inline
  // script or style shows up only there. (The browser's own favicon request
  // is not the app's.)
  page.on('console', (msg) => {
    const where = msg.location() && msg.location().url;
    if (msg.type() === 'error' && !(where && where.endsWith('/favicon.ico'))) {
      browserErrors.push(`${page.url()}: console: ${msg.text()}`);
    }
  });

  await step('an unknown visitor is sent to the login page', async () => {
    await page.goto(base + '/');
    check(pathOf(page) === '/login', `GET / without a session ended at ${page.url()}, not /login`);
  });

  await step('log in as admin', async () => {
    const form = page.locator('form:has(input[name=password])');
    check(await form.count() === 1, 'the login page has no form with input[name=password]');
    await form.locator('input[name=username]').fill('admin');
    await form.locator('input[name=password]').fill(PASSWORD);
    await submitAndWait(page, submitOf(form));
    check(pathOf(page) !== '/login', `still on the login page after signing in: ${await page.locator('body').innerText()}`);
    await screenshot(page, 'after-login');
  });

  const blogUrl = `${fixtures.base}/blog/`;
  await step(`add the page ${blogUrl} through form#add-feed; discovery offers its two feeds`, async () => {
    await open(page, base, '/subscriptions');
    await followToForm(page, 'form#add-feed', 'a[href="/subscriptions/add"]');
    const form = page.locator('form#add-feed');
    await form.locator('input[name=url]').fill(blogUrl);
    await submitAndWait(page, submitOf(form));
    const choices = page.locator('input[name=feed]');
    const n = await choices.count();
    const values = [];
    for (let i = 0; i < n; i++) values.push(await choices.nth(i).getAttribute('value'));
    check(n === 2, `discovery offers ${n} choices (input[name=feed]: ${JSON.stringify(values)}), not the page's 2 feeds`);
    check(values.some((v) => v && v.endsWith('/blog/rss.xml')) && values.some((v) => v && v.endsWith('/blog/atom.xml')),
      `discovery choices ${JSON.stringify(values)} are not the page's rss.xml and atom.xml`);
    await screenshot(page, 'discovery');
  });

  await step('pick the RSS feed and subscribe', async () => {
    const choice = page.locator('input[name=feed][value$="/blog/rss.xml"]');
    await choice.check();
    await submitAndWait(page, submitOf(page.locator('form:has(input[name=feed])')));
    check(fixtures.hits.get('/blog/') >= 1, 'the server never fetched the blog page');
  });

  await step('the river shows the feed\'s entries once it is fetched', async () => {
    const want = fixtures.items('/blog/rss.xml');
    const ok = await poll(page, base, '/', async (p) => (await p.locator('article.entry').count()) >= want, 30_000);
    const n = await page.locator('article.entry').count();
    check(ok, `after 30 s the river / lists ${n} article.entry, not the feed's ${want} (fixture hits: ${JSON.stringify([...fixtures.hits])})`);
    check(n === want, `the river lists ${n} article.entry, but the feed has ${want} items`);
    check(await page.locator('body').innerText().then((t) => t.includes('Kingfishers return to the lower weir')),
      'the river does not show the newest entry "Kingfishers return to the lower weir"');
    await screenshot(page, 'river');
  });

  let starredTitle;
  await step('keyboard: j selects the first entry, j the second, k back to the first', async () => {
    await page.locator('body').click({ position: { x: 2, y: 2 } }).catch(() => {});
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.keyboard.press('j');
    await expectSelected(page, 0, 'j');
    await page.keyboard.press('j');
    await expectSelected(page, 1, 'j j');
    await page.keyboard.press('k');
    await expectSelected(page, 0, 'j j k');
    starredTitle = await articleTitle(page, 0);
    check(starredTitle.length > 0, 'the first article.entry has no title');
  });

  await step('keyboard: s stars the selected entry (data-starred="1")', async () => {
    check(await articleAttr(page, 0, 'data-starred') !== '1', 'the first entry is starred before s');
    await page.keyboard.press('s');
    await waitAttr(page, 0, 'data-starred', '1', 's');
  });

  await step('keyboard: m marks it read (data-read="1"), m again unread', async () => {
    const before = await articleAttr(page, 0, 'data-read');
    check(before === '0', `the first entry of the unread river has data-read=${JSON.stringify(before)}, not "0"`);
    await page.keyboard.press('m');
    await waitAttr(page, 0, 'data-read', '1', 'm');
    await page.keyboard.press('m');
    await waitAttr(page, 0, 'data-read', '0', 'm m');
    await screenshot(page, 'river-starred');
  });

  await step('keyboard: o opens the selected entry', async () => {
    const before = page.url();
    const popup = ctx.waitForEvent('page', { timeout: 10_000 }).catch(() => null);
    const nav = page.waitForURL((u) => u.href !== before, { timeout: 10_000 }).then(() => page).catch(() => null);
    await page.keyboard.press('o');
    const opened = await Promise.race([nav, popup.then((p) => p)]);
    check(opened, 'o opened nothing (no navigation, no new tab)');
    await opened.waitForLoadState('load');
    const text = await opened.locator('body').innerText();
    check(text.includes(starredTitle), `the page o opened (${opened.url()}) does not show "${starredTitle}"`);
    await screenshot(opened, 'entry-opened');
    if (opened !== page) await opened.close();
  });

  await step('the star is stored: /starred lists the entry', async () => {
    await open(page, base, '/starred');
    const titles = await page.locator('article.entry').allInnerTexts();
    check(titles.some((t) => t.includes(starredTitle)), `/starred does not list "${starredTitle}" (${titles.length} entries)`);
    const starred = await page.locator('article.entry[data-starred="1"]').count();
    check(starred === titles.length && starred >= 1, `/starred shows ${titles.length} entries of which ${starred} have data-starred="1"`);
  });

  await step('the podcast entry has an enclosure player', async () => {
    await open(page, base, '/');
    const titles = await page.locator('article.entry').allInnerTexts();
    const index = titles.findIndex((t) => t.includes('Episode 12'));
    check(index >= 0, 'the river does not list "Episode 12: Listening to the river at night"');
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    for (let i = 0; i <= index; i++) await page.keyboard.press('j');
    await expectSelected(page, index, `${index + 1} x j`);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('o')]);
    const audio = page.locator('audio');
    check(await audio.count() >= 1, `the entry page ${page.url()} has no <audio> player for the episode`);
    const src = await audio.first().evaluate((a) => a.currentSrc || a.src || (a.querySelector('source') || {}).src || '');
    check(src.endsWith('/blog/audio/episode-12.mp3'), `the <audio> player plays ${JSON.stringify(src)}, not the enclosure episode-12.mp3`);
    const original = page.locator('a[href$="/blog/2026/episode-12.html"]');
    check(await original.count() >= 1, 'the entry page has no link to the original article');
    await screenshot(page, 'entry');
  });

  await step('keyboard: ? shows #help, Escape hides it', async () => {
    await open(page, base, '/');
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    check(!(await page.locator('#help').isVisible()), '#help is visible before ?');
    await page.keyboard.press('?');
    await page.locator('#help').waitFor({ state: 'visible', timeout: 3000 })
      .catch(() => { throw new Failure('? did not show #help'); });
    await screenshot(page, 'help');
    await page.keyboard.press('Escape');
    await page.locator('#help').waitFor({ state: 'hidden', timeout: 3000 })
      .catch(() => { throw new Failure('Escape did not hide #help'); });
  });

  await step('keyboard: / focuses the search box; a search finds the entry', async () => {
    await page.keyboard.press('/');
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
    check(focused === 'q', `/ focused ${JSON.stringify(focused)}, not input#q`);
    await page.keyboard.type('kingfishers');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    const body = await page.locator('body').innerText();
    check(body.includes('Kingfishers return to the lower weir'),
      `the search results page ${page.url()} does not list "Kingfishers return to the lower weir"`);
    check(!body.includes('Why the herons nest on the island'),
      'the search results for "kingfishers" list an entry without the word ("Why the herons nest on the island")');
    await screenshot(page, 'search');
  });

  await step('import an OPML file; its feed appears on /subscriptions', async () => {
    const opml = path.join(ARTIFACTS, 'import.opml');
    fs.writeFileSync(opml, render(fs.readFileSync(path.join(FIXTURES, 'import.opml'), 'utf8'), fixtures.base));
    await open(page, base, '/subscriptions');
    await followToForm(page, 'form#import', 'a[href="/subscriptions/import"]');
    const form = page.locator('form#import');
    await form.locator('input[type=file][name=opml]').setInputFiles(opml);
    await submitAndWait(page, submitOf(form));
    await open(page, base, '/subscriptions');
    const html = await page.content();
    check(html.includes('Valley Cycling Club') || html.includes('/third/feed.xml'),
      '/subscriptions does not list the imported feed "Valley Cycling Club" after the import');
  });

  await step('the imported feed is fetched; the river has both feeds', async () => {
    const ok = await poll(page, base, '/', async (p) =>
      (await p.locator('body').innerText()).includes('Sunday ride: the three bridges loop'), 30_000);
    check(ok, 'after 30 s the river does not show the imported feed\'s entry "Sunday ride: the three bridges loop"');
    await screenshot(page, 'river-final');
  });

  await rulesSteps({ page, base, fixtures, step, check, open, submitAndWait, screenshot, poll });

  await step('/subscriptions shows each feed with its charts (SVG)', async () => {
    await open(page, base, '/subscriptions');
    const charts = await page.locator('svg').count();
    check(charts >= 2, `/subscriptions has ${charts} <svg> charts, want at least one per feed (2 feeds)`);
    await screenshot(page, 'subscriptions');
  });

  await step(`phone viewport ${PHONE.width}x${PHONE.height}: the river is one column, no horizontal scroll`, async () => {
    await page.setViewportSize(PHONE);
    await open(page, base, '/');
    const m = await page.evaluate(() => {
      const lefts = [...document.querySelectorAll('article.entry')].map((a) => Math.round(a.getBoundingClientRect().left));
      return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, lefts };
    });
    check(m.lefts.length > 0, 'the phone river has no article.entry');
    check(m.scrollWidth <= m.innerWidth, `the phone river scrolls sideways: scrollWidth ${m.scrollWidth} > innerWidth ${m.innerWidth}`);
    check(new Set(m.lefts).size === 1, `the phone river is not one column: entries start at x = ${[...new Set(m.lefts)].join(', ')}`);
    await screenshot(page, 'phone');
    await page.setViewportSize(DESKTOP);
  });

  await digestSteps({ page, base, step, open, check, submitAndWait, screenshot, pathOf });
  await webhookSteps({ page, base, step, open, submitAndWait, check, screenshot });
  await articles({ page, base, step, open, check, screenshot, submitAndWait });

  await step('log out; / sends to the login page again', async () => {
    await open(page, base, '/');
    const button = page.locator('form#logout button');
    check(await button.count() >= 1, 'the river has no form#logout button');
    await submitAndWait(page, button.first());
    await page.goto(base + '/');
    check(pathOf(page) === '/login', `after logging out / ended at ${page.url()}, not /login`);
    await screenshot(page, 'logged-out');
  });

  await privacySteps({ ctx, step, check, screenshot, bin: BIN, artifacts: ARTIFACTS, password: PASSWORD });
  await step('no page had a JavaScript error or a console error', async () => {
    check(browserErrors.length === 0, `the pages had JavaScript or console errors:\n${browserErrors.join('\n')}`);
  });
}

// -------------------------------------------------------------------- main

const DOC_SHOTS = { 'river-final': 'river', entry: 'entry', subscriptions: 'subscriptions', phone: 'phone' };

async function main() {
  const started = Date.now();
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-browser-'));
  const timer = setTimeout(() => {
    console.error(`\nFAILED: the run took longer than ${RUN_LIMIT_MS / 1000} s (at step ${stepNo})`);
    console.log(`browser: ${Math.max(0, stepNo - 1)} passed, 1 failed`);
    killServer();
    process.exit(1);
  }, RUN_LIMIT_MS);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => { killServer(); process.exit(1); });
  }
  let fixtures;
  let server;
  let ctx;
  let failed = null;
  try {
    fixtures = await startFixtures();
    server = await startTributary(dir);
    console.log(`tributary serve at ${server.url}; feeds at ${fixtures.base}`);
    ctx = await chromium.launchPersistentContext(path.join(dir, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: DESKTOP,
      deviceScaleFactor: 1,
      colorScheme: 'light',
    });
    await scenario(ctx, server.url, fixtures);
    check(server.alive(), 'tributary serve died during the run');
  } catch (e) {
    failed = e;
  }
  if (failed) {
    console.log('FAILED');
    console.error(`\nFAILED at step ${stepNo}: ${failed instanceof Failure ? failed.message : failed.stack || failed}`);
    if (page) {
      await page.screenshot({ path: path.join(ARTIFACTS, 'failure.png') }).catch(() => {});
      fs.writeFileSync(path.join(ARTIFACTS, 'failure.html'), await page.content().catch(() => ''));
      console.error(`page: ${page.url()} (screenshot and HTML in ${ARTIFACTS}/failure.*)`);
    }
    if (server) console.error(`last lines of the server's log:\n${server.log.slice(-15).join('\n')}`);
  }
  if (ctx) await ctx.close().catch(() => {});
  if (server) await server.stop();
  if (fixtures) fixtures.server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  clearTimeout(timer);
  if (failed) {
    console.log(`browser: ${Math.max(0, stepNo - 1)} passed, 1 failed`);
    process.exit(1);
  }

  if (UPDATE_SCREENSHOTS) {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    for (const file of fs.readdirSync(ARTIFACTS)) {
      const m = /^\d+-(.+)\.png$/.exec(file);
      if (m && DOC_SHOTS[m[1]]) {
        fs.copyFileSync(path.join(ARTIFACTS, file), path.join(SCREENSHOTS, `${DOC_SHOTS[m[1]]}.png`));
      }
    }
    console.log(`screenshots copied to ${path.relative(ROOT, SCREENSHOTS)}/ (${Object.values(DOC_SHOTS).join(', ')})`);
  }
  console.log(`\nall ${stepNo} steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(ROOT, ARTIFACTS)}/`);
  console.log(`browser: ${stepNo} passed, 0 failed`);
}

await main();
