// The continuous driver: live sources → parse → match → the correlation engine → the store's
// outbox → sinks. Wiring only: the sources (sources/follow/live-files.ts, sources/process-source.ts)
// find and read what to read and own their checkpoints; LiveStreams parses their bytes. Every
// operation (reading, checkpointing, stopping) runs on one queue, so a checkpoint sees one
// consistent moment: each source's resume point (the start of the event still being built, so
// a restart re-reads it whole), the engine's changed groups and the changes it emitted are
// saved in ONE SQLite transaction. Sinks drain the outbox afterwards, off the reading loop.
import type { Incident, LogEvent } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import { Matcher } from '../match/matcher.js';
import { Engine, groupKeyOf, isGroupState } from '../correlate/engine.js';
import { renderIncidentText } from '../sinks/incident-text.js';
import type { Source, SourceHost } from '../sources/source.js';
import { LiveFiles } from '../sources/follow/live-files.js';
import { ProcessSource } from '../sources/process-source.js';
import type { Store, TraceRow } from '../store/store.js';
import { LiveStreams } from './live-streams.js';
import { OutboxDrain, type ChangeSink } from './outbox-drain.js';

/** A change worth a console line is saved and shown this soon, not at the next periodic checkpoint. */
const NOTABLE_CHECKPOINT_MS = 20;

export interface WatchOptions {
  paths: string[];
  rules: CompiledRule[];
  store: Store;
  /** Read existing content first (default: start at the end on first sight). */
  fromStart: boolean;
  /** Poll every followed file this often even without change events (ms). */
  pollMs?: number;
  /** Close an event that got no continuation line for this long (ms). */
  flushMs?: number;
  /** Save positions and incidents at most this often (ms). */
  checkpointMs?: number;
  /** Record every matched event in the store (exactly-once tests). */
  trace?: boolean;
  /** Follow symbolic links out of watched folders. */
  followSymlinks?: boolean;
  /** Read the process table this often (ms) for duplicate processes; off when undefined. */
  psIntervalMs?: number;
  /** Where the process table is read (tests point it elsewhere). */
  procRoot?: string;
  /** Where incident changes go: each drains the store's outbox with its own cursor, off the reading loop. */
  sinks: ChangeSink[];
  /** Further live sources (standard input, journald), started after the files and the process table. */
  sources?: Source[];
  /** Called once every source has started and their starting positions are saved. */
  onReady?: () => void;
  warn: (message: string) => void;
  signal: AbortSignal;
}

