// analyze and watch are one engine: over the same files (real PM2 logs with rotated parts, one
// gzip), `analyze --db` then `watch --from-start` into the same store, the other way round, and
// either alone, leave the same incidents with the same ids, counts and times.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript bench script, no types
import { compareFolder } from '../../bench/batch-watch-agree.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

describe('analyze and watch agree', () => {
  it.each(['real-pm2-crash-loop', 'seed-002-pm2-deployment'])('on %s, in either order, into one store', async (name) => {
    const r: { ok: boolean; analyze: string[]; analyzeThenWatch: string[]; watch: string[]; watchThenAnalyze: string[] } = await compareFolder(path.join(FIXTURES, name));
    expect(r.analyze.length).toBeGreaterThan(2);
    expect(r.analyzeThenWatch).toEqual(r.analyze);
    expect(r.watch).toEqual(r.analyze);
    expect(r.watchThenAnalyze).toEqual(r.analyze);
  }, 120_000);
});
