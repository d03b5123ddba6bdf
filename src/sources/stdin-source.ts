// Standard input as a live source (`pm2 logs --raw | incident-analyser watch -`, `kubectl logs -f`):
// lines are delivered as they arrive; a last line without its newline is delivered after a short
// quiet time (a prompt, a writer that flushes late). A pipe has no position to resume from, so
// this source saves nothing: what went by while no watcher ran is gone (the README says so).
// End of input ends the watch: the owner's `onEnd` stops the watcher (flush, final checkpoint).
import type { Readable } from 'node:stream';
import type { SavedPosition } from '../model.js';
import { MAX_LINE_BYTES } from '../text/latin1.js';
import type { Source, SourceCheckpoint, SourceHost } from './source.js';

/** Stream ids of this source: negative, so they never meet the file source's (1, 2, …). */
const STDIN_STREAM_ID = -1;
/** A partial last line is delivered after this long without more input (ms). */
const PARTIAL_LINE_QUIET_MS = 500;

export interface StdinSourceOptions {
  /** The service the stream's lines belong to when they carry no `N|app |` prefix. */
  service: string;
  /** Called once input has ended and every byte was delivered. */
  onEnd: () => void;
  input?: Readable;
  partialLineQuietMs?: number;
}

export class StdinSource implements Source {
  readonly name = 'stdin';
  private host!: SourceHost;
  private readonly input: Readable;
  /** Bytes of the line not yet ended by a newline. */
  private partial: Buffer = Buffer.alloc(0);
  private offset = 0;
  private partialTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ended = false;
  private warnedLong = false;

  constructor(private readonly options: StdinSourceOptions) {
    this.input = options.input ?? process.stdin;
  }

  async start(host: SourceHost, _saved: { positions: SavedPosition[]; state: unknown }): Promise<void> {
    this.host = host;
    // the service name reaches the parser as a live file name would (`api` → service `api`)
    host.open({ id: STDIN_STREAM_ID, display: '-', liveName: this.options.service, offset: 0, startLine: 0 });
    this.input.on('data', this.onData);
    this.input.once('end', this.onEnd);
    this.input.once('error', this.onError);
  }

  private readonly onData = (data: Buffer | string): void => {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    // one chunk at a time on the queue: a fast writer waits instead of filling memory
    this.input.pause();
    void this.host.enqueue(async () => {
      this.take(bytes);
      if (!this.stopped) this.input.resume();
    });
  };

  private readonly onEnd = (): void => {
    void this.host.enqueue(async () => {
      this.deliverPartial();
      if (this.ended) return;
      this.ended = true;
      this.options.onEnd();
    });
  };

  private readonly onError = (err: Error): void => {
    this.host.warn(`standard input: ${err.message}; stopping`);
    this.onEnd();
  };

  private take(bytes: Buffer): void {
    if (this.stopped) return;
    const all = this.partial.length > 0 ? Buffer.concat([this.partial, bytes]) : bytes;
    const lastNl = all.lastIndexOf(0x0a);
    if (lastNl >= 0) {
      this.send(all.subarray(0, lastNl + 1).toString('latin1'), lastNl + 1);
      this.partial = Buffer.from(all.subarray(lastNl + 1));
    } else {
      this.partial = Buffer.from(all);
    }
    if (this.partial.length > MAX_LINE_BYTES) {
      if (!this.warnedLong) this.host.warn(`standard input: a line longer than ${MAX_LINE_BYTES / 1024} KiB was cut`);
      this.warnedLong = true;
      const consumed = this.partial.length;
      this.send(`${this.partial.subarray(0, MAX_LINE_BYTES).toString('latin1')}\n`, consumed);
      this.partial = Buffer.alloc(0);
    }
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    if (this.partial.length > 0) {
      const quiet = this.options.partialLineQuietMs ?? PARTIAL_LINE_QUIET_MS;
      this.partialTimer = setTimeout(() => void this.host.enqueue(async () => this.deliverPartial()), quiet);
    }
  }

  /** The unfinished last line, as a line: input went quiet or ended. */
  private deliverPartial(): void {
    if (this.partialTimer) clearTimeout(this.partialTimer);
    this.partialTimer = undefined;
    if (this.partial.length === 0) return;
    const n = this.partial.length;
    this.send(`${this.partial.toString('latin1')}\n`, n);
    this.partial = Buffer.alloc(0);
  }

  private send(text: string, consumed: number): void {
    const start = this.offset;
    this.offset += consumed;
    this.host.deliver(STDIN_STREAM_ID, text, start, this.offset);
  }

  async checkpoint(): Promise<SourceCheckpoint> {
    // nothing to save: a pipe cannot be re-read
    return {};
  }

  async stop(): Promise<void> {
    this.deliverPartial();
    this.stopped = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onError);
    this.input.pause();
    // the stdin handle must not keep the process alive after the watch stopped
    if (this.input === process.stdin) process.stdin.destroy();
    this.host.close(STDIN_STREAM_ID);
  }
}
