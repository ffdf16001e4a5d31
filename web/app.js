// The booking page: sign up -> queue -> concert and date -> seat -> pay,
// using only the public API. Plain JavaScript, no build step, nothing
// loaded from other hosts.
'use strict';

const state = JSON.parse(localStorage.getItem('concert') || '{}');
const save = () => localStorage.setItem('concert', JSON.stringify(state));
const $ = (id) => document.getElementById(id);
const steps = ['account', 'concert', 'queue', 'dates', 'seats', 'pay', 'done'];
let pollTimer = null;
let countdownTimer = null;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Calls the API with the place's token (or another credential, such as the
// user's secret); throws ApiError with the contract's message on failure.
async function api(method, path, body, key, credential) {
  const headers = { 'Content-Type': 'application/json' };
  const bearer = credential || state.token;
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

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const won = (n) => Number(n).toLocaleString('en-US') + ' KRW';

function say(text, kind) {
  const m = $('message');
  m.textContent = text;
  m.className = 'message' + (kind ? ' ' + kind : '');
  m.hidden = !text;
}

function show(step) {
  for (const s of steps) $('step-' + s).hidden = s !== step;
  const heading = $('step-' + step).querySelector('h2');
  heading.tabIndex = -1;
  heading.focus();
  $('who').hidden = !state.userId;
  $('who').textContent = state.userId ? `Signed in as ${state.name || 'you'} · user id ${state.userId}` : '';
}

// Every error the API can answer, in plain words, and where to go next.
function handle(error, context) {
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
    say(`Someone else just took seat ${context}. The seat map is refreshed: pick another seat.`, 'error');
    return loadSeats();
  }
  if (error.status === 409 && m === 'Hold limit reached') {
    return say('You already hold as many seats as one person may. Pay for them or let them run out first.', 'error');
  }
  if (error.status === 400 && m === 'Reservation has expired') {
    say('Your hold ran out before the payment went through. Pick a seat again.', 'error');
    return loadSeats();
  }
  if (error.status === 402) {
    const short = state.hold.price - (state.balance || 0);
    $('charge-amount').value = Math.max(short, 1);
    $('charge-amount').focus();
    return say(`Your balance is ${won(short)} short of the price. Charge at least that much, then pay.`, 'error');
  }
  if (error.status === 409 && m === 'Reservation is already paid') return say('This seat is already paid for.', 'success');
  if (error.status === 404 && m === 'Reservation not found') {
    say('That hold is no longer yours. Pick a seat again.', 'error');
    return loadSeats();
  }
  if (error.status === 429) return say('Too many attempts at once. Wait a few seconds and try again.', 'error');
  if (error.status === 503 || error.status === 502 || error.status === 504) {
    return say('The ticket service is very busy right now. Try again in a moment.', 'error');
  }
  if (error.status === 400) return say(`That did not work: ${m}.`, 'error');
  return say(`Something went wrong (${error.status}). Try again.`, 'error');
}

// --- 1. account ------------------------------------------------------------------
$('signup-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const user = await api('POST', '/users', { name: $('signup-name').value });
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
    await api('GET', `/users/${id}/balance`, undefined, undefined, secret);
  } catch (e) {
    if (e.status === 401 || e.status === 403) return say('That user id and secret do not match. Check both, or sign up.', 'error');
    return handle(e);
  }
  Object.assign(state, { userId: id, userSecret: secret, name: null, token: null });
  save();
  await loadConcerts();
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
    { userId: state.userId, userSecret: state.userSecret, concertId: state.concert.id });
  state.token = place.token;
  save();
  onPlace(place);
}

