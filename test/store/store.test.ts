import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AnalysisResult, Incident, RunStats } from '../../src/model.js';
import { LATEST_SCHEMA_VERSION, openStore, StoreError } from '../../src/store/store.js';
import type { Store } from '../../src/store/store.js';
import { migrate } from '../../src/store/migrations.js';

let dir: string;
let dbFile: string;
const open: Store[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-store-'));
  dbFile = path.join(dir, 'incidents.db');
});

afterEach(() => {
  for (const store of open.splice(0)) store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function openTracked(file = dbFile, options?: Parameters<typeof openStore>[1]): Store {
  const store = openStore(file, options);
  open.push(store);
  return store;
}

function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'ws-send-after-close:api:1',
    rule: 'ws-send-after-close',
    title: 'WebSocket handler sends after the connection closed',
    severity: 'error',
    status: 'open',
    firstSeen: '2026-11-22T09:39:07.000Z',
    lastSeen: '2026-11-22T09:41:00.000Z',
    count: 3,
    services: ['api'],
    files: ['logs/api-error.log'],
    groupKey: 'api',
    captures: { service: 'api', state: '3' },
    captureValues: { state: ['3'] },
    evidence: [
      {
        file: 'logs/api-error.log',
        line: 10,
        text: 'Error: WebSocket is not open: readyState 3 (CLOSED)\n    at WebSocket.send (ws.js:1)',
        time: '2026-11-22T09:39:07.000Z',
      },
      { file: 'logs/api-error.log', line: 42, text: 'Cannot call "send" once a close message has been sent' },
    ],
    summary: 'api sent on closed WebSockets 3 times.',
    rootCause: 'The server keeps writing to sockets the client already closed.',
    remediations: [
      { title: 'Check the socket state before sending', kind: 'code-change', commands: [], detail: 'if (ws.readyState === 1)' },
      { title: 'Restart', kind: 'command', commands: ['pm2 restart api'] },
    ],
    verify: ['pm2 logs api --lines 100'],
    prevent: ['Wrap send in a helper'],
    links: [{ id: 'db-pool-timeout:api:1', rule: 'db-pool-timeout', title: 'DB pool timeout', relation: 'caused-by' }],
    timeApprox: false,
    ...overrides,
  };
}

const stats: RunStats = {
  files: 1,
  lines: 100,
  bytes: 4096,
  events: 90,
  matches: 3,
  durationMs: 12,
  skipped: [],
  empty: 0,
  truncatedLines: 0,
  approximateTimes: false,
};

function result(incidents: Incident[], files: string[] = []): AnalysisResult {
  return { incidents, stats, files };
}

const run = { command: 'analyze', paths: ['logs'], startedAt: new Date('2026-11-23T10:00:00.000Z') };

function raw(file = dbFile): Database.Database {
  return new Database(file, { readonly: true });
}

