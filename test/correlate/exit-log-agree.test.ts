// The exit log's incremental pairing (pending exits compacted in place, one error shared by all
// pending exits at once) must give every exit the same last error as the plain reference does,
// whatever the order: errors and exits at the same millisecond, lines out of order within a
// file, estimated times, minutes folded away, more texts than are interned.
import { describe, expect, it } from 'vitest';
import { ExitLog } from '../../src/correlate/exit-log.js';
import { ReferenceExitLog } from '../support/reference-exit-log.js';
import { rng } from '../support/crash-loop-log.js';

const T0 = Date.parse('2026-11-20T00:00:00Z');

interface Shape {
  /** Events to feed. */
  n: number;
  /** Share of events that are exits. */
  exits: number;
  /** Log-time step between events (ms, random up to this). */
  step: number;
  /** Share of events logged out of order (up to `back` ms before the latest). */
  disorder: number;
  back: number;
  /** Share of errors whose time is estimated. */
  approx: number;
  /** Distinct error texts. */
  texts: number;
  /** Times rounded to this (PM2 stamps whole seconds: many ties). */
  round: number;
}

function feed(seed: number, shape: Shape): { log: ExitLog; ref: ReferenceExitLog; last: number } {
  const r = rng(seed);
  const log = new ExitLog();
  const ref = new ReferenceExitLog();
  let t = T0;
  for (let k = 0; k < shape.n; k++) {
    t += Math.floor(r() * shape.step);
    let time = r() < shape.disorder ? t - Math.floor(r() * shape.back) : t;
    time -= time % shape.round;
    if (r() < shape.exits) {
      log.exit(time);
      ref.exit(time);
    } else {
      const e = { time, approx: r() < shape.approx, file: `app-${Math.floor(r() * 3)}.log`, line: k + 1, text: `Error: case ${Math.floor(r() * shape.texts)}` };
      log.error(e);
      ref.error({ ...e });
    }
  }
  return { log, ref, last: t };
}

function expectSame(log: ExitLog, ref: ReferenceExitLog, last: number, seed: number): void {
  const r = rng(seed ^ 0x5bd1e995);
  const ranges: Array<[number, number]> = [[T0 - 1, last + 1]];
  for (let k = 0; k < 30; k++) {
    const a = T0 + Math.floor(r() * (last - T0));
    ranges.push([a, a + Math.floor(r() * 600_000)]);
  }
  for (const [from, to] of ranges) expect(log.exitsIn(from, to), `${from}..${to}`).toEqual(ref.exitsIn(from, to));
  expect(log.errors).toBe(ref.errors);
  expect(log.approx).toBe(ref.approx);
  expect(log.byOrder).toEqual(ref.byOrder);
}

describe('exit log, incremental pairing against the plain reference', () => {
  const cases: Array<[string, Shape]> = [
    ['a crash loop in order, whole-second stamps (every error pairs with every pending exit)', { n: 30_000, exits: 0.25, step: 6, disorder: 0, back: 0, approx: 0, texts: 4, round: 1000 }],
    ['exits and errors at the same millisecond', { n: 8000, exits: 0.5, step: 2, disorder: 0, back: 0, approx: 0, texts: 3, round: 1 }],
    ['lines out of order within a file, by up to 3 s', { n: 60_000, exits: 0.3, step: 20, disorder: 0.2, back: 3000, approx: 0, texts: 5, round: 1 }],
    ['errors out of order by more than the slack and the minute', { n: 30_000, exits: 0.3, step: 300, disorder: 0.1, back: 120_000, approx: 0, texts: 6, round: 1000 }],
    ['few errors, logged minutes out of order among many exits', { n: 20_000, exits: 0.9, step: 300, disorder: 0.3, back: 120_000, approx: 0, texts: 3, round: 1000 }],
    ['some errors with estimated times', { n: 20_000, exits: 0.3, step: 50, disorder: 0.05, back: 2000, approx: 0.2, texts: 4, round: 1 }],
    ['sparse exits with long gaps (folded minutes, nothing pending)', { n: 80_000, exits: 0.4, step: 4000, disorder: 0.02, back: 90_000, approx: 0, texts: 8, round: 1000 }],
    ['more error texts than are interned', { n: 40_000, exits: 0.3, step: 30, disorder: 0.05, back: 1500, approx: 0, texts: 15_000, round: 1 }],
  ];
  for (const [name, shape] of cases) {
    it(name, () => {
      for (const seed of [1, 2, 3]) {
        const { log, ref, last } = feed(seed, shape);
        expectSame(log, ref, last, seed);
      }
    }, 60_000);
  }

  it('a query in the middle of a run changes nothing that follows', () => {
    const shape: Shape = { n: 30_000, exits: 0.3, step: 8, disorder: 0.05, back: 1500, approx: 0, texts: 4, round: 1000 };
    const r = rng(9);
    const log = new ExitLog();
    const ref = new ReferenceExitLog();
    let t = T0;
    for (let k = 0; k < shape.n; k++) {
      t += Math.floor(r() * shape.step);
      const time = t - (t % shape.round);
      if (r() < shape.exits) {
        log.exit(time);
        ref.exit(time);
      } else {
        const e = { time, approx: false, file: 'api-error.log', line: k + 1, text: `Error: case ${k % 4}` };
        log.error(e);
        ref.error(e);
      }
      if (k % 997 === 0) expect(log.exitsIn(t - 5000, t)).toEqual(ref.exitsIn(t - 5000, t));
    }
    expectSame(log, ref, t, 9);
  }, 60_000);
});
