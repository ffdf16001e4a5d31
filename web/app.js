// The booking page: sign up -> queue -> concert and date -> seats -> basket
// -> pay, and "My tickets", using only the public API. Plain JavaScript, no
// build step, nothing loaded from other hosts.
//
// Two credentials: the place in line (state.token) opens one concert's
// room -- dates, seats, holds, payment -- and ends when the visitor pays;
// the user's secret (state.userSecret) opens the account -- balance,
// charge, My tickets, giving a hold back -- and never ends.
'use strict';

const state = JSON.parse(localStorage.getItem('concert') || '{}');
const save = () => localStorage.setItem('concert', JSON.stringify(state));
const $ = (id) => document.getElementById(id);
const steps = ['account', 'concert', 'queue', 'dates', 'seats', 'done'];
let step = null;          // the step on screen
let pollTimer = null;
let countdownTimer = null;
let reservations = [];    // the user's, newest first, as the API last listed them
let balance = null;       // the account's balance as last read, or null

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Calls the API with the place's token, or with another credential
// (bearer: state.userSecret for the account routes); throws ApiError with
// the contract's message on failure, status 0 when no answer came back.
async function api(method, path, { body, key, bearer = state.token } = {}) {
  const headers = {};
  if (body) headers['Content-Type'] = 'application/json';
  if (bearer) headers.Authorization = 'Bearer ' + bearer;
  if (key) headers['Idempotency-Key'] = key;
  let response;
  try {
    response = await fetch('/api/v1' + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  } catch (e) {
    throw new ApiError(0, 'network');
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!response.ok) throw new ApiError(response.status, (data && data.message) || response.statusText);
  return data;
}

const account = () => ({ bearer: state.userSecret });

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// One Idempotency-Key per intent (a kind of write and what it is for),
// kept in localStorage until that write succeeds: asking again after no
// answer came back -- even after a reload -- sends the same key, so the
// service answers as it did the first time and never acts twice.
function intentKey(kind, what) {
  state.keys = state.keys || {};
  if (!state.keys[kind] || state.keys[kind].for !== what) state.keys[kind] = { for: what, key: uuid() };
  save();
  return state.keys[kind].key;
}

function succeeded(kind) {
  delete state.keys[kind];
  save();
}

const won = (n) => Number(n).toLocaleString('en-US') + ' KRW';
const clock = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// A new element: props are set as properties (className, textContent, ...)
// except data-* and aria-* ones, which are attributes; children are appended.
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (/^(data|aria)-/.test(name)) node.setAttribute(name, value);
    else node[name] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// An instant as the visitor's local date and time, machine-readable too.
function instant(iso) {
  const shown = new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return el('time', { dateTime: iso, textContent: shown });
}

function say(text, kind) {
  const m = $('message');
  m.textContent = text;
  m.className = 'message' + (kind ? ' ' + kind : '');
  m.hidden = !text;
}

function show(next) {
  step = next;
  for (const s of steps) $('step-' + s).hidden = s !== next;
  const heading = $('step-' + next).querySelector('h2');
  heading.tabIndex = -1;
  heading.focus();
  const signedIn = Boolean(state.userId && state.userSecret);
  $('who').hidden = !signedIn;
  $('who').textContent = signedIn ? `Signed in as ${state.name || 'you'} · user id ${state.userId}` : '';
  $('tickets').hidden = !signedIn || next === 'account';
  renderBasket();
}

// Only the answer to the latest request of a kind may change the page: a
// slow answer for a concert the visitor has since left must not overwrite.
const latest = {};
const begin = (kind) => (latest[kind] = (latest[kind] || 0) + 1);
const stale = (kind, n) => latest[kind] !== n;

// Every error the API can answer, in plain words, and where to go next.
// The contract's own message is shown wherever it says what went wrong.
function handle(error, seat) {
  const m = error.message;
  if (error.status === 0) return say('Cannot reach the ticket service. Check your connection and try again.', 'error');
  if (error.status === 401 && m === 'Invalid user secret') {
    Object.assign(state, { userId: null, userSecret: null, token: null });
    save();
    show('account');
    return say('That user id and secret do not match. Check both, or sign up.', 'error');
  }
  if (m === 'Queue token is for another concert') {
    state.token = null;
    save();
    say('That is another concert: join its own line first.', 'error');
    return loadConcerts();
  }
  if (error.status === 401 || m === 'Queue token is not active' || m === 'Queue token has expired') {
    state.token = null;
    save();
    say('Your place in the line has expired. Take a new place to continue.', 'error');
    return showQueueExpired();
  }
  if (error.status === 409 && m === 'Seat is already reserved') {
    say(`Someone else just took seat ${seat}. The seat map is refreshed: pick another seat.`, 'error');
    return loadSeats();
  }
  if (error.status === 409 && m === 'Hold limit reached') {
    // The server keeps the limit (hold.max_per_user); what the visitor holds is its measure.
    const held = reservations.filter(isLive).length;
    return say(`${m}: you already hold ${held ? plural(held, 'seat') : 'seats'}, as many as one person may hold `
      + 'at once. Pay for them or give one back first.', 'error');
  }
  if (error.status === 402) {
    const short = Math.max(total(basket()) - (balance || 0), 1);
    $('charge-amount').value = short;
    $('charge-amount').focus();
    return say(`Payment refused: ${m}. You are ${won(short)} short of the price of your seats. `
      + 'Charge at least that much, then pay.', 'error');
  }
  if (m === 'Reservation has expired' || m === 'Reservation was cancelled' || m === 'Reservation not found') {
    say(`Payment refused: ${m}. Your basket is refreshed: check it and pay again.`, 'error');
    return refreshHolds();
  }
  if (error.status === 409 && m === 'Reservation is already paid') {
    say('That seat is already paid for: see My tickets.', 'success');
    return refreshHolds();
  }
  if (error.status === 409 && m === 'Payment already in progress') {
    return say('Your payment is still being processed. Wait a moment, then look at My tickets.', 'error');
  }
  if (error.status === 429) return say('Too many attempts at once. Wait a few seconds and try again.', 'error');
  if (error.status === 503 || error.status === 502 || error.status === 504) {
    return say('The ticket service is very busy right now. Try again in a moment.', 'error');
  }
  if (error.status === 400) return say(`That did not work: ${m}.`, 'error');
  return say(`Something went wrong: ${m} (${error.status}). Try again.`, 'error');
}

// --- 1. account ------------------------------------------------------------------
$('signup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const user = await api('POST', '/users', { body: { name: $('signup-name').value } });
    Object.assign(state, { userId: user.userId, userSecret: user.userSecret, name: user.name, token: null });
    save();
    // The secret is shown once, here; the visitor moves on when they have it.
    $('secret-user').textContent = user.userId;
    $('secret-value').textContent = user.userSecret;
    $('secret-box').hidden = false;
    $('signup-form').hidden = true;
    $('userid-form').hidden = true;
    say(`Welcome, ${user.name}! Save your secret before you go on.`, 'success');
    $('secret-continue').focus();
  } catch (e) { handle(e); }
});

