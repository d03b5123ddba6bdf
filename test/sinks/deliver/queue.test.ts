// The delivery queue with real HTTP: failures retried with backoff in order, receivers' refusals
// not retried, and a clean shutdown that tries pending changes once more and keeps count of what
// is still undelivered.
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../../src/sinks/deliver/queue.js';
import { backoffDelay } from '../../../src/sinks/deliver/sink.js';
import { webhookSink } from '../../../src/sinks/webhook.js';
import { alertmanagerSink } from '../../../src/sinks/alertmanager.js';
import type { ChangeRecord } from '../../../src/sinks/change-record.js';
import { startReceiver, type Receiver } from '../../support/http-receiver.js';

let receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});

function record(id: string, event: ChangeRecord['event'] = 'opened'): ChangeRecord {
  const now = new Date().toISOString();
  return {
    version: 1,
    event,
    at: now,
    host: 'web-1',
    incident: {
      id, rule: 'boom', title: 'Boom', severity: 'error', status: event === 'resolved' ? 'resolved' : 'open', firstSeen: now, lastSeen: now,
      count: 1, services: ['api'], rootCause: 'it went boom', evidence: [], remediations: [], summary: 'api went boom', files: [],
      groupKey: 'api', captures: {}, captureValues: {}, verify: [], prevent: [], links: [], timeApprox: false,
    },
  };
}

const FAST = { attempts: 4, initialDelayMs: 20, maxDelayMs: 100 };

describe('delivery queue', () => {
  it('retries 503s with backoff and delivers every change once, in order', async () => {
    const rx = await startReceiver();
    receivers.push(rx);
    rx.failWith = [503, 503];
    const warnings: string[] = [];
    const q = new DeliveryQueue([webhookSink({ url: `${rx.url}/hook`, retry: FAST })], { warn: (m) => warnings.push(m) });
    q.push([record('a'), record('b')]);
    const [outcome] = await q.drain();
    expect(outcome).toMatchObject({ delivered: 2, dropped: 0, pending: 0 });
    expect(rx.received.map((r) => r.status)).toEqual([503, 503, 200, 200]);
    expect(rx.received.filter((r) => r.status === 200).map((r) => JSON.parse(r.body).incident.id)).toEqual(['a', 'b']);
    expect(rx.received[0]?.headers['content-type']).toBe('application/json');
    expect(warnings).toEqual([
      'webhook http://127.0.0.1:' + rx.url.split(':')[2] + '/hook/…: delivery failed (HTTP 503: failing on purpose with 503); retrying with backoff',
      expect.stringMatching(/delivering again after 2 failed attempt/),
    ]);
  });

  it('does not retry a 400, gives up after the policy, and goes on with the next change', async () => {
    const rx = await startReceiver();
    receivers.push(rx);
    rx.failWith = [400, 500, 500, 500, 500];
    const warnings: string[] = [];
    const q = new DeliveryQueue([webhookSink({ url: rx.url, retry: FAST })], { warn: (m) => warnings.push(m) });
    q.push([record('rejected'), record('unlucky'), record('fine')]);
    const [outcome] = await q.drain();
    expect(outcome).toMatchObject({ delivered: 1, dropped: 2, pending: 0 });
    expect(rx.received.map((r) => r.status)).toEqual([400, 500, 500, 500, 500, 200]);
    expect(warnings.some((w) => /1 change\(s\) not delivered \(rejected\): HTTP 400/.test(w))).toBe(true);
    expect(warnings.some((w) => /not delivered \(after 4 attempts\): HTTP 500/.test(w))).toBe(true);
  });

  it('on close, cuts a backoff wait short, tries once more, and reports what is still pending', async () => {
    const rx = await startReceiver();
    receivers.push(rx);
    rx.failWith = [503, 503, 503];
    const q = new DeliveryQueue([webhookSink({ url: rx.url, retry: { attempts: Infinity, initialDelayMs: 60_000, maxDelayMs: 60_000 } })], { warn: () => {} });
    q.push([record('a'), record('b')]);
    while (rx.received.length < 1) await new Promise((r) => setTimeout(r, 10));
    // the lane now waits ~a minute; close() must not
    const [outcome] = await q.close();
    expect(rx.received.map((r) => r.status)).toEqual([503, 503]);
    expect(outcome).toMatchObject({ delivered: 0, pending: 2, lastError: 'HTTP 503: failing on purpose with 503' });

    rx.failWith = [];
    const q2 = new DeliveryQueue([webhookSink({ url: rx.url, retry: { attempts: Infinity, initialDelayMs: 60_000, maxDelayMs: 60_000 } })], { warn: () => {} });
    rx.failWith = [503];
    q2.push([record('c')]);
    while (rx.received.length < 3) await new Promise((r) => setTimeout(r, 10));
    const [ok] = await q2.close();
    expect(ok).toMatchObject({ delivered: 1, pending: 0 });
  }, 20_000);

  it('sends Alertmanager the latest state of each incident once per batch', async () => {
    const rx = await startReceiver();
    receivers.push(rx);
    const q = new DeliveryQueue([alertmanagerSink({ url: `${rx.url}/am/`, retry: FAST, resendIntervalMs: 60_000 })], { warn: () => {} });
    q.push([record('x'), record('x', 'resolved'), record('y')]);
    await q.drain();
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]?.path).toBe('/am/api/v2/alerts');
    const alerts = JSON.parse(rx.received[0]?.body ?? '[]') as Array<{ labels: { incident_id: string }; endsAt: string }>;
    expect(alerts.map((a) => a.labels.incident_id)).toEqual(['x', 'y']);
    expect(Date.parse(alerts[0]?.endsAt ?? '')).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(alerts[1]?.endsAt ?? '')).toBeGreaterThan(Date.now());
  });

  it('backoff doubles up to its ceiling, with jitter in the upper half', () => {
    const p = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 8000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(p, n, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(p, n, () => 0))).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});
