// Every built-in rule against lines a stranger can write: no line may cost the matcher more than
// a few milliseconds. The failure signal is the test's timeout, not a timing assertion: before
// the fixes below, 100 lines of each quadratic family took ~110 s here (1.2 s, 0.9 s and
// 0.2 s per 64 KiB line), well past it; now the whole file runs in about a second.
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { Matcher } from '../../src/match/matcher.js';
import { parseSnippet } from '../../src/match/examples.js';

const MAX_LINE = 64 * 1024; // the parser's line cap (MAX_LINE_BYTES)

/** `head` then `pump` repeated to a 64 KiB line, with no ending. */
const pumped = (head: string, pump: string): string => (head + pump.repeat(Math.ceil(MAX_LINE / pump.length))).slice(0, MAX_LINE - 1);

// The attack strings recheck (the ReDoS checker) found for the built-in patterns that were
// quadratic: paths with many separators and no closing quote; bind errors without the tuple's end.
const FAMILIES: Array<[string, string]> = [
  ["Error: Cannot find module '", '/.next/'],
  ["Error: ENOENT: no such file or directory, open 'a", '/.next/s'],
  ['', "[Errno 48] error while attempting to bind on address ('', 0'"],
];

describe('built-in rules on hostile lines', () => {
  const rules = loadRules();
  const matcher = new Matcher(rules);
  const run = (line: string): number => parseSnippet(line).reduce((n, e) => n + matcher.matchEvent(e).length, 0);

  it('finishes the known quadratic families, 100 lines of 64 KiB each', () => {
    for (const [head, pump] of FAMILIES) {
      const line = pumped(head, pump);
      for (let i = 0; i < 100; i++) run(line);
    }
    // the real message still matches after the rewrite
    expect(run("Error: Cannot find module '/srv/app/.next/server/app/page.js'")).toBeGreaterThan(0);
    expect(run("ERROR:    [Errno 98] error while attempting to bind on address ('::', 8000, 0, 0): address already in use")).toBeGreaterThan(0);
  }, 60_000);

  it("finishes every rule's own examples pumped to 64 KiB (repeated, cut short, middle repeated)", () => {
    let lines = 0;
    for (const rule of rules) {
      for (const text of rule.spec.examples.match) {
        const first = text.split('\n')[0] ?? '';
        if (first.length < 8) continue;
        const mid = Math.floor(first.length / 2);
        run(pumped('', `${first} `));
        run(pumped('', first.slice(0, -1)));
        run(pumped(first.slice(0, mid), first.slice(mid, mid + 8)));
        lines += 3;
      }
    }
    expect(lines).toBeGreaterThan(100);
  }, 120_000);
});
