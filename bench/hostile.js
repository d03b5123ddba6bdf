#!/usr/bin/env node
// Hostile-pattern benchmark: what one line a stranger can write costs the matcher.
//   node bench/hostile.js            # per-line cost, hostile user patterns and built-in rules
//   node bench/hostile.js --file-mib 12   # also `analyze` on a file of such lines, end to end
// Uses the built dist/ (run `npm run build` first). See bench/README.md, "Hostile input".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { loadRules, loadRuleFile } = await import(path.join(ROOT, 'dist/rules/load-rules.js'));
const { Matcher } = await import(path.join(ROOT, 'dist/match/matcher.js'));
const { parseSnippet } = await import(path.join(ROOT, 'dist/match/examples.js'));

const args = process.argv.slice(2);
const fileMib = Number(args[args.indexOf('--file-mib') + 1] || 0) * (args.includes('--file-mib') ? 1 : 0);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-hostile-'));
const userRule = path.join(tmp, 'hostile.yaml');
fs.writeFileSync(
  userRule,
  `id: hostile-user-patterns
title: The issue's hostile patterns
severity: warning
match:
  - regex: '(a+)+$'
  - regex: 'Timeout acquiring (\\w+\\s?)+$'
  - regex: '(\\S+\\s*)+failed'
diagnosis: none
examples:
  match: ['aaa']
  no_match: ['b']
`,
);

const NEXT = `Error: Cannot find module '${'/.next/'.repeat(8500)}`;
const cases = [
  ['(a+)+$ on 60 x "a" + "!"', 'a'.repeat(60) + '!'],
  ['Timeout acquiring (\\w+\\s?)+$', `Timeout acquiring ${'a connection '.repeat(4)}!`],
  ['(\\S+\\s*)+failed on 60 x "x"', 'x'.repeat(60)],
  ["Cannot find module ' + /.next/ x 8500, no quote", NEXT],
  ["ENOENT ... open ' + /.next/s x 9000, no quote", `Error: ENOENT: no such file or directory, open 'a${'/.next/s'.repeat(9000)}`],
  ["[Errno 48] bind ('', 0' x 1000", `[Errno 48] error while attempting to bind on address ('', 0'`.repeat(1000)],
];

function perLine(matcher, text, budgetMs = 3000) {
  const events = parseSnippet(text);
  let n = 0;
  const t0 = performance.now();
  do {
    for (const e of events) matcher.matchEvent(e);
    n++;
  } while (performance.now() - t0 < 200 && n < 1000);
  const ms = (performance.now() - t0) / n;
  return ms > budgetMs ? `>${budgetMs}` : ms.toFixed(3);
}

const builtin = new Matcher(loadRules());
const user = new Matcher([loadRuleFile(userRule)]);
console.log(`engines of the hostile user patterns: ${user.rules[0].patterns.map((p) => p.engine).join(', ')}`);
console.log('| input | chars | user rule ms/line | built-in rules ms/line |');
console.log('|---|---:|---:|---:|');
for (const [name, text] of cases) {
  console.log(`| ${name} | ${text.length} | ${perLine(user, text)} | ${perLine(builtin, text)} |`);
}

if (fileMib > 0) {
  const file = path.join(tmp, 'next.log');
  const fd = fs.openSync(file, 'w');
  const line = `2026-01-01T00:00:00: ${NEXT}\n`;
  const count = Math.ceil((fileMib * 2 ** 20) / line.length);
  for (let i = 0; i < count; i++) fs.writeSync(fd, line);
  fs.closeSync(fd);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/incident-analyser.js'), 'analyze', file, '--format', 'json', '--quiet'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = (performance.now() - t0) / 1000;
  console.log(`analyze on ${fileMib} MiB of ${count} such "/.next/" lines: ${s.toFixed(2)} s (exit ${r.status})`);
}
fs.rmSync(tmp, { recursive: true, force: true });
