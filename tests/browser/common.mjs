// What every browser test shares: the stack tests/run.sh started (from the
// environment), Debian's chromium, the API and concertctl.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const BASE = process.env.CONCERT_TEST_URL || 'http://127.0.0.1:18080';
export const METRICS = process.env.CONCERT_TEST_METRICS_URL || 'http://127.0.0.1:18090';
export const STATE = process.env.CONCERT_TEST_STATE || 'var/test';
export const REDIS_PORT = process.env.CONCERT_TEST_REDIS_PORT || '26379';
export const SHOTS = process.env.SCREENSHOT_DIR || 'build/test-logs/screenshots';
const ROOT = new URL('../..', import.meta.url).pathname;

// Debian's chromium, headless; screenshots' directory made.
export async function launch() {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-sync',
      '--disable-background-networking', '--disable-component-update'],
  });
}

// A page in a context of its own that records its errors and every URL it
// requests: { context, page, problems, requested }.
export async function watchedPage(browser, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  const requested = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('request', (r) => requested.push(r.url()));
  return { context, page, problems, requested };
}

// bin/concertctl against the test stack; its stdout.
export function concertctl(...args) {
  return execFileSync(`${ROOT}/bin/concertctl`, args, {
    env: { ...process.env, CONCERT_REDIS_PORT: REDIS_PORT, CONCERT_DB_URL: `unix://${STATE}/mysql-run/mysqld.sock` },
  }).toString();
}

// YYYY-MM-DD, 'offset' days from today (UTC).
export function day(offset) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

// One API call: { status, body (parsed JSON or null) }.
export async function api(method, path, body, bearer) {
  const headers = { 'Content-Type': 'application/json' };
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const r = await fetch(`${BASE}/api/v1${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
