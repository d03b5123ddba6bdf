// Lines written by syslog/journald, nginx, Apache and `docker logs -t`, and process listings as
// people paste them (headerless ps, pm2 ls): what the parser makes of each.
import { describe, expect, it } from 'vitest';
import { parseSnippet } from '../../src/match/examples.js';

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('whole-line formats of other writers', () => {
  it('syslog / journald: time, host, service and pid from the prefix; a stack joins across prefixed lines', () => {
    const [ev, next] = parseSnippet(
      lines(
        'Dec  3 02:11:47 web1 api[4123]: Error: listen EADDRINUSE: address already in use :::3000',
        'Dec  3 02:11:47 web1 api[4123]:     at Server.setupListenHandle [as _listen2] (node:net:1817:16)',
        'Dec  3 02:11:48 web1 systemd[1]: api.service: Main process exited, code=exited, status=1/FAILURE',
      ),
    );
    expect(ev?.text).toBe('Error: listen EADDRINUSE: address already in use :::3000\n    at Server.setupListenHandle [as _listen2] (node:net:1817:16)');
    expect([ev?.service, ev?.pid, ev?.fields?.host, ev?.lineCount]).toEqual(['api', 4123, 'web1', 2]);
    expect(new Date(ev?.time ?? 0).toISOString().slice(5, 19)).toBe('12-03T02:11:47');
    expect([next?.service, next?.pid, next?.text]).toEqual(['systemd', 1, 'api.service: Main process exited, code=exited, status=1/FAILURE']);
  });

  it('journalctl -o json saved to a file: MESSAGE, __REALTIME_TIMESTAMP (µs), SYSLOG_IDENTIFIER and _PID', () => {
    const [ev] = parseSnippet(
      lines(
        '{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1764740552470123","_PID":"4123","SYSLOG_IDENTIFIER":"shop-api","_SYSTEMD_UNIT":"shop-api.service","PRIORITY":"3","MESSAGE":"Error: listen EADDRINUSE: address already in use :::3000"}',
      ),
    );
    expect([ev?.service, ev?.pid, ev?.text]).toEqual(['shop-api', 4123, 'Error: listen EADDRINUSE: address already in use :::3000']);
    expect(new Date(ev?.time ?? 0).toISOString()).toBe('2025-12-03T05:42:32.470Z');
  });

  it('journald short-iso needs the [pid] so Python logging lines are not read as syslog', () => {
    const [iso, py] = parseSnippet(lines('2026-12-03T02:11:47+0000 web1 node[99]: hello', '2026-12-03 02:11:48,246 ERROR app.tasks: failed'));
    expect([iso?.service, iso?.pid, iso?.text]).toEqual(['node', 99, 'hello']);
    expect([py?.service, py?.text]).toEqual(['example', 'ERROR app.tasks: failed']);
  });

  it('a pm2 logs prefix inside a syslog message still names the app', () => {
    const [ev] = parseSnippet(lines('Dec  3 02:11:47 web1 pm2[812]: 0|api      | Error: boom'));
    expect([ev?.service, ev?.text]).toEqual(['api', 'Error: boom']);
  });

  it('nginx error log: time, level and pid; the message starts after the connection number', () => {
    const [ev] = parseSnippet(
      lines('2026/12/03 02:11:47 [error] 123#0: *4 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.7'),
    );
    expect([ev?.level, ev?.pid, ev?.time]).toEqual(['error', 123, Date.parse('2026-12-03T02:11:47Z')]);
    expect(ev?.text).toBe('connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.7');
  });

  it('Apache 2.4 error log: time with microseconds, module:level, pid; client field skipped', () => {
    const [ev] = parseSnippet(
      lines('[Wed Dec 03 02:11:47.123456 2026] [proxy_http:error] [pid 1234:tid 140234] [client 10.0.0.7:51234] AH01114: HTTP: failed to make connection to backend: localhost'),
    );
    expect([ev?.level, ev?.pid, ev?.time]).toEqual(['proxy_http:error', 1234, Date.parse('2026-12-03T02:11:47.123Z')]);
    expect(ev?.text).toBe('AH01114: HTTP: failed to make connection to backend: localhost');
  });

  it('docker logs -t: the RFC 3339 nanosecond prefix, then the app’s own timestamp, both stripped', () => {
    const events = parseSnippet(
      lines(
        '2026-12-03T02:11:47.123456789Z 2026-12-03 02:11:47,100 ERROR worker: boom',
        '2026-12-03T02:11:47.223456789Z Error: listen EADDRINUSE: address already in use :::3000',
        '2026-12-03T02:11:47.223498201Z     at Server.setupListenHandle [as _listen2] (node:net:1817:16)',
      ),
    );
    expect(events.map((e) => [e.text, e.lineCount])).toEqual([
      ['ERROR worker: boom', 1],
      ['Error: listen EADDRINUSE: address already in use :::3000\n    at Server.setupListenHandle [as _listen2] (node:net:1817:16)', 2],
    ]);
    expect(events[0]?.time).toBe(Date.parse('2026-12-03T02:11:47.123Z'));
  });
});

