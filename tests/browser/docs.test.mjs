// /docs in a real browser (Debian's chromium through playwright-core): Swagger
// UI renders every operation of /api/v1/openapi.json, loads nothing from
// another host, and breaks no rule of the page's Content-Security-Policy.
// Screenshot: $SCREENSHOT_DIR/docs.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, SHOTS, launch, watchedPage } from './common.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('/docs renders every operation of the API description from this host only', async () => {
  const doc = await (await fetch(`${BASE}/api/v1/openapi.json`)).json();
  const operations = Object.values(doc.paths).reduce(
    (n, item) => n + ['get', 'put', 'post', 'delete', 'patch'].filter((m) => item[m]).length, 0);

  const { context, page, problems, requested } = await watchedPage(browser, { width: 1280, height: 900 });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

  const response = await page.goto(`${BASE}/docs`);
  assert.equal(response.status(), 200);
  await page.locator('.opblock').first().waitFor({ timeout: 15000 });
  assert.equal(await page.locator('.opblock').count(), operations);
  assert.match(await page.locator('.info .title').innerText(), /Concert/);
  await page.screenshot({ path: `${SHOTS}/docs.png`, fullPage: false });

  // Open one operation: its responses, with the contract's error body, render.
  const pay = page.locator('.opblock-post', { hasText: '/api/v1/payments' });
  await pay.locator('.opblock-summary').click();
  await pay.locator('.responses-table').waitFor();
  const statuses = await pay.locator('.responses-table .response-col_status').allInnerTexts();
  for (const status of ['200', '400', '402', '409']) assert.ok(statuses.some((s) => s.trim().startsWith(status)), `${status} in ${statuses}`);

  await pay.screenshot({ path: `${SHOTS}/docs-payments.png` });

  const foreign = requested.filter((u) => !u.startsWith(BASE) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests to other hosts');
  assert.deepEqual(problems, []);
  await context.close();
});
