#!/usr/bin/env node
// Watch-mode benchmark: `npm run bench:watch`. Starts `incident-analyser watch` on a temp folder
// of 20 PM2-style log files, appends benign lines at a steady 10,000 lines/s in total (batched
// every 10 ms) and, every 200 ms, one probe line that opens a NEW port-in-use incident (a
// distinct port each time: the rule groups by service and port). The time from the probe's
// write to its `opened` JSON line on the watcher's stdout is the latency. Also samples the
// watcher's CPU (utime+stime from /proc/<pid>/stat) and RSS (VmRSS) every second, while writing
// and for 10 s of idle after the writer stops, then stops it with SIGINT and checks it exits 0.
// Bars (issue): p99 < 500 ms, idle CPU < 2 % (no busy polling). See bench/README.md.
// bench/soak.js reuses the writer and the samplers exported here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH, '..');
const CLI = path.join(ROOT, 'bin/incident-analyser.js');

export const BAR_P99_MS = 500;
export const BAR_IDLE_CPU = 2; // % of one core

const USAGE = `usage: node bench/watch.js [options]
  --seconds N      how long the writer runs (default 30)
  --rate N         benign lines per second, all files together (default 10000)
  --files N        number of log files (default 20)
  --probe-ms N     one probe (incident-opening) line every N ms (default 200)
  --idle N         seconds of idle CPU measurement after the writer stops (default 10)
  --sparse N       then N quiet-file probes of each kind: alone, and 20 ms after another line
                   in the same file (default 8; 0 skips; informational, no bar)
  --build          run \`npm run build\` first (always done when dist/ is missing or older than src/)
  --keep           keep the temp folder (logs, state.db, watcher stdout)
  --json PATH      also write the results as JSON
  --watch-args "…" extra arguments for the watcher (e.g. "--poll-interval 250")
  --cpu-prof DIR   run the watcher under node --cpu-prof, profiles written to DIR (the profiler's
                   sampling costs ~5 % CPU: the idle bar then fails)
  --node-args "…"  extra node options for the watcher (e.g. "--max-old-space-size=64")
  --extra-files N  N rotated parts (svc-K-out.log.1, .2, …) in the folder before the watcher starts`;

// ---------------------------------------------------------------------------------------------
// helpers shared with soak.js

export function parseArgs(argv, defaults, usage, extra = () => false) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) die(`${a} needs a value\n${usage}`);
      return v;
    };
    const num = () => {
      const n = Number(val());
      if (!(n > 0)) die(`${a} needs a number above 0`);
      return n;
    };
    if (a === '--rate') o.rate = num();
    else if (a === '--files') o.files = Math.round(num());
    else if (a === '--probe-ms') o.probeMs = num();
    else if (a === '--build') o.build = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--json') o.json = path.resolve(val());
    else if (a === '--watch-args') o.watchArgs = val().split(/\s+/).filter(Boolean);
    else if (a === '--cpu-prof') o.cpuProf = path.resolve(val());
    else if (a === '--extra-files') {
      o.extraFiles = Math.round(Number(val()));
      if (!(o.extraFiles >= 0)) die('--extra-files needs a number >= 0');
    }
    else if (a === '--node-args') o.nodeArgs = val().split(/\s+/).filter(Boolean);
    else if (a === '-h' || a === '--help') {
      console.log(usage);
      process.exit(0);
    } else if (!extra(a, num, o, val)) die(`unknown option ${a}\n${usage}`);
  }
  return o;
}

export function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function quantile(xs, q) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  // nearest rank: the smallest value with at least q of the sample at or below it
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

export const fmt = (n, d = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));

/** Build dist/ when it is missing, older than src/, or when asked. */
export function ensureBuilt(force) {
  const newest = (dir) => {
    let t = 0;
    if (!fs.existsSync(dir)) return 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) t = Math.max(t, fs.statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
    return t;
  };
  const dist = newest(path.join(ROOT, 'dist'));
  const stale = dist === 0 || newest(path.join(ROOT, 'src')) > dist;
  if (!force && !stale) return;
  console.log(`bench: ${dist === 0 ? 'dist/ missing' : force ? '--build' : 'dist/ older than src/'}: npm run build`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) die('npm run build failed');
}

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* keep 100 */
}

