// The prefilter's scan tells which lines hold a rule literal and which only a fact literal, so an
// event built for a fact skips the rules without a second scan (match/matcher.ts ruleEvent).
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { RULE_HIT, RULE_MAYBE, buildPrefilter } from '../../src/parse/prefilter.js';
import { LiteralScanner } from '../../src/parse/literal-scanner.js';
import { FACT_LITERALS } from '../../src/match/facts.js';
import { Matcher } from '../../src/match/matcher.js';
import { toLatin1 } from '../../src/text/latin1.js';
import type { LogEvent } from '../../src/model.js';

const FACT = 2;

function scan(scanner: LiteralScanner, text: string): Array<[number, number]> {
  const hits: number[] = [];
  const kinds: number[] = [];
  scanner.scanLines(text, hits, kinds);
  return hits.map((h, i) => [h, kinds[i] ?? -1]);
}

describe('LiteralScanner class bits', () => {
  const scanner = new LiteralScanner(['eaddrinuse', 'error: '], new Map([['eaddrinuse', RULE_HIT], ['error: ', FACT]]));

  it('one hit per line, with the bits of every literal on it when the first is not a rule literal', () => {
    const text = 'a TypeError: x\nError: listen EADDRINUSE: :::3000\nEADDRINUSE then Error: y\nplain line\n';
    expect(scan(scanner, text)).toEqual([
      [6, FACT],
      [15, FACT | RULE_HIT],
      [49, RULE_HIT],
    ]);
  });

  it('finds the same lines as the plain scan', () => {
    const text = 'x error: a\n'.repeat(50) + 'nothing\n' + 'EADDRINUSE\n';
    // each line's first literal, found the plain way (indexOf per literal, case folded)
    const plain: number[] = [];
    let at = 0;
    for (const line of text.split('\n')) {
      const found = scanner.literals.map((l) => line.toLowerCase().indexOf(l)).filter((i) => i >= 0);
      if (found.length > 0) plain.push(at + Math.min(...found));
      at += line.length + 1;
    }
    expect(scan(scanner, text).map(([h]) => h)).toEqual(plain);
  });
});

describe('buildPrefilter with fact literals', () => {
  const rules = loadRules();
  const prefilter = buildPrefilter(rules, FACT_LITERALS);
  const bits = (line: string): number => scan(prefilter.scanner ?? new LiteralScanner([]), toLatin1(`${line}\n`))[0]?.[1] ?? 0;

  it('a WebSocket handshake and an error line are fact lines, not rule lines', () => {
    expect(bits('INFO:     127.0.0.1:5000 - "WebSocket /ws" [accepted]') & (RULE_HIT | RULE_MAYBE)).toBe(0);
    expect(bits('TypeError: Cannot read properties of undefined') & RULE_HIT).toBe(0);
  });

  it('a rule line is a rule line, also when a fact literal comes first on it', () => {
    expect(bits('Error: listen EADDRINUSE: address already in use :::5077') & RULE_HIT).toBe(RULE_HIT);
  });

  it('a rule literal holding a fact literal is still matched (RULE_MAYBE, checked by the matcher)', () => {
    const line = 'RangeError: Maximum call stack size exceeded';
    expect(bits(line) & RULE_MAYBE).toBe(RULE_MAYBE);
    const matcher = new Matcher(rules, { facts: true });
    const event: LogEvent = { kind: 'log', raw: line, text: line, file: 'f', line: 1, lineCount: 1, service: 's', time: 0, timeApprox: false };
    expect(matcher.ruleEvent(event, bits(line))).toBe(true);
    const other = 'TypeError: boom';
    expect(matcher.ruleEvent({ ...event, raw: other, text: other }, bits(other))).toBe(false);
  });
});
