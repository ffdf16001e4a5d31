// The booking page in a real browser (Debian's chromium, driven by
// playwright-core) against the test stack that tests/run.sh started.
// Screenshots of every step go to $SCREENSHOT_DIR.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { BASE, REDIS_PORT, SHOTS, api, concertctl, day, launch } from './common.mjs';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

let browser;

const redis = (...args) => execFileSync('redis-cli', ['-p', REDIS_PORT, ...args]).toString().trim();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let concertCount = 0;
// A concert of its own for each test, so tests never share seats.
function addConcert(seats, price) {
  concertCount += 1;
  const name = `Browser Live ${concertCount} ${Date.now()}`;
  const out = JSON.parse(concertctl('concert', 'add', '--name', name, '--dates', `${day(3)},${day(4)}`,
    '--seats', String(seats), '--price', String(price)));
  return { id: out.concertId, name, date: day(3) };
}

// Settings are kept by handlers for up to a second: wait that long.
async function setting(name, value) {
  if (value === undefined) redis('HDEL', '{q}:settings', name);
  else redis('HSET', '{q}:settings', name, String(value));
  await sleep(1100);
}

async function newPage(viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  return page;
}

// Closes the page's browser context; the page must not have thrown.
async function done(...pages) {
  for (const page of pages) {
    assert.deepEqual(page.errors, []);
    await page.context().close();
  }
}

const shot = (page, name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
const message = (page) => page.locator('#message');
// A seat shown free (neither taken nor in this visitor's basket).
const freeSeat = (n) => `#seat-map button[data-seat="${n}"][class="seat"]`;
// What the page keeps in localStorage: { userId, userSecret, token, ... }.
const saved = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('concert')));

// Signs up in the page: the secret is shown once, then the visitor goes on.
// Returns { userId, userSecret } as the page showed them.
async function signUp(page, name) {
  await page.fill('#signup-name', name);
  await page.click('#signup-form button');
  await page.locator('#secret-box').waitFor();
  const shown = { userId: await page.textContent('#secret-user'), userSecret: await page.textContent('#secret-value') };
  assert.match(shown.userSecret, /^us_[A-Za-z0-9_-]{43}$/);
  await page.click('#secret-continue');
  return shown;
}

// A user made through the API, and their token of the concert's room:
// { userId, userSecret, token }.
async function apiUser(name, concertId) {
  const user = (await api('POST', '/users', { name })).body;
  const place = await api('POST', '/queue/token', { userId: user.userId, userSecret: user.userSecret, concertId });
  return { ...user, token: place.body.token };
}

// From the public concert list, into the concert's own line.
async function joinLine(page, concert) {
  await page.locator('#step-concert').waitFor();
  await page.selectOption('#concert-select', { label: concert.name });
  await page.click('#join-line');
}

async function signUpAndReachSeats(page, concert, name) {
  await page.goto(BASE);
  await signUp(page, name);
  await joinLine(page, concert);
  await page.locator('#dates button', { hasText: concert.date }).click();
  await page.locator('#step-seats').waitFor();
}

// Holds the seats one after the other from the map; each lands in the basket.
async function holdSeats(page, ...seats) {
  for (const seat of seats) {
    await page.click(freeSeat(seat));
    await page.locator(`#seat-map button.yours[data-seat="${seat}"]`).waitFor();
  }
}

// Charges the balance through the basket's form.
async function charge(page, amount) {
  await page.fill('#charge-amount', String(amount));
  await page.click('#charge-form button');
  await message(page).filter({ hasText: `Added ${amount.toLocaleString('en-US')} KRW` }).waitFor();
}

before(async () => {
  browser = await launch();
  redis('FLUSHDB');
  redis('HSET', '{q}:settings', 'queue.capacity', '1000');
  await sleep(1100);
});

after(async () => {
  await browser?.close();
  redis('FLUSHDB');
});

