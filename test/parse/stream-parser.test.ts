import { describe, expect, it } from 'vitest';
import { parseSnippet } from '../../src/match/examples.js';
import { StreamParser } from '../../src/parse/stream-parser.js';
import { toLatin1 } from '../../src/text/latin1.js';
import type { LogEvent } from '../../src/model.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('event joining', () => {
  it('joins a Next.js error object dump under a PM2 --time prefix', () => {
    const events = parseSnippet(
      lines(
        "2026-02-08T16:40:01: ⨯ [Error: ENOENT: no such file or directory, open '/app/.next/server/app/page.js'] {",
        '2026-02-08T16:40:01:   errno: -2,',
        "2026-02-08T16:40:01:   code: 'ENOENT',",
        '2026-02-08T16:40:01: }',
        '2026-02-08T16:40:02: GET / 500 in 3ms',
      ),
    );
    expect(events).toHaveLength(2);
    expect(events[0]?.lineCount).toBe(4);
    expect(events[0]?.text).toBe("⨯ [Error: ENOENT: no such file or directory, open '/app/.next/server/app/page.js'] {\n  errno: -2,\n  code: 'ENOENT',\n}");
    expect(events[0]?.time).toBe(Date.parse('2026-02-08T16:40:01Z'));
    expect(events[1]?.line).toBe(5);
  });

  it('joins a Python traceback through its final exception line, and chained tracebacks', () => {
    const events = parseSnippet(
      lines(
        'ERROR:    Exception in ASGI application',
        'Traceback (most recent call last):',
        '  File "/x/uvicorn/protocols/websockets/websockets_impl.py", line 240, in run_asgi',
        '    result = await self.app(self.scope, self.asgi_receive, self.asgi_send)',
        'KeyError: 1',
        '',
        'During handling of the above exception, another exception occurred:',
        '',
        'Traceback (most recent call last):',
        '  File "/x/starlette/websockets.py", line 70, in send',
        'RuntimeError: Cannot call "send" once a close message has been sent.',
        'INFO:     connection closed',
      ),
    );
    expect(events.map((e) => e.lineCount)).toEqual([11, 1]);
    expect(events[0]?.text).toContain('RuntimeError: Cannot call "send"');
    expect(events[1]?.text).toBe('INFO:     connection closed');
  });

  it('joins Require stack lists, uncaught-exception caret blocks and V8 OOM reports', () => {
    const events = parseSnippet(
      lines(
        "Error: Cannot find module '/app/.next/server/pages-manifest.json'",
        'Require stack:',
        '- /app/node_modules/next/dist/server/next-server.js',
        'node:events:495',
        "      throw er; // Unhandled 'error' event",
        '      ^',
        '',
        'Error: Connection terminated unexpectedly',
        '    at Connection.<anonymous> (/app/node_modules/pg/lib/client.js:132:73)',
        "Emitted 'error' event on Client instance at:",
        '    at Client._handleErrorEvent (/app/node_modules/pg/lib/client.js:332:10)',
        '',
        'Node.js v20.20.2',
        '<--- Last few GCs --->',
        '[2159:0x664d350]  1328199 ms: Mark-Compact 4059.5 (4136.7) -> 4053.2 (4137.0) MB',
        '',
        '<--- JS stacktrace --->',
        '',
        'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
        '----- Native stack trace -----',
        ' 1: 0xb78db3 node::OOMErrorHandler(char const*, v8::OOMDetails const&) [/usr/bin/node]',
        'listening on :3000',
      ),
    );
    expect(events.map((e) => e.lineCount)).toEqual([3, 10, 8, 1]);
    expect(events[1]?.text).toContain('Connection terminated unexpectedly');
    expect(events[2]?.text).toContain('FATAL ERROR: Reached heap limit');
  });

  it('inherits the previous timestamp for lines without one and strips pm2 logs prefixes', () => {
    const events = parseSnippet(
      lines('0|api      | 2026-02-10 03:12:44 +00:00: starting', '0|api      | Error: listen EADDRINUSE: address already in use :::3000'),
      'fromfile',
    );
    expect(events[1]?.service).toBe('api');
    expect(events[1]?.text).toBe('Error: listen EADDRINUSE: address already in use :::3000');
    expect(events[1]?.time).toBe(Date.parse('2026-02-10T03:12:44Z'));
  });

  it('decodes JSON log lines: message, error stack, time, pid, escaped quotes', () => {
    const [ev] = parseSnippet(
      lines('{"level":50,"time":1770568801000,"pid":4134,"msg":"send failed","err":{"type":"Error","message":"x","stack":"Error: Cannot call \\"send\\" once a close message has been sent.\\n    at f (a.js:1:1)"}}'),
    );
    expect(ev?.pid).toBe(4134);
    expect(ev?.time).toBe(1770568801000);
    expect(ev?.text).toBe('send failed\nError: Cannot call "send" once a close message has been sent.\n    at f (a.js:1:1)');
  });

  it('gives the same events wherever a chunk boundary falls', () => {
    const text = lines(
      '2026-02-08T16:40:01: GET / 200 in 3ms',
      'ERROR:    Exception in ASGI application',
      'Traceback (most recent call last):',
      '  File "/x/starlette/websockets.py", line 70, in send',
      'RuntimeError: Cannot call "send" once a close message has been sent.',
      " ⨯ [Error: ENOENT: no such file or directory, open '/app/.next/server/app/page.js'] {",
      '  errno: -2,',
      '}',
      ' GET /api/health 500 in 12ms',
      'done',
    );
    const whole = parseSnippet(text).map((e) => [e.line, e.lineCount, e.text]);
    expect(whole.map(([line, count]) => [line, count])).toEqual([[1, 1], [2, 4], [6, 3], [9, 1], [10, 1]]);
    const parts = text.split(/(?<=\n)/);
    for (let cut = 1; cut < parts.length; cut++) {
      const events: LogEvent[] = [];
      const parser = new StreamParser({ service: 'x', prefilter: { scanner: undefined, everyEvent: true }, onEvent: (e) => events.push(e) });
      parser.beginFile('f');
      parser.push(toLatin1(parts.slice(0, cut).join('')));
      parser.push(toLatin1(parts.slice(cut).join('')));
      const parsed = parser.endFile();
      events.push(...parsed.untimed);
      expect(events.map((e) => [e.line, e.lineCount, e.text]), `cut after line ${cut}`).toEqual(whole);
    }
  });

  it('keeps CRLF files identical to LF files after parsing', () => {
    const lf = parseSnippet('2026-02-08T16:40:01: a\n    at b\n2026-02-08T16:40:02: c\n');
    const crlf = parseSnippet('2026-02-08T16:40:01: a\r\n    at b\r\n2026-02-08T16:40:02: c\r\n');
    expect(crlf.map((e) => [e.text, e.lineCount, e.time])).toEqual(lf.map((e) => [e.text, e.lineCount, e.time]));
  });

  it('reads ps snapshots into one event per process with pid and start columns', () => {
    const events = parseSnippet(
      lines(
        'USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND',
        'root      3168  0.5  1.2 1024 2048 pts/0    Sl+  16:01   0:03 node /usr/bin/tsx watch server.ts',
        'root      3298  0.5  1.2 1024 2048 pts/0    Sl+  16:05   0:03 node /usr/bin/tsx watch server.ts',
      ),
    );
    expect(events.map((e) => [e.kind, e.pid, e.text, e.fields?.start])).toEqual([
      ['ps', 3168, 'node /usr/bin/tsx watch server.ts', '16:01'],
      ['ps', 3298, 'node /usr/bin/tsx watch server.ts', '16:05'],
    ]);
  });
});
