// Numbered schema migrations, like fail2ban's SQLite state: `PRAGMA user_version` holds the number
// of steps applied and all pending steps run in one transaction, so a crash mid-upgrade leaves the
// old schema intact. Append new steps; never edit a released one.
import type Database from 'better-sqlite3';
import { StoreError } from './errors.js';

export interface Migration {
  /** 1-based; equals the user_version after this step. */
  version: number;
  description: string;
  sql: string;
}

/** 'inca' in ASCII: marks a SQLite file as ours, so we never migrate another program's database. */
export const APPLICATION_ID = 0x696e6361;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'incidents, evidence, runs, files_seen',
    // Times are kept twice: the ISO text exactly as the engine wrote it (round trip) and epoch ms
    // for filtering, ordering and min/max merges. JSON columns hold arrays and objects.
    sql: `
      PRAGMA application_id = ${APPLICATION_ID};

      CREATE TABLE incidents (
        id             TEXT PRIMARY KEY,
        rule           TEXT NOT NULL,
        title          TEXT NOT NULL,
        severity       TEXT NOT NULL,
        status         TEXT NOT NULL,
        first_seen     TEXT NOT NULL,
        first_seen_ms  INTEGER NOT NULL,
        last_seen      TEXT NOT NULL,
        last_seen_ms   INTEGER NOT NULL,
        count          INTEGER NOT NULL,
        group_key      TEXT NOT NULL,
        services       TEXT NOT NULL DEFAULT '[]',
        files          TEXT NOT NULL DEFAULT '[]',
        captures       TEXT NOT NULL DEFAULT '{}',
        capture_values TEXT NOT NULL DEFAULT '{}',
        summary        TEXT NOT NULL DEFAULT '',
        root_cause     TEXT NOT NULL DEFAULT '',
        remediations   TEXT NOT NULL DEFAULT '[]',
        verify         TEXT NOT NULL DEFAULT '[]',
        prevent        TEXT NOT NULL DEFAULT '[]',
        links          TEXT NOT NULL DEFAULT '[]',
        time_approx    INTEGER NOT NULL DEFAULT 0,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL
      );
      CREATE INDEX incidents_rule ON incidents (rule);
      CREATE INDEX incidents_first_seen ON incidents (first_seen_ms);
      CREATE INDEX incidents_last_seen ON incidents (last_seen_ms);

      CREATE TABLE evidence (
        incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        ordinal     INTEGER NOT NULL,
        file        TEXT NOT NULL,
        line        INTEGER NOT NULL,
        text        TEXT NOT NULL,
        time        TEXT,
        PRIMARY KEY (incident_id, ordinal)
      ) WITHOUT ROWID;

      CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at  TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        command     TEXT NOT NULL,
        paths       TEXT NOT NULL DEFAULT '[]',
        stats       TEXT NOT NULL DEFAULT '{}'
      );

      CREATE TABLE files_seen (
        path             TEXT PRIMARY KEY,
        size             INTEGER,
        mtime_ms         REAL,
        first_bytes_hash TEXT,
        last_run_id      INTEGER REFERENCES runs (id)
      );
    `,
  },
  {
    version: 2,
    description: 'watch mode: read positions, correlator state, optional event trace',
    // positions: one row per followed file, keyed by its identity (a renamed file keeps its row);
    // written in the same transaction as the correlator state, so a restart resumes both at the
    // same point. event_trace is filled only when asked (tests prove exactly-once with it).
    sql: `
      CREATE TABLE positions (
        dev                INTEGER NOT NULL,
        ino                INTEGER NOT NULL,
        path               TEXT NOT NULL,
        fingerprint        TEXT NOT NULL,
        fingerprint_length INTEGER NOT NULL,
        offset             INTEGER NOT NULL,
        line               INTEGER NOT NULL,
        tail_hash          TEXT NOT NULL,
        updated_at         TEXT NOT NULL,
        PRIMARY KEY (dev, ino)
      );
      CREATE TABLE watch_state (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE event_trace (
        id   INTEGER PRIMARY KEY AUTOINCREMENT,
        rule TEXT NOT NULL,
        file TEXT NOT NULL,
        line INTEGER NOT NULL,
        text TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'incidents: scope and the --rules paths their rule came from',
    // scope: the box or scenario the incident belongs to ('' when its run had one); rule_paths: a
    // JSON list of the run's --rules, kept so a re-check command can find a user rule's incident.
    sql: `
      ALTER TABLE incidents ADD COLUMN scope TEXT NOT NULL DEFAULT '';
      ALTER TABLE incidents ADD COLUMN rule_paths TEXT NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 4,
    description: 'watch mode: engine state per group, outbox of incident changes and consumer cursors',
    // All three are written in the checkpoint transaction with the positions: the engine's groups
    // (only the changed ones each time), the changes it emitted (one row each, numbered), and,
    // separately, each outbox consumer's cursor (the last change it handled).
    sql: `
      CREATE TABLE engine_groups (
        key        TEXT PRIMARY KEY,
        state      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE outbox (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        incident_id TEXT NOT NULL,
        kind        TEXT NOT NULL,
        incident    TEXT
      );
      CREATE TABLE outbox_cursors (
        consumer   TEXT PRIMARY KEY,
        seq        INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

export function readPragmaInt(db: Database.Database, name: string): number {
  const value = db.pragma(name, { simple: true });
  if (typeof value !== 'number') throw new Error(`PRAGMA ${name} returned ${String(value)}`);
  return value;
}

/**
 * Check that `file` is an incident-analyser store (or an empty database) no newer than this code,
 * and return its schema version. Only reads: a garbage, foreign or too-new file is never written to.
 */
export function inspectSchema(db: Database.Database, file: string, readonly: boolean): number {
  // The first read of the header: a non-SQLite file fails here with SQLITE_NOTADB.
  const found = readPragmaInt(db, 'user_version');
  const applicationId = readPragmaInt(db, 'application_id');
  const objects = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM sqlite_schema').get()?.n ?? 0;

  if (applicationId !== 0 && applicationId !== APPLICATION_ID) {
    throw new StoreError(
      file,
      `${file} is a SQLite database of another program (application_id ${applicationId}); it was left untouched`,
    );
  }
  if (found > LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      file,
      `${file} has store schema version ${found}, newer than version ${LATEST_SCHEMA_VERSION} known to this incident-analyser; upgrade incident-analyser or use another --db file`,
    );
  }
  if (applicationId === 0 && (found !== 0 || objects !== 0)) {
    throw new StoreError(file, `${file} is a SQLite database but not an incident-analyser store; it was left untouched`);
  }
  if (applicationId === APPLICATION_ID) checkTablesMatch(db, file, found);
  if (readonly && found < LATEST_SCHEMA_VERSION) {
    throw new StoreError(
      file,
      `${file} has store schema version ${found}, older than version ${LATEST_SCHEMA_VERSION}; opened read-only, it cannot be upgraded (any analyze --db ${file} upgrades it)`,
    );
  }
  return found;
}

/** The tables each step creates, read from its SQL. */
function tablesOf(step: Migration): string[] {
  return [...step.sql.matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1] ?? '');
}

/**
 * A store's user_version must agree with its tables: one lowered by hand (or by an old backup
 * tool) would make the next upgrade re-create tables that exist, one raised would skip some.
 * Refuse it, untouched, rather than guess which half is right.
 */
function checkTablesMatch(db: Database.Database, file: string, found: number): void {
  const present = new Set(db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table'").all().map((r) => r.name));
  for (const step of MIGRATIONS) {
    const tables = tablesOf(step);
    const wrong = step.version <= found ? tables.filter((t) => !present.has(t)) : tables.filter((t) => present.has(t));
    if (wrong.length === 0) continue;
    const how = step.version <= found ? `lacks the table(s) ${wrong.join(', ')} of` : `already has the table(s) ${wrong.join(', ')} of`;
    throw new StoreError(
      file,
      `${file} says store schema version ${found} but ${how} version ${step.version}: its user_version was changed by something other than incident-analyser; it was left untouched (restore it from a backup, or set PRAGMA user_version back to ${highestConsistent(present)})`,
    );
  }
}

/** The version whose tables are exactly the ones present (for the hint), or the latest. */
function highestConsistent(present: Set<string>): number {
  let version = 0;
  for (const step of MIGRATIONS) {
    if (tablesOf(step).every((t) => present.has(t))) version = step.version;
    else break;
  }
  return version;
}

/** Apply every pending step and set user_version, all in one write transaction. */
export function migrate(db: Database.Database): void {
  const apply = db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const current = readPragmaInt(db, 'user_version');
    for (const step of MIGRATIONS) {
      if (step.version > current) db.exec(step.sql);
    }
    if (current < LATEST_SCHEMA_VERSION) db.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
  });
  apply.immediate();
}