test('a new visitor signs up, queues, picks a seat, charges, pays and sees the confirmation', async () => {
  const concert = addConcert(12, 30000);
  const page = await newPage(PHONE);
  await page.goto(BASE);
  await shot(page, '01-journey-sign-up');
  await page.fill('#signup-name', 'Kim Browser');
  await page.click('#signup-form button');
  await page.locator('#secret-box').waitFor();
  await shot(page, '01b-journey-secret-shown-once');
  assert.match(await page.textContent('#secret-value'), /^us_[A-Za-z0-9_-]{43}$/);
  await page.click('#secret-continue');
  await page.locator('#step-concert').waitFor();
  await shot(page, '02-journey-pick-concert');
  await joinLine(page, concert);
  await page.locator('#dates button', { hasText: concert.date }).waitFor();
  await shot(page, '02b-journey-active-pick-date');
  await page.locator('#dates button', { hasText: concert.date }).click();
  await page.locator('#seat-map button[data-seat="5"]').waitFor();
  assert.equal(await page.locator('#seat-map button').count(), 12);
  await shot(page, '03-journey-seat-map');
  await page.click('#seat-map button[data-seat="5"]');
  await page.locator('#basket').waitFor();
  assert.match(await page.textContent('#basket .countdown'), /^[0-5]:\d\d$/);
  await page.click('#pay-button');
  await assert.doesNotReject(message(page).filter({ hasText: 'short of the price' }).waitFor());
  assert.equal(await page.inputValue('#charge-amount'), '30000');
  await shot(page, '04-journey-balance-short');
  await page.click('#charge-form button');
  await message(page).filter({ hasText: 'Added 30,000 KRW' }).waitFor();
  await page.click('#pay-button');
  await page.locator('#step-done').waitFor();
  assert.equal(await page.textContent('#done-seats'), `${concert.date}: seat 5`);
  assert.match(await page.textContent('#done-payment'), /^[0-9a-f-]{36} \(30,000 KRW/);
  await shot(page, '05-journey-paid');
  // The seat is sold for everyone.
  const other = (await apiUser('x', concert.id)).token;
  const seats = await api('GET', `/concerts/${concert.id}/available-seats?date=${concert.date}`, null, other);
  assert.ok(!seats.body.seats.some((s) => s.seatNumber === 5));
  await done(page);
});

test('two browsers race for one seat: one holds it, the other is told and sees the map refreshed', async () => {
  const concert = addConcert(10, 20000);
  const a = await newPage(DESKTOP);
  const b = await newPage(PHONE);
  await signUpAndReachSeats(a, concert, 'Racer A');
  await signUpAndReachSeats(b, concert, 'Racer B');
  await a.click('#seat-map button[data-seat="7"]');
  await a.locator('#basket').waitFor();
  await shot(a, '06-race-a-holds-seat-7');
  // B still shows seat 7 as free and clicks it.
  assert.equal(await b.locator('#seat-map button[data-seat="7"]').isDisabled(), false);
  await b.click('#seat-map button[data-seat="7"]');
  await message(b).filter({ hasText: 'Someone else just took seat 7' }).waitFor();
  await b.locator('#seat-map button[data-seat="7"][disabled]').waitFor();
  assert.equal(await b.locator('#step-seats').isVisible(), true);
  await shot(b, '07-race-b-told-seat-taken');
  await done(a, b);
});

test('a hold that runs out while the page is open sends the visitor back to the seat map', async () => {
  await setting('hold.seconds', 3);
  try {
    const concert = addConcert(6, 10000);
    const page = await newPage(DESKTOP);
    await signUpAndReachSeats(page, concert, 'Slow Payer');
    await page.click('#seat-map button[data-seat="2"]');
    await page.locator('#basket').waitFor();
    await shot(page, '08-expiry-holding');
    await message(page).filter({ hasText: 'has run out' }).waitFor({ timeout: 10000 });
    await page.locator('#step-seats').waitFor();
    // The seat is free again for everyone, this visitor included.
    await page.locator(freeSeat(2)).waitFor();
    await shot(page, '09-expiry-back-to-map');
    await done(page);
  } finally {
    await setting('hold.seconds');
  }
});

test('a waiting visitor watching the page becomes active and moves on by itself', async () => {
  const concert = addConcert(4, 10000);
  // This concert's room admits one at a time (its own setting, read at once).
  redis('HSET', `{q:${concert.id}}:settings`, 'queue.capacity', '1');
  const firstToken = (await apiUser('First in line', concert.id)).token;
  const page = await newPage(PHONE);
  await page.goto(BASE);
  await signUp(page, 'Patient Visitor');
  await joinLine(page, concert);
  await page.locator('#step-queue').waitFor();
  assert.equal(await page.textContent('#queue-position'), 'number 1 in line');
  await shot(page, '10-queue-waiting');
  assert.equal((await api('DELETE', '/queue/token', null, firstToken)).status, 204);
  await page.locator('#step-dates').waitFor({ timeout: 10000 });
  await shot(page, '11-queue-now-active');
  // Admitted to this concert's room, the visitor books in it.
  await page.locator('#dates button', { hasText: concert.date }).click();
  await page.click('#seat-map button[data-seat="3"]');
  await page.locator('#basket').waitFor();
  await done(page);
});

test('a visitor who joins before the opening sees the countdown and the draw\'s commitment, then gets in', async () => {
  const concert = addConcert(4, 10000);
  const opening = JSON.parse(concertctl('room', 'open', '--concert', String(concert.id), '--at',
    new Date(Date.now() + 6000).toISOString()));
  const page = await newPage(DESKTOP);
  await page.goto(BASE);
  await signUp(page, 'Early Bird');
  await joinLine(page, concert);
  await page.locator('#prequeue').waitFor();
  await page.locator('#seed-commitment', { hasText: opening.seedCommitment }).waitFor();
  assert.match(await page.textContent('#opens-in'), /^0:0[0-6]$/);
  assert.match(await page.textContent('#queue-position'), /waiting for the opening/);
  await shot(page, '14-prequeue-countdown');
  await page.locator('#step-dates').waitFor({ timeout: 15000 });
  const room = (await api('GET', `/concerts/${concert.id}/room`)).body;
  assert.equal(room.preQueueTickets, 1);
  assert.equal(room.seed.length, 64);
  await done(page);
});

test('a returning visitor comes back with user id and secret; a wrong secret is told plainly', async () => {
  const user = (await api('POST', '/users', { name: 'Returning' })).body;
  const concert = addConcert(4, 10000);
  const page = await newPage(DESKTOP);
  await page.goto(BASE);
  await page.fill('#userid-input', user.userId);
  await page.fill('#secret-input', 'us_' + 'x'.repeat(43));
  await page.click('#userid-form button');
  await message(page).filter({ hasText: 'do not match' }).waitFor();
  assert.equal(await page.locator('#step-account').isVisible(), true);
  await shot(page, '12-return-wrong-secret');
  await page.fill('#userid-input', user.userId);
  await page.fill('#secret-input', user.userSecret);
  await page.click('#userid-form button');
  await joinLine(page, concert);
  await page.locator('#step-dates').waitFor();
  await shot(page, '13-return-with-secret');
  await done(page);
});

test('a two-seat order: both seats in the basket with the total, one Pay pays both, My tickets shows them paid', async () => {
  const concert = addConcert(10, 25000);
  const page = await newPage(DESKTOP);
  const payments = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/v1/payments')) payments.push({ key: r.headers()['idempotency-key'], body: r.postDataJSON() });
  });
  await signUpAndReachSeats(page, concert, 'Pair Buyer');
  await setting('hold.max_per_user', 2);
  try {
    await holdSeats(page, 3, 4);
    assert.deepEqual(await page.locator('#basket-list .what').allTextContents(),
      [`${concert.date} · seat 3`, `${concert.date} · seat 4`]);
    assert.deepEqual(await page.locator('#basket-list .price').allTextContents(), ['25,000 KRW', '25,000 KRW']);
    assert.equal(await page.locator('#basket-list .countdown').count(), 2);
    assert.equal(await page.textContent('#basket-total'), '50,000 KRW for 2 seats');
    // A third seat is over this stack's limit of two: the server's answer is shown.
    await page.click(freeSeat(5));
    await message(page).filter({ hasText: 'Hold limit reached' }).waitFor();
    assert.equal(await page.locator('#basket-list li').count(), 2);
    await shot(page, '15-order-basket-two-seats');
  } finally {
    await setting('hold.max_per_user');
  }
  await charge(page, 80000);
  await page.click('#pay-button');
  await page.locator('#step-done').waitFor();
  assert.equal(payments.length, 1);
  assert.equal(payments[0].body.reservationIds.length, 2);
  assert.match(payments[0].key, /^[0-9a-f-]{36}$/);
  assert.equal(await page.textContent('#done-seats'), `${concert.date}: seats 3, 4`);
  assert.match(await page.textContent('#done-payment'), /^[0-9a-f-]{36} \(50,000 KRW, paid /);
  await page.locator('#done-balance', { hasText: '30,000 KRW' }).waitFor();
  // My tickets: both seats paid by the one payment, and the balance is down by their sum.
  const { userId, userSecret } = await saved(page);
  const listed = (await api('GET', `/users/${userId}/reservations`, null, userSecret)).body.reservations;
  const paid = page.locator('#ticket-list li[data-status="PAID"]');
  await paid.nth(1).waitFor();
  assert.equal(await paid.count(), 2);
  for (const r of listed) {
    const row = page.locator(`#ticket-list li[data-reservation-id="${r.reservationId}"]`);
    assert.equal(await row.locator('.what').textContent(), `${concert.name} · ${concert.date} · seat ${r.seatNumber} · 25,000 KRW`);
    assert.equal(await row.locator('.badge').textContent(), 'Paid');
    assert.equal(await row.locator('time').getAttribute('datetime'), r.paidAt);
  }
  assert.deepEqual(listed.map((r) => r.paymentId), [listed[0].paymentId, listed[0].paymentId]);
  assert.equal((await api('GET', `/users/${userId}/balance`, null, userSecret)).body.balance, 80000 - 50000);
  await shot(page, '16-order-paid-my-tickets');
  await done(page);
});

