// Browser steps of full article content (docs/ARTICLES.md): the feed's
// full-content mode set on its settings page, then "Fetch original" on an
// entry page fetches the article (fixtures/blog/2026/kingfishers.html, a
// WordPress-shaped page with comments and related posts) and shows it, with
// a link back to the feed's own content. Called from scenario.mjs with its
// helpers.

const ENTRY = 'Kingfishers return to the lower weir';
const ARTICLE = 'The river authority cleared the silt from the mill race';
const NOISE = ['Comment from a reader', 'Related reading', 'Share on Mastodon', 'Club newsletter'];

export async function articles({ page, base, step, open, check, screenshot, submitAndWait }) {
  let entryPath;
  await step('feed settings: the full-content mode select is saved', async () => {
    await open(page, base, '/all');
    const link = page.locator('article.entry', { hasText: ENTRY }).locator('a[href^="/entry/"]').first();
    check(await link.count() === 1, `the river has no link to the entry "${ENTRY}"`);
    entryPath = new URL(await link.getAttribute('href'), base).pathname;
    await open(page, base, `${entryPath}?keep_unread=1`);
    const feed = page.locator('p.meta a[href^="/feed/"]').first();
    check(await feed.count() === 1, `the entry page ${entryPath} has no link to its feed`);
    const feedPath = new URL(await feed.getAttribute('href'), base).pathname;
    await open(page, base, `${feedPath}/settings`);
    const select = page.locator('select#f-full-content');
    check(await select.count() === 1, `${feedPath}/settings has no select#f-full-content`);
    check(await select.inputValue() === '', 'a new subscription does not follow the server default');
    await select.selectOption('on');
    await submitAndWait(page, page.locator('form#feed-settings button[type=submit]'));
    await open(page, base, `${feedPath}/settings`);
    check(await page.locator('select#f-full-content').inputValue() === 'on',
      'after saving "on" the settings page does not show full content "on"');
    await screenshot(page, 'feed-settings-full-content');
  });

  await step('Fetch original shows the article, not its comments; the feed content is a click away', async () => {
    await open(page, base, `${entryPath}?keep_unread=1`);
    const button = page.locator('form.fetch-original button[type=submit]');
    check(await button.count() === 1, `the entry page ${entryPath} has no "Fetch original" button`);
    await submitAndWait(page, button);
    check(new URL(page.url()).pathname === entryPath, `Fetch original ended at ${page.url()}, not ${entryPath}`);
    const content = await page.locator('article.entry .content').innerText();
    check(content.includes(ARTICLE), `the entry page does not show the fetched article ("${ARTICLE}"):\n${content}`);
    for (const n of NOISE) check(!content.includes(n), `the shown article contains page noise: "${n}"`);
    check(await page.locator('#article-error').count() === 0, 'the entry page shows an article error');
    await screenshot(page, 'entry-full-article');
    const back = page.locator('#article-note a');
    check(await back.count() === 1, 'the entry page has no link to the feed\'s own content');
    await submitAndWait(page, back);
    const own = await page.locator('article.entry .content').innerText();
    check(!own.includes(ARTICLE) && own.includes('Bring binoculars and patience'),
      `"Show the feed's own content" does not show the feed's excerpt:\n${own}`);
  });
}
