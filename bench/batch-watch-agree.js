#!/usr/bin/env node
// analyze and watch agree (issue 7): over the same files, `analyze --db` then `watch --from-start`
// into the same store, and the other way round, leave the same incidents with the same counts as
// either alone. Usage: node bench/batch-watch-agree.js [FOLDER...] (default: the fixture folders
// whose logs carry timestamps). Exit 1 when a folder disagrees. Used by test/pipeline/batch-watch-agree.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin/incident-analyser.js');
/** Fixture folders whose files all carry timestamps: watch reads an untimed file at the clock's time. */
export const TIMED_FIXTURES = ['real-pm2-crash-loop', 'pool-exhausted', 'seed-002-pm2-deployment', 'seed-004-db-pool-timeout'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function list(db) {
  const r = spawnSync(process.execPath, [CLI, 'incidents', 'list', '--db', db, '--format', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout).incidents.map((i) => `${i.id} ${i.rule} ${i.count} ${i.firstSeen} ${i.lastSeen}`).sort();
}

function analyze(dir, db) {
  const r = spawnSync(process.execPath, [CLI, 'analyze', dir, '--db', db, '--format', 'json', '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`analyze ${dir}: ${r.stderr}`);
}

/** `watch --from-start` until the store stops changing, then SIGINT. */
async function watch(dir, db) {
  const child = spawn(process.execPath, [CLI, 'watch', dir, '--db', db, '--from-start', '--quiet', '--format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  let last;
  let still = 0;
  for (let i = 0; i < 300 && still < 8; i++) {
    await sleep(250);
    const now = JSON.stringify(list(db));
    still = now === last && now !== undefined ? still + 1 : 0;
    last = now;
  }
  child.kill('SIGINT');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`watch ${dir} exited ${code}: ${err}`);
}

export async function compareFolder(folder) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-agree-'));
  try {
    // copies: watch writes nothing into the folder, but the fixtures stay untouched whatever happens
    const dir = path.join(tmp, 'logs');
    fs.cpSync(folder, dir, { recursive: true, preserveTimestamps: true });
    const a = path.join(tmp, 'analyze.db');
    const aw = path.join(tmp, 'analyze-then-watch.db');
    const w = path.join(tmp, 'watch.db');
    const wa = path.join(tmp, 'watch-then-analyze.db');
    analyze(dir, a);
    analyze(dir, aw);
    await watch(dir, aw);
    await watch(dir, w);
    await watch(dir, wa);
    analyze(dir, wa);
    const result = { folder: path.basename(folder), analyze: list(a), analyzeThenWatch: list(aw), watch: list(w), watchThenAnalyze: list(wa) };
    const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);
    result.ok = same(result.analyze, result.analyzeThenWatch) && same(result.analyze, result.watch) && same(result.analyze, result.watchThenAnalyze);
    return result;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const folders = process.argv.slice(2);
  const targets = folders.length > 0 ? folders : TIMED_FIXTURES.map((f) => path.join(ROOT, 'fixtures', f));
  let failed = 0;
  for (const folder of targets) {
    const r = await compareFolder(folder);
    const n = r.analyze?.length ?? 0;
    const count = (r.analyze ?? []).reduce((s, l) => s + Number(l.split(' ')[2]), 0);
    console.log(`${r.folder}: ${n} incidents, ${count} matched events: ${r.ok ? 'same in all four stores' : 'DIFFERENT'}`);
    if (!r.ok) {
      failed++;
      for (const k of ['analyze', 'analyzeThenWatch', 'watch', 'watchThenAnalyze']) console.log(`  ${k}:\n    ${(r[k] ?? ['(unreadable)']).join('\n    ')}`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
