// One watcher per store: the lock is a real SQLite exclusive lock, so these tests take it from
// two connections (in this process) and from a child process that is then killed with SIGKILL.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, StoreError, type Store } from '../../src/store/store.js';
import { lockStoreForWatch } from '../../src/store/watch-lock.js';

let dir: string;
let dbFile: string;
const open: Store[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-lock-'));
  dbFile = path.join(dir, 'watch.db');
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function store(): Store {
  const s = openStore(dbFile);
  open.push(s);
  return s;
}

describe('lockStoreForWatch', () => {
  it('lets one holder in, refuses a second naming the store and the PID, and frees the lock on release', () => {
    const first = lockStoreForWatch(store(), () => new Date('2026-12-01T10:00:00Z'));
    let refused: unknown;
    try {
      lockStoreForWatch(store());
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(StoreError);
    expect(String(refused)).toContain(`${dbFile} is in use by another incident-analyser watch (PID ${process.pid}, running since 2026-12-01T10:00:00.000Z)`);
    first.release();
    lockStoreForWatch(store()).release();
  });

  it('is free again after its holder was killed with SIGKILL (no stale lock)', async () => {
    const storeUrl = new URL('../../dist/store/store.js', import.meta.url).href;
    const lockUrl = new URL('../../dist/store/watch-lock.js', import.meta.url).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      import { openStore } from ${JSON.stringify(storeUrl)};
      import { lockStoreForWatch } from ${JSON.stringify(lockUrl)};
      lockStoreForWatch(openStore(${JSON.stringify(dbFile)}));
      console.log('locked');
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    expect(() => lockStoreForWatch(store())).toThrow(`(PID ${child.pid}, running since`);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const again = lockStoreForWatch(store());
    again.release();
  });
});
