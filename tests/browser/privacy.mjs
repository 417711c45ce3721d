// The browser steps of the media proxy and tracker removal (docs/PRIVACY.md),
// called from scenario.mjs. They start their own `tributary serve` with
// `[privacy] media_proxy = "images"` (as TRIBUTARY_PRIVACY_MEDIA_PROXY) on a
// fresh database, and their own "image host": a server on 127.0.0.1 with a
// feed whose entry shows a photo from that host, a FeedBurner tracker pixel
// and a link with utm_* parameters. In a new page of the browser:
//
// * the entry shows the photo (it renders) through /proxy/… on Tributary;
// * the browser sends no request at all to the image host (every request is
//   watched): only Tributary fetched the photo, with its own user agent;
// * the tracker pixel is gone and the link has no utm_* parameter;
// * the page's policy allows images from Tributary only.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

// A 1×1 PNG (red).
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

/** The image host: /feed.xml and /photo.png, with every request logged. */
async function startImageHost() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const seen = [];
  const when = new Date(Date.now() - 3600_000).toUTCString().replace('GMT', '+0000');
  const html = `<p>The heron came back at dawn.</p>`
    + `<p><img src="${base}/photo.png" alt="A heron at dawn" width="120" height="80"></p>`
    + `<img src="http://feeds.feedburner.com/~r/Heron/~4/abc123" height="1" width="1" alt="">`
    + `<p><a href="https://heron.example/notes?utm_source=rss&amp;utm_medium=feed&amp;id=5">field notes</a></p>`;
  const feed = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Heron watch</title><link>https://heron.example/</link>
<description>Photos from the weir</description>
<item><title>A heron at dawn</title><link>https://heron.example/2026/heron?utm_source=rss</link>
<guid>heron-at-dawn</guid><pubDate>${when}</pubDate>
<description><![CDATA[${html}]]></description></item>
</channel></rss>`;
  server.on('request', (req, res) => {
    const route = new URL(req.url, base).pathname;
    seen.push({ route, ua: req.headers['user-agent'] || '', referer: req.headers.referer || '', cookie: req.headers.cookie || '' });
    if (route === '/feed.xml') {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(feed);
    } else if (route === '/photo.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.length });
      res.end(PNG);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  return { server, base, seen };
}

/** `tributary serve` with the image proxy on, on a fresh database. */
async function startProxyServer(bin, dir, password, artifacts) {
  const log = [];
  const logFile = fs.createWriteStream(path.join(artifacts, 'serve-privacy.log'));
  const child = spawn(
    bin,
    ['--database', `sqlite://${path.join(dir, 'privacy.db')}`, 'serve', '--listen', '127.0.0.1:0'],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TRIBUTARY_ADMIN_PASSWORD: password,
        TRIBUTARY_ALLOW_PRIVATE_NETWORKS: '1',
        TRIBUTARY_PRIVACY_MEDIA_PROXY: 'images',
        RUST_LOG: process.env.RUST_LOG || 'info',
        HOME: dir,
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        XDG_DATA_HOME: path.join(dir, 'data'),
      },
    },
  );
  let url = null;
  let exited = null;
  const onData = (chunk) => {
    const text = chunk.toString().replace(/\x1b\[[0-9;]*m/g, '');
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
  const deadline = Date.now() + 30_000;
  while (!url && exited === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      for (let i = 0; i < 100 && exited === null; i++) await new Promise((r) => setTimeout(r, 50));
      if (exited === null) child.kill('SIGKILL');
    }
    logFile.end();
  };
  if (!url) {
    await stop();
    throw new Error(`the privacy server did not start (${exited}):\n${log.slice(-15).join('\n')}`);
  }
  return { url, log, stop };
}

/**
 * The privacy steps. `t` carries scenario.mjs's helpers and settings:
 * { ctx, step, check, screenshot, bin, artifacts, password }.
 */