test('My tickets survives a reload and is read with the secret once paying has ended the place in line', async () => {
  const concert = addConcert(6, 15000);
  const page = await newPage(PHONE);
  await signUpAndReachSeats(page, concert, 'Reloader');
  await holdSeats(page, 2);
  // A reload while holding: the basket is read back from the service.
  await page.reload();
  await page.locator('#step-dates').waitFor();
  await page.locator('#basket-list li', { hasText: `${concert.date} · seat 2` }).waitFor();
  await charge(page, 15000);
  const { userId, userSecret, token } = await saved(page);
  await page.click('#pay-button');
  await page.locator('#step-done').waitFor();
  // Paying ended the place in line: that token lists nothing any more.
  assert.equal((await api('GET', '/queue/status', null, token)).body.status, 'EXPIRED');
  assert.equal((await api('GET', `/users/${userId}/reservations`, null, token)).status, 403);
  const asked = [];
  page.on('request', (r) => {
    if (r.url().includes(`/users/${userId}/reservations`)) asked.push(r.headers().authorization);
  });
  await page.reload();
  const ticket = page.locator('#ticket-list li[data-status="PAID"]');
  await ticket.waitFor();
  assert.equal(await ticket.count(), 1);
  assert.equal(await ticket.locator('.what').textContent(), `${concert.name} · ${concert.date} · seat 2 · 15,000 KRW`);
  assert.match(await ticket.locator('.how').textContent(), /^Paid on /);
  assert.deepEqual(asked, [`Bearer ${userSecret}`]);
  // The reload took no new place in line: the visitor picks what comes next.
  await page.locator('#step-concert').waitFor();
  assert.equal((await saved(page)).token, null);
  await shot(page, '17-reload-my-tickets');
  await done(page);
});

