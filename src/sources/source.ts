// What a live source is to the watch driver (Vector's pattern: a source owns its checkpoint).
// The driver hands a source a host: one queue for all work (so a checkpoint sees a consistent
// state), a place to send bytes or ready-made events, and the parsers' answer to "up to where
// is everything processed?". The source answers with what it must save to resume exactly there;
// the driver writes it in the same transaction as the engine state and the outbox. Files today
// (follow/live-files.ts) and the process table (process-source.ts); stdin and journald fit the
// same shape without touching the driver.
import type { LogEvent, SavedPosition } from '../model.js';

/** A byte stream a source opens: a file, resumed after `startLine` lines. */
export interface StreamOpen {
  id: number;
  /** Path as the user sees it (evidence lines name it). */
  display: string;
  /** The live file's name (`app-out.log` for `app-out.log.1`): service name and PM2 daemon detection. */
  liveName: string;
  /** Byte offset of the first byte the source will deliver, and lines before it. */
  offset: number;
  startLine: number;
}

export interface SourceHost {
  /** Run `fn` on the driver's one queue: reading, checkpointing and stopping never interleave. */
  enqueue<T>(fn: () => Promise<T>): Promise<T>;
  open(stream: StreamOpen): void;
  /** Complete lines (Latin-1, one char per byte, each ending in \n) read from bytes [start, end). */
  deliver(id: number, chunk: string, start: number, end: number, time?: number): void;
  /** What follows is a new file at the same path (truncated, replaced): line numbers restart. */
  restart(id: number, display: string): void;
  /** The stream ended (a rotated file drained): its open event is complete. Returns its end. */
  close(id: number): { offset: number; line: number };
  /** Where to resume the stream after a restart: the start of the event still being built. */
  committedOffset(id: number): { offset: number; line: number };
  /** Events that need no parsing (process table rows). */
  events(events: LogEvent[]): void;
  /** Something arrived: the next checkpoint has work. */
  touched(): void;
  warn(message: string): void;
}

/** What a source saves with a checkpoint. */
export interface SourceCheckpoint {
  /** File positions (the positions table). */
  positions?: SavedPosition[];
  /** Anything else, as JSON, under the source's name. */
  state?: unknown;
}

export interface Source {
  /** Unique per source kind; its state is saved under this key. */
  readonly name: string;
  /** Start from what the last checkpoint saved (nothing on a first run). */
  start(host: SourceHost, saved: { positions: SavedPosition[]; state: unknown }): Promise<void>;
  /** What to save now (runs on the queue). */
  checkpoint(): Promise<SourceCheckpoint>;
  /** Read what is left and stop every timer and watcher (runs on the queue). */
  stop(): Promise<void>;
}