/** CPU seconds (user + system, all threads) and RSS in MB (10^6 bytes) of a live process. */
export function procSample(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after "pid (comm) ": state=0 … utime=11, stime=12 (stat fields 14 and 15)
    const cpu = (Number(f[11]) + Number(f[12])) / clkTck;
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
    return { t: performance.now(), cpu, rssMB: (kb * 1024) / 1e6 };
  } catch {
    return undefined;
  }
}

/** CPU % of one core between two samples. */
export const cpuPct = (a, b) => (a && b && b.t > a.t ? ((b.cpu - a.cpu) / ((b.t - a.t) / 1000)) * 100 : NaN);

export function loadAvg() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

/**
 * Start the watcher on `dir` with JSON output; `onOpened(incident, at)` gets every `opened`
 * change (at = performance.now() when the line arrived).
 */
export function startWatcher({ dir, db, extraArgs = [], cpuProf, nodeArgs: extraNodeArgs = [], onChange }) {
  const nodeArgs = [...(cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : []), ...extraNodeArgs];
  const args = [...nodeArgs, CLI, 'watch', dir, '--db', db, '--format', 'json', '--quiet', ...extraArgs];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const w = { child, pid: child.pid, stderr: '', lines: 0, firstOutputAt: undefined, exited: undefined };
  const rl = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
  rl.on('line', (line) => {
    const at = performance.now();
    w.lines++;
    w.firstOutputAt ??= at;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      console.error(`bench: watcher printed a non-JSON line: ${line.slice(0, 200)}`);
      return;
    }
    onChange?.(msg, at);
  });
  child.stderr.on('data', (d) => {
    w.firstOutputAt ??= performance.now();
    if (w.stderr.length < 100_000) w.stderr += d.toString();
  });
  w.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      w.exitedAt = performance.now();
      if (!w.stopping) console.error(`bench: the watcher exited by itself (code ${code}, signal ${signal}) before the bench stopped it`);
      resolve({ code, signal });
    }),
  );
  return w;
}

/** SIGINT the watcher; resolves to { code, signal, ms, killed, early } (early: it had exited already). */
export async function stopWatcher(w, timeoutMs = 20_000) {
  const t0 = performance.now();
  if (w.exitedAt !== undefined) return { ...(await w.exited), ms: 0, early: true };
  w.stopping = true;
  w.child.kill('SIGINT');
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
  let res = await Promise.race([w.exited, timeout]);
  clearTimeout(timer);
  if (!res) {
    w.child.kill('SIGKILL');
    res = { ...(await w.exited), killed: true };
  }
  return { ...res, ms: performance.now() - t0 };
}

/** The port of a port-in-use incident (captures, else the evidence text). */
export function portOf(incident) {
  const p = incident?.captures?.port ?? /:::(\d+)\s*$/m.exec(incident?.evidence?.[0]?.text ?? '')?.[1];
  return p === undefined ? undefined : Number(p);
}

