// Drives change sinks from the commands until the store's outbox drives them: one lane per sink
// (an HA pair of Alertmanagers is two lanes, like Prometheus' notifier), batches in order,
// failures retried with backoff, open incidents re-sent for sinks that forget them. Delivery
// never blocks the caller: push() returns at once and the lanes work off the reading loop.
import type { ChangeRecord } from '../change-record.js';
import { backoffDelay, DeliveryError, type ChangeSink } from './sink.js';

/** A lane holds at most this many undelivered changes; past it the oldest are dropped (with a warning). */
const MAX_PENDING = 10_000;

export interface DeliveryOutcome {
  sink: string;
  delivered: number;
  /** Given up on: rejected by the receiver, out of attempts, or over the pending cap. */
  dropped: number;
  /** Still undelivered when the queue closed. */
  pending: number;
  lastError?: string | undefined;
}

interface Lane {
  sink: ChangeSink;
  pending: ChangeRecord[];
  /** Latest record of each open incident, for re-sending. */
  open: Map<string, ChangeRecord>;
  failures: number;
  running: Promise<void> | undefined;
  wake: (() => void) | undefined;
  delivered: number;
  dropped: number;
  lastError: string | undefined;
}

export interface DeliveryQueueOptions {
  warn: (message: string) => void;
  /** Changes for which this returns false are not sent (silences). */
  accept?: (record: ChangeRecord) => boolean;
}

export class DeliveryQueue {
  private readonly lanes: Lane[];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private closing = false;

  constructor(sinks: ChangeSink[], private readonly options: DeliveryQueueOptions) {
    this.lanes = sinks.map((sink) => ({ sink, pending: [], open: new Map(), failures: 0, running: undefined, wake: undefined, delivered: 0, dropped: 0, lastError: undefined }));
  }

  get size(): number {
    return this.lanes.length;
  }

  /** Queue changes for every sink. */
  push(all: ChangeRecord[]): void {
    const records = this.accepted(all);
    if (records.length === 0) return;
    for (const lane of this.lanes) {
      for (const r of records) this.track(lane, r);
      lane.pending.push(...records);
      this.cap(lane);
      this.kick(lane);
    }
  }

  /**
   * After a restart: incidents still open are re-asserted to the sinks that forget state (and
   * only to them: a webhook already had these changes).
   */
  reassert(all: ChangeRecord[]): void {
    const records = this.accepted(all);
    for (const lane of this.lanes) {
      if (!lane.sink.resendIntervalMs) continue;
      for (const r of records) this.track(lane, r);
      lane.pending.push(...records.filter((r) => r.incident.status === 'open'));
      this.kick(lane);
    }
  }

  /** Start re-sending open incidents to the sinks that ask for it. */
  startResending(): void {
    for (const lane of this.lanes) {
      const every = lane.sink.resendIntervalMs;
      if (!every) continue;
      const timer = setInterval(() => {
        const queued = new Set(lane.pending.map((r) => r.incident.id));
        const again = [...lane.open.values()].filter((r) => !queued.has(r.incident.id));
        if (again.length === 0) return;
        lane.pending.push(...again);
        this.kick(lane);
      }, every);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Wait until every lane delivered or gave up on everything queued (batch commands). */
  async drain(): Promise<DeliveryOutcome[]> {
    for (;;) {
      const busy = this.lanes.map((l) => l.running).filter((p) => p !== undefined);
      if (busy.length === 0) return this.outcomes();
      await Promise.all(busy);
    }
  }

  /**
   * Shutting down: stop re-sending, cut backoff waits short, let in-flight requests finish, then
   * try what is still pending once more. What fails stays pending in the outcome (the outbox,
   * once it drives sinks, keeps it for the next run).
   */
  async close(): Promise<DeliveryOutcome[]> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    for (const lane of this.lanes) lane.wake?.();
    await Promise.all(this.lanes.map((l) => l.running));
    await Promise.all(this.lanes.map((lane) => this.finalAttempt(lane)));
    return this.outcomes();
  }

  private accepted(records: ChangeRecord[]): ChangeRecord[] {
    const accept = this.options.accept;
    return accept ? records.filter((r) => accept(r)) : records;
  }

  private outcomes(): DeliveryOutcome[] {
    return this.lanes.map((l) => ({ sink: l.sink.name, delivered: l.delivered, dropped: l.dropped, pending: l.pending.length, lastError: l.lastError }));
  }

  private track(lane: Lane, r: ChangeRecord): void {
    if (!lane.sink.resendIntervalMs) return;
    if (r.incident.status === 'open') lane.open.set(r.incident.id, r);
    else lane.open.delete(r.incident.id);
  }

  private cap(lane: Lane): void {
    const over = lane.pending.length - MAX_PENDING;
    if (over <= 0) return;
    lane.pending.splice(0, over);
    lane.dropped += over;
    this.options.warn(`${lane.sink.name}: more than ${MAX_PENDING} changes undelivered; dropped the ${over} oldest`);
  }

  private kick(lane: Lane): void {
    if (lane.running || this.closing) return;
    lane.running = this.work(lane).finally(() => {
      lane.running = undefined;
    });
  }

  private async work(lane: Lane): Promise<void> {
    const { sink } = lane;
    while (lane.pending.length > 0 && !this.closing) {
      const batch = lane.pending.slice(0, sink.batchSize);
      try {
        await sink.deliver(batch, this.abort.signal);
        lane.pending.splice(0, batch.length);
        lane.delivered += batch.length;
        if (lane.failures > 0) this.options.warn(`${sink.name}: delivering again after ${lane.failures} failed attempt(s)`);
        lane.failures = 0;
      } catch (err) {
        const e = err instanceof DeliveryError ? err : new DeliveryError(err instanceof Error ? err.message : String(err), true);
        lane.lastError = e.message;
        lane.failures++;
        if (!e.retryable || lane.failures >= sink.retry.attempts) {
          lane.pending.splice(0, batch.length);
          lane.dropped += batch.length;
          const why = e.retryable ? `after ${lane.failures} attempts` : 'rejected';
          this.options.warn(`${sink.name}: ${batch.length} change(s) not delivered (${why}): ${e.message}`);
          lane.failures = 0;
          continue;
        }
        if (lane.failures === 1) this.options.warn(`${sink.name}: delivery failed (${e.message}); retrying with backoff`);
        await this.sleep(lane, Math.max(backoffDelay(sink.retry, lane.failures), e.retryAfterMs ?? 0));
      }
    }
  }

  private async finalAttempt(lane: Lane): Promise<void> {
    while (lane.pending.length > 0) {
      const batch = lane.pending.slice(0, lane.sink.batchSize);
      try {
        await lane.sink.deliver(batch, new AbortController().signal);
        lane.pending.splice(0, batch.length);
        lane.delivered += batch.length;
      } catch (err) {
        lane.lastError = err instanceof Error ? err.message : String(err);
        return;
      }
    }
  }

  private sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        lane.wake = undefined;
        resolve();
      }
      lane.wake = done;
    });
  }
}