export async function privacySteps(t) {
  const { ctx, step, check, screenshot } = t;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-privacy-'));
  const host = await startImageHost();
  let server;
  const page = await ctx.newPage();
  page.setDefaultTimeout(10_000);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  try {
    await step('privacy: a server with media_proxy = "images" subscribes to a feed with a photo', async () => {
      server = await startProxyServer(t.bin, dir, t.password, t.artifacts);
      const base = server.url;
      await page.goto(base + '/login');
      const form = page.locator('form:has(input[name=password])');
      await form.locator('input[name=username]').fill('admin');
      await form.locator('input[name=password]').fill(t.password);
      await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').first().click()]);
      await page.goto(base + '/subscriptions/add');
      await page.locator('form#add-feed input[name=url]').fill(`${host.base}/feed.xml`);
      await Promise.all([page.waitForNavigation(), page.locator('form#add-feed button[type=submit]').click()]);
      if (await page.locator('form#choose-feed').count() === 1) {
        await Promise.all([page.waitForNavigation(), page.locator('form#choose-feed button[type=submit]').click()]);
      }
      let listed = false;
      for (let i = 0; i < 60 && !listed; i++) {
        await page.goto(base + '/');
        listed = (await page.locator('body').innerText()).includes('A heron at dawn');
        if (!listed) await new Promise((r) => setTimeout(r, 500));
      }
      check(listed, 'after 30 s the river of the privacy server does not list "A heron at dawn"');
    });

    await step('privacy: the entry shows the photo through /proxy, the browser never asks the image host', async () => {
      const base = server.url;
      const link = page.locator('article.entry a[href^="/entry/"]').first();
      check(await link.count() === 1, 'the river has no link to the entry page (a[href^="/entry/"])');
      const href = await link.getAttribute('href');
      requests.length = 0;
      const res = await page.goto(base + href, { waitUntil: 'load' });
      check(res && res.status() === 200, `GET ${href} answered ${res && res.status()}`);
      const csp = res.headers()['content-security-policy'] || '';
      check(csp.includes("img-src 'self' data:"), `the entry page's policy does not keep images to this server: ${csp}`);
      const img = page.locator('.content img[alt="A heron at dawn"]');
      check(await img.count() === 1, 'the entry page does not show the photo <img alt="A heron at dawn">');
      const src = await img.getAttribute('src');
      check(src && src.startsWith('/proxy/'), `the photo's src is ${JSON.stringify(src)}, not a /proxy/ URL`);
      await page.waitForFunction(() => {
        const i = document.querySelector('.content img[alt="A heron at dawn"]');
        return i && i.complete;
      });
      const width = await img.evaluate((i) => i.naturalWidth);
      check(width > 0, `the photo did not render through the proxy (naturalWidth ${width})`);
      const direct = requests.filter((u) => u.startsWith(host.base));
      check(direct.length === 0, `the browser asked the image host directly: ${direct.join(', ')}`);
      const proxied = requests.filter((u) => u.startsWith(`${base}/proxy/`));
      check(proxied.length >= 1, `the browser made no /proxy/ request (requests: ${requests.join(', ')})`);
      const foreign = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:'));
      check(foreign.length === 0, `the entry page made requests off the server: ${foreign.join(', ')}`);
      const fetched = host.seen.filter((s) => s.route === '/photo.png');
      check(fetched.length >= 1 && fetched.every((s) => s.ua.startsWith('Tributary/') && !s.cookie && !s.referer),
        `the image host saw ${JSON.stringify(fetched)}: want requests from Tributary only, without cookie or referrer`);
      await screenshot(page, 'privacy-entry');
    });

    await step('privacy: the tracker pixel is gone and links carry no utm_* parameters', async () => {
      const html = await page.locator('.content').innerHTML();
      check(!html.includes('feedburner'), `the entry still has the FeedBurner pixel: ${html}`);
      const hrefs = await page.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href') || ''));
      const tracked = hrefs.filter((h) => /utm_/.test(h));
      check(tracked.length === 0, `links with utm_* parameters: ${tracked.join(', ')}`);
      check(hrefs.includes('https://heron.example/notes?id=5'), `the field notes link is not cleaned: ${hrefs.join(', ')}`);
      check(hrefs.includes('https://heron.example/2026/heron'), `the entry's own link is not cleaned: ${hrefs.join(', ')}`);
    });
  } finally {
    await page.close().catch(() => {});
    if (server) await server.stop();
    host.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
