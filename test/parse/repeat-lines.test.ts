// The repeated-line fast path (src/parse/repeat-lines.ts) must give exactly the events the slow
// path builds: the same generated crash-loop text, in the same random chunks, parsed with it on
// and off.
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../src/model.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { Matcher } from '../../src/match/matcher.js';
import type { Prefilter } from '../../src/parse/prefilter.js';
import { StreamParser } from '../../src/parse/stream-parser.js';
import { toLatin1 } from '../../src/text/latin1.js';
import { crashLoopLog, rng } from '../support/crash-loop-log.js';

/** Chunks of whole lines, cut at random line ends (as the reader hands them over). */
function chunks(text: string, seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf('\n', at + Math.floor(r() * 3000));
    end = end < 0 ? text.length : end + 1;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

function parse(text: string, seed: number, prefilter: Prefilter, repeats: boolean): { events: Array<Omit<LogEvent, 'repeatOf'>>; repeated: number } {
  const events: Array<Omit<LogEvent, 'repeatOf'>> = [];
  const parser = new StreamParser({
    service: 'api',
    prefilter,
    repeats,
    onEvent: (e) => {
      const { repeatOf: _template, ...rest } = e;
      events.push(rest);
    },
  });
  for (const file of ['logs/api-error.log', 'logs/worker-error.log']) {
    parser.beginFile(file);
    for (const chunk of chunks(toLatin1(text), seed)) parser.push(chunk);
    for (const e of parser.endFile().untimed) events.push(e);
  }
  return { events, repeated: parser.repeated };
}

const matcher = new Matcher(loadRules(), { facts: true });

describe('repeated lines', () => {
  it.each([1, 2, 3])('give the events the slow path builds (seed %i, the rules prefilter)', (seed) => {
    const text = crashLoopLog(seed, 6000);
    const fast = parse(text, seed, matcher.prefilter, true);
    const slow = parse(text, seed, matcher.prefilter, false);
    expect(slow.repeated).toBe(0);
    // the fast path really ran: most lines of a crash loop are repeats
    expect(fast.repeated).toBeGreaterThan(fast.events.length / 2);
    expect(fast.events).toHaveLength(slow.events.length);
    expect(fast.events).toStrictEqual(slow.events);
  });

  it('give the events the slow path builds when every event is built', () => {
    const text = crashLoopLog(9, 4000);
    const every: Prefilter = { scanner: undefined, everyEvent: true };
    const fast = parse(text, 9, every, true);
    const slow = parse(text, 9, every, false);
    expect(fast.repeated).toBeGreaterThan(fast.events.length / 2);
    expect(fast.events).toStrictEqual(slow.events);
  });

  it('are not taken across a stack, a blank line, another timestamp shape or another prefix', () => {
    const ts = (s: number): string => `2026-11-20T00:00:0${s}`;
    const msg = 'Error: listen EADDRINUSE: address already in use :::3000';
    const text = [
      `${ts(1)}: ${msg}`,
      `${ts(2)}: ${msg}`,
      `${ts(2)}:     at Server.setupListenHandle [as _listen2] (node:net:1817:16)`,
      `${ts(3)}: ${msg}`,
      '',
      `${ts(4)}.250Z: ${msg}`,
      `0|api      | ${ts(5)}: ${msg}`,
      `1|worker   | ${ts(6)}: ${msg}`,
      `${ts(7)}: ${msg}`,
      // closes the event above inside the chunk (an event open at a chunk's end is carried: slow path)
      `${ts(8)}: GET /api/health 200 in 3ms`,
      '',
    ].join('\n');
    const fast = parse(text, 1, { scanner: undefined, everyEvent: true }, true);
    const slow = parse(text, 1, { scanner: undefined, everyEvent: true }, false);
    expect(fast.events).toStrictEqual(slow.events);
    const first = fast.events.slice(0, fast.events.length / 2);
    expect(first.map((e) => [e.line, e.lineCount, e.service, e.time])).toEqual([
      [1, 1, 'api', Date.parse(`${ts(1)}Z`)],
      [2, 2, 'api', Date.parse(`${ts(2)}Z`)],
      // the blank line joins the event (and is dropped from it): not a one-line event
      [4, 1, 'api', Date.parse(`${ts(3)}Z`)],
      [6, 1, 'api', Date.parse(`${ts(4)}.250Z`)],
      [7, 1, 'api', Date.parse(`${ts(5)}Z`)],
      [8, 1, 'worker', Date.parse(`${ts(6)}Z`)],
      [9, 1, 'api', Date.parse(`${ts(7)}Z`)],
      [10, 1, 'api', Date.parse(`${ts(8)}Z`)],
    ]);
    // only line 9 repeats line 1 (same shape, same prefix, one line): once per file
    expect(fast.repeated).toBe(2);
    expect(first[6]?.raw).toBe(`${ts(7)}: ${msg}`);
  });
});