$('secret-copy').addEventListener('click', async () => {
  const text = `user id: ${state.userId}\nsecret: ${state.userSecret}`;
  try {
    await navigator.clipboard.writeText(text);
    say('Copied. Keep it somewhere safe.', 'success');
  } catch (e) {
    const range = document.createRange();  // no clipboard here: select it for the visitor to copy
    range.selectNodeContents($('secret-box'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    say('Select and copy the id and secret shown above.', 'error');
  }
});

$('secret-continue').addEventListener('click', async () => {
  $('secret-box').hidden = true;
  $('signup-form').hidden = false;
  $('userid-form').hidden = false;
  await loadConcerts();
  loadReservations();
});

$('userid-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = $('userid-input').value.trim().toLowerCase();
  const secret = $('secret-input').value.trim();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    return say('A user id looks like 01a205b4-376c-7510-adb7-2d373dc1d7c1.', 'error');
  }
  if (!secret.startsWith('us_')) return say('Your secret starts with us_ — it was shown when you signed up.', 'error');
  try {
    // The secret names its user: a wrong one (or another user's) is caught here.
    await api('GET', `/users/${id}/balance`, { bearer: secret });
  } catch (e) {
    if (e.status === 401 || e.status === 403) return say('That user id and secret do not match. Check both, or sign up.', 'error');
    return handle(e);
  }
  Object.assign(state, { userId: id, userSecret: secret, name: null, token: null });
  save();
  await loadConcerts();
  loadReservations();
});

// --- 2. concert: the public list; each concert has its own line ---------------------
async function loadConcerts() {
  try {
    const { concerts } = await api('GET', '/concerts');
    const select = $('concert-select');
    select.replaceChildren(...concerts.map((c) => new Option(c.name, c.concertId)));
    if (state.concert) select.value = state.concert.id;
    $('join-line').disabled = !concerts.length;
    if (!concerts.length) say('There are no concerts on sale right now.', '');
    show('concert');
  } catch (e) { handle(e); }
}

