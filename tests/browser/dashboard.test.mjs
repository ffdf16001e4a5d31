// The operators' dashboard (the internal listener's /) in a real browser,
// during a short sale made through the API: its tiles and charts show the
// sale's figures, it loads nothing from another host and breaks no rule of
// its Content-Security-Policy. Screenshot: $SCREENSHOT_DIR/dashboard.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { METRICS, SHOTS, api, concertctl, day, launch, watchedPage } from './common.mjs';

let browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

function addConcert(name) {
  return JSON.parse(concertctl('concert', 'add', '--name', name, '--dates', day(3), '--seats', '200',
    '--price', '1000')).concertId;
}

// One buyer's whole journey: sign up, queue, charge, hold two seats, pay.
async function buyer(concertId, seat) {
  const user = (await api('POST', '/users', { name: `dash ${seat}` })).body;
  const place = (await api('POST', '/queue/token', { userId: user.userId, userSecret: user.userSecret, concertId })).body;
  assert.equal((await api('POST', `/users/${user.userId}/charge`, { amount: 5000 }, user.userSecret)).status, 200);
  const ids = [];
  for (const n of [seat, seat + 1]) {
    const r = await api('POST', '/reservations', { concertId, date: day(3), seatNumber: n }, place.token);
    assert.equal(r.status, 201);
    ids.push(r.body.reservationId);
  }
  assert.equal((await api('POST', '/payments', { reservationIds: ids }, place.token)).status, 200);
}

test('the dashboard shows a sale as it happens, from this host only', async () => {
  const concertId = addConcert(`Dashboard ${Date.now()}`);
  const { context, page, problems, requested } = await watchedPage(browser, { width: 1400, height: 1100 });

  assert.equal((await page.goto(`${METRICS}/`)).status(), 200);
  // A few readings while buyers come and go, two seats each.
  for (let i = 0; i < 8; i += 1) {
    await Promise.all([0, 1, 2].map((k) => buyer(concertId, 1 + 2 * (3 * i + k))));
    await page.waitForTimeout(400);
  }
  await page.screenshot({ path: `${SHOTS}/dashboard-during-sale.png`, fullPage: true });
  await page.waitForTimeout(2500);  // one more reading after the last sale

  const tile = async (id) => (await page.locator(`#${id}`).innerText()).replace(/,/g, '');
  assert.ok(Number(await tile('t-sold')) >= 48, `seats sold tile: ${await tile('t-sold')}`);
  assert.ok(Number(await tile('t-paid')) >= 48000, `paid tile: ${await tile('t-paid')}`);
  assert.match(await tile('t-p99'), /ms$/);
  assert.match(await tile('t-pools'), /^(\d+) \/ \1$/);  // every pool up
  assert.equal(await page.locator('.chart canvas').count(), 8);
  const rows = await page.locator('#pools tr').allInnerTexts();
  assert.ok(rows.some((r) => r.startsWith('payments_create')), rows.join('\n'));
  assert.ok(await page.locator('#c-admits .u-legend').innerText().then((t) => t.includes(`concert ${concertId}`)));

  await page.screenshot({ path: `${SHOTS}/dashboard.png`, fullPage: true });
  const foreign = requested.filter((u) => !u.startsWith(METRICS) && !u.startsWith('data:'));
  assert.deepEqual(foreign, [], 'requests to other hosts');
  assert.deepEqual(problems, []);
  await context.close();
});
