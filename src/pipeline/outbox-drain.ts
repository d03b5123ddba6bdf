// Drain one outbox consumer off the reading loop: woken after each checkpoint commits, it hands
// the new changes to its sink and acks them, one entry at a time, so a kill -9 between a
// delivery and its ack repeats at most that entry and a delivered change is never lost. A sink
// that fails is retried at the next wake; the reader never waits for a sink.
import type { OutboxEntry } from '../model.js';
import type { OutboxConsumer } from '../store/store.js';

export interface ChangeSink {
  /** The consumer name: its cursor in the store. Use one name per destination. */
  name: string;
  /** Where a consumer seen for the first time starts (default: the end; history is not news). */
  start?: 'start' | 'end';
  /** Handle the entries in order; ack(seq) after each one handled (or after a batch). */
  deliver(entries: OutboxEntry[], ack: (seq: number) => void): Promise<void> | void;
  /**
   * Also called with no entries at every checkpoint: a sink that keeps work of its own (reports
   * that could not be written on a full disk) retries then, without waiting for the next change.
   */
  retryEmpty?: boolean;
}

export class OutboxDrain {
  private running: Promise<void> = Promise.resolve();
  private again = false;
  private busy = false;

  constructor(
    private readonly consumer: OutboxConsumer,
    private readonly sink: ChangeSink,
    private readonly warn: (message: string) => void,
  ) {}

  /** New changes were committed: drain them (coalesced while a drain runs). */
  wake(): void {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.running = this.drain().finally(() => {
      this.busy = false;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** Drain everything committed so far and wait for it. */
  async flush(): Promise<void> {
    await this.running;
    this.wake();
    await this.running;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const entries = this.consumer.pending();
        if (entries.length === 0) {
          if (this.sink.retryEmpty) await this.sink.deliver([], () => {});
          return;
        }
        await this.sink.deliver(entries, (seq) => this.consumer.ack(seq));
        const last = entries.at(-1)?.seq;
        if (last !== undefined) this.consumer.ack(last);
      }
    } catch (err) {
      this.warn(`${this.sink.name}: ${err instanceof Error ? err.message : String(err)}; will retry`);
    }
  }
}