describe('process listings as people capture them', () => {
  it('ps -ef | grep without a header: the shell line is skipped, the layout comes from the rows', () => {
    const events = parseSnippet(
      lines(
        'klg@gentoo:~$ ps -ef | grep PM2',
        'klg       1978     1  0 May13 ?        00:03:57 PM2 v0.12.14: God Daemon                                     ',
        'klg      20148 20042  0 12:53 pts/0    00:00:00 grep PM2',
      ),
    );
    expect(events.map((e) => [e.kind, e.pid, e.fields?.ppid, e.fields?.start, e.text])).toEqual([
      ['ps', 1978, '1', 'May13', 'PM2 v0.12.14: God Daemon'],
      ['ps', 20148, '20042', '12:53', 'grep PM2'],
    ]);
  });

  it('ps aux rows without a header, and busybox ps with its own header', () => {
    const aux = parseSnippet(lines('agent    16335  0.0  0.0 884272 25496 ?        Ssl  07:05   0:00 PM2 v2.2.2: God Daemon (/home/agent/.pm2)'));
    expect(aux.map((e) => [e.kind, e.pid, e.fields?.start, e.text])).toEqual([['ps', 16335, '07:05', 'PM2 v2.2.2: God Daemon (/home/agent/.pm2)']]);
    const busybox = parseSnippet(lines('PID   USER     TIME  COMMAND', '    1 root      0:00 node server.js'));
    expect(busybox.map((e) => [e.kind, e.pid, e.text])).toEqual([['ps', 1, 'node server.js']]);
  });

  it('does not take an ordinary log for a process listing', () => {
    const events = parseSnippet(lines('$ npm start', 'listening on 3000', 'GET / 200 12 ms'));
    expect(events.every((e) => e.kind === 'log')).toBe(true);
  });

  it.each([
    [
      'PM2 0.x',
      [
        '│ App Name │ id │ mode    │ PID   │ status    │ port │ Restarted │ Uptime │    memory │',
        '│ app      │ 0  │ cluster │ 15531 │ launching │      │         3 │ 0      │ 19.094 MB │',
      ],
      'pm2 ls: App [app:0] mode=cluster pid=15531 status=launching restarts=3 uptime=0s',
    ],
    [
      'PM2 2.x',
      [
        '│ App name │ id │ mode    │ pid │ status  │ restart │ uptime │ cpu │ mem    │ user   │ watching │',
        '│ app1     │ 0  │ cluster │ 0   │ errored │ 2       │ 0      │ 0%  │ 0 B    │ danoha │ disabled │',
      ],
      'pm2 ls: App [app1:0] mode=cluster pid=0 status=errored restarts=2 uptime=0s',
    ],
    [
      'PM2 5.x',
      [
        '│ id │ name   │ namespace   │ version │ mode    │ pid      │ uptime │ ↺    │ status    │ cpu      │ mem      │',
        '│ 0  │ api    │ default     │ 1.0.0   │ fork    │ 48211    │ 2m     │ 38   │ waiting restart │ 0%       │ 41.2mb   │',
      ],
      'pm2 ls: App [api:0] mode=fork pid=48211 status=waiting-restart restarts=38 uptime=120s',
    ],
  ])('pm2 ls table (%s) rows become one normalised ps event per app', (_v, rows, text) => {
    const border = '┌────┬────┐';
    const events = parseSnippet(lines('$ pm2 ls', border, ...rows, '└────┴────┘', ' Use `pm2 show <id|name>` to get more details about an app'));
    expect(events.map((e) => [e.kind, e.text])).toEqual([['ps', text]]);
    expect(events[0]?.service).toBe(/App \[([^:]+):/.exec(text)?.[1]);
  });
});
