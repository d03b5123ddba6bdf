#!/usr/bin/env node
// Appends numbered lines (`seq=N`) to a log file and rotates it itself, so the test knows exactly
// which lines exist: usage
//   log-writer.mjs FILE TOTAL LINES_PER_ROTATION STYLE LINES_PER_WRITE PAUSE_MS
// STYLE: rename (logrotate/winston: rename, then the next write creates the file),
// copytruncate (pm2-logrotate: copy to a rotated name, then truncate in place),
// copydelete (copy to a rotated name, remove the file; the next write creates it again), delete
// (remove the file: lines not read by then are gone for every reader), none.
import fs from 'node:fs';

const [file, totalArg, perArg, style = 'none', batchArg = '50', pauseArg = '1'] = process.argv.slice(2);
const total = Number(totalArg);
const per = Number(perArg);
const batch = Number(batchArg);
const pauseMs = Number(pauseArg);
let rotation = 0;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stamp = () => new Date().toISOString().slice(0, 19);

function rotate() {
  rotation++;
  if (style === 'rename') fs.renameSync(file, `${file}.${rotation}`);
  else if (style === 'copytruncate') {
    fs.copyFileSync(file, `${file}.${rotation}`);
    fs.truncateSync(file, 0);
  } else if (style === 'copydelete') {
    fs.copyFileSync(file, `${file}.${rotation}`);
    fs.unlinkSync(file);
  } else if (style === 'delete') fs.unlinkSync(file);
}

for (let n = 0; n < total; ) {
  const end = Math.min(total, n + batch);
  let buf = '';
  for (; n < end; n++) buf += `${stamp()}: seq=${n} ${'x'.repeat(n % 40)}\n`;
  fs.appendFileSync(file, buf);
  if (style !== 'none' && per > 0 && n % per === 0 && n < total) rotate();
  if (pauseMs > 0) await sleep(pauseMs);
}
