#!/usr/bin/env node
// The project's own deterministic log generator for `npm run bench`.
// Usage: node bench/gen-mixed-log.js OUT SIZE_MIB [SEED]
//
// A different mix from ../shared/bench/gen-log.js (the outside checkers' generator): four
// services' PM2 app logs interleaved with `log_date_format "YYYY-MM-DD HH:mm:ss Z"` prefixes
// (half of them also behind a `pm2 logs` `0|web      | ` prefix), pino JSON lines with `pid`,
// Python logging with multi-line tracebacks (sometimes only the first line prefixed, as PM2 does
// for one write), structlog lines, Next.js request lines, multi-line Node error object dumps
// (`[Error: ...] {` ... `}`), pm2.log daemon lines, about 0.1% incident lines for the built-in
// rules (texts from ../shared/error-catalogue.md) and about 0.3% benign near misses.
// Same OUT size and SEED give the same bytes. No dependencies.
import fs from 'node:fs';
import { seededRandom } from './seeded-random.js';

const [out, mibArg, seedArg] = process.argv.slice(2);
if (!out || !mibArg || !(Number(mibArg) > 0)) {
  console.error('usage: gen-mixed-log.js OUT SIZE_MIB [SEED]');
  process.exit(2);
}
const target = Math.round(Number(mibArg) * 1024 * 1024);

const rand = seededRandom(seedArg);
const int = (n) => (rand() * n) | 0;
const pick = (a) => a[(rand() * a.length) | 0];
/** n hex digits, 8 per PRNG draw. */
function hex(n) {
  let s = '';
  while (s.length < n) s += ((rand() * 4294967296) >>> 0).toString(16).padStart(8, '0');
  return s.length === n ? s : s.slice(0, n);
}
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;