test('a seat given back in one browser is holdable at once by another visitor in a second browser', async () => {
  const concert = addConcert(8, 10000);
  const a = await newPage(DESKTOP);
  const b = await newPage(PHONE);
  await signUpAndReachSeats(a, concert, 'Giver');
  await holdSeats(a, 2, 3);
  await signUpAndReachSeats(b, concert, 'Taker');
  await b.locator('#seat-map button[data-seat="2"][disabled]').waitFor();
  await shot(a, '18-give-back-a-holds-two');
  // Seat 2 from the basket, seat 3 from My tickets.
  await a.locator('#basket-list').getByRole('button', { name: `Give back seat 2 on ${concert.date}` }).click();
  await message(a).filter({ hasText: 'You gave back seat 2' }).waitFor();
  await a.locator(freeSeat(2)).waitFor();
  assert.deepEqual(await a.locator('#basket-list .what').allTextContents(), [`${concert.date} · seat 3`]);
  await a.locator('#ticket-list').getByRole('button', { name: `Give back seat 3 on ${concert.date}` }).click();
  await message(a).filter({ hasText: 'You gave back seat 3' }).waitFor();
  await a.locator('#basket').waitFor({ state: 'hidden' });
  await a.locator(freeSeat(3)).waitFor();
  await a.locator('#ticket-list li[data-status="CANCELLED"]').nth(1).waitFor();
  await shot(a, '19-give-back-a-gave-both');
  // B, another user, holds both at once: no waiting for the holds to run out.
  await b.click('#refresh-seats');
  await holdSeats(b, 2, 3);
  assert.deepEqual(await b.locator('#basket-list .what').allTextContents(),
    [`${concert.date} · seat 2`, `${concert.date} · seat 3`]);
  await shot(b, '20-give-back-b-holds-them');
  await done(a, b);
});

