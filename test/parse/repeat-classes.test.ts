// A repeated line takes its event's prefilter class bits instead of scanning the rest of the line
// (parse/repeat-lines.ts, hotKnown). The bits must be the ones the full scan gives: a literal that
// can overlap the timestamp's digits (which differ between the repeats) turns the shortcut off,
// and a line differing anywhere else is no repeat at all.
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { Matcher } from '../../src/match/matcher.js';
import { RULE_HIT, type Prefilter } from '../../src/parse/prefilter.js';
import { LiteralScanner } from '../../src/parse/literal-scanner.js';
import { StreamParser } from '../../src/parse/stream-parser.js';
import { toLatin1 } from '../../src/text/latin1.js';
import { crashLoopLog } from '../support/crash-loop-log.js';

const FACT = 2;

/**
 * A line is remembered when its event closes, as the next one opens (after that line's lookup),
 * and the last line of a chunk closes in the next: these lines stand between.
 */
const OTHER = '2026-11-20T00:00:07: another error: line';

/** Each built event's line and class bits, with the fast path on or off, and the lines taken as repeats. */
function classes(text: string, prefilter: Prefilter, repeats: boolean): { bits: Array<[number, number | undefined]>; repeated: number[] } {
  const bits: Array<[number, number | undefined]> = [];
  const repeated: number[] = [];
  const parser = new StreamParser({
    service: 'api',
    prefilter,
    repeats,
    onEvent: (e, hot) => {
      bits.push([e.line, hot]);
      if (e.repeatOf !== undefined) repeated.push(e.line);
    },
  });
  parser.beginFile('api-error.log');
  parser.push(toLatin1(text));
  parser.endFile();
  return { bits, repeated };
}

function prefilterOf(literals: Record<string, number>): Prefilter {
  return { scanner: new LiteralScanner(Object.keys(literals), new Map(Object.entries(literals))), everyEvent: false, classed: true };
}

const builtin = new Matcher(loadRules(), { facts: true }).prefilter;

describe('class bits of repeated lines', () => {
  it.each([4, 5])('are the full scan\'s on a crash loop with the built-in rules and fact literals (seed %i)', (seed) => {
    const text = crashLoopLog(seed, 6000);
    const fast = classes(text, builtin, true);
    const slow = classes(text, builtin, false);
    expect(fast.repeated.length).toBeGreaterThan(fast.bits.length / 2);
    expect(slow.repeated).toEqual([]);
    expect(fast.bits).toStrictEqual(slow.bits);
    // fact-only lines and rule lines both repeat there: the bits really differ between events
    expect(new Set(fast.bits.map(([, b]) => (b ?? 0) & RULE_HIT))).toEqual(new Set([0, RULE_HIT]));
  });

  // the second text has the changed line right after a repeat, where it is looked up before its first literal is searched for
  it.each([
    [['05', 'other', '06', 'other', '05', 'other'], [3, 4, 5]],
    [['05', 'other', 'more', 'other', '06', '05', 'other'], [4, 5, 6]],
  ])('are scanned again when a rule literal can overlap the timestamp digits (%j)', (lines, repeated) => {
    // `05: x` holds the seconds of the `05` lines only; the `06` line repeats them but for the digits
    const prefilter = prefilterOf({ '05: x': RULE_HIT, 'error: ': FACT });
    const text = lines.map((l) => (l === 'other' ? OTHER : l === 'more' ? `${OTHER}!` : `2026-11-20T00:00:${l}: x error: y`)).join('\n') + '\n';
    const fast = classes(text, prefilter, true);
    expect(fast.repeated).toEqual(repeated);
    expect(fast.bits).toStrictEqual(lines.map((l, i) => [i + 1, l === '05' ? RULE_HIT : FACT]));
    expect(fast.bits).toStrictEqual(classes(text, prefilter, false).bits);
  });

  it('are scanned again when the literal spans the end of a timestamp inside brackets', () => {
    const prefilter = prefilterOf({ '9] warn': RULE_HIT, 'error: ': FACT });
    const other = '[2026-11-20 00:00:09] info error: z';
    const text = ['[2026-11-20 00:00:09] warn error: y', other, '[2026-11-20 00:00:10] warn error: y', other, ''].join('\n');
    const fast = classes(text, prefilter, true);
    expect(fast.repeated).toEqual([3]);
    expect(fast.bits).toStrictEqual([
      [1, RULE_HIT],
      [2, FACT],
      [3, FACT],
      [4, FACT],
    ]);
  });

  it('come from a scan of a line that repeats one but for a rule literal where the texts differ', () => {
    const prefilter = prefilterOf({ eaddrinuse: RULE_HIT, 'error: ': FACT });
    // the same length, the same last bytes (the lookup key) and the same timestamp shape
    const text = [
      '2026-11-20T00:00:01: Error: abcdefghij at port 3000',
      OTHER,
      '2026-11-20T00:00:02: Error: EADDRINUSE at port 3000',
      '2026-11-20T00:00:03: Error: abcdefghij at port 3000',
      OTHER,
      '',
    ].join('\n');
    const fast = classes(text, prefilter, true);
    expect(fast.repeated).toEqual([4]);
    expect(fast.bits).toStrictEqual([
      [1, FACT],
      [2, FACT],
      [3, FACT | RULE_HIT],
      [4, FACT],
      [5, FACT],
    ]);
  });
});

describe('LiteralScanner.reachesDigits', () => {
  const iso = '0000-00-00T00:00:00';
  it('knows which literals can overlap a digit of a timestamp shape', () => {
    expect(new LiteralScanner(['error: ', 'eaddrinuse']).reachesDigits(iso)).toBe(false);
    // digits inside a literal, but never where a timestamp's digits can be
    expect(new LiteralScanner(['[errno 10048] ', ' failed (48: ']).reachesDigits(iso)).toBe(false);
    expect(new LiteralScanner(['05: x']).reachesDigits(iso)).toBe(true);
    expect(new LiteralScanner(['x 2026']).reachesDigits(iso)).toBe(true);
    // the date's separator, folded as the scanner folds the text
    expect(new LiteralScanner(['-01t']).reachesDigits(iso)).toBe(true);
    expect(new LiteralScanner(['-01t']).reachesDigits('0000-00-00 00:00:00')).toBe(false);
    // a literal that starts or ends in a digit can always sit on the timestamp's first or last
    expect(new LiteralScanner(['0 t']).reachesDigits(iso)).toBe(true);
    // punctuation alone can't change between repeats
    expect(new LiteralScanner([':: ']).reachesDigits(iso)).toBe(false);
  });

  it('finds none of the built-in literals reaching the digits of the timestamps repeats take', () => {
    const scanner = builtin.scanner;
    for (const shape of [iso, '0000-00-00T00:00:00.000Z', '0000-00-00 00:00:00,000', '0000-00-00 00:00:00 000', '0000-00-00T00:00:00+00:00']) {
      expect(scanner?.reachesDigits(shape), shape).toBe(false);
    }
  });
});