$('join-line').addEventListener('click', async () => {
  const select = $('concert-select');
  const concert = { id: Number(select.value), name: select.selectedOptions[0].textContent };
  if (state.token && (!state.concert || state.concert.id !== concert.id)) state.token = null;  // another room
  state.concert = concert;
  save();
  say('', '');
  try { await takePlace(); } catch (e) { handle(e); }
});

$('other-concert').addEventListener('click', loadConcerts);

// --- 3. queue -----------------------------------------------------------------------
async function takePlace() {
  const place = await api('POST', '/queue/token',
    { body: { userId: state.userId, userSecret: state.userSecret, concertId: state.concert.id } });
  state.token = place.token;
  save();
  onPlace(place);
}

// When the turn comes while this tab is hidden (browsers run its timers
// about once a minute then), the title says so, and a notification too if
// the person allowed them: the call waits queue.claim_seconds for them.
const pageTitle = document.title;
function tellTurn() {
  if (!document.hidden) return;
  document.title = `\u23F0 Your turn! \u2014 ${pageTitle}`;
  if ('Notification' in window && Notification.permission === 'granted') {
    try { new Notification('Your turn to book', { body: `${state.concert.name}: come back to pick your seats.` }); } catch (e) { /* not allowed here */ }
  }
}
document.addEventListener('visibilitychange', () => { if (!document.hidden) document.title = pageTitle; });

$('notify-me').addEventListener('click', async () => {
  if (!('Notification' in window)) return say('This browser cannot show notifications; keep this tab in view.', '');
  const answer = await Notification.requestPermission();
  $('notify-me').textContent = answer === 'granted' ? 'You will be notified' : 'Notifications are off';
  $('notify-me').disabled = answer === 'granted';
});

function onPlace(place) {
  clearTimeout(pollTimer);
  if (place.status !== 'WAITING') showOpening(null);
  if (place.status === 'ACTIVE') {
    tellTurn();
    say(`It's your turn! Pick a date for ${state.concert.name}.`, 'success');
    return loadDates();
  }
  if (place.status === 'EXPIRED') {
    state.token = null;
    save();
    say('Your place in the line has expired. Take a new place to continue.', 'error');
    return showQueueExpired();
  }
  showOpening(place.opensAt);
  // A call that lapsed (the page was away) brings the holder back next in
  // line, not to the back.
  if (place.missedTurn) say('You missed your turn \u2014 you are next. Keep this page open.', 'error');
  $('queue-position').textContent = place.opensAt ? `one of ${place.queuePosition} waiting for the opening`
    : `number ${place.queuePosition} in line`;
  $('queue-wait').textContent = place.estimatedWaitTime < 60 ? `about ${place.estimatedWaitTime} s`
    : `about ${Math.ceil(place.estimatedWaitTime / 60)} min`;
  $('leave-queue').textContent = 'Leave the line';
  if ($('step-queue').hidden) show('queue');
  // The server says when to ask again (sooner near the head of the line,
  // never so late that the place lapses as idle).
  pollTimer = setTimeout(poll, Math.max(1, place.pollAfterSeconds || 1) * 1000);
}

// Before a room's opening: a countdown, and the draw's published commitment.
let openingTimer = null;
async function showOpening(opensAt) {
  clearInterval(openingTimer);
  $('prequeue').hidden = !opensAt;
  if (!opensAt) return;
  const at = new Date(opensAt);
  $('opens-at').textContent = at.toLocaleString();
  const tick = () => { $('opens-in').textContent = clock(Math.max(0, Math.round((at - Date.now()) / 1000))); };
  tick();
  openingTimer = setInterval(tick, 1000);
  try {
    const room = await api('GET', `/concerts/${state.concert.id}/room`);
    $('seed-commitment').textContent = room.seedCommitment || '—';
  } catch (e) { /* the countdown stands without it */ }
}

let pollFailures = 0;
async function poll() {
  try {
    onPlace(await api('GET', '/queue/status'));
    pollFailures = 0;
  } catch (e) {
    if (e.status === 401) return handle(e);
    pollFailures += 1;  // back off while the service struggles, keep the place
    say('Checking your place is taking longer than usual…', 'error');
    pollTimer = setTimeout(poll, Math.min(30000, 1000 * 2 ** pollFailures));
  }
}

