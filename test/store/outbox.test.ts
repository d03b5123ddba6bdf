// The outbox in the store: changes written with a checkpoint, drained by named consumers with
// their own durable cursors (several sinks drain it independently), delivered once each.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Incident, IncidentChange } from '../../src/model.js';
import { openStore, type Checkpoint, type Store } from '../../src/store/store.js';

let dir: string;
let file: string;
const open: Store[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ia-outbox-'));
  file = path.join(dir, 'watch.db');
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function store(): Store {
  const s = openStore(file);
  open.push(s);
  return s;
}

function incident(id: string, count: number, summary = ''): Incident {
  return {
    id, rule: 'port-in-use', title: 'Port in use', severity: 'error', status: 'open',
    firstSeen: '2026-11-22T09:39:07.000Z', lastSeen: '2026-11-22T09:39:08.000Z', count,
    services: ['api'], files: ['api-error.log'], groupKey: 'api', captures: {}, captureValues: {},
    evidence: [], summary, rootCause: '', remediations: [], verify: [], prevent: [], links: [], timeApprox: false,
  };
}

function checkpoint(changes: IncidentChange[], rendered: Incident[] = changes.map((c) => c.incident)): Checkpoint {
  return {
    positions: [],
    state: [{ key: 'files', value: { checkpointAt: 1 } }],
    engine: { put: [{ key: 'port-in-use\u0001api', value: { rule: 'port-in-use', key: 'api', pending: {}, arrival: 1 } }], remove: [] },
    incidents: rendered,
    changes,
    trace: [],
  };
}

describe('outbox', () => {
  it('is written with the checkpoint: changes carry the incident as saved, in commit order', () => {
    const s = store();
    const console = s.outboxConsumer('console');
    s.saveCheckpoint(checkpoint([{ kind: 'opened', incident: incident('a', 1) }], [incident('a', 1, 'rendered text')]));
    s.saveCheckpoint(checkpoint([{ kind: 'updated', incident: incident('a', 5) }, { kind: 'opened', incident: incident('b', 1) }]));
    const got = console.pending();
    expect(got.map((e) => [e.change.kind, e.change.incident.id, e.change.incident.count])).toEqual([
      ['opened', 'a', 1],
      ['updated', 'a', 5],
      ['opened', 'b', 1],
    ]);
    expect(got[0]?.change.incident.summary).toBe('rendered text');
    expect(got.map((e) => e.seq)).toEqual([...got.map((e) => e.seq)].sort((x, y) => x - y));
    expect(s.getIncident('a')?.count).toBe(5);
    expect(s.loadEngineState()).toEqual([{ rule: 'port-in-use', key: 'api', pending: {}, arrival: 1 }]);
  });

  it('gives each consumer its own durable cursor: acked entries are not handed out again, across reopening', () => {
    let s = store();
    const a = s.outboxConsumer('console');
    const b = s.outboxConsumer('alertmanager');
    s.saveCheckpoint(checkpoint([{ kind: 'opened', incident: incident('a', 1) }, { kind: 'escalated', incident: incident('a', 10) }]));
    const first = a.pending();
    a.ack(first[0]?.seq ?? 0);
    s.close();
    s = store();
    expect(s.outboxConsumer('console').pending().map((e) => e.change.kind)).toEqual(['escalated']);
    expect(s.outboxConsumer('alertmanager').pending().map((e) => e.change.kind)).toEqual(['opened', 'escalated']);
    expect(b.name).toBe('alertmanager');
  });

  it('starts a consumer seen for the first time at the end, unless asked to start at the beginning', () => {
    const s = store();
    s.outboxConsumer('console');
    s.saveCheckpoint(checkpoint([{ kind: 'opened', incident: incident('a', 1) }]));
    expect(s.outboxConsumer('late').pending()).toEqual([]);
    expect(s.outboxConsumer('replay', { start: 'start' }).pending().map((e) => e.change.incident.id)).toEqual(['a']);
  });

  it('deletes what every consumer has handled', () => {
    const s = store();
    const a = s.outboxConsumer('console');
    s.saveCheckpoint(checkpoint([{ kind: 'opened', incident: incident('a', 1) }]));
    const [entry] = a.pending();
    a.ack(entry?.seq ?? 0);
    s.saveCheckpoint(checkpoint([{ kind: 'opened', incident: incident('b', 1) }]));
    // a new consumer from the start sees only what was not pruned
    expect(s.outboxConsumer('replay', { start: 'start' }).pending().map((e) => e.change.incident.id)).toEqual(['b']);
  });
});
