import { describe, expect, it } from 'vitest';
import { dateTimeEnd, parseJsonTime, parseTimestamp } from '../../src/parse/timestamp.js';

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
