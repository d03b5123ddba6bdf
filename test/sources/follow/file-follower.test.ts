// One follower driven directly, with the writer's rotation scripted at the exact moment that lost
// lines under load: between two reads of one drain.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { FileFollower, type FollowerSink } from '../../../src/sources/follow/file-follower.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-follower-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const lines = (from: number, to: number): string => {
  let s = '';
  for (let n = from; n < to; n++) s += `2026-02-10T10:00:00: seq=${n} ${'x'.repeat(n % 40)}\n`;
  return s;
};

it('a copy-then-truncate between two reads of one drain loses no line and reads none twice', async () => {
  const live = path.join(dir, 'app.log');
  // more than one read (1 MiB) of lines, so a drain reads twice
  const first = 30_000;
  const total = 60_000;
  fs.writeFileSync(live, lines(0, first));
  expect(fs.statSync(live).size).toBeGreaterThan(1 << 20);
  const seen: number[] = [];
  let rotated = false;
  const sink: FollowerSink = {
    text: (_f, chunk) => {
      for (const m of chunk.matchAll(/seq=(\d+)/g)) seen.push(Number(m[1]));
      if (!rotated) {
        // pm2-logrotate after our first read: copy, truncate, and the app writes on, past our offset
        rotated = true;
        fs.copyFileSync(live, `${live}.1`);
        fs.truncateSync(live, 0);
        fs.appendFileSync(live, lines(first, total));
      }
    },
    restart: () => {},
    warn: () => {},
  };
  const f = await FileFollower.open(live, sink, { fromStart: true });
  expect(f).toBeDefined();
  await f?.poll();
  await f?.poll();
  await f?.close();
  expect(rotated).toBe(true);
  const counts = new Map<number, number>();
  for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
  const missing = [];
  const twice = [];
  for (let n = 0; n < total; n++) {
    if (!counts.has(n)) missing.push(n);
    if ((counts.get(n) ?? 0) > 1) twice.push(n);
  }
  expect({ missing: missing.length, firstMissing: missing.slice(0, 3), twice: twice.length }).toEqual({ missing: 0, firstMissing: [], twice: 0 });
});
