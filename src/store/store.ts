// The SQLite store: incidents (upserted by their deterministic id), their evidence lines, one row
// per run and the files each run read. Every write of a run is one transaction, so a crash leaves
// either the whole run or none of it. Statements are prepared once per store.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { SEVERITIES, severityRank } from '../model.js';
import type { AnalysisResult, Incident, IncidentChange, SavedPosition, Severity } from '../model.js';
import { WatchStateTables, type TraceRow, type WatchCheckpoint } from './watch-state.js';
import { OutboxTables, type OutboxConsumer } from './outbox.js';

export type { OutboxConsumer } from './outbox.js';
export type { TraceRow, WatchCheckpoint } from './watch-state.js';
import { StoreError, toStoreError } from './errors.js';
import { describeFile } from './files-seen.js';
import type { FileSeen } from './files-seen.js';
import { mergeIncident } from './merge.js';
import { inspectSchema, LATEST_SCHEMA_VERSION, migrate } from './migrations.js';
import {
  fromEvidenceRow,
  fromIncidentRow,
  INCIDENT_COLUMNS,
  toEvidenceRows,
  toIncidentRow,
} from './rows.js';
import type { EvidenceRow, IncidentRow } from './rows.js';

export { StoreError } from './errors.js';
export { LATEST_SCHEMA_VERSION } from './migrations.js';

export interface StoreOptions {
  /** Open an existing store for reading only: never created, upgraded or written. */
  readonly?: boolean;
  /** How long to wait for another process's write lock before failing (ms). */
  busyTimeoutMs?: number;
  /** Clock for created_at / updated_at / finished_at (tests). */
  now?: () => Date;
  /** The most page cache SQLite may hold for this connection (KiB); see WATCH_CACHE_KIB. */
  cacheKiB?: number;
}

/**
 * Page cache of the watcher's connection (KiB). better-sqlite3 builds SQLite with 16 MiB per
 * connection (SQLite's own default is 2 MiB), and a watcher's store grows with every incident
 * (~6 KB each with its rendered texts and state): in the 10-minute soak (3,000 incidents) the
 * cache filled by ~2 MB a minute, most of the RSS growth the soak saw. A checkpoint touches only
 * the incidents that changed and the B-tree pages above them.
 */
export const WATCH_CACHE_KIB = 2048;

export interface RunInfo {
  /** The CLI command, e.g. `analyze` or `watch`. */
  command: string;
  /** The paths as the user gave them. */
  paths: string[];
  startedAt: Date;
}

export interface SaveOutcome {
  inserted: number;
  updated: number;
  runId: number;
}

export interface IncidentFilter {
  /** Incidents still seen at or after this time (lastSeen >= since). */
  since?: Date;
  /** Incidents already seen at or before this time (firstSeen <= until). */
  until?: Date;
  rule?: string;
  minSeverity?: Severity;
  status?: 'open' | 'resolved';
}

export interface Store {
  readonly file: string;
  /** Upsert the run's incidents, record the run and the files it read; one transaction. */
  saveAnalysis(result: AnalysisResult, run: RunInfo): SaveOutcome;
  /** Sorted by severity (highest first), then firstSeen, then id. */
  listIncidents(filter?: IncidentFilter): Incident[];
  getIncident(id: string): Incident | undefined;
  /** Rule ids that have incidents here, sorted. */
  ruleIds(): string[];
  /** Watch mode: where each followed file was left at the last checkpoint. */
  loadPositions(): SavedPosition[];
  /** Watch mode: a saved state value (the live correlator's), if any. */
  loadWatchState(key: string): unknown;
  /** Watch mode: save one state value on its own (outside a checkpoint). */
  saveWatchState(key: string, value: unknown): void;
  /** Watch mode: the engine's saved groups. */
  loadEngineState(): unknown[];
  /**
   * Watch mode: changed incidents, their outbox rows, positions and state in one transaction.
   * `changes` reference incidents by id; each is saved as `incidents` has it.
   */
  saveCheckpoint(checkpoint: Checkpoint): void;
  /**
   * A named reader of the outbox (console, reports, alert sinks, remediation): several drain it
   * independently, each from its own durable cursor. A new name starts at the end of the outbox.
   */
  outboxConsumer(name: string, options?: { start?: 'start' | 'end' }): OutboxConsumer;
  /** The event trace written by checkpoints (when tracing is on). */
  readTrace(): TraceRow[];
  /** The most page cache SQLite may hold for this connection (KiB). */
  pageCacheKiB(): number;
  close(): void;
}

