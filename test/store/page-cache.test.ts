// The watcher's store connection holds a bounded SQLite page cache: better-sqlite3's default of
// 16 MiB filled as the store grew by ~6 KB per incident, the RSS growth of the 10-minute soak.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model.js';
import { openStore, WATCH_CACHE_KIB, type Store } from '../../src/store/store.js';

let dir: string;
const open: Store[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-page-cache-'));
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function incident(i: number): Incident {
  const text = `2026-11-22T09:39:07: Error: listen EADDRINUSE: address already in use :::${10_000 + i} ${'x'.repeat(2000)}`;
  return {
    id: `port-in-use-${i}`, rule: 'port-in-use', title: 'Port in use', severity: 'error', status: 'open',
    firstSeen: '2026-11-22T09:39:07.000Z', lastSeen: '2026-11-22T09:39:07.000Z', count: 1,
    services: ['api'], files: ['api-error.log'], groupKey: `api ${10_000 + i}`, captures: { port: String(10_000 + i) }, captureValues: {},
    evidence: [{ file: 'api-error.log', line: i + 1, text, time: '2026-11-22T09:39:07.000Z' }],
    summary: 'api could not bind', rootCause: '', remediations: [], verify: [], prevent: [], links: [], timeApprox: false,
  };
}

describe('page cache', () => {
  it('stays at WATCH_CACHE_KIB for a watch store however many incidents it holds, across reopening', () => {
    const file = path.join(dir, 'watch.db');
    let s = openStore(file, { cacheKiB: WATCH_CACHE_KIB });
    open.push(s);
    for (let batch = 0; batch < 40; batch++) {
      const incidents = Array.from({ length: 50 }, (_, j) => incident(batch * 50 + j));
      s.saveCheckpoint({ positions: [], state: [], engine: { put: [], remove: [] }, incidents, changes: incidents.map((incident) => ({ kind: 'opened', incident })), trace: [] });
    }
    expect(s.getIncident('port-in-use-1999')?.evidence[0]?.line).toBe(2000);
    // the store outgrew the cap several times over: without it the cache would have followed it
    expect(fs.statSync(file).size + fs.statSync(`${file}-wal`).size).toBeGreaterThan(2 * WATCH_CACHE_KIB * 1024);
    expect(s.pageCacheKiB()).toBe(WATCH_CACHE_KIB);
    s.close();
    s = openStore(file, { cacheKiB: WATCH_CACHE_KIB });
    open.push(s);
    expect(s.pageCacheKiB()).toBe(WATCH_CACHE_KIB);
    // other commands keep the library's default, which is what a watcher must not use
    const plain = openStore(file, { readonly: true });
    open.push(plain);
    expect(plain.pageCacheKiB()).toBeGreaterThan(4 * WATCH_CACHE_KIB);
  });
});
