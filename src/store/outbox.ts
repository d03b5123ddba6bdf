// The outbox: every incident change watch mode commits, numbered, written in the SAME transaction
// as the read positions and the engine state (transactional outbox). Consumers — console lines,
// Markdown rewrites, Alertmanager/webhook sinks, remediation — drain it off the reading loop, each
// with its own durable cursor, so each change is handed to each consumer once across kill -9: a
// consumer acks after handling, so a kill between the two repeats at most that one entry, and
// nothing is ever skipped. Notable changes keep the incident as it was; `updated` rows (one per
// changed incident per checkpoint) keep only the id and are read with the incident's current row.
import type Database from 'better-sqlite3';
import type { Incident, IncidentChange, IncidentChangeKind, OutboxEntry } from '../model.js';

/** Rows every consumer has acked are deleted; rows older than this go whatever the cursors say. */
const KEEP_MS = 24 * 3_600_000;

/** One consumer's view of the outbox. */
export interface OutboxConsumer {
  readonly name: string;
  /** Changes after this consumer's cursor, oldest first (at most `limit`). */
  pending(limit?: number): OutboxEntry[];
  /** Everything up to `seq` is handled: durable once this returns. */
  ack(seq: number): void;
}

interface OutboxRow {
  seq: number;
  at: string;
  incident_id: string;
  kind: string;
  incident: string | null;
}

const KINDS: readonly IncidentChangeKind[] = ['opened', 'updated', 'escalated', 'resolved', 'linked'];

function isKind(value: string): value is IncidentChangeKind {
  return KINDS.some((k) => k === value);
}

export class OutboxTables {
  readonly #insert: Database.Statement;
  readonly #after: Database.Statement<[number, number], OutboxRow>;
  readonly #cursor: Database.Statement<[string], { seq: number }>;
  readonly #setCursor: Database.Statement;
  readonly #maxSeq: Database.Statement<[], { seq: number | null }>;
  readonly #minCursor: Database.Statement<[], { seq: number | null }>;
  readonly #prune: Database.Statement;
  readonly #register: Database.Transaction<(name: string, start: 'start' | 'end', now: string) => number>;

  constructor(
    db: Database.Database,
    private readonly incident: (id: string) => Incident | undefined,
  ) {
    this.#insert = db.prepare('INSERT INTO outbox (at, incident_id, kind, incident) VALUES (@at, @incident_id, @kind, @incident)');
    this.#after = db.prepare('SELECT seq, at, incident_id, kind, incident FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#cursor = db.prepare('SELECT seq FROM outbox_cursors WHERE consumer = ?');
    this.#setCursor = db.prepare(`
      INSERT INTO outbox_cursors (consumer, seq, updated_at) VALUES (@consumer, @seq, @now)
      ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`);
    this.#maxSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'");
    this.#minCursor = db.prepare('SELECT min(seq) AS seq FROM outbox_cursors');
    this.#prune = db.prepare('DELETE FROM outbox WHERE seq <= @acked OR at < @before');
    this.#register = db.transaction((name: string, start: 'start' | 'end', now: string) => {
      const have = this.#cursor.get(name);
      if (have) return have.seq;
      const seq = start === 'end' ? (this.#maxSeq.get()?.seq ?? 0) : 0;
      this.#setCursor.run({ consumer: name, seq, now });
      return seq;
    });
  }

  /** Write the changes (call inside the checkpoint's transaction). `saved` are the rows just upserted. */
  append(changes: readonly IncidentChange[], at: string): void {
    for (const c of changes) {
      this.#insert.run({ at, incident_id: c.incident.id, kind: c.kind, incident: c.kind === 'updated' ? null : JSON.stringify(c.incident) });
    }
  }

  /** Delete what every consumer has handled, and anything older than a day. */
  prune(now: Date): void {
    const acked = this.#minCursor.get()?.seq ?? 0;
    this.#prune.run({ acked, before: new Date(now.getTime() - KEEP_MS).toISOString() });
  }

  /**
   * A consumer by name. The first time a name is seen it starts at the end of the outbox (what
   * happened before it existed is not news), or at its start with `start: 'start'`.
   */
  consumer(name: string, options: { start?: 'start' | 'end'; now: () => Date }): OutboxConsumer {
    let cursor = this.#register.immediate(name, options.start ?? 'end', options.now().toISOString());
    return {
      name,
      pending: (limit = 500) => {
        const out: OutboxEntry[] = [];
        const rows = this.#after.all(cursor, limit);
        for (const row of rows) {
          const incident = row.incident !== null ? parseIncident(row.incident) : this.incident(row.incident_id);
          if (!incident || !isKind(row.kind)) continue;
          out.push({ seq: row.seq, at: row.at, change: { kind: row.kind, incident } });
        }
        // rows that cannot be read (a damaged row, an incident deleted since) are passed over
        const last = rows.at(-1)?.seq;
        if (out.length === 0 && last !== undefined) this.#setCursor.run({ consumer: name, seq: (cursor = last), now: options.now().toISOString() });
        return out;
      },
      ack: (seq) => {
        if (seq <= cursor) return;
        this.#setCursor.run({ consumer: name, seq, now: options.now().toISOString() });
        cursor = seq;
      },
    };
  }
}

function parseIncident(text: string): Incident | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isIncident(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isIncident(value: unknown): value is Incident {
  return typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string' && 'count' in value && typeof value.count === 'number';
}