function evidenceRows(file = dbFile): number {
  const db = raw(file);
  try {
    return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM evidence').get()?.n ?? -1;
  } finally {
    db.close();
  }
}

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('schema and migrations', () => {
  it('creates the schema, marks the file as ours and sets user_version', () => {
    openTracked().close();
    const db = raw();
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(db.pragma('application_id', { simple: true })).not.toBe(0);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .all()
        .map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['evidence', 'files_seen', 'incidents', 'runs']));
    } finally {
      db.close();
    }
  });

  it('reopening an existing store keeps its data and does not re-run migrations', () => {
    const first = openTracked();
    first.saveAnalysis(result([incident()]), run);
    first.close();
    // v1 is plain CREATE TABLE: running it again would throw "table already exists".
    const second = openTracked();
    expect(second.listIncidents()).toEqual([incident()]);
  });

  it('migrating an up-to-date store again changes nothing', () => {
    openTracked().saveAnalysis(result([incident()]), run);
    open.splice(0).forEach((s) => s.close());
    const db = new Database(dbFile);
    try {
      // Another process may have migrated between our version check and our write lock.
      expect(() => migrate(db)).not.toThrow();
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    } finally {
      db.close();
    }
    expect(openTracked().listIncidents()).toEqual([incident()]);
  });

  it('turns an empty file (touch incidents.db) into a store', () => {
    fs.writeFileSync(dbFile, '');
    openTracked().saveAnalysis(result([incident()]), run);
    expect(openTracked().listIncidents()).toEqual([incident()]);
  });

  it('refuses a store with a newer schema version, naming the file and both versions', () => {
    openTracked().close();
    const db = new Database(dbFile);
    db.pragma('user_version = 99');
    db.close();
    const before = fs.readFileSync(dbFile);

    const error = catchError(() => openStore(dbFile));
    expect(error).toBeInstanceOf(StoreError);
    expect(String(error)).toContain(dbFile);
    expect(String(error)).toContain('99');
    expect(String(error)).toContain(String(LATEST_SCHEMA_VERSION));
    expect(fs.readFileSync(dbFile).equals(before)).toBe(true);
  });

  it.each([0, 1])('refuses a store whose user_version was lowered to %i, leaving it untouched', (lowered) => {
    openTracked().saveAnalysis(result([incident()]), run);
    open.splice(0).forEach((st) => st.close());
    const db = new Database(dbFile);
    db.pragma(`user_version = ${lowered}`);
    db.close();
    const before = fs.readFileSync(dbFile);

    for (const readonly of [false, true]) {
      const error = catchError(() => openStore(dbFile, { readonly }));
      expect(error).toBeInstanceOf(StoreError);
      expect(String(error)).toContain(`${dbFile} says store schema version ${lowered} but already has the table(s)`);
      expect(String(error)).toContain(`set PRAGMA user_version back to ${LATEST_SCHEMA_VERSION}`);
      expect(String(error)).not.toContain('\n');
    }
    expect(fs.readFileSync(dbFile).equals(before)).toBe(true);
    // put back, it is the same store again
    const fixed = new Database(dbFile);
    fixed.pragma(`user_version = ${LATEST_SCHEMA_VERSION}`);
    fixed.close();
    expect(openTracked().listIncidents()).toEqual([incident()]);
  });

  it('works in memory', () => {
    const store = openTracked(':memory:');
    expect(store.saveAnalysis(result([incident()]), run)).toMatchObject({ inserted: 1, updated: 0 });
    expect(store.listIncidents()).toEqual([incident()]);
  });
});

describe('files that are not our store are reported and left untouched', () => {
  it('a non-SQLite file gives a one-line StoreError naming the file and is not modified', () => {
    const garbage = path.join(dir, 'app.log');
    const bytes = Buffer.from(
      Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 256),
    );
    fs.writeFileSync(garbage, bytes);
    const listing = fs.readdirSync(dir).sort();

    const error = catchError(() => openStore(garbage));
    expect(error).toBeInstanceOf(StoreError);
    const message = error instanceof Error ? error.message : '';
    expect(message).toContain(garbage);
    expect(message).not.toContain('\n');
    expect(fs.readFileSync(garbage).equals(bytes)).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(listing); // no -wal / -shm / journal left behind
  });

  it('a SQLite database of another program is refused and not modified', () => {
    const foreign = path.join(dir, 'other.sqlite');
    const db = new Database(foreign);
    db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me')");
    db.close();
    const before = fs.readFileSync(foreign);

    const error = catchError(() => openStore(foreign));
    expect(error).toBeInstanceOf(StoreError);
    expect(String(error)).toContain(foreign);
    expect(fs.readFileSync(foreign).equals(before)).toBe(true);
  });

  it('a missing folder gives a StoreError naming the file', () => {
    const missing = path.join(dir, 'no-such-folder', 'x.db');
    const error = catchError(() => openStore(missing));
    expect(error).toBeInstanceOf(StoreError);
    expect(String(error)).toContain(missing);
  });

  it('read-only opening never creates a missing store', () => {
    const error = catchError(() => openStore(dbFile, { readonly: true }));
    expect(error).toBeInstanceOf(StoreError);
    expect(fs.existsSync(dbFile)).toBe(false);
  });

  it('read-only opening reads an existing store', () => {
    openTracked().saveAnalysis(result([incident()]), run);
    expect(openTracked(dbFile, { readonly: true }).getIncident(incident().id)).toEqual(incident());
  });
});

