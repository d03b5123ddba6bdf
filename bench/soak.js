#!/usr/bin/env node
// Watch-mode soak: `npm run soak`. The writer of bench/watch.js (20 files, 10,000 lines/s, a probe
// opening a new port-in-use incident every 200 ms) for `--minutes M` (default 10), with
// rotations mixed in: every 30 s one file is renamed (f → f.1, logrotate-style shift of older
// parts; the writer reopens the path 500 ms later, as an app does after `pm2 reloadLogs`), every
// 45 s another is copied then truncated (pm2-logrotate / copytruncate). Samples the watcher's RSS
// and CPU every 10 s, prints the series and the RSS slope (MB per minute, least squares), and
// passes when the RSS growth over the last half (fitted line) is under 10 MB, every probe was
// reported, and the watcher exits 0 on SIGINT.
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkStore, cpuPct, die, ensureBuilt, exitLine, fmt, latencyStats, loadAvg, parseArgs, procSample, quantile, setup, sleep, stopWatcher, storeLine } from './watch.js';

const BAR_LAST_HALF_MB = 10;

const USAGE = `usage: node bench/soak.js [options]
  --minutes M      how long the writer runs (default 10)
  --rate N         benign lines per second, all files together (default 10000)
  --files N        number of log files (default 20)
  --probe-ms N     one probe (new incident) every N ms (default 200)
  --sample S       seconds between RSS/CPU samples (default 10)
  --rename-every S rename rotation every S seconds (default 30)
  --copy-every S   copy-then-truncate rotation every S seconds (default 45)
  --build          run \`npm run build\` first (always done when dist/ is missing or older than src/)
  --keep           keep the temp folder
  --json PATH      also write the results as JSON
  --watch-args "…" extra arguments for the watcher
  --node-args "…"  extra node options for the watcher`;

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

