// Checks every response the integration tests received (the JSON lines
// tests/integration/client.cpp appends to $CONCERT_TEST_RESPONSE_LOG)
// against the API description, web/openapi.json:
//   - the request's path and method name an operation, and the status is one
//     of its documented responses; or the status is one of the document's
//     `x-any-request-errors` (what nginx answers to any request: a malformed
//     request line, an unknown path, a method the path does not take, ...);
//   - the Content-Type is the documented media type (no body where none is
//     documented), the documented required headers are there and match their
//     schemas, and the body matches the response's JSON Schema (2020-12, Ajv,
//     formats checked);
//   - every documented status of every operation was seen at least once,
//     except those tests/api/unseen.json names with the reason they cannot be.
// Usage: node validate.mjs OPENAPI LOG
// Prints failures (at most 20 in full), the coverage table, and
// "validate: N passed, N failed" over its two checks (every response
// matches; every status seen or explained); exits 1 on any failure.

import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [openapiPath, logPath] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(openapiPath, 'utf8'));
const unseenAllowed = JSON.parse(readFileSync(new URL('./unseen.json', import.meta.url), 'utf8'));

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);
ajv.addSchema(doc, 'openapi.json');

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

// A JSON pointer: 'base' (already a pointer, "" for the root) and then the
// given parts, each escaped.
const pointer = (base, ...parts) => base + parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