function showQueueExpired() {
  clearTimeout(pollTimer);
  $('queue-position').textContent = 'no longer in line';
  $('queue-wait').textContent = '—';
  $('leave-queue').textContent = 'Take a new place';
  show('queue');
}

$('leave-queue').addEventListener('click', async () => {
  try {
    if (state.token) {
      await api('DELETE', '/queue/token');
      state.token = null;
      save();
      say('You left the line.', '');
      return showQueueExpired();
    }
    await takePlace();
  } catch (e) { handle(e); }
});

// --- 4. date ---------------------------------------------------------------------------
async function loadDates() {
  $('dates-caption').textContent = state.concert.name;
  show('dates');
  loadBalance();  // for the basket, which may already hold seats of this concert
  const n = begin('dates');
  try {
    const { availableDates } = await api('GET', `/concerts/${state.concert.id}/available-dates`);
    if (stale('dates', n)) return;
    const box = $('dates');
    box.replaceChildren(...availableDates.map((d) => {
      const b = el('button', { type: 'button', className: 'secondary', textContent: d });
      b.addEventListener('click', () => { state.date = d; save(); loadSeats(); });
      return b;
    }));
    if (!availableDates.length) box.textContent = 'Every date of this concert is sold out.';
  } catch (e) { handle(e); }
}

// --- 5. seats -----------------------------------------------------------------------
// The map of the chosen date: free seats hold on a click; the visitor's
// own holds are marked (the API lists them as taken, like everyone's).
async function loadSeats() {
  const n = begin('seats');
  try {
    const data = await api('GET', `/concerts/${state.concert.id}/available-seats?date=${state.date}`);
    if (stale('seats', n)) return;
    const free = new Map(data.seats.map((s) => [s.seatNumber, s.price]));
    const mine = new Set(basket().filter((h) => h.date === state.date).map((h) => h.seatNumber));
    const focused = $('seat-map').contains(document.activeElement) ? document.activeElement.dataset.seat : null;
    const buttons = [];
    for (let seat = 1; seat <= data.totalSeats; seat += 1) {
      const b = el('button', { type: 'button', textContent: seat, 'data-seat': seat });
      if (free.has(seat)) {
        b.className = 'seat';
        b.setAttribute('aria-label', `Seat ${seat}, free, ${won(free.get(seat))}`);
        b.addEventListener('click', () => holdSeat(seat));
      } else if (mine.has(seat)) {
        // Focusable, so the keyboard stays where it was after a hold.
        b.className = 'seat yours';
        b.setAttribute('aria-disabled', 'true');
        b.setAttribute('aria-label', `Seat ${seat}, in your basket`);
      } else {
        b.className = 'seat taken';
        b.disabled = true;
        b.setAttribute('aria-label', `Seat ${seat}, taken`);
      }
      buttons.push(b);
    }
    $('seat-map').replaceChildren(...buttons);
    if (focused) $('seat-map').querySelector(`[data-seat="${focused}"]:not([disabled])`)?.focus();
    $('seats-caption').textContent = `${state.concert.name} on ${state.date}: ${free.size} of ${data.totalSeats} seats free.`;
    if (step !== 'seats') show('seats');
  } catch (e) { handle(e); }
}
$('refresh-seats').addEventListener('click', loadSeats);

async function holdSeat(seat) {
  try {
    const r = await api('POST', '/reservations', { body: { concertId: state.concert.id, date: state.date, seatNumber: seat } });
    begin('reservations');  // a list already on its way may not have it
    reservations.unshift({ ...r, concertName: state.concert.name, paidAt: null, paymentId: null });
    say(`Seat ${seat} is in your basket. Pick more seats, or pay before its time runs out.`, 'success');
    renderAll();
    await loadSeats();
    loadReservations();
  } catch (e) { handle(e, seat); }
}

// --- 6. basket: the live holds of this concert's room, paid as one order ------------
const isLive = (r) => r.status === 'TEMPORARILY_RESERVED' && Date.parse(r.expiresAt) > Date.now();
const total = (holds) => holds.reduce((sum, h) => sum + h.price, 0);

// In date and seat order, so the same holds are always the same order.
function basket() {
  if (!state.concert) return [];
  return reservations.filter((r) => isLive(r) && r.concertId === state.concert.id)
    .sort((a, b) => a.date.localeCompare(b.date) || a.seatNumber - b.seatNumber);
}

