// The exactly-once measurement, small: a writer appends numbered lines and rotates the
// file (rename, copy+truncate, copy+delete+new, or mixed), the watcher runs as users run it (no
// --from-start) and is killed with SIGKILL and restarted at once every 0.7 s (1.5 s mixed); the
// sum of counts in `incidents list --format json` must equal the lines written, each incident's
// `opened` line must be printed once across all the watchers, and every printed incident must be
// in the store. bench/exactly-once.js is the harness; `npm run soak` runs it with the figures.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript bench script, no types
import { runExactlyOnce } from '../../bench/exactly-once.js';

interface Result {
  ok: boolean;
  counted: number;
  lines: number;
  kills: number;
  opened: Record<string, number>;
  repeated: string[];
  missingFromStore: string[];
}

describe('watch: every line counted once, every change reported once, through kill -9', () => {
  it.each([
    ['rename', 700],
    ['copytruncate', 700],
    ['copydelete', 700],
    ['mixed', 1500],
  ])('with %s rotations, killed every %i ms', async (style, killMs) => {
    const lines = style === 'mixed' ? 9000 : 6000;
    const result: Result = await runExactlyOnce({ style, lines, per: 500, rate: 3000, killMs, seed: 7 });
    expect({ counted: result.counted, repeated: result.repeated, missingFromStore: result.missingFromStore }).toEqual({ counted: lines, repeated: [], missingFromStore: [] });
    expect(Object.values(result.opened)).toEqual([1, 1, 1, 1, 1]);
    expect(result.kills).toBeGreaterThanOrEqual(1);
    expect(result.ok).toBe(true);
  }, 180_000);
});
