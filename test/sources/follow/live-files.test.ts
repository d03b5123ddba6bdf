// The live file source driven directly, with the rotations scripted between the steps of its
// work queue: each interleaving that lost lines under load (a starved watcher, a busy writer) is
// replayed exactly, with no timing involved.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveFiles } from '../../../src/sources/follow/live-files.js';
import type { SourceHost } from '../../../src/sources/source.js';

let dir: string;
let files: LiveFiles | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-live-files-'));
});

afterEach(async () => {
  await files?.stop();
  await files?.close();
  files = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

const lines = (from: number, to: number): string => {
  let s = '';
  for (let n = from; n < to; n++) s += `2026-02-10T10:00:00: seq=${n} ${'x'.repeat(n % 40)}\n`;
  return s;
};

/**
 * A host that runs the queue in order and records every delivered `seq=`. `before(n)` runs
 * before the n-th queued operation (1-based): the moment a scripted rotation happens.
 */
function recordingHost(before: (n: number) => void = () => {}): { host: SourceHost; seen: number[]; warnings: string[] } {
  const seen: number[] = [];
  const warnings: string[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let ops = 0;
  const host: SourceHost = {
    enqueue: (fn) => {
      const next = queue.then(() => {
        before(++ops);
        return fn();
      });
      queue = next.catch(() => undefined);
      return next;
    },
    open: () => {},
    deliver: (_id, chunk) => {
      for (const m of chunk.matchAll(/seq=(\d+)/g)) seen.push(Number(m[1]));
    },
    restart: () => {},
    close: () => ({ offset: 0, line: 0 }),
    committedOffset: () => ({ offset: 0, line: 0 }),
    events: () => {},
    touched: () => {},
    warn: (m) => warnings.push(m),
  };
  return { host, seen, warnings };
}

function missingAndTwice(seen: number[], total: number): { missing: number[]; twice: number[] } {
  const counts = new Map<number, number>();
  for (const n of seen) counts.set(n, (counts.get(n) ?? 0) + 1);
  const missing: number[] = [];
  const twice: number[] = [];
  for (let n = 0; n < total; n++) {
    const c = counts.get(n) ?? 0;
    if (c === 0) missing.push(n);
    if (c > 1) twice.push(n);
  }
  return { missing, twice };
}

describe('LiveFiles: rotations between the steps of its queue', () => {
  it('a first run with --from-start reads a live file copied and truncated before its follower opened it', async () => {
    const live = path.join(dir, 'app.log');
    fs.writeFileSync(`${live}.1`, lines(0, 80));
    fs.writeFileSync(live, lines(80, 160));
    // start() notes the live file's head, adopts the rotated parts (queued), then opens the live
    // file: the rotation lands after the head was noted, before the live file is opened
    const { host, seen } = recordingHost((n) => {
      if (n === 2) {
        fs.copyFileSync(live, `${live}.2`);
        fs.truncateSync(live, 0);
        fs.appendFileSync(live, lines(160, 240));
      }
    });
    files = new LiveFiles({ paths: [live], fromStart: true, pollMs: 60_000 });
    await files.start(host, { positions: [], state: undefined });
    await files.stop();
    expect(missingAndTwice(seen, 240)).toEqual({ missing: [], twice: [] });
  });

  it('a first run with --from-start reads a live file whose copy exists but is not truncated yet once', async () => {
    const live = path.join(dir, 'app.log');
    fs.writeFileSync(live, lines(0, 80));
    // copied, the truncate still to come (pm2-logrotate between its copy and its truncate)
    fs.copyFileSync(live, `${live}.1`);
    const { host, seen } = recordingHost();
    files = new LiveFiles({ paths: [live], fromStart: true, pollMs: 60_000 });
    await files.start(host, { positions: [], state: undefined });
    fs.truncateSync(live, 0);
    fs.appendFileSync(live, lines(80, 120));
    await files.stop();
    expect(missingAndTwice(seen, 120)).toEqual({ missing: [], twice: [] });
  });

  it('keeps at most one full poll waiting however long the queue is blocked', async () => {
    const live = path.join(dir, 'app.log');
    fs.writeFileSync(live, lines(0, 10));
    for (let n = 1; n <= 50; n++) fs.writeFileSync(`${live}.${n}`, lines(1000 * n, 1000 * n + 5));
    const { host } = recordingHost();
    let queued = 0;
    const counting: SourceHost = {
      ...host,
      enqueue: (fn) => {
        queued++;
        return host.enqueue(fn);
      },
    };
    // a 1 ms poll interval, then the queue held for a while: a starved process in miniature
    files = new LiveFiles({ paths: [live], fromStart: false, pollMs: 1 });
    await files.start(counting, { positions: [], state: undefined });
    let release: () => void = () => {};
    const held = host.enqueue(() => new Promise<void>((resolve) => (release = resolve)));
    const before = queued;
    await new Promise((r) => setTimeout(r, 300));
    const whileHeld = queued - before;
    release();
    await held;
    await files.stop();
    // without the guard every tick queued a poll of all 51 files (a few hundred here)
    expect(whileHeld).toBeLessThanOrEqual(2);
  });
});
