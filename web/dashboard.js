// The operators' dashboard: reads this host's /metrics every few seconds,
// keeps the last few minutes in memory, and draws them with uPlot. Counters
// become rates between two readings (a counter that went down — a pool that
// restarted — counts from zero again); latency percentiles come from the
// histogram buckets' increase over the same interval.
'use strict';

const INTERVAL_MS = 2000;
const KEEP = 150;          // readings kept: five minutes at 2 s
const ROOMS_SHOWN = 6;     // rooms drawn one by one (the busiest); the rest summed as "others"
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#6b7280'];

// --- the Prometheus text format -------------------------------------------------
// -> [{name, labels: {..}, value}]
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[3])) !== null) labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    }
    out.push({ name: m[1], labels, value: m[4] === '+Inf' ? Infinity : Number(m[4]) });
  }
  return out;
}

const sum = (samples, name, where = () => true) =>
  samples.filter((s) => s.name === name && where(s.labels)).reduce((a, s) => a + s.value, 0);

function byLabel(samples, name, label) {
  const out = new Map();
  for (const s of samples) if (s.name === name) out.set(s.labels[label], (out.get(s.labels[label]) || 0) + s.value);
  return out;
}

// Increase of a counter between readings; a reset (pool restarted) counts from 0.
const increase = (now, before) => (now >= before ? now - before : now);

// The q-quantile (seconds) from cumulative bucket increases [{le, count}], sorted by le.
function quantile(q, buckets) {
  const total = buckets.length ? buckets[buckets.length - 1].count : 0;
  if (total === 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / Math.max(b.count - prevCount, 1));
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

// Bucket increases between two readings, per handler or for all ("*").
function bucketIncreases(now, before, handler) {
  const pick = (samples) => {
    const m = new Map();
    for (const s of samples) {
      if (s.name !== 'concert_http_request_duration_seconds_bucket') continue;
      if (handler !== '*' && s.labels.handler !== handler) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      m.set(le, (m.get(le) || 0) + s.value);
    }
    return m;
  };
  const a = pick(now);
  const b = pick(before);
  return [...a.keys()].sort((x, y) => x - y).map((le) => ({ le, count: increase(a.get(le), b.get(le) || 0) }));
}

// --- state ------------------------------------------------------------------------
const history = [];  // [{t (s), samples}]
const series = {};   // name -> [values], aligned with times
const times = [];
const charts = {};

function push(name, value) {
  (series[name] ||= []).push(value);
}

function trim() {
  while (times.length > KEEP) {
    times.shift();
    for (const k of Object.keys(series)) series[k].shift();
  }
}

// A series that appears late starts with gaps, so every series has one value per time.
function aligned(name) {
  const s = series[name] || [];
  return Array(times.length - s.length).fill(null).concat(s);
}

// --- charts -------------------------------------------------------------------------
function chart(id, labels, keys, fmt) {
  const el = document.getElementById(id);
  const signature = keys.join('|');
  if (charts[id] && charts[id].signature === signature) {
    charts[id].plot.setData([times.slice(), ...keys.map(aligned)]);
    return;
  }
  if (charts[id]) charts[id].plot.destroy();
  const width = Math.max(el.clientWidth, 280);
  const opts = {
    width,
    height: 180,
    series: [{}, ...labels.map((label, i) => ({
      label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, value: (u, v) => (v == null ? '–' : fmt(v)),
    }))],
    axes: [{}, { values: (u, vals) => vals.map(fmt), size: 60 }],
    scales: { x: { time: true } },
    legend: { live: true },
  };
  const plot = new window.uPlot(opts, [times.slice(), ...keys.map(aligned)], el);
  charts[id] = { plot, signature };
}

const num = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : (Math.round(v * 100) / 100).toString());
const ms = (v) => (Math.round(v * 10) / 10).toString();