function resolve(object) {
  let at = object;
  for (let hops = 0; at && at.$ref && hops < 10; hops += 1) {
    if (!at.$ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${at.$ref}`);
    at = at.$ref.slice(2).split('/').reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return at;
}

// The pointer of a response object, following one $ref to components/responses,
// so schemas compile from where they really are (their own $refs then resolve).
function responsePointer(base, response) {
  return response?.$ref ? response.$ref.slice(1) : base;
}

const operations = [];
for (const [template, item] of Object.entries(doc.paths)) {
  const regex = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
  for (const method of METHODS) {
    if (item[method]) operations.push({ template, method, regex, op: item[method], key: `${method.toUpperCase()} ${template}` });
  }
}
const anyRequest = doc['x-any-request-errors'] || {};

const validators = new Map();
function schemaValidator(ref) {
  if (!validators.has(ref)) validators.set(ref, ajv.compile({ $ref: `openapi.json#${ref}` }));
  return validators.get(ref);
}

// The booking page's files and /docs' scripts and styles are not part of the
// API (the document describes /api/v1, /healthz and the /docs page); their
// 404s and 405s are.
const BOOKING_PAGE = /^\/((index\.html|app\.js|app\.css)?|docs\/(docs\.js|swagger-ui-bundle\.js|swagger-ui\.css))$/;
let bookingPage = 0;

const seen = new Map();  // "METHOD template" -> Map(status -> count)
const seenAny = new Map();
const failures = [];
let validated = 0;

function check(record) {
  const problems = [];
  const method = (record.method || '').toLowerCase();
  const path = (record.target || '').split('?')[0];
  const status = String(record.status);
  const match = operations.find((o) => o.method === (method === 'head' ? 'get' : method) && o.regex.test(path));
  let response;
  let base;
  if (match && match.op.responses[status]) {
    response = match.op.responses[status];
    base = pointer('', 'paths', match.template, match.method, 'responses', status);
    const counts = seen.get(match.key) || new Map();
    counts.set(status, (counts.get(status) || 0) + 1);
    seen.set(match.key, counts);
  } else if (anyRequest[status]) {
    response = anyRequest[status];
    base = pointer('', 'x-any-request-errors', status);
    seenAny.set(status, (seenAny.get(status) || 0) + 1);
  } else {
    problems.push(match ? `status ${status} is not documented for ${match.key}`
      : `no documented operation for ${record.method || '(no HTTP request line)'} ${path} and ${status} is not an x-any-request-errors status`);
    return problems;
  }
  const at = responsePointer(base, response);
  const spec = resolve(response);

  for (const [name, header] of Object.entries(spec.headers || {})) {
    const h = resolve(header);
    const value = record.headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.required) problems.push(`header ${name} is missing`);
      continue;
    }
    const schema = h.schema ? resolve(h.schema) : null;
    if (schema) {
      const typed = schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      const headerPointer = h === header ? pointer(at, 'headers', name, 'schema') : header.$ref.slice(1) + '/schema';
      const v = schemaValidator(headerPointer);
      if (!v(typed)) problems.push(`header ${name}: ${JSON.stringify(value)} ${ajv.errorsText(v.errors)}`);
    }
  }

  const contentType = (record.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  if (!spec.content) {
    if (record.body !== '') problems.push(`a body where none is documented: ${record.body.slice(0, 80)}`);
    return problems;
  }
  if (!spec.content[contentType]) {
    problems.push(`Content-Type ${JSON.stringify(contentType)} is not one of ${Object.keys(spec.content).join(', ')}`);
    return problems;
  }
  if (method === 'head') return problems;
  const media = spec.content[contentType];
  if (!media.schema) return problems;
  let body = record.body;
  if (contentType === 'application/json') {
    try {
      body = JSON.parse(record.body);
    } catch (e) {
      problems.push(`body is not JSON: ${record.body.slice(0, 80)}`);
      return problems;
    }
  }
  const v = schemaValidator(pointer(at, 'content', contentType, 'schema'));
  if (!v(body)) problems.push(`body: ${ajv.errorsText(v.errors)} in ${record.body.slice(0, 200)}`);
  return problems;
}

const lines = readFileSync(logPath, 'utf8').split('\n').filter(Boolean);
for (const line of lines) {
  const record = JSON.parse(line);
  if (record.status === 200 && BOOKING_PAGE.test((record.target || '').split('?')[0])) {
    bookingPage += 1;
    continue;
  }
  const problems = check(record);
  validated += 1;
  if (problems.length) failures.push({ record, problems });
}

for (const f of failures.slice(0, 20)) {
  console.log(`FAIL ${f.record.test}: ${f.record.method || '-'} ${f.record.target || '-'} -> ${f.record.status}`);
  for (const p of f.problems) console.log(`     ${p}`);
}
if (failures.length > 20) console.log(`... and ${failures.length - 20} more responses that do not match`);

// Coverage: every documented status of every operation, seen how often.
console.log('\nDocumented statuses seen in the integration tests (count; "-" never):');
const unseen = [];
for (const o of operations) {
  const counts = seen.get(o.key) || new Map();
  const cells = Object.keys(o.op.responses).map((s) => {
    const n = counts.get(s) || 0;
    if (n === 0) unseen.push(`${o.key} ${s}`);
    return `${s}:${n || '-'}`;
  });
  console.log(`  ${o.key.padEnd(52)} ${cells.join(' ')}`);
}
console.log(`  ${'any request (x-any-request-errors)'.padEnd(52)} ${Object.keys(anyRequest).map((s) => `${s}:${seenAny.get(s) || '-'}`).join(' ')}`);
for (const s of Object.keys(anyRequest)) if (!seenAny.get(s)) unseen.push(`any request ${s}`);

const unexplained = unseen.filter((k) => !unseenAllowed[k]);
const stale = Object.keys(unseenAllowed).filter((k) => !unseen.includes(k));
for (const k of unseen.filter((u) => unseenAllowed[u])) console.log(`  never seen, as expected: ${k} — ${unseenAllowed[k]}`);
for (const k of unexplained) console.log(`FAIL never seen and not explained in tests/api/unseen.json: ${k}`);
for (const k of stale) console.log(`FAIL tests/api/unseen.json explains ${k}, but the tests saw it: drop it from the list`);

console.log(`\n${validated} responses validated against ${openapiPath}: ${validated - failures.length} match, ${failures.length} do not` +
  ` (${lines.length} received; ${bookingPage} were static files of the booking page or of /docs, outside the API)`);
const checks = [validated > 0 && failures.length === 0, unexplained.length === 0 && stale.length === 0];
const passed = checks.filter(Boolean).length;
console.log(`validate: ${passed} passed, ${checks.length - passed} failed`);
process.exit(passed === checks.length ? 0 : 1);
