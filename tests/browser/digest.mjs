// Browser steps of the e-mail digest settings (issue 9, docs/MAIL.md):
// from the account page to /settings/digest, a wrong address refused next to
// its field, then weekly settings saved and shown again.
// The scenario's server has no [mail], so the page says it sends no mail and
// "Send now" says so too. Called from scenario.mjs with its helpers.

export async function digestSteps({ page, base, step, open, check, submitAndWait, screenshot, pathOf }) {
  await step('the account page links to the e-mail digest settings', async () => {
    await open(page, base, '/settings/account');
    const link = page.locator('a[href="/settings/digest"]');
    check(await link.count() >= 1, '/settings/account has no link to /settings/digest');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), link.first().click()]);
    check(pathOf(page) === '/settings/digest', `the link led to ${page.url()}`);
    check(await page.locator('form#digest-settings').count() === 1, 'no form#digest-settings');
    check(await page.locator('#no-mail').count() === 1, 'the page does not say this server sends no mail');
  });

  await step('a wrong address is refused next to its field (400, sent with the page\'s cookies and token)', async () => {
    // Sent by the page's request context, not as a navigation: the browser
    // would log the 400 of a navigation as a console error.
    const csrf = await page.locator('form#digest-settings input[name=csrf]').getAttribute('value');
    const res = await page.request.post(base + '/settings/digest', {
      form: { csrf, address: 'not an address', frequency: 'daily', hour: '7', weekday: '0', categories: 'all' },
      maxRedirects: 0,
    });
    check(res.status() === 400, `a wrong address answered ${res.status()}, not 400`);
    const html = await res.text();
    check(html.includes('id="e-address"') && html.includes('not an e-mail address'), 'no message next to the address field');
    check(html.includes('aria-invalid="true" aria-describedby="e-address"'), 'the address field is not marked invalid');
  });

  await step('weekly settings are saved and shown again', async () => {
    await page.fill('#f-address', 'admin@example.org');
    await page.check('#f-weekly');
    await page.selectOption('#f-weekday', '4');
    await page.selectOption('#f-hour', '18');
    await page.fill('#f-timezone', 'Europe/Berlin');
    await submitAndWait(page, page.locator('form#digest-settings button[type=submit]'));
    check((await page.locator('.flash').innerText()).includes('Digest settings saved.'), 'no "saved" message');
    check(await page.locator('#f-weekly').isChecked(), 'weekly is not checked after saving');
    check(await page.locator('#f-weekday').inputValue() === '4', 'the weekday was not kept');
    check(await page.locator('#f-hour').inputValue() === '18', 'the hour was not kept');
    check(await page.locator('#f-address').inputValue() === 'admin@example.org', 'the address was not kept');
    await screenshot(page, 'digest-settings');
  });

  await step('Send now on a server without [mail] says so', async () => {
    await submitAndWait(page, page.locator('form#digest-send button[type=submit]'));
    check((await page.locator('.flash').innerText()).includes('not set up to send e-mail'),
      `after Send now: ${await page.locator('.flash').innerText()}`);
  });
}
