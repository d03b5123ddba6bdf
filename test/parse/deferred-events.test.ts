// Events that only a deferred fact literal hits (error lines, WebSocket handshakes) are kept
// unbuilt by the parser and built later by buildDeferredEvent: the later build must give the very
// event an eager build gives, and rule hits must still be built at once.
import { describe, expect, it } from 'vitest';
import { buildPrefilter } from '../../src/parse/prefilter.js';
import { StreamParser, buildDeferredEvent, deferredService, type DeferredEvent } from '../../src/parse/stream-parser.js';
import { DEFERRED_FACT_LITERALS } from '../../src/match/facts.js';
import { toLatin1 } from '../../src/text/latin1.js';
import type { LogEvent } from '../../src/model.js';

const text = [
  '2026-02-10 03:12:44,346 INFO app.tasks started',
  '0|api      | 2026-02-10 03:12:45 +00:00: TypeError: Cannot read properties of undefined (reading \'id\')',
  '0|api      | 2026-02-10 03:12:45 +00:00:     at handler (/srv/api/index.js:10:5)',
  '127.0.0.1:57614 - "WebSocket /ws/42?x=1" [accepted]',
  '2026-02-10 03:12:47,100 ERROR app.db',
  'Traceback (most recent call last):',
  '  File "/srv/app/db.py", line 3, in run',
  'sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00',
  '2026-02-10 03:12:48,000 INFO done ünïcode',
  '{"level":50,"time":1770693169000,"app_name":"worker","msg":"Error: boom"}',
  '',
].join('\n');

function parse(options: { deferred: boolean; everyEvent?: boolean }): { built: LogEvent[]; kept: DeferredEvent[] } {
  const built: LogEvent[] = [];
  const kept: DeferredEvent[] = [];
  const parser = new StreamParser({
    service: 'app',
    // QueuePool limit stands for a rule literal
    prefilter: buildPrefilter([], ['queuepool limit'], options.deferred ? DEFERRED_FACT_LITERALS : []),
    everyEvent: options.everyEvent === true,
    onEvent: (e) => built.push(e),
    ...(options.deferred ? { onDeferred: (d: DeferredEvent) => kept.push(d) } : {}),
  });
  parser.beginFile('app.log');
  parser.push(toLatin1(text));
  parser.endFile();
  return { built, kept };
}

describe('deferred fact events', () => {
  it('keeps the error lines and the handshake unbuilt, builds the rule hit at once', () => {
    const { built, kept } = parse({ deferred: true });
    expect(built.map((e) => e.line)).toEqual([5]);
    expect(kept.map((d) => d.line)).toEqual([2, 4, 10]);
    expect(parse({ deferred: false }).built.map((e) => e.line)).toEqual([5]);
  });

  it('builds each kept event later exactly as the parser builds it (text, time, service, line)', () => {
    const all = new Map(parse({ deferred: false, everyEvent: true }).built.map((e) => [e.line, e]));
    const { kept } = parse({ deferred: true });
    for (const d of kept) {
      const later = buildDeferredEvent(d);
      expect(later).toEqual(all.get(d.line));
    }
    const api = buildDeferredEvent(kept[0] as DeferredEvent);
    expect(api.service).toBe('api');
    expect(api.text).toContain('at handler');
    // the handshake has no time of its own: it takes the last one before it
    expect(buildDeferredEvent(kept[1] as DeferredEvent).time).toBe(api.time);
  });

  it('tells the service before building, except for JSON lines whose fields may name it', () => {
    const { kept } = parse({ deferred: true });
    expect(kept.map((d) => deferredService(d))).toEqual(['api', 'app', undefined]);
    expect(buildDeferredEvent(kept[2] as DeferredEvent).service).toBe('worker');
  });
});