describe('saveAnalysis', () => {
  it('round-trips incidents exactly, including evidence without a time', () => {
    const store = openTracked();
    const second = incident({ id: 'heap:worker:1', rule: 'heap-out-of-memory', severity: 'critical', timeApprox: true });
    store.saveAnalysis(result([incident(), second]), run);
    expect(store.getIncident(incident().id)).toStrictEqual(incident());
    expect(store.listIncidents()).toEqual([second, incident()]);
    expect(store.getIncident('nope')).toBeUndefined();
  });

  it('saving the same result twice does not double count', () => {
    const store = openTracked();
    const other = incident({ id: 'port:api:1', rule: 'port-in-use', count: 1 });
    expect(store.saveAnalysis(result([incident(), other]), run)).toMatchObject({ inserted: 2, updated: 0 });
    expect(store.saveAnalysis(result([incident(), other]), run)).toMatchObject({ inserted: 0, updated: 2 });

    const listed = store.listIncidents();
    expect(listed).toHaveLength(2);
    expect(listed.find((i) => i.id === incident().id)).toEqual(incident());
    expect(evidenceRows()).toBe(incident().evidence.length + other.evidence.length);
  });

  it('a run over appended lines raises count and lastSeen and replaces the evidence', () => {
    const store = openTracked();
    store.saveAnalysis(result([incident()]), run);
    const grown = incident({
      count: 5,
      lastSeen: '2026-11-22T10:00:00.000Z',
      services: ['api', 'ws'],
      evidence: [{ file: 'logs/api-error.log', line: 99, text: 'later line', time: '2026-11-22T10:00:00.000Z' }],
      captureValues: { state: ['2'] },
      summary: 'api sent on closed WebSockets 5 times.',
    });
    store.saveAnalysis(result([grown]), run);

    const stored = store.getIncident(incident().id);
    expect(stored?.count).toBe(5);
    expect(stored?.lastSeen).toBe('2026-11-22T10:00:00.000Z');
    expect(stored?.evidence).toEqual(grown.evidence);
    expect(stored?.summary).toBe(grown.summary);
    expect(stored?.services).toEqual(['api', 'ws']);
    expect(stored?.captureValues).toEqual({ state: ['2', '3'] });
  });

  it('a run after the old lines were rotated away does not shrink the incident', () => {
    const store = openTracked();
    store.saveAnalysis(result([incident()]), run);
    const rotated = incident({
      count: 1,
      firstSeen: '2026-11-22T09:40:00.000Z',
      lastSeen: '2026-11-22T09:45:00.000Z',
      files: ['logs/api-error.log.1'],
      evidence: [{ file: 'logs/api-error.log.1', line: 1, text: 'only line left' }],
      status: 'resolved',
    });
    store.saveAnalysis(result([rotated]), run);

    const stored = store.getIncident(incident().id);
    expect(stored?.count).toBe(3);
    expect(stored?.firstSeen).toBe(incident().firstSeen);
    expect(stored?.lastSeen).toBe('2026-11-22T09:45:00.000Z');
    expect(stored?.evidence).toEqual(incident().evidence);
    expect(stored?.files).toEqual(['logs/api-error.log.1', 'logs/api-error.log']);
    expect(stored?.status).toBe('resolved'); // status always follows the newer run
    expect(evidenceRows()).toBe(incident().evidence.length);
  });

  it('keeps created_at and bumps updated_at on update', () => {
    let clock = new Date('2026-11-23T10:00:00.000Z');
    const store = openTracked(dbFile, { now: () => clock });
    store.saveAnalysis(result([incident()]), run);
    clock = new Date('2026-11-23T11:00:00.000Z');
    store.saveAnalysis(result([incident()]), run);

    const db = raw();
    try {
      const row = db
        .prepare<[string], { created_at: string; updated_at: string }>(
          'SELECT created_at, updated_at FROM incidents WHERE id = ?',
        )
        .get(incident().id);
      expect(row).toEqual({ created_at: '2026-11-23T10:00:00.000Z', updated_at: '2026-11-23T11:00:00.000Z' });
    } finally {
      db.close();
    }
  });

  it('records the run and the files it read', () => {
    const log = path.join(dir, 'api.log');
    fs.writeFileSync(log, 'line one\nline two\n');
    const store = openTracked();
    const { runId } = store.saveAnalysis(result([incident()], [log, path.join(dir, 'gone.log')]), run);

    const db = raw();
    try {
      const runRow = db
        .prepare<[number], { command: string; started_at: string; paths: string; stats: string }>(
          'SELECT command, started_at, paths, stats FROM runs WHERE id = ?',
        )
        .get(runId);
      expect(runRow?.command).toBe('analyze');
      expect(runRow?.started_at).toBe('2026-11-23T10:00:00.000Z');
      expect(JSON.parse(runRow?.paths ?? 'null')).toEqual(['logs']);
      expect(JSON.parse(runRow?.stats ?? 'null')).toEqual(stats);

      const files = db
        .prepare<[], { path: string; size: number | null; first_bytes_hash: string | null; last_run_id: number }>(
          'SELECT path, size, first_bytes_hash, last_run_id FROM files_seen ORDER BY path',
        )
        .all();
      expect(files).toEqual([
        { path: log, size: 18, first_bytes_hash: expect.stringMatching(/^[0-9a-f]{64}$/), last_run_id: runId },
        { path: path.join(dir, 'gone.log'), size: null, first_bytes_hash: null, last_run_id: runId },
      ]);
    } finally {
      db.close();
    }
  });

  it('writes a run all or nothing', () => {
    const store = openTracked();
    const broken = incident({ id: 'broken', firstSeen: 'not a time' });
    expect(() => store.saveAnalysis(result([incident(), broken]), run)).toThrow(/not an ISO-8601 time/);
    expect(store.listIncidents()).toEqual([]);
    const db = raw();
    try {
      expect(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM runs').get()?.n).toBe(0);
    } finally {
      db.close();
    }
  });

  it('a second connection sees what the first saved', () => {
    const writer = openTracked();
    const reader = openTracked();
    writer.saveAnalysis(result([incident()]), run);
    expect(reader.listIncidents()).toEqual([incident()]);
  });
});

describe('listIncidents', () => {
  const incidents = [
    incident({ id: 'a', rule: 'port-in-use', severity: 'warning', firstSeen: '2026-11-20T00:00:00.000Z', lastSeen: '2026-11-20T01:00:00.000Z' }),
    incident({ id: 'b', rule: 'heap-out-of-memory', severity: 'critical', firstSeen: '2026-11-21T00:00:00.000Z', lastSeen: '2026-11-21T01:00:00.000Z', status: 'resolved' }),
    incident({ id: 'c', rule: 'db-pool-timeout', severity: 'error', firstSeen: '2026-11-22T00:00:00.000Z', lastSeen: '2026-11-22T01:00:00.000Z' }),
    incident({ id: 'd', rule: 'db-pool-timeout', severity: 'error', firstSeen: '2026-11-19T00:00:00.000Z', lastSeen: '2026-11-19T01:00:00.000Z' }),
    incident({ id: 'e', rule: 'pm2-restart-loop', severity: 'info', firstSeen: '2026-11-18T00:00:00.000Z', lastSeen: '2026-11-23T00:00:00.000Z' }),
  ];
  const ids = (list: Incident[]): string[] => list.map((i) => i.id);

  it('sorts by severity, highest first, then by firstSeen', () => {
    const store = openTracked();
    store.saveAnalysis(result(incidents), run);
    expect(ids(store.listIncidents())).toEqual(['b', 'd', 'c', 'a', 'e']);
  });

  it('filters by time window, rule, minimum severity and status', () => {
    const store = openTracked();
    store.saveAnalysis(result(incidents), run);
    // Overlap: seen at some point between since and until.
    expect(ids(store.listIncidents({ since: new Date('2026-11-21T00:30:00.000Z') }))).toEqual(['b', 'c', 'e']);
    expect(ids(store.listIncidents({ until: new Date('2026-11-20T00:30:00.000Z') }))).toEqual(['d', 'a', 'e']);
    expect(
      ids(store.listIncidents({ since: new Date('2026-11-20T00:30:00.000Z'), until: new Date('2026-11-21T00:30:00.000Z') })),
    ).toEqual(['b', 'a', 'e']);
    expect(ids(store.listIncidents({ rule: 'db-pool-timeout' }))).toEqual(['d', 'c']);
    expect(ids(store.listIncidents({ minSeverity: 'error' }))).toEqual(['b', 'd', 'c']);
    expect(ids(store.listIncidents({ status: 'resolved' }))).toEqual(['b']);
    expect(ids(store.listIncidents({ status: 'open', minSeverity: 'warning', rule: 'port-in-use' }))).toEqual(['a']);
  });
});
