#!/usr/bin/env node
// Batch benchmark: `npm run bench` (own generator) and `npm run bench:shared` (the outside
// checkers' ../shared/bench/gen-log.js). Times `incident-analyser analyze FILE --format json
// --quiet` under /usr/bin/time -v, and `grep -c -E -f` of the built-in rules' patterns on the same
// file, and checks the bars: >= 100 MB/s and peak RSS < 300 MB. See bench/README.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { jsToEre } from './js-to-ere.js';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const OUT = path.join(BENCH, 'out');
const SHARED_GEN = path.resolve(ROOT, '../shared/bench/gen-log.js');
const OWN_GEN = path.join(BENCH, 'gen-mixed-log.js');
const CLI = path.join(ROOT, 'bin/incident-analyser.js');
const TIME = '/usr/bin/time';

const BAR_MBPS = 100; // checked in MiB/s (2^20 bytes), the stricter reading of "MB/s"
const BAR_RSS_MB = 300; // checked in MB (10^6 bytes), the stricter reading of "MB"
const LINEAR_MAX_RATIO = 2.3; // doubling the input may at most multiply the time by this

const USAGE = `usage: node bench/batch.js [options]
  --size MiB      size of the generated log (default 256)
  --seed N        generator seed (default: 7 own generator, 42 shared)
  --shared        generate with ../shared/bench/gen-log.js instead of bench/gen-mixed-log.js
  --file PATH     benchmark an existing file instead of generating one
  --linear        also run at 1/4 and 1/2 of the size and print the time ratios
  --runs N        runs per measurement, the median is reported (default 3)
  --build         run \`npm run build\` first (it always runs when dist/ is missing)
  --no-grep       skip the grep comparison
  --grep-timeout S  give up on one grep run after S seconds (default 120)
  --json PATH     also write the results as JSON`;

function parseArgs(argv) {
  const o = { size: 256, seed: undefined, shared: false, file: undefined, linear: false, runs: 3, build: false, grep: true, grepTimeout: 120, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) die(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--size') o.size = Number(val());
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--shared') o.shared = true;
    else if (a === '--file') o.file = path.resolve(val());
    else if (a === '--linear') o.linear = true;
    else if (a === '--runs') o.runs = Math.max(1, Number(val()) | 0);
    else if (a === '--build') o.build = true;
    else if (a === '--no-grep') o.grep = false;
    else if (a === '--grep-timeout') o.grepTimeout = Number(val());
    else if (a === '--json') o.json = path.resolve(val());
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else die(`unknown option ${a}\n${USAGE}`);
  }
  if (!(o.size > 0)) die('--size must be a positive number of MiB');
  if (o.shared && o.file) die('--shared and --file exclude each other');
  if (o.seed === undefined) o.seed = o.shared ? 42 : 7;
  return o;
}

function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n, d = 2) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(d));
const MiB = 1024 * 1024;

// ---- build ---------------------------------------------------------------------------------------
function newestMtime(dir, ext) {
  let newest = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith(ext)) continue;
    const st = fs.statSync(path.join(e.parentPath ?? e.path, e.name));
    if (st.mtimeMs > newest) newest = st.mtimeMs;
  }
  return newest;
}

function ensureBuilt(force) {
  const main = path.join(ROOT, 'dist/cli/main.js');
  if (force || !fs.existsSync(main)) {
    console.log(`bench: ${force ? '--build' : 'dist/ is missing'}: npm run build`);
    const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) die('npm run build failed');
    return;
  }
  const src = newestMtime(path.join(ROOT, 'src'), '.ts');
  const dist = newestMtime(path.join(ROOT, 'dist'), '.js');
  if (src > dist) console.log('bench: warning: src/ has files newer than dist/; pass --build to measure the current source');
}

// ---- input files ---------------------------------------------------------------------------------
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * MiB, ...opts });
  if (r.error) throw r.error;
  return r;
}

