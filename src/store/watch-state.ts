// Watch mode's part of the store: read positions, the sources' and the engine's state, and the
// optional event trace, all written with the changed incidents and their outbox rows in ONE
// transaction per checkpoint. After a `kill -9` the store holds the state of one checkpoint
// exactly: positions, counts and changes agree, so re-reading the lines after it counts nothing
// twice and reports nothing twice.
import type Database from 'better-sqlite3';
import type { SavedPosition } from '../model.js';

export interface TraceRow {
  rule: string;
  file: string;
  line: number;
  text: string;
}

export interface WatchCheckpoint {
  /** Every followed file's position; rows of files no longer followed are dropped. */
  positions: SavedPosition[];
  /** Keyed state values (each source's own checkpoint data), replaced whole. */
  state: Array<{ key: string; value: unknown }>;
  /** The engine's groups changed (put) and forgotten (remove) since the last checkpoint. */
  engine: { put: Array<{ key: string; value: unknown }>; remove: string[] };
  trace: TraceRow[];
}

interface PositionRow {
  dev: number;
  ino: number;
  path: string;
  fingerprint: string;
  fingerprint_length: number;
  offset: number;
  line: number;
  tail_hash: string;
}

export class WatchStateTables {
  readonly #positions: Database.Statement<[], PositionRow>;
  readonly #deletePositions: Database.Statement;
  readonly #insertPosition: Database.Statement;
  readonly #getState: Database.Statement<[string], { value: string }>;
  readonly #putState: Database.Statement;
  readonly #insertTrace: Database.Statement;
  readonly #trace: Database.Statement<[], TraceRow>;
  readonly #groups: Database.Statement<[], { state: string }>;
  readonly #putGroup: Database.Statement;
  readonly #deleteGroup: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#positions = db.prepare('SELECT dev, ino, path, fingerprint, fingerprint_length, offset, line, tail_hash FROM positions ORDER BY path');
    this.#deletePositions = db.prepare('DELETE FROM positions');
    this.#insertPosition = db.prepare(`
      INSERT OR REPLACE INTO positions (dev, ino, path, fingerprint, fingerprint_length, offset, line, tail_hash, updated_at)
      VALUES (@dev, @ino, @path, @fingerprint, @fingerprint_length, @offset, @line, @tail_hash, @updated_at)`);
    this.#getState = db.prepare('SELECT value FROM watch_state WHERE key = ?');
    this.#putState = db.prepare(`
      INSERT INTO watch_state (key, value, updated_at) VALUES (@key, @value, @updated_at)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
    this.#insertTrace = db.prepare('INSERT INTO event_trace (rule, file, line, text) VALUES (@rule, @file, @line, @text)');
    this.#trace = db.prepare('SELECT rule, file, line, text FROM event_trace ORDER BY id');
    this.#groups = db.prepare('SELECT state FROM engine_groups ORDER BY key');
    this.#putGroup = db.prepare(`
      INSERT INTO engine_groups (key, state, updated_at) VALUES (@key, @state, @updated_at)
      ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`);
    this.#deleteGroup = db.prepare('DELETE FROM engine_groups WHERE key = ?');
  }

  /** The engine's saved groups (parsed JSON; the engine checks what it takes back). */
  engineGroups(): unknown[] {
    return this.#groups.all().map((r): unknown => JSON.parse(r.state));
  }

  positions(): SavedPosition[] {
    return this.#positions.all().map((r) => ({
      path: r.path,
      dev: r.dev,
      ino: r.ino,
      fingerprint: r.fingerprint,
      fingerprintLength: r.fingerprint_length,
      offset: r.offset,
      line: r.line,
      tailHash: r.tail_hash,
    }));
  }

  state(key: string): unknown {
    const row = this.#getState.get(key);
    if (!row) return undefined;
    const value: unknown = JSON.parse(row.value);
    return value;
  }

  put(key: string, value: unknown, now: string): void {
    this.#putState.run({ key, value: JSON.stringify(value), updated_at: now });
  }

  trace(): TraceRow[] {
    return this.#trace.all();
  }

  /** Write a checkpoint; call inside the store's transaction. */
  write(cp: WatchCheckpoint, now: string): void {
    this.#deletePositions.run();
    for (const p of cp.positions) {
      this.#insertPosition.run({
        dev: p.dev,
        ino: p.ino,
        path: p.path,
        fingerprint: p.fingerprint,
        fingerprint_length: p.fingerprintLength,
        offset: p.offset,
        line: p.line,
        tail_hash: p.tailHash,
        updated_at: now,
      });
    }
    for (const st of cp.state) this.#putState.run({ key: st.key, value: JSON.stringify(st.value), updated_at: now });
    for (const g of cp.engine.put) this.#putGroup.run({ key: g.key, state: JSON.stringify(g.value), updated_at: now });
    for (const key of cp.engine.remove) this.#deleteGroup.run(key);
    for (const t of cp.trace) this.#insertTrace.run(t);
  }
}