const pad2 = (n) => String(n).padStart(2, '0');
/** PM2 `--time` prefix: `2026-02-10T03:12:44: ` (local time, no zone, as PM2 writes it). */
function pm2Time(d) {
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}: `;
}

const PATHS = ['/api/orders', '/api/users/me', '/api/cart/items', '/health', '/api/search', '/api/products', '/api/session/refresh', '/static/app.js'];
const AGENTS = ['Mozilla/5.0 (X11; Linux x86_64)', 'okhttp/4.12.0', 'curl/8.5.0', 'python-requests/2.31'];

/**
 * Writes benign PM2-style lines (~120 bytes: morgan-like request lines and pino JSON) at a steady
 * total rate across `files` files, batched every `tickMs`, plus a probe every `probeMs` that opens
 * a new port-in-use incident (port = basePort + probe number). Synchronous appends, so a probe's
 * write time is exact. `rotate*` do the soak's rotations between two batches.
 */
export class Writer {
  constructor({ dir, files, rate, probeMs, tickMs = 10, basePort = 20000 }) {
    Object.assign(this, { dir, rate, probeMs, tickMs, basePort });
    this.files = Array.from({ length: files }, (_, i) => {
      const file = path.join(dir, `svc-${i}-out.log`);
      return { file, service: `svc-${i}`, fd: fs.openSync(file, 'a'), reopenAt: undefined };
    });
    this.linesWritten = 0;
    this.bytesWritten = 0;
    this.probes = new Map(); // port -> { port, file, t, wall, seenAt, latency }
    this.probeCount = 0;
    this.sparse = new Map();
    this.sparseCount = 0;
    this.seq = 0;
    this.timer = undefined;
    this.rotations = [];
  }

  benignLine(now, i) {
    const n = this.seq++;
    const p = PATHS[n % PATHS.length];
    if (n % 3 === 2) {
      return `${pm2Time(now)}{"level":30,"time":${now.getTime()},"pid":${4100 + i},"hostname":"web-1","reqId":"req-${(n * 2654435761 >>> 0).toString(16)}","route":"${p}","msg":"request completed","ms":${n % 97}}\n`;
    }
    const status = n % 41 === 0 ? 404 : n % 17 === 0 ? 304 : 200;
    return `${pm2Time(now)}GET ${p}?page=${n % 50}&id=${n} HTTP/1.1 ${status} ${((n % 997) / 10).toFixed(1)} ms - ${(n * 37) % 9000} "${AGENTS[n % AGENTS.length]}"\n`;
  }

  /**
   * Write one probe now into file k % files (k = probe number) and record it in `probes`;
   * returns its port. `sparse` probes go to their own map and port range.
   */
  probe({ fileIndex, sparse = false } = {}) {
    const k = sparse ? this.sparseCount++ : this.probeCount++;
    const f = this.files[(fileIndex ?? k) % this.files.length];
    const port = (sparse ? this.basePort + 20000 : this.basePort) + k;
    const line = `${pm2Time(new Date())}Error: listen EADDRINUSE: address already in use :::${port}\n`;
    const t = performance.now();
    const wall = Date.now();
    fs.writeSync(f.fd, line);
    this.bytesWritten += line.length;
    (sparse ? this.sparse : this.probes).set(port, { port, file: path.basename(f.file), t, wall, seenAt: undefined, latency: undefined });
    return port;
  }

  /** One benign line now into file i (the sparse phase). */
  single(i) {
    const line = this.benignLine(new Date(), i);
    fs.writeSync(this.files[i % this.files.length].fd, line);
    this.bytesWritten += line.length;
  }

  /** Write `n` benign lines, round-robin over the files, one write per file. */
  batch(n) {
    const now = new Date();
    const bufs = this.files.map(() => '');
    for (let j = 0; j < n; j++) {
      const i = (this.linesWritten + j) % this.files.length;
      bufs[i] += this.benignLine(now, i);
    }
    for (let i = 0; i < this.files.length; i++) {
      if (!bufs[i]) continue;
      fs.writeSync(this.files[i].fd, bufs[i]);
      this.bytesWritten += bufs[i].length;
    }
    this.linesWritten += n;
  }

  start() {
    this.t0 = performance.now();
    this.nextProbe = this.t0 + this.probeMs;
    this.timer = setInterval(() => this.tick(), this.tickMs);
  }

  tick() {
    const now = performance.now();
    for (const f of this.files) {
      if (f.reopenAt !== undefined && now >= f.reopenAt) {
        fs.closeSync(f.fd);
        f.fd = fs.openSync(f.file, 'a');
        f.reopenAt = undefined;
      }
    }
    // probes go first in their tick, so benign lines follow them at once (the probe's event is
    // then complete without waiting for the parser's idle flush)
    while (this.probeMs && now >= this.nextProbe) {
      this.probe();
      this.nextProbe += this.probeMs;
    }
    const due = Math.floor(((now - this.t0) / 1000) * this.rate) - this.linesWritten;
    if (due > 0) this.batch(due);
  }

  stop() {
    clearInterval(this.timer);
    this.t1 = performance.now();
  }

  close() {
    for (const f of this.files) fs.closeSync(f.fd);
  }

  /** logrotate-style shift: f.(keep) deleted, f.N → f.N+1. */
  shift(f, keep) {
    for (let n = keep; n >= 1; n--) {
      const from = `${f.file}.${n}`;
      if (!fs.existsSync(from)) continue;
      if (n === keep) fs.unlinkSync(from);
      else fs.renameSync(from, `${f.file}.${n + 1}`);
    }
  }

  /** Rename rotation: f → f.1; the app keeps writing to the old handle until it reopens. */
  rotateRename(i, { keep = 2, reopenAfterMs = 500 } = {}) {
    const f = this.files[i % this.files.length];
    this.shift(f, keep);
    fs.renameSync(f.file, `${f.file}.1`);
    f.reopenAt = performance.now() + reopenAfterMs;
    this.rotations.push({ kind: 'rename', file: path.basename(f.file), at: performance.now() });
  }

  /** Copy-then-truncate rotation (pm2-logrotate, logrotate copytruncate). */
  rotateCopyTruncate(i, { keep = 2 } = {}) {
    const f = this.files[i % this.files.length];
    this.shift(f, keep);
    fs.copyFileSync(f.file, `${f.file}.1`);
    fs.ftruncateSync(f.fd, 0);
    this.rotations.push({ kind: 'copytruncate', file: path.basename(f.file), at: performance.now() });
  }
}

/**
 * Run the watcher against a fresh temp folder until it is ready: files created, watcher started,
 * first output or `settleMs`, then warm-up probes until one is reported (proves the change events
 * reach it). Returns { dir, db, w, writer, events }.
 */
export async function setup(o, { onChange } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-watch-bench-'));
  const logs = path.join(dir, 'logs');
  fs.mkdirSync(logs);
  const db = path.join(dir, 'state.db');
  const writer = new Writer({ dir: logs, files: o.files, rate: o.rate, probeMs: o.probeMs });
  // a few lines of history, read from the end by default (not counted)
  writer.batch(o.files * 5);
  // --extra-files: rotated parts lying around (what rotations leave behind), a few lines each
  for (let k = 0; k < (o.extraFiles ?? 0); k++) {
    const f = writer.files[k % writer.files.length];
    fs.writeFileSync(`${f.file}.${Math.floor(k / writer.files.length) + 1}`, writer.benignLine(new Date(), k).repeat(3));
  }
  const other = [];
  const warmPorts = new Set();
  const out = fs.createWriteStream(path.join(dir, 'watcher-stdout.jsonl'));
  const w = startWatcher({
    dir: logs,
    db,
    extraArgs: o.watchArgs ?? [],
    cpuProf: o.cpuProf,
    nodeArgs: o.nodeArgs,
    onChange: (msg, at) => {
      out.write(`${JSON.stringify({ event: msg.event, at: msg.at, id: msg.incident?.id, rule: msg.incident?.rule, port: portOf(msg.incident), recvMs: +at.toFixed(3) })}\n`);
      const port = msg.incident?.rule === 'port-in-use' ? portOf(msg.incident) : undefined;
      const p = port !== undefined ? (writer.probes.get(port) ?? writer.sparse.get(port)) : undefined;
      if (msg.event === 'opened' && p) {
        if (p.seenAt === undefined) {
          p.seenAt = at;
          p.latency = at - p.t;
          p.watcherLatency = Date.parse(msg.at) - p.wall;
        }
      } else if (!(msg.event === 'resolved' && p) && !(port !== undefined && warmPorts.has(port))) other.push(msg);
      onChange?.(msg, at);
    },
  });
  const started = performance.now();
  while (w.firstOutputAt === undefined && performance.now() - started < 1500) await sleep(50);
  // warm-up probes (not counted): one every 500 ms until the first is reported
  const warm = [];
  let ready = false;
  for (let i = 0; i < 60 && !ready; i++) {
    warm.push(writer.probe());
    writer.batch(o.files);
    for (let j = 0; j < 10 && !ready; j++) {
      await sleep(50);
      ready = warm.some((port) => writer.probes.get(port)?.seenAt !== undefined);
    }
    if (w.child.exitCode !== null) break;
  }
  if (!ready) {
    console.error(`bench: the watcher did not report a warm-up probe within 30 s\n${w.stderr}`);
    w.child.kill('SIGKILL');
    process.exit(2);
  }
  const readyMs = performance.now() - started;
  for (const port of warm) {
    warmPorts.add(port);
    writer.probes.delete(port);
  }
  return { dir, logs, db, w, writer, other, readyMs, closeOut: () => new Promise((r) => out.end(r)) };
}

export function exitLine(stop) {
  const how = `exit code ${stop.code}${stop.signal ? `, signal ${stop.signal}` : ''}`;
  if (stop.early) return `the watcher had already exited by itself (${how})`;
  return `${how}${stop.killed ? ' (did not exit, killed)' : ''} after ${fmt(stop.ms, 0)} ms`;
}

export function storeLine(store) {
  if (store.error) return `could not read the store (${store.error})`;
  const list = (xs) => xs.slice(0, 10).join(', ') + (xs.length > 10 ? ' …' : '');
  return `${store.stored} probe incidents saved, each counted once${store.duplicated.length ? `; counted more than once: ports ${list(store.duplicated)}` : ''}${store.missing.length ? `; not saved: ports ${list(store.missing)}` : ''}`;
}

/** Latency figures of the probes sent (ms). */
export function latencyStats(writer) {
  const probes = [...writer.probes.values()];
  const lat = probes.filter((p) => p.latency !== undefined).map((p) => p.latency);
  const wlat = probes.filter((p) => p.watcherLatency !== undefined).map((p) => p.watcherLatency);
  return {
    sent: probes.length,
    seen: lat.length,
    missing: probes.filter((p) => p.latency === undefined).map((p) => p.port),
    p50: quantile(lat, 0.5),
    p95: quantile(lat, 0.95),
    p99: quantile(lat, 0.99),
    max: lat.length ? Math.max(...lat) : NaN,
    min: lat.length ? Math.min(...lat) : NaN,
    mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : NaN,
    // the watcher's own `at` minus the write's wall time (ms resolution): excludes the pipe to us
    watcherP50: quantile(wlat, 0.5),
    watcherP99: quantile(wlat, 0.99),
  };
}

/**
 * After the watcher exited: the probes' incidents in the store. Each probe line must be counted
 * exactly once (count 1); a count above 1 means a line was read twice (e.g. across a rotation).
 */
export function checkStore(db, writer) {
  try {
    const Database = createRequire(path.join(ROOT, 'package.json'))('better-sqlite3');
    const conn = new Database(db, { readonly: true });
    const rows = conn.prepare("SELECT captures, count FROM incidents WHERE rule = 'port-in-use'").all();
    conn.close();
    const counts = new Map();
    for (const r of rows) {
      const port = Number(JSON.parse(r.captures).port);
      counts.set(port, (counts.get(port) ?? 0) + r.count);
    }
    const ports = [...writer.probes.keys(), ...writer.sparse.keys()];
    return {
      stored: ports.filter((p) => counts.has(p)).length,
      duplicated: ports.filter((p) => (counts.get(p) ?? 0) > 1),
      missing: ports.filter((p) => !counts.has(p)),
    };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const o = parseArgs(
    process.argv.slice(2),
    { seconds: 30, rate: 10_000, files: 20, probeMs: 200, idle: 10, sparse: 8, build: false, keep: false, json: undefined, watchArgs: [], cpuProf: undefined },
    USAGE,
    (a, num, o, val) => {
      if (a === '--seconds') o.seconds = num();
      else if (a === '--idle') o.idle = num();
      else if (a === '--sparse') {
        o.sparse = Number(val());
        if (!(o.sparse >= 0)) die('--sparse needs a number >= 0');
        o.sparse = Math.round(o.sparse);
      } else return false;
      return true;
    },
  );
  ensureBuilt(o.build);
  const load0 = loadAvg();
  console.log(`watch bench: ${o.files} files, ${o.rate} lines/s, a probe every ${o.probeMs} ms, ${o.seconds} s writing + ${o.idle} s idle; ${os.cpus().length} CPUs, load ${load0}`);

  const { dir, db, w, writer, other, readyMs, closeOut } = await setup(o);
  console.log(`watcher pid ${w.pid} ready after ${fmt(readyMs, 0)} ms (warm-up probe seen); temp folder ${dir}`);

  const samples = [];
  let phase = 'writing';
  const sampler = setInterval(() => {
    const s = procSample(w.pid);
    if (s) samples.push({ ...s, phase });
  }, 1000);
  const bench0 = process.cpuUsage();
  const w0 = procSample(w.pid);
  samples.push({ ...w0, phase });
  writer.start();
  await sleep(o.seconds * 1000);
  writer.stop();
  const w1 = procSample(w.pid);
  const benchCpu = process.cpuUsage(bench0);
  const writeSecs = (writer.t1 - writer.t0) / 1000;
  // let the last batches and probes be read and checkpointed before measuring idle
  phase = 'settle';
  await sleep(2000);
  phase = 'idle';
  const i0 = procSample(w.pid);
  await sleep(o.idle * 1000);
  const i1 = procSample(w.pid);
  clearInterval(sampler);
  samples.push({ ...i1, phase });
  // sparse phase: the writer is quiet, one probe at a time into a file nobody wrote for > 1 s,
  // either alone or 20 ms after another line in the same file (inside chokidar's 50 ms per-path
  // change-event throttle). Informational: the issue's bar is for the loaded case.
  const sparse = {};
  for (const [kind, gap] of o.sparse > 0 ? [['alone', undefined], ['after20ms', 20]] : []) {
    const ports = [];
    for (let i = 0; i < o.sparse; i++) {
      const fileIndex = (i * 7 + (gap ? 3 : 0)) % o.files;
      if (gap !== undefined) {
        writer.single(fileIndex);
        await sleep(gap);
      }
      ports.push(writer.probe({ fileIndex, sparse: true }));
      await sleep(1700 + Math.random() * 300);
    }
    const lat = ports.map((p) => writer.sparse.get(p).latency).filter((x) => x !== undefined);
    sparse[kind] = { sent: ports.length, seen: lat.length, p50: quantile(lat, 0.5), max: lat.length ? Math.max(...lat) : NaN, all: lat.map((x) => Math.round(x)) };
  }
  const load1 = loadAvg();
  const stop = await stopWatcher(w);
  await closeOut();
  writer.close();
  const store = checkStore(db, writer);

  const lat = latencyStats(writer);
  const rss = samples.map((s) => s.rssMB);
  const writeRss = samples.filter((s) => s.phase === 'writing').map((s) => s.rssMB);
  const r = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    node: process.version,
    load: { start: load0, end: load1 },
    config: { files: o.files, rate: o.rate, probeMs: o.probeMs, seconds: o.seconds, idle: o.idle, watchArgs: o.watchArgs },
    readyMs,
    writer: {
      lines: writer.linesWritten,
      linesPerSec: writer.linesWritten / writeSecs,
      mbPerSec: writer.bytesWritten / writeSecs / 1e6,
      benchCpuPct: ((benchCpu.user + benchCpu.system) / 1e6 / writeSecs) * 100,
    },
    latencyMs: lat,
    cpuPct: { writing: cpuPct(w0, w1), idle: cpuPct(i0, i1) },
    cpuSeconds: { writing: w1.cpu - w0.cpu, idle: i1.cpu - i0.cpu },
    rssMB: { start: w0.rssMB, endWriting: writeRss.at(-1), end: i1.rssMB, max: Math.max(...rss), series: samples.map((s) => +s.rssMB.toFixed(1)) },
    sparseLatencyMs: sparse,
    otherChanges: other.length,
    store,
    exit: stop,
  };
  const pass = {
    p99: lat.p99 < BAR_P99_MS && lat.seen === lat.sent,
    store: !store.error && store.duplicated.length === 0 && store.missing.length === 0,
    idleCpu: r.cpuPct.idle < BAR_IDLE_CPU,
    exit: stop.code === 0 && !stop.killed && !stop.early,
  };
  r.pass = pass;

  const ok = (b) => (b ? 'PASS' : 'FAIL');
  console.log('');
  console.log(`writer        ${writer.linesWritten} lines in ${fmt(writeSecs, 1)} s = ${fmt(r.writer.linesPerSec, 0)} lines/s, ${fmt(r.writer.mbPerSec, 2)} MB/s (bench process CPU ${fmt(r.writer.benchCpuPct)} %)`);
  console.log(`probes        ${lat.seen}/${lat.sent} seen${lat.missing.length ? `; missing ports ${lat.missing.slice(0, 10).join(', ')}${lat.missing.length > 10 ? ' …' : ''}` : ''}`);
  console.log(`latency ms    p50 ${fmt(lat.p50)}  p95 ${fmt(lat.p95)}  p99 ${fmt(lat.p99)}  max ${fmt(lat.max)}  (min ${fmt(lat.min)}, mean ${fmt(lat.mean)})   bar p99 < ${BAR_P99_MS}: ${ok(pass.p99)}`);
  console.log(`              watcher's own "at" - write: p50 ${fmt(lat.watcherP50, 0)}  p99 ${fmt(lat.watcherP99, 0)} (ms resolution)`);
  for (const [kind, x] of Object.entries(sparse)) {
    const label = kind === 'alone' ? 'a probe alone in a quiet file' : 'a probe 20 ms after another line of its file';
    console.log(`quiet files   ${label}: ${x.seen}/${x.sent} seen, p50 ${fmt(x.p50, 0)}  max ${fmt(x.max, 0)} ms  [${x.all.join(' ')}] (informational)`);
  }
  console.log(`CPU % 1 core  writing ${fmt(r.cpuPct.writing)}  idle ${fmt(r.cpuPct.idle, 2)}   bar idle < ${BAR_IDLE_CPU}: ${ok(pass.idleCpu)}`);
  console.log(`RSS MB        start ${fmt(r.rssMB.start)}  end of writing ${fmt(r.rssMB.endWriting)}  end ${fmt(r.rssMB.end)}  max ${fmt(r.rssMB.max)}`);
  console.log(`              series (1 s): ${r.rssMB.series.join(' ')}`);
  if (other.length) console.log(`other changes ${other.length} (not probes): ${[...new Set(other.map((m) => `${m.event} ${m.incident?.rule}`))].join(', ')}`);
  console.log(`SIGINT        ${exitLine(stop)}: ${ok(pass.exit)}`);
  if (w.stderr.trim()) console.log(`watcher stderr:\n${w.stderr.trim().slice(0, 2000)}`);
  console.log(`load average  start ${load0}, end ${load1}${Number(load0.split(' ')[0]) > 0.5 ? ' (busy before we started: figures are noisier)' : ''}`);
  console.log(`store         ${storeLine(store)}: ${ok(pass.store)}`);
  const all = pass.p99 && pass.idleCpu && pass.exit && pass.store;
  console.log(`\n${all ? 'PASS' : 'FAIL'}`);

  if (o.json) fs.writeFileSync(o.json, `${JSON.stringify(r, null, 2)}\n`);
  if (o.keep) console.log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
  process.exit(all ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(2);
  });
}