function onPlace(place) {
  clearTimeout(pollTimer);
  if (place.status !== 'WAITING') showOpening(null);
  if (place.status === 'ACTIVE') {
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
  const tick = () => {
    const left = Math.max(0, Math.round((at - Date.now()) / 1000));
    $('opens-in').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  };
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
// Only the answer to the latest request of a kind may change the page: a
// slow answer for a concert the visitor has since left must not overwrite.
const latest = {};
const begin = (kind) => (latest[kind] = (latest[kind] || 0) + 1);
const stale = (kind, n) => latest[kind] !== n;

async function loadDates() {
  $('dates-caption').textContent = state.concert.name;
  show('dates');
  const n = begin('dates');
  try {
    const { availableDates } = await api('GET', `/concerts/${state.concert.id}/available-dates`);
    if (stale('dates', n)) return;
    const box = $('dates');
    box.replaceChildren(...availableDates.map((d) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary';
      b.textContent = d;
      b.addEventListener('click', () => { state.date = d; save(); loadSeats(); });
      return b;
    }));
    if (!availableDates.length) box.textContent = 'Every date of this concert is sold out.';
  } catch (e) { handle(e); }
}

// --- 5. seats -----------------------------------------------------------------------
async function loadSeats() {
  stopCountdown();
  const n = begin('seats');
  try {
    const data = await api('GET', `/concerts/${state.concert.id}/available-seats?date=${state.date}`);
    if (stale('seats', n)) return;
    const free = new Map(data.seats.map((s) => [s.seatNumber, s.price]));
    const map = $('seat-map');
    const buttons = [];
    for (let n = 1; n <= data.totalSeats; n += 1) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = n;
      b.dataset.seat = n;
      if (free.has(n)) {
        b.className = 'seat';
        b.setAttribute('aria-label', `Seat ${n}, free, ${won(free.get(n))}`);
        b.addEventListener('click', () => holdSeat(n));
      } else {
        b.className = 'seat taken';
        b.disabled = true;
        b.setAttribute('aria-label', `Seat ${n}, taken`);
      }
      buttons.push(b);
    }
    map.replaceChildren(...buttons);
    $('seats-caption').textContent = `${state.concert.name} on ${state.date}: ${free.size} of ${data.totalSeats} seats free.`;
    if ($('step-seats').hidden) show('seats');
  } catch (e) { handle(e); }
}
$('refresh-seats').addEventListener('click', loadSeats);

async function holdSeat(seat) {
  try {
    const r = await api('POST', '/reservations', { concertId: state.concert.id, date: state.date, seatNumber: seat });
    state.hold = { id: r.reservationId, seat: r.seatNumber, price: r.price, expiresAt: r.expiresAt, key: uuid() };
    save();
    say(`Seat ${seat} is held for you. Pay before the time runs out.`, 'success');
    await showPay();
  } catch (e) { handle(e, seat); }
}

// --- 5. pay ---------------------------------------------------------------------------
async function showPay() {
  $('hold-seat').textContent = state.hold.seat;
  $('hold-date').textContent = state.date;
  $('hold-price').textContent = won(state.hold.price);
  show('pay');
  startCountdown();
  await loadBalance();
}

async function loadBalance() {
  try {
    const { balance } = await api('GET', `/users/${state.userId}/balance`);
    state.balance = balance;
    $('balance').textContent = won(balance);
    $('charge-amount').value = Math.max(state.hold.price - balance, 1);
  } catch (e) { handle(e); }
}

function startCountdown() {
  stopCountdown();
  const tick = () => {
    const leftMs = Date.parse(state.hold.expiresAt) - Date.now();
    if (leftMs <= 0) {
      stopCountdown();
      say(`Your hold on seat ${state.hold.seat} has run out. The seat map is refreshed: pick a seat again.`, 'error');
      // The server's clock decides; give a slightly different clock here a second.
      return setTimeout(loadSeats, 1000);
    }
    const left = Math.ceil(leftMs / 1000);
    $('hold-countdown').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  };
  tick();
  countdownTimer = setInterval(tick, 250);
}

function stopCountdown() { clearInterval(countdownTimer); }

$('charge-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const r = await api('POST', `/users/${state.userId}/charge`, { amount: Number($('charge-amount').value) }, uuid());
    state.balance = r.balance;
    $('balance').textContent = won(r.balance);
    say(`Added ${won(r.chargedAmount)}. Your balance is ${won(r.balance)}.`, 'success');
    $('pay-button').focus();
  } catch (e) { handle(e); }
});

$('pay-button').addEventListener('click', async () => {
  const button = $('pay-button');
  button.disabled = true;
  try {
    // The same key for every try of this hold: a retry never pays twice.
    const p = await api('POST', '/payments', { reservationId: state.hold.id }, state.hold.key);
    stopCountdown();
    $('done-concert').textContent = state.concert.name;
    $('done-date').textContent = state.date;
    $('done-seat').textContent = state.hold.seat;
    $('done-payment').textContent = `${p.paymentId} (${won(p.amount)}, ${p.paidAt})`;
    state.token = null;  // paying ends the place in line
    state.hold = null;
    save();
    say('Payment complete.', 'success');
    show('done');
  } catch (e) { handle(e); } finally { button.disabled = false; }
});

$('start-over').addEventListener('click', async () => {
  try { await takePlace(); } catch (e) { handle(e); }
});

// --- start: pick up where this browser left off ------------------------------------------
(async () => {
  if (!state.userId) return show('account');
  if (!state.concert) return loadConcerts();
  if (!state.token) return takePlace().catch(handle);
  try {
    onPlace(await api('GET', '/queue/status'));
  } catch (e) { handle(e); }
})();