// --- one reading ----------------------------------------------------------------------
function absorb(samples) {
  const t = Date.now() / 1000;
  const before = history.length ? history[history.length - 1] : null;
  history.push({ t, samples });
  if (history.length > 2) history.shift();
  times.push(t);

  const waiting = byLabel(samples, 'concert_room_waiting', 'concert');
  const active = byLabel(samples, 'concert_room_active', 'concert');
  const admitted = byLabel(samples, 'concert_room_admitted_total', 'concert');
  const rooms = [...waiting.keys()].sort((a, b) => (waiting.get(b) + active.get(b)) - (waiting.get(a) + active.get(a)));
  const shown = rooms.slice(0, ROOMS_SHOWN);
  const others = rooms.slice(ROOMS_SHOWN);
  const dt = before ? t - before.t : null;
  const rate = (name, where) => (before ? increase(sum(samples, name, where), sum(before.samples, name, where)) / dt : null);

  const roomRate = (room) => {
    if (!before) return null;
    const prev = byLabel(before.samples, 'concert_room_admitted_total', 'concert');
    return increase(admitted.get(room) || 0, prev.get(room) || 0) / dt;
  };
  for (const room of shown) {
    push(`admits:${room}`, roomRate(room));
    push(`waiting:${room}`, waiting.get(room));
    push(`active:${room}`, active.get(room));
  }
  if (others.length) {
    push('admits:others', others.reduce((a, r) => a + (roomRate(r) || 0), 0));
    push('waiting:others', others.reduce((a, r) => a + waiting.get(r), 0));
    push('active:others', others.reduce((a, r) => a + active.get(r), 0));
  }
  const roomKeys = shown.concat(others.length ? ['others'] : []);
  const roomLabels = roomKeys.map((r) => (r === 'others' ? `${others.length} others` : `concert ${r}`));

  push('holds:live', sum(samples, 'concert_live_holds'));
  push('holds:made', rate('concert_holds_total'));
  push('holds:back', rate('concert_holds_given_back_total'));
  push('sales:seats', rate('concert_seats_sold_total'));
  push('sales:payments', rate('concert_payments_total'));
  push('money:paid', rate('concert_paid_krw_total'));
  push('money:charged', rate('concert_charged_krw_total'));
  push('req:all', rate('concert_http_requests_total'));
  push('req:5xx', rate('concert_http_requests_total', (l) => l.status.startsWith('5')));
  push('req:503', rate('concert_http_requests_total', (l) => l.status === '503'));
  const all = before ? bucketIncreases(samples, before.samples, '*') : [];
  const p50 = quantile(0.5, all);
  const p99 = quantile(0.99, all);
  push('lat:p50', p50 == null ? null : p50 * 1000);
  push('lat:p99', p99 == null ? null : p99 * 1000);
  trim();

  const total = (m) => [...m.values()].reduce((a, v) => a + v, 0);
  const admitsNow = rooms.reduce((a, r) => a + (roomRate(r) || 0), 0);
  text('t-waiting', num(total(waiting)));
  text('t-active', num(total(active)));
  text('t-admits', before ? num(admitsNow) : '–');
  text('t-holds', num(sum(samples, 'concert_live_holds')));
  text('t-sold', num(sum(samples, 'concert_seats_sold_total')));
  text('t-paid', num(sum(samples, 'concert_paid_krw_total')));
  text('t-5xx', before ? num(series['req:5xx'].at(-1)) : '–');
  text('t-p99', p99 == null ? '–' : `${ms(p99 * 1000)} ms`);
  const workers = byLabel(samples, 'concert_pool_workers', 'handler');
  const alive = byLabel(samples, 'concert_pool_workers_alive', 'handler');
  const down = [...workers.keys()].filter((h) => !alive.get(h));
  text('t-pools', `${workers.size - down.length} / ${workers.size}`);
  document.getElementById('t-pools').classList.toggle('bad', down.length > 0);
  document.getElementById('t-5xx').classList.toggle('bad', before && series['req:5xx'].at(-1) > 0);

  chart('c-admits', roomLabels, roomKeys.map((r) => `admits:${r}`), num);
  chart('c-waiting', roomLabels, roomKeys.map((r) => `waiting:${r}`), num);
  chart('c-active', roomLabels, roomKeys.map((r) => `active:${r}`), num);
  chart('c-holds', ['live', 'made / s', 'given back / s'], ['holds:live', 'holds:made', 'holds:back'], num);
  chart('c-sales', ['seats / s', 'payments / s'], ['sales:seats', 'sales:payments'], num);
  chart('c-money', ['paid', 'charged'], ['money:paid', 'money:charged'], num);
  chart('c-errors', ['all', '5xx', '503'], ['req:all', 'req:5xx', 'req:503'], num);
  chart('c-latency', ['p50', 'p99'], ['lat:p50', 'lat:p99'], ms);
  pools(samples, before, dt, workers, alive);
}

function pools(samples, before, dt, workers, alive) {
  const body = document.getElementById('pools');
  const rows = [...workers.keys()].sort().map((h) => {
    const mine = (l) => l.handler === h;
    const r = (name, where = mine) => (before ? increase(sum(samples, name, where), sum(before.samples, name, where)) / dt : null);
    const p99 = before ? quantile(0.99, bucketIncreases(samples, before.samples, h)) : null;
    const cells = [
      h,
      `${alive.get(h) || 0} / ${workers.get(h)}`,
      before ? num(r('concert_http_requests_total')) : '–',
      before ? num(r('concert_http_requests_total', (l) => mine(l) && l.status.startsWith('5'))) : '–',
      p99 == null ? '–' : ms(p99 * 1000),
      before ? num(r('concert_optimistic_retries_total')) : '–',
      before ? num(r('concert_db_errors_total') + r('concert_redis_errors_total')) : '–',
    ];
    const tr = document.createElement('tr');
    if (!alive.get(h)) tr.className = 'bad';
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.appendChild(td);
    }
    return tr;
  });
  body.replaceChildren(...rows);
}

function text(id, value) {
  document.getElementById(id).textContent = value;
}

async function tick() {
  const problem = document.getElementById('problem');
  try {
    const r = await fetch('/metrics', { cache: 'no-store' });
    if (!r.ok) throw new Error(`/metrics answered ${r.status}`);
    const samples = parseMetrics(await r.text());
    absorb(samples);
    const down = samples.filter((s) => s.name === 'concert_metrics_source_up' && s.value === 0).map((s) => s.labels.source);
    problem.hidden = down.length === 0;
    problem.textContent = down.length ? `Cannot read: ${down.join(', ')} (figures from it are missing)` : '';
    text('updated', `Updated ${new Date().toLocaleTimeString()}.`);
  } catch (e) {
    problem.hidden = false;
    problem.textContent = `Metrics unavailable: ${e.message}`;
  }
  setTimeout(tick, INTERVAL_MS);
}

document.getElementById('interval').textContent = String(INTERVAL_MS / 1000);
tick();