/** Generate (or reuse) a log of `mib` MiB with the chosen generator. */
function generated(kind, mib, seed) {
  fs.mkdirSync(OUT, { recursive: true });
  const gen = kind === 'shared' ? SHARED_GEN : OWN_GEN;
  if (!fs.existsSync(gen)) die(`generator not found: ${gen}`);
  const name = `${kind}-${mib}MiB-seed${seed}.log`;
  const file = path.join(OUT, name);
  const metaFile = `${file}.json`;
  const genMtime = fs.statSync(gen).mtimeMs;
  try {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    if (meta.mib === mib && meta.seed === seed && meta.generatorMtimeMs === genMtime && fs.statSync(file).size === meta.bytes) {
      return file;
    }
  } catch {
    // generate
  }
  const tmp = `${file}.tmp`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [gen, tmp, String(mib), String(seed)], { stdio: 'inherit' });
  if (r.status !== 0) die(`${path.relative(ROOT, gen)} failed`);
  fs.renameSync(tmp, file);
  const bytes = fs.statSync(file).size;
  fs.writeFileSync(metaFile, JSON.stringify({ generator: path.relative(ROOT, gen), mib, seed, bytes, generatorMtimeMs: genMtime }) + '\n');
  console.log(`bench: generated ${path.relative(ROOT, file)} (${fmt(bytes / MiB, 1)} MiB) in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  return file;
}

/** The first `bytes` of `src` cut at a line end, for --file --linear. */
function prefixCopy(src, bytes) {
  fs.mkdirSync(OUT, { recursive: true });
  const st = fs.statSync(src);
  const file = path.join(OUT, `${path.basename(src)}-first${fmt(bytes / MiB, 0)}MiB-${st.size}-${Math.round(st.mtimeMs)}.log`);
  if (fs.existsSync(file)) return file;
  const fd = fs.openSync(src, 'r');
  const buf = Buffer.allocUnsafe(bytes + 65536);
  const n = fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const cut = buf.subarray(0, Math.min(n, bytes + 65536)).lastIndexOf(10, bytes - 1);
  fs.writeFileSync(file, buf.subarray(0, cut + 1));
  return file;
}

function warmCache(file) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 * MiB);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.closeSync(fd);
}

// ---- /usr/bin/time -v ----------------------------------------------------------------------------
function parseTimeV(stderr) {
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const el = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return {
    rssKb: rss ? Number(rss[1]) : undefined,
    elapsedS: el ? Number(el[1] ?? 0) * 3600 + Number(el[2]) * 60 + Number(el[3]) : undefined,
    cpuS: user && sys ? Number(user[1]) + Number(sys[1]) : undefined,
  };
}

/** Machine-wide busy CPU seconds so far (all cores), from /proc/stat; undefined off Linux. */
function busyCpuS() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + steal) / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

/** How busy the machine is without us: busy cores over `ms` milliseconds. */
function otherLoad(ms) {
  const b0 = busyCpuS();
  const t0 = performance.now();
  while (performance.now() - t0 < ms) spawnSync('sleep', ['0.1']);
  const b1 = busyCpuS();
  return b0 === undefined || b1 === undefined ? undefined : (b1 - b0) / ((performance.now() - t0) / 1000);
}

/** Run argv under /usr/bin/time -v; stdout goes to `stdoutFile` (or is discarded). */
function timed(argv, { stdoutFile, env } = {}) {
  const fd = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'ignore';
  const busy0 = busyCpuS();
  const t0 = performance.now();
  const r = spawnSync(TIME, ['-v', ...argv], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env: env ?? process.env, maxBuffer: 64 * MiB });
  const wallS = (performance.now() - t0) / 1000;
  const busy1 = busyCpuS();
  if (typeof fd === 'number') fs.closeSync(fd);
  if (r.error) throw r.error;
  const tv = parseTimeV(r.stderr);
  // CPU the rest of the machine used meanwhile, in cores (what contention the run saw)
  const others = busy0 !== undefined && busy1 !== undefined && tv.cpuS !== undefined ? Math.max(0, busy1 - busy0 - tv.cpuS) / wallS : undefined;
  // /usr/bin/time reports the child's status in "Exit status: N"
  const exit = /Exit status: (\d+)/.exec(r.stderr);
  return { wallS, ...tv, others, status: exit ? Number(exit[1]) : r.status, stderr: r.stderr };
}

// ---- grep patterns from the built-in rules ---------------------------------------------------------
function loadYaml() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  return require('yaml');
}

function buildGrepPatterns() {
  const YAML = loadYaml();
  const dir = path.join(ROOT, 'rules');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort() : [];
  const patterns = [];
  const skipped = [];
  const notes = new Map();
  const mismatches = [];
  let total = 0;
  let rules = 0;
  for (const name of files) {
    let doc;
    try {
      doc = YAML.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    } catch (err) {
      skipped.push(`${name}: invalid YAML (${err.message.split('\n')[0]})`);
      continue;
    }
    if (!doc || !Array.isArray(doc.match)) continue;
    rules++;
    const examples = (doc.examples?.match ?? []).filter((e) => typeof e === 'string' && !e.includes('\n'));
    doc.match.forEach((m, i) => {
      if (!m || typeof m.regex !== 'string' || (m.source ?? 'log') !== 'log') return;
      total++;
      const where = `${name} match[${i}]`;
      const r = jsToEre(m.regex, m.flags ?? '');
      if (r.skipped) {
        skipped.push(`${where}: ${r.skipped}`);
        return;
      }
      for (const n of r.notes) notes.set(n, (notes.get(n) ?? 0) + 1);
      // grep must accept it, and agree with the JS regex on the rule's one-line examples
      const js = new RegExp(m.regex, m.flags ?? '');
      const want = examples.filter((e) => js.test(e));
      const g = run('grep', ['-c', '-E', '-e', r.ere], { input: want.join('\n') + (want.length ? '\n' : '') });
      if (g.status === 2) {
        skipped.push(`${where}: grep rejects the converted ERE (${g.stderr.trim()})`);
        return;
      }
      if (want.length && Number(g.stdout.trim()) !== want.length) mismatches.push(`${where}: ERE matches ${g.stdout.trim()}/${want.length} of the one-line examples`);
      patterns.push(r.ere);
    });
  }
  const unique = [...new Set(patterns)];
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, 'patterns.txt');
  fs.writeFileSync(file, unique.map((p) => p + '\n').join(''));
  return { file, count: unique.length, total, rules, ruleFiles: files.length, skipped, notes, mismatches };
}

// ---- measurements ----------------------------------------------------------------------------------
function measureCli(file, runs) {
  const results = [];
  const jsonFile = path.join(OUT, 'last-analyze.json');
  for (let i = 0; i < runs; i++) {
    const r = timed([process.execPath, CLI, 'analyze', file, '--format', 'json', '--quiet'], { stdoutFile: jsonFile });
    if (r.status !== 0) {
      const tail = r.stderr.split('\n').filter((l) => !/^\t/.test(l)).slice(-15).join('\n');
      throw new Error(`analyze exited with status ${r.status}:\n${tail}`);
    }
    try {
      r.doc = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
    } catch (err) {
      throw new Error(`analyze --format json did not print valid JSON: ${err.message}`);
    }
    results.push(r);
  }
  // the median run by wall time (its own stats and cpu), and the worst RSS of all runs
  const mid = [...results].sort((a, b) => a.wallS - b.wallS)[(results.length - 1) >> 1];
  const doc = mid.doc;
  const byRule = {};
  for (const inc of doc.incidents ?? []) byRule[inc.rule] = (byRule[inc.rule] ?? 0) + 1;
  const mb = (r) => ((r.rssKb ?? NaN) * 1024) / 1e6;
  return {
    wallS: mid.wallS,
    walls: results.map((r) => r.wallS),
    cpus: results.map((r) => r.cpuS ?? NaN),
    others: results.map((r) => r.others ?? NaN),
    rssList: results.map(mb),
    timeVElapsedS: mid.elapsedS,
    cpuS: mid.cpuS,
    rssMb: Math.max(...results.map(mb)),
    incidents: (doc.incidents ?? []).length,
    byRule,
    stats: doc.stats ?? {},
  };
}

function measureGrep(patternsFile, file, runs, localeC, timeoutS) {
  const env = { ...process.env };
  if (localeC) env.LC_ALL = 'C';
  const results = [];
  let count;
  for (let i = 0; i < runs; i++) {
    // some regexes blow up grep's DFA (bounded repeats in a UTF-8 locale): never hang the bench
    const r = timed(['timeout', String(timeoutS), 'grep', '-c', '-E', '-f', patternsFile, file], { stdoutFile: path.join(OUT, 'grep-count.txt'), env });
    if (r.status === 124) return { wallS: NaN, timedOut: timeoutS, count: undefined };
    if (r.status !== 0 && r.status !== 1) throw new Error(`grep failed (${r.status}): ${r.stderr.split('\n')[0]}`);
    count = Number(fs.readFileSync(path.join(OUT, 'grep-count.txt'), 'utf8').trim());
    results.push(r);
  }
  return { wallS: median(results.map((r) => r.wallS)), rssMb: Math.max(...results.map((r) => ((r.rssKb ?? 0) * 1024) / 1e6)), count };
}

const grepCell = (g) => (!g ? '-' : g.timedOut ? `>${g.timedOut}` : fmt(g.wallS));
const ratioCell = (w, g) => (!g ? '-' : g.timedOut ? `<${fmt(w / g.timedOut, 2)}x` : `${fmt(w / g.wallS, 1)}x`);

// ---- main ------------------------------------------------------------------------------------------
function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(TIME)) die(`${TIME} not found (Debian package "time")`);
  ensureBuilt(o.build);

  const kind = o.file ? 'file' : o.shared ? 'shared' : 'own';
  const fractions = o.linear ? [0.25, 0.5, 1] : [1];
  let inputs;
  if (o.file) {
    if (!fs.existsSync(o.file)) die(`no such file: ${o.file}`);
    const size = fs.statSync(o.file).size;
    inputs = fractions.map((f) => (f === 1 ? o.file : prefixCopy(o.file, Math.round(size * f))));
  } else {
    inputs = fractions.map((f) => generated(kind === 'shared' ? 'shared' : 'mixed', +(o.size * f).toFixed(3), o.seed));
  }

  const grepInfo = o.grep ? buildGrepPatterns() : undefined;

  const cpu = os.cpus();
  const idleLoad = otherLoad(2000);
  console.log('');
  console.log(`incident-analyser batch benchmark  ${new Date().toISOString()}`);
  console.log(`machine: ${cpu.length} cores (${cpu[0]?.model ?? '?'}), ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM; node ${process.version}; ${run('grep', ['--version']).stdout.split('\n')[0]}`);
  if (idleLoad !== undefined) {
    console.log(
      `other processes used ${fmt(idleLoad, 2)} of ${cpu.length} cores just before the runs` +
        (idleLoad > 0.25 ? ': the machine is busy, wall times will be high (compare the cpu column and the per-run "others" figure)' : ''),
    );
  }
  console.log(`input: ${kind === 'own' ? 'bench/gen-mixed-log.js' : kind === 'shared' ? '../shared/bench/gen-log.js' : o.file}${kind !== 'file' ? ` seed ${o.seed}` : ''}; runs: ${o.runs} (median wall, max RSS)`);
  if (grepInfo) {
    console.log(
      `grep patterns: ${grepInfo.count} from ${grepInfo.total} log pattern(s) in ${grepInfo.rules} rule(s) (${grepInfo.ruleFiles} file(s) in rules/); skipped ${grepInfo.skipped.length}` +
        [...grepInfo.notes].map(([n, c]) => `; ${c} ${n}`).join(''),
    );
    for (const s of grepInfo.skipped) console.log(`  skipped: ${s}`);
    for (const s of grepInfo.mismatches) console.log(`  warning: ${s}`);
  }

  const rows = [];
  for (const file of inputs) {
    const bytes = fs.statSync(file).size;
    warmCache(file);
    process.stdout.write(`\n${path.relative(process.cwd(), file)}: ${fmt(bytes / MiB, 1)} MiB\n`);
    let cli;
    try {
      cli = measureCli(file, o.runs);
    } catch (err) {
      console.log(`  analyze: FAILED: ${err.message}`);
      rows.push({ file, bytes, failed: true });
      continue;
    }
    const s = cli.stats;
    console.log(
      `  analyze: wall ${cli.walls.map((w) => fmt(w)).join(' / ')} s, peak RSS ${cli.rssList.map((m) => fmt(m, 0)).join(' / ')} MB, ` +
        `others busy ${cli.others.map((x) => fmt(x, 1)).join(' / ')} cores; median run: time -v ${fmt(cli.timeVElapsedS)} s, cpu ${fmt(cli.cpuS)} s; ` +
        `JSON ok: ${cli.incidents} incident(s)${Object.keys(cli.byRule).length ? ` [${Object.entries(cli.byRule).map(([r, c]) => `${r} ${c}`).join(', ')}]` : ''}; ` +
        `lines ${s.lines}, events ${s.events}, matches ${s.matches}; ` +
        `analysis ${s.durationMs} ms (${fmt(bytes / MiB / (s.durationMs / 1000), 0)} MiB/s), start-up and output ${fmt(cli.wallS - s.durationMs / 1000)} s`,
    );
    let grep;
    let grepC;
    if (grepInfo && grepInfo.count > 0) {
      grep = measureGrep(grepInfo.file, file, o.runs, false, o.grepTimeout);
      grepC = measureGrep(grepInfo.file, file, o.runs, true, o.grepTimeout);
      const over = (g) => (g.timedOut ? ` (timed out after ${g.timedOut} s)` : '');
      console.log(
        `  grep -c -E -f: ${grep.timedOut ? '-' : `${fmt(grep.wallS)} s`}${over(grep)} (${process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || 'default locale'}), ${fmt(grepC.wallS)} s (LC_ALL=C)${over(grepC)}; ${grep.count ?? grepC.count ?? '?'} matching line(s)` +
          (grep.count !== undefined && grepC.count !== undefined && grep.count !== grepC.count ? ` (LC_ALL=C: ${grepC.count})` : '') +
          `; ours: ${s.matches} match(es)`,
      );
    } else if (grepInfo) {
      console.log('  grep: no convertible built-in rule patterns; comparison skipped');
    }
    rows.push({ file, bytes, cli, grep, grepC });
  }

  // ---- table ----
  console.log('');
  const head = ['size MiB', 'wall s', 'cpu s', 'MB/s', 'MiB/s', 'peak RSS MB', 'grep s', 'grep C s', 'ratio', 'ratio C'];
  const lines = rows.map((r) => {
    if (r.failed) return [fmt(r.bytes / MiB, 1), 'FAILED', '', '', '', '', '', '', '', ''];
    const w = r.cli.wallS;
    return [
      fmt(r.bytes / MiB, 1),
      fmt(w),
      fmt(r.cli.cpuS),
      fmt(r.bytes / 1e6 / w, 0),
      fmt(r.bytes / MiB / w, 0),
      fmt(r.cli.rssMb, 0),
      grepCell(r.grep),
      grepCell(r.grepC),
      ratioCell(w, r.grep),
      ratioCell(w, r.grepC),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells) => `| ${cells.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
  console.log(row(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 1) + ':').join('|')}|`);
  for (const l of lines) console.log(row(l));
  console.log('ratio = our wall time / grep wall time on the same file (same run); cpu = user + sys of analyze; MB = 10^6 bytes, MiB = 2^20 bytes');

  // ---- verdict ----
  const full = rows[rows.length - 1];
  let pass = true;
  console.log('');
  if (!full || full.failed) {
    console.log('FAIL: analyze did not complete');
    pass = false;
  } else {
    const mibps = full.bytes / MiB / full.cli.wallS;
    const okSpeed = mibps >= BAR_MBPS;
    const okRss = full.cli.rssMb < BAR_RSS_MB;
    console.log(`${okSpeed ? 'PASS' : 'FAIL'}: throughput ${fmt(mibps, 0)} MiB/s (${fmt(full.bytes / 1e6 / full.cli.wallS, 0)} MB/s), bar >= ${BAR_MBPS}`);
    console.log(`${okRss ? 'PASS' : 'FAIL'}: peak RSS ${fmt(full.cli.rssMb, 0)} MB, bar < ${BAR_RSS_MB} MB`);
    pass = okSpeed && okRss;
  }
  if (o.linear && rows.every((r) => !r.failed)) {
    // Judged on CPU time (user + sys): on a shared 2-core machine, wall time picks up other
    // processes' load, and a noisy doubling says nothing about our growth. Wall ratios are shown too.
    const ratios = (key) => rows.slice(1).map((r, i) => r.cli[key] / rows[i].cli[key]);
    const cpuRatios = ratios('cpuS');
    const wallRatios = ratios('wallS');
    const first = rows[0];
    const last = rows[rows.length - 1];
    const marginal = (key) => (last.bytes - first.bytes) / MiB / (last.cli[key] - first.cli[key]);
    const okLinear = cpuRatios.every((x) => x <= LINEAR_MAX_RATIO);
    console.log(
      `${okLinear ? 'PASS' : 'FAIL'}: linear growth: cpu time ratio per doubling ${cpuRatios.map((x) => fmt(x)).join(', ')} ` +
        `(wall ${wallRatios.map((x) => fmt(x)).join(', ')}); 2.00 = linear, <= ${LINEAR_MAX_RATIO} allowed, below 2 is the fixed start-up cost; ` +
        `marginal ${fmt(marginal('wallS'), 0)} MiB/s wall, ${fmt(marginal('cpuS'), 0)} MiB/s cpu`,
    );
    pass &&= okLinear;
  }
  if (o.json) {
    fs.writeFileSync(
      o.json,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          cores: cpu.length,
          node: process.version,
          othersBusyCoresBefore: idleLoad,
          input: kind,
          seed: o.seed,
          grep: grepInfo && { patterns: grepInfo.count, skipped: grepInfo.skipped, notes: Object.fromEntries(grepInfo.notes) },
          rows: rows.map((r) => ({
            file: path.relative(ROOT, r.file),
            bytes: r.bytes,
            failed: r.failed ?? false,
            wallS: r.cli?.wallS,
            walls: r.cli?.walls,
            cpuS: r.cli?.cpuS,
            cpus: r.cli?.cpus,
            othersBusyCores: r.cli?.others,
            rssMb: r.cli?.rssMb,
            incidents: r.cli?.incidents,
            stats: r.cli?.stats && { lines: r.cli.stats.lines, events: r.cli.stats.events, matches: r.cli.stats.matches },
            grepS: r.grep?.wallS,
            grepCS: r.grepC?.wallS,
            grepCount: r.grep?.count,
          })),
          pass,
        },
        null,
        2,
      ) + '\n',
    );
  }
  console.log(pass ? '\nbench: PASS' : '\nbench: FAIL');
  process.exitCode = pass ? 0 : 1;
}

main();
