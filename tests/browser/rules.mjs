// Browser steps of the rules (issue 9): from the nav to /rules; a preview
// says what a rule would have done and lists examples, without saving; a
// bad expression shows the parser's message next to the field; a saved tag
// rule acts on a feed added afterwards — its matching entries carry the tag
// in the river, and /tag/NAME lists them.
//
// Called by scenario.mjs with its helpers, once the blog's RSS feed is in
// the river.

export async function rulesSteps({ page, base, fixtures, step, check, open, submitAndWait, screenshot, poll }) {
  await step('the nav links to /rules; a preview counts what a rule would have hidden, saving nothing', async () => {
    await open(page, base, '/');
    const link = page.locator('nav.main a[href="/rules"]');
    check(await link.count() === 1, 'the main navigation has no link to /rules');
    await submitAndWait(page, link);
    const form = page.locator('form#new-rule');
    check(await form.count() === 1, '/rules has no form#new-rule');
    await form.locator('#r-expression').fill('title:river');
    await form.locator('#r-action').selectOption('block');
    await submitAndWait(page, form.locator('button[value=preview]'));
    const text = await page.locator('#preview').innerText().catch(() => '');
    const m = /would have hidden (\d+) of the last (\d+) entries/.exec(text);
    check(m, `the preview does not say what the rule would have hidden: ${JSON.stringify(text)}`);
    check(Number(m[1]) >= 2 && Number(m[1]) < Number(m[2]),
      `the preview counts ${m[1]} of ${m[2]} entries for title:river; the blog has several river titles and others`);
    check(text.includes('Listening to the river at night'), `the preview lists no example: ${JSON.stringify(text)}`);
    check(await page.locator('#r-expression').inputValue() === 'title:river', 'the preview lost the typed expression');
    check(await page.locator('table#rules').count() === 0, 'a preview saved the rule');
    await screenshot(page, 'rules-preview');
  });

  await step('a bad expression shows the parser\'s message on the page', async () => {
    const form = page.locator('form#new-rule');
    await form.locator('#r-expression').fill('title:river OR');
    await submitAndWait(page, form.locator('button[value=preview]'));
    const error = await page.locator('#e-expression').innerText().catch(() => '');
    check(/at column 15/.test(error), `#e-expression says ${JSON.stringify(error)}, not the parser's "at column 15: …"`);
  });

  await step('save a tag rule; it lists on /rules', async () => {
    const form = page.locator('form#new-rule');
    await form.locator('#r-expression').fill('title:/\\b(martins|dipper)\\b/i');
    await form.locator('#r-action').selectOption('tag');
    await form.locator('#r-tag').fill('birds');
    await submitAndWait(page, form.locator('button[value=save]'));
    check(new URL(page.url()).pathname === '/rules', `saving ended at ${page.url()}, not /rules`);
    const row = await page.locator('table#rules tbody tr').first().innerText().catch(() => '');
    check(row.includes('martins') && row.includes('birds'), `table#rules does not list the rule: ${JSON.stringify(row)}`);
    await screenshot(page, 'rules-saved');
  });

  await step('entries arriving afterwards (the blog\'s Atom feed) get the tag; /tag/birds lists them', async () => {
    await open(page, base, '/subscriptions/add');
    const add = page.locator('form#add-feed');
    await add.locator('input[name=url]').fill(`${fixtures.base}/blog/atom.xml`);
    await submitAndWait(page, add.locator('button[type=submit]').first());
    const ok = await poll(page, base, '/tag/birds', async (p) => (await p.locator('article.entry').count()) >= 2, 30_000);
    const titles = await page.locator('article.entry h2').allInnerTexts();
    check(ok, `after 30 s /tag/birds lists ${JSON.stringify(titles)}, not the Atom feed's two bird entries (sand martins, dipper)`);
    check(titles.every((t) => /martins|dipper/i.test(t)), `/tag/birds lists entries without the words: ${JSON.stringify(titles)}`);
    // Entries stored before the rule (the RSS feed's kingfishers) are untouched.
    await open(page, base, '/all');
    const tags = await page.locator('article.entry a.tag').allInnerTexts();
    check(tags.length >= 2 && tags.every((t) => t === 'birds'), `the river shows the tags ${JSON.stringify(tags)}, not "birds" on the bird entries`);
    await screenshot(page, 'rules-tagged');
  });
}