async function main() {
  const o = parseArgs(
    process.argv.slice(2),
    { minutes: 10, rate: 10_000, files: 20, probeMs: 200, sample: 10, renameEvery: 30, copyEvery: 45, build: false, keep: false, json: undefined, watchArgs: [] },
    USAGE,
    (a, num, o) => {
      if (a === '--minutes') o.minutes = num();
      else if (a === '--sample') o.sample = num();
      else if (a === '--rename-every') o.renameEvery = num();
      else if (a === '--copy-every') o.copyEvery = num();
      else return false;
      return true;
    },
  );
  if (o.files < 2) die('--files must be at least 2 (rename and copy-truncate rotate different files)');
  ensureBuilt(o.build);
  const load0 = loadAvg();
  console.log(
    `soak: ${o.files} files, ${o.rate} lines/s, a probe every ${o.probeMs} ms, ${o.minutes} min; rename rotation every ${o.renameEvery} s, copy-truncate every ${o.copyEvery} s; ${os.cpus().length} CPUs, load ${load0}`,
  );
  const { dir, db, w, writer, other, readyMs, closeOut } = await setup(o);
  console.log(`watcher pid ${w.pid} ready after ${fmt(readyMs, 0)} ms; temp folder ${dir}`);

  const series = [];
  let prev = procSample(w.pid);
  const first = prev;
  let lastProbeCount = 0;
  const takeSample = () => {
    const s = procSample(w.pid);
    if (!s) return;
    const probes = [...writer.probes.values()];
    const recent = probes.slice(lastProbeCount).filter((p) => p.latency !== undefined).map((p) => p.latency);
    lastProbeCount = probes.length;
    const row = {
      t: (s.t - first.t) / 1000,
      rssMB: s.rssMB,
      cpuPct: cpuPct(prev, s),
      sent: probes.length,
      seen: probes.filter((p) => p.seenAt !== undefined).length,
      p99: quantile(recent, 0.99),
    };
    series.push(row);
    prev = s;
    console.log(`  t ${fmt(row.t, 0).padStart(5)} s  RSS ${fmt(row.rssMB).padStart(6)} MB  CPU ${fmt(row.cpuPct).padStart(5)} %  probes ${row.seen}/${row.sent}  p99 ${fmt(row.p99, 0)} ms`);
  };
  series.push({ t: 0, rssMB: first.rssMB, cpuPct: NaN, sent: 0, seen: 0, p99: NaN });

  writer.start();
  const t0 = performance.now();
  let renames = 0;
  let copies = 0;
  const timers = [
    setInterval(takeSample, o.sample * 1000),
    // rename rotation on files 0, 1, 2, …; copy-truncate on the other half of the files
    setInterval(() => writer.rotateRename(renames++), o.renameEvery * 1000),
    setInterval(() => writer.rotateCopyTruncate(Math.floor(o.files / 2) + copies++), o.copyEvery * 1000),
  ];
  // the whole run, or until the watcher exits by itself (then FAIL)
  await Promise.race([sleep(o.minutes * 60_000), w.exited]);
  if (w.exitedAt !== undefined) console.log(`  the watcher exited by itself after ${fmt((w.exitedAt - t0) / 1000, 0)} s of writing`);
  for (const t of timers) clearInterval(t);
  writer.stop();
  const wallS = (performance.now() - t0) / 1000;
  // detached (renamed) files are closed 2 s after their last data: give the last ones time
  await sleep(4000);
  takeSample();
  const load1 = loadAvg();
  const stop = await stopWatcher(w);
  await closeOut();
  writer.close();
  const store = checkStore(db, writer);

  const lat = latencyStats(writer);
  const xs = series.map((r) => r.t / 60);
  const ys = series.map((r) => r.rssMB);
  const slopeAll = slope(xs, ys);
  const half = series.filter((r) => r.t >= series.at(-1).t / 2);
  const slopeHalf = slope(
    half.map((r) => r.t / 60),
    half.map((r) => r.rssMB),
  );
  const halfMinutes = (half.at(-1).t - half[0].t) / 60;
  const growthHalf = slopeHalf * halfMinutes;
  const rawHalf = half.at(-1).rssMB - half[0].rssMB;
  const pass = {
    rss: growthHalf < BAR_LAST_HALF_MB,
    probes: lat.seen === lat.sent,
    exit: stop.code === 0 && !stop.killed && !stop.early,
    store: !store.error && store.duplicated.length === 0 && store.missing.length === 0,
  };
  const ok = (b) => (b ? 'PASS' : 'FAIL');
  console.log('');
  console.log(`writer        ${writer.linesWritten} lines in ${fmt(wallS, 0)} s = ${fmt(writer.linesWritten / wallS, 0)} lines/s; rotations: ${renames} rename, ${copies} copy-truncate`);
  console.log(`probes        ${lat.seen}/${lat.sent} seen${lat.missing.length ? `; missing ports ${lat.missing.slice(0, 20).join(', ')}` : ''}: ${ok(pass.probes)}`);
  console.log(`latency ms    p50 ${fmt(lat.p50)}  p95 ${fmt(lat.p95)}  p99 ${fmt(lat.p99)}  max ${fmt(lat.max)}`);
  console.log(`CPU % 1 core  whole run ${fmt(cpuPct(first, prev))}`);
  console.log(`RSS MB        start ${fmt(ys[0])}  end ${fmt(ys.at(-1))}  max ${fmt(Math.max(...ys))}`);
  console.log(`RSS slope     ${fmt(slopeAll, 2)} MB/min overall, ${fmt(slopeHalf, 2)} MB/min over the last half`);
  console.log(`last half     fitted growth ${fmt(growthHalf)} MB (raw ${fmt(rawHalf)} MB) over ${fmt(halfMinutes, 1)} min   bar < ${BAR_LAST_HALF_MB} MB: ${ok(pass.rss)}`);
  if (other.length) console.log(`other changes ${other.length} (not probe openings): ${[...new Set(other.map((m) => `${m.event} ${m.incident?.rule}`))].join(', ')}`);
  console.log(`SIGINT        ${exitLine(stop)}: ${ok(pass.exit)}`);
  const warnings = w.stderr.trim();
  if (warnings) console.log(`watcher stderr (${warnings.split('\n').length} lines):\n${warnings.split('\n').slice(0, 20).join('\n')}`);
  console.log(`load average  start ${load0}, end ${load1}`);
  console.log(`store         ${storeLine(store)}: ${ok(pass.store)}`);
  const all = pass.rss && pass.probes && pass.exit && pass.store;
  console.log(`\n${all ? 'PASS' : 'FAIL'}`);
  if (o.json) {
    const r = { date: new Date().toISOString(), cpus: os.cpus().length, node: process.version, load: { start: load0, end: load1 }, config: o, latencyMs: lat, series, slopeMBPerMin: { all: slopeAll, lastHalf: slopeHalf }, lastHalfGrowthMB: { fitted: growthHalf, raw: rawHalf }, rotations: writer.rotations.length, store, otherChanges: other.length, exit: stop, pass };
    fs.writeFileSync(o.json, `${JSON.stringify(r, null, 2)}\n`);
  }
  if (o.keep) console.log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
  process.exit(all ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