// "4:59 left", kept current by tick().
const timeLeft = (hold) => el('span', { className: 'left' },
  el('span', { className: 'countdown', 'data-countdown': hold.reservationId }), ' left');

function giveBackButton(hold) {
  const b = el('button', { type: 'button', className: 'secondary small', textContent: 'Give back',
    'aria-label': `Give back seat ${hold.seatNumber} on ${hold.date}` });
  b.addEventListener('click', () => giveBack(hold, b));
  return b;
}

let suggestedFor = null;  // the total the charge form was last filled for

function renderBasket() {
  const holds = basket();
  $('basket').hidden = !holds.length || (step !== 'seats' && step !== 'dates');
  $('basket-list').replaceChildren(...holds.map((h) => el('li', { 'data-reservation-id': h.reservationId },
    el('span', { className: 'what', textContent: `${h.date} · seat ${h.seatNumber}` }),
    el('span', { className: 'price', textContent: won(h.price) }),
    timeLeft(h),
    giveBackButton(h))));
  $('basket-total').textContent = `${won(total(holds))} for ${plural(holds.length, 'seat')}`;
  $('pay-button').textContent = `Pay ${won(total(holds))}`;
  if (total(holds) !== suggestedFor) suggestCharge();
}

// Fills the charge form with what the basket lacks (a visitor's own
// figure stays until the basket changes).
function suggestCharge() {
  if (balance === null) return;
  suggestedFor = total(basket());
  $('charge-amount').value = Math.max(suggestedFor - balance, 1);
}

// Changes reservations as an answer just told; a list already on its way
// is older than that answer and is dropped.
function mark(ids, changes) {
  begin('reservations');
  for (const r of reservations) if (ids.includes(r.reservationId)) Object.assign(r, changes);
  renderAll();
}

function renderAll() {
  renderBasket();
  renderTickets();
  tick();
}

// One clock for every hold on the page; a hold that runs out leaves the
// basket, and the map is read again (the server's clock decides: give a
// slightly different clock here a second).
function tick() {
  clearTimeout(countdownTimer);
  let lapsed = null;
  for (const r of reservations.filter((x) => x.status === 'TEMPORARILY_RESERVED')) {
    const leftMs = Date.parse(r.expiresAt) - Date.now();
    if (leftMs <= 0) {
      r.status = 'EXPIRED';
      lapsed = r;
      continue;
    }
    for (const span of document.querySelectorAll(`[data-countdown="${r.reservationId}"]`)) {
      span.textContent = clock(Math.ceil(leftMs / 1000));
    }
  }
  if (lapsed) {
    say(`Your hold on seat ${lapsed.seatNumber} (${lapsed.date}) has run out`
      + (step === 'seats' ? ': the seat map is refreshed.' : '.'), 'error');
    renderAll();
    if (step === 'seats') setTimeout(loadSeats, 1000);
    return;
  }
  if (reservations.some(isLive)) countdownTimer = setTimeout(tick, 250);
}

// Gives a hold back with the account's secret (with or without a place in
// line): its seat is free for everyone at once.
async function giveBack(hold, button) {
  const section = button.closest('section');
  button.disabled = true;
  try {
    await api('DELETE', `/reservations/${hold.reservationId}`, account());
    say(`You gave back seat ${hold.seatNumber} on ${hold.date}. It is free for others now.`, 'success');
    mark([hold.reservationId], { status: 'CANCELLED', expiresAt: null });
    if (section.hidden) $('tickets-title').focus();
    else section.querySelector('h2').focus();
    if (step === 'seats') loadSeats();
    loadReservations();
  } catch (e) {
    button.disabled = false;
    handle(e);
  }
}

async function loadBalance() {
  try {
    ({ balance } = await api('GET', `/users/${state.userId}/balance`, account()));
    $('balance').textContent = won(balance);
    suggestCharge();
  } catch (e) { handle(e); }
}

$('charge-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const amount = Number($('charge-amount').value);
  try {
    const r = await api('POST', `/users/${state.userId}/charge`,
      { body: { amount }, key: intentKey('charge', String(amount)), ...account() });
    succeeded('charge');
    balance = r.balance;
    $('balance').textContent = won(r.balance);
    say(`Added ${won(r.chargedAmount)}. Your balance is ${won(r.balance)}.`, 'success');
    $('pay-button').focus();
  } catch (e) {
    if (e.status !== 0) return handle(e);
    say('No answer from the ticket service, so the money may or may not have been added. '
      + 'Press Charge again: the same charge is never added twice.', 'error');
  }
});