export type Checkpoint = WatchCheckpoint & { incidents: Incident[]; changes: IncidentChange[] };

const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * Open (creating and migrating when needed) the store in `file`; `':memory:'` for a throwaway one.
 * Throws StoreError, naming the file, for a file that is not ours, is newer than this code, or
 * cannot be opened; such a file is left exactly as it was.
 */
export function openStore(file: string, options: StoreOptions = {}): Store {
  const readonly = options.readonly ?? false;
  if (readonly && !fs.existsSync(file)) throw new StoreError(file, `${file} does not exist`);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, {
      readonly,
      fileMustExist: readonly,
      timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    });
    db.pragma('foreign_keys = ON');
    if (options.cacheKiB !== undefined) db.pragma(`cache_size = -${Math.max(1, Math.floor(options.cacheKiB))}`);
    const found = inspectSchema(db, file, readonly);
    if (!readonly && !db.memory) {
      // Only now that the file is known to be ours: switching to WAL writes its header. WAL lets
      // `incidents list` read while `watch` writes; NORMAL sync is durable per transaction in WAL.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    if (found < LATEST_SCHEMA_VERSION) migrate(db);
    return new SqliteStore(db, file, options.now ?? (() => new Date()));
  } catch (error) {
    db?.close();
    throw toStoreError(error, file);
  }
}

const SEVERITY_RANK_SQL = `CASE severity ${SEVERITIES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} ELSE -1 END`;
const SELECT_INCIDENT = `SELECT ${INCIDENT_COLUMNS.join(', ')} FROM incidents`;

interface ListParams {
  since: number | null;
  until: number | null;
  rule: string | null;
  minRank: number | null;
  status: string | null;
}

interface RunRow {
  started_at: string;
  finished_at: string;
  command: string;
  paths: string;
  stats: string;
}

interface FileRow {
  path: string;
  size: number | null;
  mtime_ms: number | null;
  first_bytes_hash: string | null;
  last_run_id: number;
}

class SqliteStore implements Store {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #now: () => Date;
  readonly #getIncident: Database.Statement<[string], IncidentRow>;
  readonly #listIncidents: Database.Statement<[ListParams], IncidentRow>;
  readonly #upsertIncident: Database.Statement<[IncidentRow]>;
  readonly #getEvidence: Database.Statement<[string], EvidenceRow>;
  readonly #deleteEvidence: Database.Statement<[string]>;
  readonly #insertEvidence: Database.Statement<[EvidenceRow]>;
  readonly #insertRun: Database.Statement<[RunRow]>;
  readonly #upsertFile: Database.Statement<[FileRow]>;
  readonly #watch: WatchStateTables;
  readonly #outbox: OutboxTables;
  readonly #checkpoint: Database.Transaction<(cp: Checkpoint, now: string) => void>;
  readonly #save: Database.Transaction<
    (result: AnalysisResult, run: RunInfo, files: readonly FileSeen[], now: string) => SaveOutcome
  >;

