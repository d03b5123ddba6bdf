#!/usr/bin/env node
// CPU profile of one batch run, summarised by self time.
//   node bench/profile.js FILE.log [TOP]        runs analyze under --cpu-prof, then summarises
//   node bench/profile.js PROFILE.cpuprofile [TOP]   summarises an existing profile
// Profiles are kept in bench/out/prof/.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const [input, topArg] = process.argv.slice(2);
if (!input) {
  console.error('usage: node bench/profile.js FILE.log|PROFILE.cpuprofile [TOP]');
  process.exit(2);
}
const top = Number(topArg ?? 25);

let profileFile = input;
if (!input.endsWith('.cpuprofile')) {
  const dir = path.join(BENCH, 'out', 'prof');
  fs.mkdirSync(dir, { recursive: true });
  const name = `analyze-${Date.now()}.cpuprofile`;
  const r = spawnSync(
    process.execPath,
    ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', name, path.join(ROOT, 'bin/incident-analyser.js'), 'analyze', input, '--format', 'json', '--quiet'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
  profileFile = path.join(dir, name);
  console.log(`profile: ${path.relative(process.cwd(), profileFile)}`);
}

const p = JSON.parse(fs.readFileSync(profileFile, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map();
for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));

const short = (url) => url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');
const label = (cf) => {
  let name = cf.functionName || '(anonymous)';
  if (!cf.url && name.length > 80) name = `${name.slice(0, 77)}...`; // regex sources can be huge
  return cf.url ? `${name}  ${short(cf.url)}:${cf.lineNumber + 1}` : name;
};
const byFn = new Map();
const byFile = new Map();
const inclusive = new Map(); // per function label, time with callees (counted once per sample stack)
let total = 0;
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  const cf = n.callFrame;
  total += us;
  const k = label(cf);
  byFn.set(k, (byFn.get(k) ?? 0) + us);
  const f = cf.url ? short(cf.url) : cf.functionName.startsWith('RegExp:') ? '(regexp)' : cf.functionName || '(native)';
  byFile.set(f, (byFile.get(f) ?? 0) + us);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const cn = byId.get(cur);
    if (!cn.callFrame.url.includes('/dist/')) continue;
    const l = label(cn.callFrame);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}
const show = (m, n) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}% ${(us / 1e3).toFixed(0).padStart(6)} ms  ${k}`)
    .join('\n');
console.log(`total sampled: ${(total / 1e3).toFixed(0)} ms`);
console.log(`\n-- self time by function (top ${top}) --\n${show(byFn, top)}`);
console.log(`\n-- self time by file --\n${show(byFile, 15)}`);
console.log(`\n-- inclusive time, project functions (dist/) --\n${show(inclusive, 15)}`);
