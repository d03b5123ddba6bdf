// The exit log pairs each PM2 exit with the last error before it, in bounded memory: the latest
// exits one by one, older ones folded into per-minute counts by error text.
import { describe, expect, it } from 'vitest';
import { ExitLog } from '../../src/correlate/exit-log.js';

const T0 = Date.parse('2026-11-20T00:00:00Z');
const err = (time: number, text: string, line: number) => ({ time, approx: false, file: 'api-error.log', line, text });

/** A crash loop: an error, then the exit it caused, every `everyMs`; the error text cycles through `texts`. */
function crashLoop(log: ExitLog, exits: number, everyMs: number, texts: string[]): Map<string, number> {
  const expected = new Map<string, number>();
  for (let i = 0; i < exits; i++) {
    const t = T0 + i * everyMs;
    const text = texts[i % texts.length] ?? '';
    log.error(err(t, text, i + 1));
    log.exit(t + 5);
    expected.set(text, (expected.get(text) ?? 0) + 1);
  }
  return expected;
}

describe('exit log', () => {
  it('counts every exit of a long crash loop and the last error before each, by text, after folding', () => {
    const log = new ExitLog();
    const texts = ['Error: listen EADDRINUSE: address already in use :::3000', 'Error: STRIPE_SECRET_KEY is not set', 'FATAL ERROR: Reached heap limit'];
    // 1.5 s apart: an error up to a second after an exit counts as before it (PM2 stamps whole seconds)
    const expected = crashLoop(log, 150_000, 1500, texts);
    const all = log.exitsIn(T0 - 1, T0 + 150_000 * 1500);
    expect(all.count).toBe(150_000);
    expect(new Map(all.byError.map((g) => [g.error.text, g.count]))).toEqual(expected);
    // the quoted line is the latest of its text, with its own file and line
    const latest = all.byError.find((g) => g.error.text === texts[(150_000 - 1) % 3]);
    expect(latest?.error).toMatchObject({ line: 150_000, time: T0 + (150_000 - 1) * 1500, file: 'api-error.log' });
    // a range on minute boundaries inside the folded part is exact: minute 3 holds exits 120-159
    const minute3 = log.exitsIn(T0 + 3 * 60_000, T0 + 4 * 60_000 - 1);
    expect(minute3.count).toBe(40);
    expect(new Map(minute3.byError.map((g) => [g.error.text, g.count]))).toEqual(new Map([[texts[0], 14], [texts[1], 13], [texts[2], 13]]));
  });

  it('pairs an exit with an error logged up to a second after it (PM2 stamps whole seconds), and never with one a minute old', () => {
    const log = new ExitLog();
    log.error(err(T0, 'Error: too old', 1));
    log.exit(T0 + 61_000);
    log.exit(T0 + 120_000);
    log.error(err(T0 + 120_400, 'Error: STRIPE_SECRET_KEY is not set', 2));
    const found = log.exitsIn(T0, T0 + 200_000);
    expect(found.count).toBe(2);
    expect(found.byError.map((g) => [g.error.text, g.count])).toEqual([['Error: STRIPE_SECRET_KEY is not set', 1]]);
  });

  it('pairs an exit waiting for a later error only with one less than a minute before it', () => {
    const log = new ExitLog();
    log.exit(T0 + 100_000);
    // logged after the exit (another file, or out of order) but 69.5 s before it: not why it exited
    log.error(err(T0 + 30_500, 'Error: early', 1));
    expect(log.exitsIn(T0, T0 + 200_000)).toEqual({ count: 1, byError: [] });
    log.error(err(T0 + 99_500, 'Error: late', 2));
    expect(log.exitsIn(T0, T0 + 200_000).byError.map((g) => [g.error.text, g.count])).toEqual([['Error: late', 1]]);
  });

  it('pairs every exit of a second with the last error logged up to a second after it, ties to the later line', () => {
    const log = new ExitLog();
    // PM2 stamps whole seconds: exits and errors of one second share a time
    log.error(err(T0, 'Error: first', 1));
    log.exit(T0);
    log.exit(T0);
    log.error(err(T0 + 1000, 'Error: second', 2));
    log.error(err(T0 + 1000, 'Error: third', 3));
    log.exit(T0 + 1000);
    // exactly the slack after the last exit: still before it; the first two have expired
    log.error(err(T0 + 2000, 'Error: at the edge', 4));
    const found = log.exitsIn(T0, T0 + 1000);
    expect(found.count).toBe(3);
    expect(found.byError.map((g) => [g.error.text, g.count, g.error.line])).toEqual([
      ['Error: third', 2, 3],
      ['Error: at the edge', 1, 4],
    ]);
  });
});
