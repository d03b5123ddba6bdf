// What a change consumer is: a name, a delivery function and how to retry it. Today the
// commands drive sinks through DeliveryQueue (deliver/queue.ts); the store's outbox will drive
// the same objects later, so a sink keeps no queue or cursor of its own.
import type { ChangeRecord } from '../change-record.js';

export interface RetryPolicy {
  /** Attempts per batch before it is given up (Infinity: keep trying while running). */
  attempts: number;
  /** First wait after a failure; doubled after each further failure, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface ChangeSink {
  /** For messages: `alertmanager http://am:9093`. */
  readonly name: string;
  readonly retry: RetryPolicy;
  /** Changes sent per call (1 for receivers that take one JSON object per request). */
  readonly batchSize: number;
  /**
   * Re-send the latest record of every open incident this often: a receiver that forgets state
   * (Alertmanager resolves an alert not re-sent before its endsAt) must hear it again.
   */
  readonly resendIntervalMs?: number | undefined;
  /** Resolves when the receiver accepted every change; throws DeliveryError otherwise. */
  deliver(changes: ChangeRecord[], signal: AbortSignal): Promise<void>;
}

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    /** False when sending the same thing again cannot help (HTTP 4xx other than 408/429). */
    readonly retryable: boolean,
    /** The receiver asked us to wait this long (Retry-After). */
    readonly retryAfterMs?: number | undefined,
  ) {
    super(message);
  }
}

/** Full jitter (AWS's "exponential backoff and jitter"): agents restarted together do not retry in step. */
export function backoffDelay(policy: RetryPolicy, failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
