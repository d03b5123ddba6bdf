#!/usr/bin/env node
// Exactly-once from outside (issue 7): a writer appends numbered EADDRINUSE lines to
// logs/app-out.log and rotates it every --per lines (rename, copy+truncate, copy+delete+new, or
// mixed); the watcher runs as a user runs it (`watch logs/app-out.log --db state.db`, no
// --from-start) and is SIGKILLed and restarted at once every --kill-ms; when the writer is done
// a last watcher catches up, and the sum of `count` in `incidents list --format json` must equal
// the lines written. The watchers' stdout (JSON lines) must show each incident opened once, and
// each of them must be in the store. `npm test` runs it small (test/pipeline/exactly-once.test.ts),
// `npm run soak` large:
//   node bench/exactly-once.js [--style rename|copytruncate|copydelete|mixed|all] [--lines N]
//     [--per N] [--rate N] [--kill-ms N] [--runs N] [--keep] [--trace] [--json PATH] [--large]
// --trace records every counted line in the store (event_trace), to see which were lost or doubled.
// --large: the issue's figures: 20,000 lines at 5,000/s, a rotation every 1,500 lines, kill -9
// every 700 ms with each style alone and every 1,500 ms mixed, 4 runs each.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/incident-analyser.js');
const WRITER = path.join(ROOT, 'test/support/rotating-writer.mjs');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** `incidents list --format json` of the store: the sum of counts and the ids, or undefined while unreadable. */
export function storeCount(dir) {
  const r = spawnSync(process.execPath, [CLI, 'incidents', 'list', '--db', path.join(dir, 'state.db'), '--format', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const doc = JSON.parse(r.stdout);
  return { count: doc.incidents.reduce((n, i) => n + i.count, 0), ids: new Set(doc.incidents.map((i) => i.id)) };
}

/**
 * One run. Returns { style, lines, counted, kills, opened: {id: times}, missingFromStore: [...],
 * ok }. Only what a user could see is used: the CLI's stdout and `incidents list`.
 */
export async function runExactlyOnce({ style, lines, per, rate, killMs, seed = 1, keep = false, trace = false, log = () => {} }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-exactly-once-'));
  fs.mkdirSync(path.join(dir, 'logs'));
  const stdout = [];
  const children = new Set();
  let passed = false;
  let started = 0;
  const startWatcher = () => {
    const index = ++started;
    const child = spawn(process.execPath, [CLI, 'watch', 'logs/app-out.log', '--db', 'state.db', '--format', 'json', ...(trace ? ['--trace'] : [])], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let buf = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        stdout.push(buf.slice(0, nl));
        fs.appendFileSync(path.join(dir, 'watchers.stdout'), `${index} ${buf.slice(0, nl)}\n`);
        buf = buf.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      fs.appendFileSync(path.join(dir, 'watchers.stderr'), d);
    });
    child.stderrText = () => err;
    return child;
  };
  const ready = async () => {
    // ready = the starting positions are saved (the store answers)
    for (let i = 0; i < 600; i++) {
      if (storeCount(dir)) return;
      await sleep(100);
    }
    throw new Error('the first watcher never became ready');
  };
  try {
    let watcher = startWatcher();
    await ready();
    const writer = spawn(process.execPath, [WRITER, path.join(dir, 'logs', 'app-out.log'), String(lines), String(per), style, String(rate), String(seed)], { stdio: 'inherit' });
    children.add(writer);
    let kills = 0;
    while (writer.exitCode === null) {
      await Promise.race([sleep(killMs), exited(writer)]);
      if (writer.exitCode !== null) break;
      watcher.kill('SIGKILL');
      await exited(watcher);
      kills++;
      watcher = startWatcher();
    }
    if (writer.exitCode !== 0) throw new Error(`the writer failed (${writer.exitCode})`);
    // the last watcher catches up: until the count reaches the lines written or stops moving
    let last = -1;
    let still = 0;
    for (let i = 0; i < 1200 && still < 40; i++) {
      await sleep(250);
      const now = storeCount(dir)?.count ?? -1;
      if (now >= lines) break;
      still = now === last ? still + 1 : 0;
      last = now;
    }
    watcher.kill('SIGINT');
    const code = await exited(watcher);
    const final = storeCount(dir);
    const opened = {};
    const seen = new Set();
    const repeated = [];
    for (const line of stdout) {
      const ev = JSON.parse(line);
      const key = `${ev.event} ${ev.incident.id} ${ev.event === 'opened' ? '' : ev.incident.count}`;
      if (seen.has(key)) repeated.push(key);
      seen.add(key);
      if (ev.event === 'opened') opened[ev.incident.id] = (opened[ev.incident.id] ?? 0) + 1;
    }
    const missingFromStore = Object.keys(opened).filter((id) => !final?.ids.has(id));
    const result = {
      style,
      lines,
      counted: final?.count,
      kills,
      exitCode: code,
      incidents: final?.ids.size,
      opened,
      repeated,
      missingFromStore,
    };
    result.ok =
      result.counted === lines &&
      code === 0 &&
      repeated.length === 0 &&
      missingFromStore.length === 0 &&
      Object.values(opened).every((n) => n === 1) &&
      Object.keys(opened).length === result.incidents;
    log(`${style}: ${result.counted} of ${lines} counted (${result.counted - lines >= 0 ? '+' : ''}${result.counted - lines}), ${kills} kills, ${result.incidents} incidents, opened lines ${JSON.stringify(Object.values(opened))}, repeated ${repeated.length}${repeated.length ? ` (${repeated.slice(0, 3).join("; ")})` : ""}, missing from store ${missingFromStore.length}, exit ${code}: ${result.ok ? 'PASS' : 'FAIL'}`);
    passed = result.ok;
    if (keep || !result.ok) log(`  kept ${dir}`);
    return result;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    // a failed run's folder is kept for a look
    if (!keep && passed) fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parseArgs(argv) {
  const o = { style: 'all', lines: 20_000, per: 1500, rate: 5000, killMs: 700, mixedKillMs: 1500, runs: 1, keep: false, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--style') o.style = v();
    else if (a === '--lines') o.lines = Number(v());
    else if (a === '--per') o.per = Number(v());
    else if (a === '--rate') o.rate = Number(v());
    else if (a === '--kill-ms') o.killMs = o.mixedKillMs = Number(v());
    else if (a === '--runs') o.runs = Number(v());
    else if (a === '--keep') o.keep = true;
    else if (a === '--trace') o.trace = true;
    else if (a === '--json') o.json = v();
    else if (a === '--large') o.runs = 4;
    else {
      console.error(`unknown option ${a}`);
      process.exit(2);
    }
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(ROOT, 'dist'))) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const styles = o.style === 'all' ? ['rename', 'copytruncate', 'copydelete', 'mixed'] : [o.style];
  console.log(`exactly-once: ${o.lines} lines at ${o.rate}/s, a rotation every ${o.per}; kill -9 every ${o.killMs} ms (mixed: ${o.mixedKillMs} ms); ${o.runs} run(s) per style; ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const results = [];
  for (const style of styles) {
    for (let run = 1; run <= o.runs; run++) {
      results.push(await runExactlyOnce({ style, lines: o.lines, per: o.per, rate: o.rate, killMs: style === 'mixed' ? o.mixedKillMs : o.killMs, seed: run, keep: o.keep, trace: o.trace === true, log: console.log }));
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} of ${results.length} runs exact`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(results, null, 2));
  process.exitCode = failed > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
