import { describe, expect, it } from 'vitest';
import { apacheTimeEnd, dateTimeEnd, parseJsonTime, parseTimestamp, slashDateTimeEnd, syslogTimeEnd } from '../../src/parse/timestamp.js';

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-22T09:39:07: PM2 log: App [api:0] online', '2026-11-22T09:39:07.000Z'], // PM2 --time
    ['2026-11-22 09:40:32 +00:00: listening', '2026-11-22T09:40:32.000Z'], // log_date_format with Z
    ['2026-11-22 11:40:32 +02:00: listening', '2026-11-22T09:40:32.000Z'],
    ['2025-12-07 12:27:11,246 ERROR app.tasks failed', '2025-12-07T12:27:11.246Z'], // Python logging
    ['2025-12-07 12:27:11 [error] websocket_error', '2025-12-07T12:27:11.000Z'], // structlog
    ['2025-09-17 20:50:46.605 UTC [253] FATAL:  sorry, too many clients already', '2025-09-17T20:50:46.605Z'], // postgres
    ['2016-11-10T12:16:16.134Z - error: uncaughtException', '2016-11-10T12:16:16.134Z'], // winston
    ['2021-11-08 13:27:05 757: SyntaxError', '2021-11-08T13:27:05.757Z'], // PM2 'YYYY-MM-DD HH:mm:ss SSS'
  ])('reads %s', (line, iso) => {
    expect(new Date(parseTimestamp(line) ?? NaN).toISOString()).toBe(iso);
  });

  it('rejects lines that only look like dates', () => {
    expect(parseTimestamp('2026-13-99 is not a date')).toBeUndefined();
    expect(parseTimestamp('GET /api/health 200')).toBeUndefined();
    expect(dateTimeEnd('12345-11-22T09:39:07', 0)).toBe(-1);
  });

  it('dateTimeEnd stops right after the zone so prefixes can be skipped', () => {
    const line = '2026-11-22 09:40:32 +00:00: text';
    expect(line.slice(dateTimeEnd(line, 0))).toBe(': text');
  });
});

describe('parseJsonTime', () => {
  it('takes pino epoch ms, epoch seconds and ISO strings', () => {
    expect(parseJsonTime(1770000000000)).toBe(1770000000000);
    expect(parseJsonTime(1770000000.5)).toBe(1770000000500);
    expect(parseJsonTime('2026-02-08T16:43:03.343Z')).toBe(Date.parse('2026-02-08T16:43:03.343Z'));
    expect(parseJsonTime('soon')).toBeUndefined();
  });
});

describe('times of other writers', () => {
  const dec2026 = Date.parse('2026-12-20T00:00:00Z');
  it.each([
    ['2026/12/03 02:11:47', '2026-12-03T02:11:47.000Z'], // nginx error log
    ['Wed Dec 03 02:11:47.123456 2026', '2026-12-03T02:11:47.123Z'], // Apache 2.4
    ['Dec  3 02:11:47', '2026-12-03T02:11:47.000Z'], // syslog, space-padded day
    ['Dec 03 02:11:47.250000', '2026-12-03T02:11:47.250Z'], // journalctl -o short-precise
  ])('reads %s', (text, iso) => {
    expect(new Date(parseTimestamp(text, dec2026) ?? NaN).toISOString()).toBe(iso);
  });

  it('puts a syslog time that would lie in the future into the previous year', () => {
    const jan2027 = Date.parse('2027-01-02T00:00:00Z');
    expect(new Date(parseTimestamp('Dec 31 23:59:59', jan2027) ?? NaN).toISOString()).toBe('2026-12-31T23:59:59.000Z');
    expect(new Date(parseTimestamp('Jan  1 00:00:01', jan2027) ?? NaN).toISOString()).toBe('2027-01-01T00:00:01.000Z');
  });

  it('finds where each format ends without regexes', () => {
    const nginx = '2026/12/03 02:11:47 [error] 123#0: x';
    expect(nginx.slice(slashDateTimeEnd(nginx, 0))).toBe(' [error] 123#0: x');
    const sys = 'Dec  3 02:11:47 host app[1]: x';
    expect(sys.slice(syslogTimeEnd(sys, 0))).toBe(' host app[1]: x');
    expect(syslogTimeEnd('Decimal 3 is odd', 0)).toBe(-1);
    expect(syslogTimeEnd('Error: x', 0)).toBe(-1);
    const apache = 'Wed Dec 03 02:11:47.123456 2026] [x]';
    expect(apache.slice(apacheTimeEnd(apache, 0))).toBe('] [x]');
  });
});
