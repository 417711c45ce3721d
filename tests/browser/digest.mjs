// Browser steps of the e-mail digest settings (issue 9, docs/MAIL.md):
// from the account page to /settings/digest, a wrong address refused next to
// its field, then weekly settings with one category saved and shown again.
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

  await step('a wrong address is refused next to its field', async () => {
    const form = page.locator('form#digest-settings');
    // type=email would stop the browser from sending it: check the server's answer.
    await page.locator('#f-address').evaluate((i) => { i.type = 'text'; });
    await page.fill('#f-address', 'not an address');
    await submitAndWait(page, form.locator('button[type=submit]'));
    const error = page.locator('#e-address');
    check(await error.count() === 1, 'no #e-address message after a wrong address');
    check((await error.innerText()).includes('not an e-mail address'), `#e-address says ${await error.innerText()}`);
    check(await page.locator('#f-address').getAttribute('aria-invalid') === 'true', '#f-address is not aria-invalid');
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
