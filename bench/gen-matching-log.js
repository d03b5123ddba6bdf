#!/usr/bin/env node
// A log in which every line matches a rule: a service crash-looping for days (issue 7). Usage:
//   node bench/gen-matching-log.js OUT SIZE_MIB [SEED]
// PM2 `--time` prefixes, one line every 5 ms of log time, cycling through real message texts
// (../shared/error-catalogue.md): EADDRINUSE on a few ports, PM2 crash exits, node-postgres
// connect timeouts, V8 heap out of memory. Same OUT size and SEED give the same bytes.
import fs from 'node:fs';
import { seededRandom } from './seeded-random.js';

const [out, mibArg, seedArg] = process.argv.slice(2);
if (!out || !(Number(mibArg) > 0)) {
  console.error('usage: gen-matching-log.js OUT SIZE_MIB [SEED]');
  process.exit(2);
}
const target = Math.round(Number(mibArg) * 1024 * 1024);
const rand = seededRandom(seedArg);
const pick = (a) => a[(rand() * a.length) | 0];
const KINDS = [
  () => `Error: listen EADDRINUSE: address already in use :::${pick([3000, 3001, 5077, 8080])}`,
  () => `PM2 log: App [api:${pick([0, 1])}] exited with code [1] via signal [SIGINT]`,
  () => 'Error: Connection terminated due to connection timeout',
  () => 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
];
const fd = fs.openSync(out, 'w');
let t = Date.parse('2026-11-20T00:00:00Z');
let written = 0;
while (written < target) {
  let buf = '';
  while (buf.length < 1 << 20) {
    t += 5;
    buf += `${new Date(t).toISOString().slice(0, 19)}: ${pick(KINDS)()}\n`;
  }
  const b = Buffer.from(buf.length > target - written ? buf.slice(0, buf.lastIndexOf('\n', target - written) + 1) : buf);
  if (b.length === 0) break;
  fs.writeSync(fd, b);
  written += b.length;
}
fs.closeSync(fd);
