// Browser steps for webhooks (docs/WEBHOOKS.md), called from scenario.mjs:
// reach the Webhooks page from the header, add a webhook whose receiver —
// a small server on 127.0.0.1 started here — checks the HMAC signature of
// every request, open the secret, "Send test" and see the ping arrive
// verified and in the delivery log, then disable the webhook.

import crypto from 'node:crypto';
import http from 'node:http';

/** The receiver: records each request and whether its signature verified. */
async function startReceiver(secretOf) {
  const got = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ts = req.headers['x-tributary-timestamp'] || '';
      const sig = String(req.headers['x-tributary-signature'] || '');
      const want = 'sha256=' + crypto.createHmac('sha256', secretOf()).update(`${ts}.`).update(body).digest('hex');
      const fresh = /^\d+$/.test(ts) && Math.abs(Date.now() / 1000 - Number(ts)) < 300;
      const verified = fresh && sig.length === want.length && crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(want));
      got.push({ verified, event: req.headers['x-tributary-event'], delivery: req.headers['x-tributary-delivery'] });
      res.writeHead(verified ? 204 : 401);
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, got, url: `http://127.0.0.1:${server.address().port}/hook` };
}

/** The webhook steps, with the scenario's helpers. */
export async function webhookSteps({ page, base, step, open, submitAndWait, check, screenshot }) {
  let secret = '';
  const receiver = await startReceiver(() => secret);
  try {
    await step('webhooks: add one from the Webhooks page', async () => {
      await open(page, base, '/');
      const link = page.locator('a[href="/settings/webhooks"]');
      check(await link.count() >= 1, 'the header has no link to /settings/webhooks');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.first().click()]);
      check(await page.locator('form#new-webhook').count() === 1, '/settings/webhooks has no form#new-webhook');
      await page.fill('#f-url', receiver.url);
      await submitAndWait(page, page.locator('form#new-webhook button[type=submit]'));
      const where = new URL(page.url()).pathname;
      check(/^\/settings\/webhooks\/\d+$/.test(where), `adding a webhook ended at ${page.url()}`);
      const code = page.locator('details#secret code.secret');
      check(!(await code.isVisible()), 'the secret is shown before it is asked for');
      await page.locator('details#secret summary').click();
      check(await code.isVisible(), 'opening "Show the secret" does not show it');
      secret = (await code.textContent()).trim();
      check(secret.startsWith('whsec_'), `the secret looks wrong: ${secret}`);
      await screenshot(page, 'webhook');
    });

    await step('webhooks: "Send test" reaches the receiver, signed, and is logged', async () => {
      await submitAndWait(page, page.locator('form[action$="/test"] button'));
      check(receiver.got.length === 1, `the receiver got ${receiver.got.length} requests, not 1`);
      check(receiver.got[0].verified, 'the ping did not verify with the secret shown');
      check(receiver.got[0].event === 'ping', `the event is ${receiver.got[0].event}, not ping`);
      const rows = page.locator('table.webhook-log tbody tr.ok');
      check(await rows.count() === 1, 'the delivery log has no successful row');
      check((await rows.first().textContent()).includes(receiver.got[0].delivery), 'the log row does not name the delivery id');
      await screenshot(page, 'webhook-log');
    });

    await step('webhooks: disable it', async () => {
      await submitAndWait(page, page.locator('form[action$="/disable"] button'));
      const state = (await page.locator('#webhook-state').textContent()).trim();
      check(state === 'disabled', `after Disable the state says ${state}`);
      check(await page.locator('form[action$="/enable"]').count() === 1, 'no Enable button after Disable');
    });
  } finally {
    receiver.server.close();
  }
}
