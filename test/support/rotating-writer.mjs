#!/usr/bin/env node
// An app writing numbered EADDRINUSE lines to its log at a steady rate, rotated every N lines
// the way real rotators do it, named like pm2-logrotate's parts: usage
//   rotating-writer.mjs FILE TOTAL PER_ROTATION STYLE LINES_PER_SECOND [SEED]
// STYLE: rename (logrotate/winston: rename, the next write creates the file), copytruncate
// (pm2-logrotate: copy to the rotated name, truncate in place), copydelete (copy, delete, the next
// write creates a new file), mixed (one of the three at random per rotation, from SEED), none.
// Line n is `<ISO time>: Error: listen EADDRINUSE: address already in use :::<port> seq=<n>`,
// with the port cycling through five, so the lines make five port-in-use incidents.
import fs from 'node:fs';
import path from 'node:path';

const [file, totalArg, perArg, style = 'none', rateArg = '5000', seedArg = '1'] = process.argv.slice(2);
const total = Number(totalArg);
const per = Number(perArg);
const rate = Number(rateArg);
let seed = Number(seedArg) >>> 0;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const STYLES = ['rename', 'copytruncate', 'copydelete'];
let rotation = 0;

function rotatedName() {
  const d = new Date().toISOString();
  const stem = path.basename(file, '.log');
  return path.join(path.dirname(file), `${stem}__${d.slice(0, 10)}-${d.slice(11, 19).replaceAll(':', '-')}_${rotation}.log`);
}

function rotate() {
  rotation++;
  const how = style === 'mixed' ? STYLES[Math.floor(rand() * STYLES.length)] : style;
  const to = rotatedName();
  if (how === 'rename') fs.renameSync(file, to);
  else if (how === 'copytruncate') {
    fs.copyFileSync(file, to);
    fs.truncateSync(file, 0);
  } else if (how === 'copydelete') {
    fs.copyFileSync(file, to);
    fs.unlinkSync(file);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// write in 10 ms batches at the given rate; the line count decides rotations exactly
const batch = Math.max(1, Math.round(rate / 100));
const started = Date.now();
for (let n = 0; n < total; ) {
  let buf = '';
  const end = Math.min(total, n + batch);
  const stamp = new Date().toISOString().slice(0, 19);
  for (; n < end; n++) {
    buf += `${stamp}: Error: listen EADDRINUSE: address already in use :::${5070 + (n % 5)} seq=${n}\n`;
    if (style !== 'none' && per > 0 && (n + 1) % per === 0 && n + 1 < total) {
      fs.appendFileSync(file, buf);
      buf = '';
      rotate();
    }
  }
  if (buf) fs.appendFileSync(file, buf);
  const due = started + (n / rate) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait);
}