// Pays every hold in the basket as one order. The same holds are the same
// order (one key: a retry after a lost answer can never pay twice); other
// holds are another order.
$('pay-button').addEventListener('click', async () => {
  const holds = basket();
  if (!holds.length) return;
  const ids = holds.map((h) => h.reservationId);
  const button = $('pay-button');
  button.disabled = true;
  try {
    const p = await api('POST', '/payments', { body: { reservationIds: ids }, key: intentKey('pay', ids.join()) });
    succeeded('pay');
    state.token = null;  // paying ends the place in line
    save();
    await showPaid(p, holds);
  } catch (e) {
    if (e.status !== 0) return handle(e);
    say('No answer from the ticket service, so the payment may or may not have gone through. '
      + 'Press Pay again: the same order is never paid twice.', 'error');
  } finally { button.disabled = false; }
});

// "2026-12-03: seats 3, 4; 2026-12-04: seat 1" (holds in date and seat order).
function seatsByDate(holds) {
  const dates = [...new Set(holds.map((h) => h.date))];
  return dates.map((d) => {
    const seats = holds.filter((h) => h.date === d).map((h) => h.seatNumber);
    return `${d}: ${seats.length === 1 ? 'seat' : 'seats'} ${seats.join(', ')}`;
  }).join('; ');
}

async function showPaid(payment, holds) {
  $('done-concert').textContent = holds[0].concertName;
  $('done-seats').textContent = seatsByDate(holds);
  $('done-payment').textContent = `${payment.paymentId} (${won(payment.amount)}, paid `;
  $('done-payment').append(instant(payment.paidAt), ')');
  $('done-balance').textContent = '…';
  show('done');
  say(`Payment complete: ${plural(holds.length, 'seat')} for ${won(payment.amount)}.`, 'success');
  mark(payment.reservationIds, { status: 'PAID', expiresAt: null, paidAt: payment.paidAt, paymentId: payment.paymentId });
  loadReservations();
  await loadBalance();
  $('done-balance').textContent = won(balance);
}

$('start-over').addEventListener('click', async () => {
  try { await takePlace(); } catch (e) { handle(e); }
});

// --- 7. My tickets: every reservation of the account, read with the secret -----------
const statusText = {
  TEMPORARILY_RESERVED: 'Held',
  PAID: 'Paid',
  EXPIRED: 'Ran out',
  CANCELLED: 'Given back',
};

async function loadReservations() {
  if (!state.userId || !state.userSecret) return;
  const n = begin('reservations');
  try {
    const data = await api('GET', `/users/${state.userId}/reservations`, account());
    if (stale('reservations', n)) return;
    reservations = data.reservations;
    renderAll();
  } catch (e) { handle(e); }
}
$('refresh-tickets').addEventListener('click', loadReservations);

// After a refused payment: the holds as the server has them, and the map.
function refreshHolds() {
  loadReservations();
  if (step === 'seats') loadSeats();
}

function renderTickets() {
  const list = $('ticket-list');
  list.replaceChildren(...reservations.map((r) => el('li', { className: 'ticket', 'data-status': r.status,
    'data-reservation-id': r.reservationId },
  el('p', { className: 'what' }, el('strong', { textContent: r.concertName }),
    ` · ${r.date} · seat ${r.seatNumber} · ${won(r.price)}`),
  el('p', { className: 'how' }, ...ticketStatus(r)))));
  if (!reservations.length) list.append(el('li', { className: 'muted', textContent: 'No tickets yet.' }));
}

function ticketStatus(r) {
  const badge = el('span', { className: 'badge ' + r.status.toLowerCase(), textContent: statusText[r.status] || r.status });
  if (r.status === 'PAID') return [badge, ' on ', instant(r.paidAt)];
  if (r.status === 'TEMPORARILY_RESERVED') return [badge, ' · ', timeLeft(r), ' ', giveBackButton(r)];
  return [badge];
}

// --- start: pick up where this browser left off ------------------------------------------
(async () => {
  if (!state.userId || !state.userSecret) return show('account');
  loadReservations();
  // Without a place in line (say after paying) the visitor picks what next:
  // a new place is taken only when asked for.
  if (!state.concert || !state.token) return loadConcerts();
  try {
    onPlace(await api('GET', '/queue/status'));
  } catch (e) { handle(e); }
})();