  constructor(db: Database.Database, file: string, now: () => Date) {
    this.#db = db;
    this.file = file;
    this.#now = now;
    this.#getIncident = db.prepare(`${SELECT_INCIDENT} WHERE id = ?`);
    this.#listIncidents = db.prepare(`${SELECT_INCIDENT}
      WHERE (@since IS NULL OR last_seen_ms >= @since)
        AND (@until IS NULL OR first_seen_ms <= @until)
        AND (@rule IS NULL OR rule = @rule)
        AND (@minRank IS NULL OR ${SEVERITY_RANK_SQL} >= @minRank)
        AND (@status IS NULL OR status = @status)
      ORDER BY ${SEVERITY_RANK_SQL} DESC, first_seen_ms, id`);
    const updatable = INCIDENT_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at');
    this.#upsertIncident = db.prepare(`
      INSERT INTO incidents (${INCIDENT_COLUMNS.join(', ')})
      VALUES (${INCIDENT_COLUMNS.map((c) => `@${c}`).join(', ')})
      ON CONFLICT (id) DO UPDATE SET ${updatable.map((c) => `${c} = excluded.${c}`).join(', ')}`);
    this.#getEvidence = db.prepare(
      'SELECT incident_id, ordinal, file, line, text, time FROM evidence WHERE incident_id = ? ORDER BY ordinal',
    );
    this.#deleteEvidence = db.prepare('DELETE FROM evidence WHERE incident_id = ?');
    this.#insertEvidence = db.prepare(`
      INSERT INTO evidence (incident_id, ordinal, file, line, text, time)
      VALUES (@incident_id, @ordinal, @file, @line, @text, @time)`);
    this.#insertRun = db.prepare(`
      INSERT INTO runs (started_at, finished_at, command, paths, stats)
      VALUES (@started_at, @finished_at, @command, @paths, @stats)`);
    this.#upsertFile = db.prepare(`
      INSERT INTO files_seen (path, size, mtime_ms, first_bytes_hash, last_run_id)
      VALUES (@path, @size, @mtime_ms, @first_bytes_hash, @last_run_id)
      ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms,
        first_bytes_hash = excluded.first_bytes_hash, last_run_id = excluded.last_run_id`);
    this.#save = db.transaction((result: AnalysisResult, run: RunInfo, files: readonly FileSeen[], now: string) =>
      this.#write(result, run, files, now),
    );
    this.#watch = new WatchStateTables(db);
    this.#outbox = new OutboxTables(db, (id) => this.getIncident(id));
    this.#checkpoint = db.transaction((cp: Checkpoint, now: string) => {
      this.#upsertIncidents(cp.incidents, now);
      // the outbox row carries the incident as saved (rendered), not the engine's bare one
      const saved = new Map(cp.incidents.map((i) => [i.id, i]));
      this.#outbox.append(
        cp.changes.map((c) => ({ kind: c.kind, incident: saved.get(c.incident.id) ?? c.incident })),
        now,
      );
      this.#watch.write(cp, now);
    });
  }

  loadPositions(): SavedPosition[] {
    return this.#guard(() => this.#watch.positions());
  }

  loadWatchState(key: string): unknown {
    return this.#guard(() => this.#watch.state(key));
  }

  saveWatchState(key: string, value: unknown): void {
    const now = this.#now().toISOString();
    this.#guard(() => this.#watch.put(key, value, now));
  }

  readTrace(): TraceRow[] {
    return this.#guard(() => this.#watch.trace());
  }

  loadEngineState(): unknown[] {
    return this.#guard(() => this.#watch.engineGroups());
  }

  saveCheckpoint(checkpoint: Checkpoint): void {
    const now = this.#now();
    this.#guard(() => {
      this.#checkpoint.immediate(checkpoint, now.toISOString());
      if (checkpoint.changes.length > 0) this.#outbox.prune(now);
    });
  }

  outboxConsumer(name: string, options: { start?: 'start' | 'end' } = {}): OutboxConsumer {
    const consumer = this.#guard(() => this.#outbox.consumer(name, { start: options.start, now: this.#now }));
    return {
      name,
      pending: (limit) => this.#guard(() => consumer.pending(limit)),
      ack: (seq) => this.#guard(() => consumer.ack(seq)),
    };
  }

  saveAnalysis(result: AnalysisResult, run: RunInfo): SaveOutcome {
    // File I/O happens before taking the write lock, so the transaction stays short.
    const files = result.files.map(describeFile);
    const now = this.#now().toISOString();
    // IMMEDIATE: take the write lock before reading the stored rows we merge with, so two
    // processes saving at once wait for each other instead of failing with SQLITE_BUSY mid-way.
    return this.#guard(() => this.#save.immediate(result, run, files, now));
  }

  listIncidents(filter: IncidentFilter = {}): Incident[] {
    const params: ListParams = {
      since: filter.since === undefined ? null : dateMs(filter.since, 'since'),
      until: filter.until === undefined ? null : dateMs(filter.until, 'until'),
      rule: filter.rule ?? null,
      minRank: filter.minSeverity === undefined ? null : severityRank(filter.minSeverity),
      status: filter.status ?? null,
    };
    return this.#guard(() => this.#listIncidents.all(params).map((row) => this.#hydrate(row)));
  }

  ruleIds(): string[] {
    return this.#guard(() =>
      this.#db
        .prepare('SELECT DISTINCT rule FROM incidents ORDER BY rule')
        .pluck()
        .all()
        .filter((v): v is string => typeof v === 'string'),
    );
  }

  getIncident(id: string): Incident | undefined {
    return this.#guard(() => {
      const row = this.#getIncident.get(id);
      return row === undefined ? undefined : this.#hydrate(row);
    });
  }

  pageCacheKiB(): number {
    // a negative cache_size is KiB, a positive one pages
    return this.#guard(() => {
      const size = Number(this.#db.pragma('cache_size', { simple: true }));
      return size < 0 ? -size : (size * Number(this.#db.pragma('page_size', { simple: true }))) / 1024;
    });
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #write(result: AnalysisResult, run: RunInfo, files: readonly FileSeen[], now: string): SaveOutcome {
    const runId = Number(
      this.#insertRun.run({
        started_at: run.startedAt.toISOString(),
        finished_at: now,
        command: run.command,
        paths: JSON.stringify(run.paths),
        stats: JSON.stringify(result.stats),
      }).lastInsertRowid,
    );
    const { inserted, updated } = this.#upsertIncidents(result.incidents, now);
    for (const seen of files) {
      this.#upsertFile.run({
        path: seen.path,
        size: seen.size,
        mtime_ms: seen.mtimeMs,
        first_bytes_hash: seen.firstBytesHash,
        last_run_id: runId,
      });
    }
    return { inserted, updated, runId };
  }

  #upsertIncidents(incidents: readonly Incident[], now: string): { inserted: number; updated: number } {
    let inserted = 0;
    let updated = 0;
    for (const incident of incidents) {
      const stored = this.#getIncident.get(incident.id);
      if (stored === undefined) {
        this.#upsertIncident.run(toIncidentRow(incident, now, now));
        this.#replaceEvidence(incident);
        inserted++;
        continue;
      }
      const merged = mergeIncident(fromIncidentRow(stored, this.file), incident);
      this.#upsertIncident.run(toIncidentRow(merged.incident, stored.created_at, now));
      if (merged.replaceEvidence) this.#replaceEvidence(incident);
      updated++;
    }
    return { inserted, updated };
  }

  #replaceEvidence(incident: Incident): void {
    this.#deleteEvidence.run(incident.id);
    for (const row of toEvidenceRows(incident.id, incident.evidence)) this.#insertEvidence.run(row);
  }

  #hydrate(row: IncidentRow): Incident {
    return {
      ...fromIncidentRow(row, this.file),
      evidence: this.#getEvidence.all(row.id).map(fromEvidenceRow),
    };
  }

  #guard<T>(action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw toStoreError(error, this.file);
    }
  }
}

function dateMs(date: Date, name: string): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`listIncidents: ${name} is an invalid Date`);
  return ms;
}