// Lets the first request to 'glob' reach the service but never its answer
// the page (as a dropped connection would); later ones go through. Returns
// the Idempotency-Key of every request and the status the lost answer had.
async function loseFirstAnswer(page, glob) {
  const seen = { keys: [], lost: [] };
  await page.route(glob, async (route) => {
    seen.keys.push(route.request().headers()['idempotency-key']);
    if (seen.keys.length > 1) return route.continue();
    seen.lost.push((await route.fetch()).status());
    return route.abort('connectionreset');
  });
  return seen;
}

test('a charge and a payment whose answers were lost are retried with the same keys and take effect once', async () => {
  const concert = addConcert(6, 20000);
  const page = await newPage(DESKTOP);
  await signUpAndReachSeats(page, concert, 'Flaky Network');
  await holdSeats(page, 1, 2);
  const charges = await loseFirstAnswer(page, '**/charge');
  await page.fill('#charge-amount', '50000');
  await page.click('#charge-form button');
  await message(page).filter({ hasText: 'may or may not have been added' }).waitFor();
  await page.click('#charge-form button');
  await message(page).filter({ hasText: 'Added 50,000 KRW. Your balance is 50,000 KRW.' }).waitFor();
  assert.deepEqual(charges.lost, [200]);
  assert.equal(charges.keys.length, 2);
  assert.equal(charges.keys[0], charges.keys[1]);
  const payments = await loseFirstAnswer(page, '**/api/v1/payments');
  await page.click('#pay-button');
  await message(page).filter({ hasText: 'may or may not have gone through' }).waitFor();
  assert.deepEqual(payments.lost, [200]);
  await shot(page, '21-lost-answer-told');
  // The retry comes after the payment ended the place in line: the service
  // still answers it as it answered the first.
  await page.click('#pay-button');
  await page.locator('#step-done').waitFor();
  assert.equal(payments.keys.length, 2);
  assert.equal(payments.keys[0], payments.keys[1]);
  assert.match(await page.textContent('#done-payment'), /^[0-9a-f-]{36} \(40,000 KRW/);
  const { userId, userSecret } = await saved(page);
  assert.equal((await api('GET', `/users/${userId}/balance`, null, userSecret)).body.balance, 50000 - 40000);
  await page.locator('#ticket-list li[data-status="PAID"]').nth(1).waitFor();
  await done(page);
});