// ---- clock: stamps are rebuilt only when the second changes ----------------------------------
const pad2 = (n) => (n < 10 ? '0' : '') + n;
const pad3 = (n) => (n < 10 ? '00' : n < 100 ? '0' : '') + n;
let now = Date.UTC(2026, 1, 10, 0, 0, 0);
let sec = -1;
let dateSp = ''; // 2026-02-10 03:12:44
let dateT = ''; // 2026-02-10T03:12:44
function tick() {
  now += int(25);
  const s = Math.floor(now / 1000);
  if (s !== sec) {
    sec = s;
    const d = new Date(s * 1000);
    const day = `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    const hms = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
    dateSp = `${day} ${hms}`;
    dateT = `${day}T${hms}`;
  }
}
const ms = () => pad3(now % 1000);

// ---- services and prefixes --------------------------------------------------------------------
// PM2 log_date_format "YYYY-MM-DD HH:mm:ss Z" → `2026-02-10 03:12:44 +00:00: `
const SERVICES = {
  web: { id: 0, tag: '0|web      | ' },
  api: { id: 1, tag: '1|api      | ' },
  worker: { id: 2, tag: '2|worker   | ' },
  ws: { id: 3, tag: '3|ws       | ' },
};
// Output goes straight into one big Buffer (string += over megabytes spends half the time in GC).
const FLUSH = 8 << 20;
const obuf = Buffer.allocUnsafe(FLUSH + (1 << 20));
let opos = 0;
function emit(s) {
  opos += obuf.write(s, opos, 'utf8');
}
/** One line of service `svc`: maybe the `pm2 logs` tag, always the date prefix. */
function line(svc, text) {
  emit((rand() < 0.5 ? SERVICES[svc].tag : '') + dateSp + ' +00:00: ' + text + '\n');
}
/** A multi-line write: PM2 prefixes the first line; half the time every line (one write per line). */
function block(svc, lines) {
  const tag = rand() < 0.5 ? SERVICES[svc].tag : '';
  const every = rand() < 0.5;
  const pre = tag + dateSp + ' +00:00: ';
  for (let i = 0; i < lines.length; i++) emit((i === 0 || every ? pre : '') + lines[i] + '\n');
}
/** pm2.log daemon line (PM2's own `--time`-style stamp). */
function daemon(text) {
  emit(dateT + ': PM2 log: ' + text + '\n');
}

// ---- vocabulary ---------------------------------------------------------------------------------
const PAGES = ['/', '/dashboard', '/settings/billing', '/orders/[id]', '/api/health', '/api/orders', '/login', '/blog/[slug]'];
const STATIC = ['/_next/static/chunks/app/page-3f9a1c.js', '/_next/static/css/8e2f.css', '/_next/image?url=%2Flogo.png&w=64&q=75', '/favicon.ico'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const API_URLS = ['/v1/orders', '/v1/orders/8841', '/v1/users/me', '/v1/cart', '/v1/search?q=shoes', '/healthz', '/v1/webhooks/stripe'];
const PY_LOGGERS = ['app.tasks', 'app.sync', 'celery.worker.strategy', 'app.mailer', 'app.db'];
const PY_TASKS = ['send_digest', 'sync_inventory', 'rebuild_search_index', 'charge_subscription', 'export_report'];
const SL_EVENTS = ['ws_message_sent', 'ws_client_connected', 'ws_client_disconnected', 'broadcast_done', 'heartbeat'];
const SL_LEVELS = ['info     ', 'info     ', 'info     ', 'debug    ', 'warning  '];
const STATUS = [200, 200, 200, 200, 201, 204, 304, 400, 401, 404];

const nodeFrames = (file) => [
  `    at ${pick(['Object.handler', 'Router.handle', 'processTicksAndRejections', 'async Promise.all'])} (${file}:${1 + int(300)}:${1 + int(40)})`,
  '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
];

// ---- benign lines (weights below) --------------------------------------------------------------
function nextRequest() {
  if (rand() < 0.3) line('web', ` ${pick(METHODS)} ${pick(STATIC)} ${pick([200, 304, 304])} in ${int(12)}ms`);
  else line('web', ` ${pick(METHODS)} ${pick(PAGES)} ${pick(STATUS)} in ${int(900)}ms`);
}
function nextMisc() {
  const r = rand();
  if (r < 0.4) line('web', ` ✓ Compiled ${pick(PAGES)} in ${int(2000)}ms (${int(1500)} modules)`);
  else if (r < 0.7) line('web', ` ○ Compiling ${pick(PAGES)} ...`);
  else line('web', `   - Local:        http://localhost:3000`);
}
function pino() {
  const lvl = rand() < 0.9 ? 30 : 40;
  const url = pick(API_URLS);
  line(
    'api',
    `{"level":${lvl},"time":${now},"pid":${4100 + int(4)},"hostname":"prod-web-1","reqId":"req-${hex(6)}","req":{"method":"${pick(METHODS)}","url":"${url}"},"res":{"statusCode":${pick(STATUS)}},"responseTime":${(rand() * 120).toFixed(1)},"msg":"request completed"}`,
  );
}
function pinoApp() {
  line('api', `{"level":30,"time":${now},"pid":${4100 + int(4)},"hostname":"prod-web-1","module":"cache","hits":${int(9000)},"misses":${int(300)},"msg":"cache stats"}`);
}
function pyLog() {
  const r = rand();
  const head = `${dateSp},${ms()}`;
  if (r < 0.6) line('worker', `${head} INFO ${pick(PY_LOGGERS)} Task ${pick(PY_TASKS)}[${uuid()}] succeeded in ${(rand() * 3).toFixed(3)}s: None`);
  else if (r < 0.85) line('worker', `${head} INFO ${pick(PY_LOGGERS)} Task ${pick(PY_TASKS)}[${uuid()}] received`);
  else line('worker', `${head} WARNING ${pick(PY_LOGGERS)} retrying ${pick(PY_TASKS)} in ${int(60)}s (attempt ${1 + int(5)}/5)`);
}
function pyTraceback() {
  const head = `${dateSp},${ms()}`;
  const exc = pick([
    [`KeyError: 'user_id'`, 'payload["user_id"]'],
    [`ValueError: invalid literal for int() with base 10: 'abc'`, 'int(row.qty)'],
    [`requests.exceptions.HTTPError: 502 Server Error: Bad Gateway for url: https://api.partner.example/v2/stock`, 'resp.raise_for_status()'],
  ]);
  block('worker', [
    `${head} ERROR app.tasks Task ${pick(PY_TASKS)}[${uuid()}] raised unexpected: ${exc[0].split(':')[0]}`,
    'Traceback (most recent call last):',
    '  File "/srv/worker/.venv/lib/python3.12/site-packages/celery/app/trace.py", line 453, in trace_task',
    '    R = retval = fun(*args, **kwargs)',
    `  File "/srv/worker/app/tasks.py", line ${10 + int(300)}, in ${pick(PY_TASKS)}`,
    `    value = ${exc[1]}`,
    exc[0],
  ]);
}
function structlog() {
  line('ws', `${dateT}.${ms()}${int(10)}${int(10)}${int(10)}Z [${pick(SL_LEVELS)}] ${pick(SL_EVENTS)}    client_id=${hex(8)} room=order-${int(5000)} bytes=${int(4096)}`);
}
function uvicorn() {
  line('ws', `INFO:     10.0.${int(255)}.${int(255)}:${40000 + int(20000)} - "WebSocket /ws/orders/${int(9999)}" [accepted]`);
}
function nodeErrorDump() {
  // benign: an upstream 429 with its object dump
  block('api', [
    `[Error: Request failed with status code ${pick([429, 503])}] {`,
    `  code: 'ERR_BAD_RESPONSE',`,
    `  status: ${pick([429, 503])},`,
    `  url: 'https://api.partner.example/v2/rates?from=EUR&to=USD'`,
    '}',
  ]);
}
function nodeWarnStack() {
  block('api', [`TypeError: Cannot read properties of undefined (reading '${pick(['id', 'email', 'items'])}')`, ...nodeFrames('/srv/api/dist/routes/orders.js')]);
}
function daemonLine() {
  const app = pick(['web', 'api', 'worker', 'ws']);
  const id = SERVICES[app].id;
  const r = rand();
  if (r < 0.4) daemon(`App [${app}:${id}] online`);
  else if (r < 0.7) daemon(`App [${app}:${id}] starting in -fork mode-`);
  else if (r < 0.85) daemon(`Stopping app:${app} id:${id}`);
  else daemon(`pid=${10000 + int(50000)} msg=process killed`);
}

// ---- near misses: look like incidents, are not ----------------------------------------------------
const NEAR = [
  () => block('api', [`Error: ENOENT: no such file or directory, open '/srv/api/uploads/avatar-${hex(6)}.png'`, ...nodeFrames('/srv/api/dist/routes/upload.js')]),
  () => line('web', ` GET /_next/static/chunks/${int(999)}.js 404 in 2ms`),
  () => daemon(`App [api:1] exited with code [0] via signal [SIGINT]`), // graceful pm2 reload
  () => line('worker', `${dateSp},${ms()} WARNING app.db pool usage high: checked_out=4 size=5 overflow=2 timeout=30.00`),
  () => line('ws', `${dateT}.${ms()}000Z [info     ] ws_send_skipped    reason="client already closed" client_id=${hex(8)}`),
  () => line('api', `{"level":30,"time":${now},"pid":4101,"hostname":"prod-web-1","msg":"pg pool connect took 812ms (timeout 5000ms)"}`),
  () => line('api', `{"level":30,"time":${now},"pid":4101,"hostname":"prod-web-1","msg":"heap used 812 MB of 2048 MB"}`),
  () => line('web', ` ⚠ Port 3000 is reserved for the dashboard proxy; listening on 3000 as configured`),
];

// ---- incidents (one rule-matching line per block; texts from error-catalogue.md) -----------------
const INCIDENTS = [
  () => {
    const p = `/srv/web/.next/server/app/${pick(['dashboard', 'orders/[id]', 'api/health', 'settings/billing'])}/${pick(['page.js', 'route.js'])}`;
    block('web', [`⨯ [Error: ENOENT: no such file or directory, open '${p}'] {`, '  errno: -2,', "  code: 'ENOENT',", "  syscall: 'open',", `  path: '${p}'`, '}']);
  },
  () => {
    const head = `${dateSp},${ms()}`;
    block('ws', [
      `${head} ERROR uvicorn.error Exception in ASGI application`,
      'Traceback (most recent call last):',
      '  File "/srv/ws/.venv/lib/python3.12/site-packages/uvicorn/protocols/websockets/websockets_impl.py", line 244, in run_asgi',
      '    result = await self.app(self.scope, self.asgi_receive, self.asgi_send)',
      '  File "/srv/ws/.venv/lib/python3.12/site-packages/starlette/websockets.py", line 70, in send',
      `    raise RuntimeError('Cannot call "send" once a close message has been sent.')`,
      'RuntimeError: Cannot call "send" once a close message has been sent.',
    ]);
  },
  () => block('api', ['Error: timeout exceeded when trying to connect', '    at Timeout._onTimeout (/srv/api/node_modules/pg-pool/index.js:224:27)', '    at listOnTimeout (node:internal/timers:581:17)']),
  () => {
    const head = `${dateSp},${ms()}`;
    block('worker', [
      `${head} ERROR app.db Task ${pick(PY_TASKS)}[${uuid()}] raised unexpected: TimeoutError`,
      'Traceback (most recent call last):',
      '  File "/srv/worker/.venv/lib/python3.12/site-packages/sqlalchemy/pool/impl.py", line 177, in _do_get',
      '    raise exc.TimeoutError(',
      'sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)',
    ]);
  },
  () => block('web', ['Error: listen EADDRINUSE: address already in use :::3000', '    at Server.setupListenHandle [as _listen2] (node:net:1908:16)', '    at listenInCluster (node:net:1965:12)']),
  () => daemon(`App [api:0] exited with code [1] via signal [SIGINT]`),
  () => {
    block('api', ['', '<--- Last few GCs --->', '', `[${4100 + int(4)}:0x5d1c2a0]  1328199 ms: Mark-Compact 4059.5 (4136.7) -> 4053.2 (4137.0) MB, 2555.0 / 0.0 ms  (average mu = 0.084, current mu = 0.020) allocation failure; scavenge might not succeed`, '', '<--- JS stacktrace --->', '']);
    block('api', ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory', '----- Native stack trace -----', ' 1: 0xb78db3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [/usr/bin/node]']);
  },
];

// ---- mix: cumulative weights of benign event kinds ----------------------------------------------
const MIX = [
  [0.22, nextRequest],
  [0.25, nextMisc],
  [0.47, pino],
  [0.52, pinoApp],
  [0.7, pyLog],
  [0.705, pyTraceback],
  [0.84, structlog],
  [0.9, uvicorn],
  [0.905, nodeErrorDump],
  [0.91, nodeWarnStack],
  [0.93, daemonLine],
];

const fd = fs.openSync(out, 'w');
let written = 0;
try {
  while (written < target) {
    opos = 0;
    while (opos < FLUSH) {
      tick();
      const r = rand();
      if (r < 0.0008) pick(INCIDENTS)();
      else if (r < 0.0038) pick(NEAR)();
      else {
        const k = rand();
        let f = structlog;
        for (const [w, fn] of MIX) {
          if (k < w) {
            f = fn;
            break;
          }
        }
        f();
      }
    }
    let len = opos;
    if (written + len > target) {
      // stop at the last line end within the target
      len = obuf.lastIndexOf(10, target - written - 1) + 1;
      if (len > 0) fs.writeSync(fd, obuf, 0, len);
      written += len;
      break;
    }
    fs.writeSync(fd, obuf, 0, len);
    written += len;
  }
} finally {
  fs.closeSync(fd);
}