export class Watcher {
  private readonly matcher: Matcher;
  private readonly engine: Engine;
  private readonly ruleById: Map<string, CompiledRule>;
  private readonly streams: LiveStreams;
  private readonly files: LiveFiles | undefined;
  private readonly sources: Source[] = [];
  private readonly drains: OutboxDrain[];
  private queue: Promise<unknown> = Promise.resolve();
  private trace: TraceRow[] = [];
  private dirty = false;
  private timers: NodeJS.Timeout[] = [];
  private notableTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: WatchOptions) {
    this.matcher = new Matcher(options.rules);
    this.engine = new Engine(options.rules, options.store.loadEngineState().filter(isGroupState));
    this.ruleById = new Map(options.rules.map((r) => [r.spec.id, r]));
    this.streams = new LiveStreams(this.matcher.prefilter, (e) => this.accept(e));
    if (options.paths.length > 0) {
      this.files = new LiveFiles({ paths: options.paths, fromStart: options.fromStart, pollMs: options.pollMs ?? 1000, followSymlinks: options.followSymlinks });
      this.sources.push(this.files);
    }
    if (options.psIntervalMs) this.sources.push(new ProcessSource(options.psIntervalMs, options.procRoot));
    this.sources.push(...(options.sources ?? []));
    this.drains = options.sinks.map((sink) => new OutboxDrain(options.store.outboxConsumer(sink.name, { start: sink.start }), sink, options.warn));
  }

  /** Start reading; resolves when the signal aborts and everything is saved and delivered. */
  async run(): Promise<void> {
    // changes saved before a kill but not delivered yet go out first
    for (const d of this.drains) d.wake();
    const positions = this.options.store.loadPositions();
    for (const source of this.sources) {
      const state = this.options.store.loadWatchState(source.name);
      await source.start(this.host, { positions: source === this.files ? positions : [], state });
    }
    // the starting positions are saved before anything else happens: a kill from here on
    // resumes where this run started, and a file first seen now is never "first seen" again
    this.dirty = true;
    await this.enqueue(() => this.checkpoint());
    this.options.onReady?.();
    // a tick whose last run still waits on the queue adds nothing: a starved process would
    // otherwise queue them without end, and reading and stopping wait behind them
    const every = (ms: number, fn: () => Promise<void>): void => {
      let waiting = false;
      this.timers.push(
        setInterval(() => {
          if (waiting) return;
          waiting = true;
          void this.enqueue(() => {
            waiting = false;
            return fn();
          });
        }, ms),
      );
    };
    const flushMs = this.options.flushMs ?? 200;
    every(Math.max(20, Math.floor(flushMs / 2)), async () => this.streams.flushIdle(flushMs));
    every(this.options.checkpointMs ?? 1000, () => this.checkpoint());
    every(this.options.pollMs ?? 1000, async () => {
      this.engine.tick(Date.now());
      this.checkpointIfNotable();
    });
    await new Promise<void>((resolve) => {
      if (this.options.signal.aborted) resolve();
      else this.options.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await this.stop();
  }

  private async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.notableTimer) clearTimeout(this.notableTimer);
    await this.enqueue(async () => {
      for (const s of this.sources) await s.stop();
      this.streams.flushAll();
      this.dirty = true;
      await this.checkpoint();
      await this.files?.close();
    });
    for (const d of this.drains) await d.flush();
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch((err: unknown) => this.options.warn(`internal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
    return next;
  }

  private readonly host: SourceHost = {
    enqueue: (fn) => this.enqueue(fn),
    open: (s) => this.streams.open(s),
    deliver: (id, chunk, start, end, time) => {
      this.dirty = true;
      this.streams.deliver(id, chunk, start, end, time);
    },
    restart: (id, display) => {
      this.dirty = true;
      this.streams.restart(id, display);
    },
    close: (id) => {
      this.dirty = true;
      return this.streams.close(id);
    },
    committedOffset: (id) => this.streams.committedOffset(id),
    events: (events) => {
      for (const e of events) this.accept(e);
    },
    touched: () => {
      this.dirty = true;
    },
    warn: (m) => this.options.warn(m),
  };

  private accept(event: LogEvent): void {
    for (const m of this.matcher.matchEvent(event)) {
      this.engine.add(m, Date.now());
      if (this.options.trace) this.trace.push({ rule: m.rule, file: event.file, line: event.line, text: event.raw });
    }
    this.checkpointIfNotable();
  }

  /** An incident opened, escalated or resolved: save and report it now, not at the next checkpoint. */
  private checkpointIfNotable(): void {
    if (this.notableTimer || this.stopped || !this.engine.hasChanges(true)) return;
    this.notableTimer = setTimeout(() => {
      this.notableTimer = undefined;
      this.dirty = true;
      void this.enqueue(() => this.checkpoint());
    }, NOTABLE_CHECKPOINT_MS);
  }

  private async checkpoint(): Promise<void> {
    if (!this.dirty && !this.engine.hasChanges()) return;
    this.dirty = false;
    const positions = [];
    const state = [];
    for (const source of this.sources) {
      const cp = await source.checkpoint();
      if (cp.positions) positions.push(...cp.positions);
      if (cp.state !== undefined) state.push({ key: source.name, value: cp.state });
    }
    const changes = this.engine.takeChanges();
    // the store keeps rendered incidents (reports and `incidents list` read them); rendering
    // runs here, per changed incident per checkpoint, never per matched line
    const rendered = new Map<string, Incident>();
    for (const c of changes) {
      const rule = this.ruleById.get(c.incident.rule);
      rendered.set(c.incident.id, rule ? renderIncidentText(c.incident, rule) : c.incident);
    }
    const delta = this.engine.takeStateDelta();
    this.options.store.saveCheckpoint({
      positions,
      state,
      engine: { put: delta.put.map((g) => ({ key: groupKeyOf(g.rule, g.key), value: g })), remove: delta.remove },
      incidents: [...rendered.values()],
      changes,
      trace: this.trace,
    });
    this.trace = [];
    // delivered only once saved: an incident on the console is always in the store
    for (const d of this.drains) d.wake();
  }
}
