// The FactLine path (stream-parser.ts): events holding only fact literals are handed over as read,
// not built; everything a rule could match, and every event it would read differently (ANSI,
// non-ASCII, JSON, a `\r` inside, a host prefix, no timestamp), is still built into a LogEvent.
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../src/rules/load-rules.js';
import { Matcher } from '../../src/match/matcher.js';
import { StreamParser, type FactLine } from '../../src/parse/stream-parser.js';
import { toLatin1 } from '../../src/text/latin1.js';
import type { LogEvent } from '../../src/model.js';

const matcher = new Matcher(loadRules(), { facts: true });

function parse(text: string, factLines = true): { facts: FactLine[]; events: LogEvent[] } {
  const facts: FactLine[] = [];
  const events: LogEvent[] = [];
  const parser = new StreamParser({
    service: 'backend',
    prefilter: matcher.prefilter,
    onEvent: (e) => events.push(e),
    onFactLine: factLines ? (l) => facts.push({ ...l }) : undefined,
  });
  parser.beginFile('backend.log');
  parser.push(toLatin1(text));
  parser.endFile();
  return { facts, events };
}

const ws = (t: string, peer: string, path: string, status: string): string => `${t}: INFO:     ${peer} - "WebSocket ${path}" ${status}`;

describe('fact lines', () => {
  it('hands uvicorn WebSocket access lines over as read, with their time, service and text', () => {
    const { facts, events } = parse(
      [
        ws('2026-02-10 00:00:01 +00:00', '10.0.0.1:5000', '/ws/orders/1', '[accepted]'),
        `3|ws       | ${ws('2026-02-10 00:00:02 +00:00', '10.0.0.2:5001', '/ws?x=1', '403')}`,
        '2026-02-10 00:00:03 +00:00: GET /healthz 200 in 3ms',
        '',
      ].join('\n'),
    );
    expect(events).toHaveLength(0);
    expect(facts.map((f) => [f.line, f.service, f.time, f.text])).toEqual([
      [1, 'backend', Date.parse('2026-02-10T00:00:01Z'), 'INFO:     10.0.0.1:5000 - "WebSocket /ws/orders/1" [accepted]'],
      [2, 'ws', Date.parse('2026-02-10T00:00:02Z'), 'INFO:     10.0.0.2:5001 - "WebSocket /ws?x=1" 403'],
    ]);
    expect(facts[1]?.raw.startsWith('3|ws       | 2026-02-10')).toBe(true);
  });

  it('builds the lines it would read differently, and every line a rule may match', () => {
    const lines = [
      // ANSI colour, non-ASCII bytes, JSON: buildEvent strips, decodes, parses them
      `\x1b[32m${ws('2026-02-10 00:00:01 +00:00', '10.0.0.1:5000', '/ws/a', '[accepted]')}\x1b[0m`,
      ws('2026-02-10 00:00:02 +00:00', '10.0.0.1:5000', '/ws/ü', '[accepted]'),
      '2026-02-10 00:00:03 +00:00: {"msg":"127.0.0.1:1 - \\"WebSocket /ws\\" [accepted]"}',
      // several lines, one with a `\r` (buildEvent drops it before each `\n`)
      ws('2026-02-10 00:00:04 +00:00', '10.0.0.1:5000', '/ws/b', '[accepted]\r'),
      '2026-02-10 00:00:04 +00:00:    - Local:        http://localhost:3000',
      // a fact literal inside a rule literal (`exception: ` in `uncaughtexception: `): the rules decide
      '2026-02-10 00:00:05 +00:00: process.on uncaughtException: boom',
      // a rule literal
      '2026-02-10 00:00:06 +00:00: Error: listen EADDRINUSE: address already in use :::3000',
      // no timestamp of its own
      'INFO:     10.0.0.9:5000 - "WebSocket /ws/c" [accepted]',
      '',
    ];
    const { facts, events } = parse(lines.join('\n'));
    expect(facts).toHaveLength(0);
    expect(events.map((e) => e.line)).toEqual([1, 2, 3, 4, 6, 7, 8]);
    // a plain fact-only line between them still goes the fact way
    const mixed = parse([lines[6], ws('2026-02-10 00:00:07 +00:00', '10.0.0.1:5000', '/ws/d', '403'), lines[5], ''].join('\n'));
    expect(mixed.facts.map((f) => f.line)).toEqual([2]);
    expect(mixed.events.map((e) => e.line)).toEqual([1, 3]);
  });

  it('hands over an event of several lines with the text of each line after its prefixes', () => {
    const { facts, events } = parse(
      [
        '1|api      | 2026-02-10 00:00:02 +00:00: TypeError: Cannot read properties of undefined (reading \'items\')',
        '1|api      | 2026-02-10 00:00:02 +00:00:     at Router.handle (/srv/api/dist/routes/orders.js:68:20)',
        '1|api      | 2026-02-10 00:00:02 +00:00:     at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
        '1|api      | 2026-02-10 00:00:03 +00:00: GET /healthz 200 in 3ms',
        '',
      ].join('\n'),
    );
    expect(events).toHaveLength(0);
    expect(facts.map((f) => [f.line, f.service, f.time])).toEqual([[1, 'api', Date.parse('2026-02-10T00:00:02Z')]]);
    expect(facts[0]?.text).toBe(
      "TypeError: Cannot read properties of undefined (reading 'items')\n    at Router.handle (/srv/api/dist/routes/orders.js:68:20)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
    );
  });

  it('builds every event when no one takes fact lines', () => {
    const text = `${ws('2026-02-10 00:00:01 +00:00', '10.0.0.1:5000', '/ws/orders/1', '[accepted]')}\n`;
    const { facts, events } = parse(text, false);
    expect(facts).toHaveLength(0);
    expect(events.map((e) => e.text)).toEqual(['INFO:     10.0.0.1:5000 - "WebSocket /ws/orders/1" [accepted]']);
  });
});
