// The DB pool suggestion, derived from the limits that just failed (the error message's
// `QueuePool limit of size 5 overflow 10 ... timeout 30`, Prisma's `connection limit: 5`, or the
// pool settings the app logged: pg `max`, knex/Sequelize `max`, mongoose `maxPoolSize`) and from
// what else the incident shows (queries hanging on open connections, connect timeouts). It never
// suggests the settings that failed: more connections do not help when queries hang, and when the
// pool was simply too small the suggestion is larger than what failed. Every string here is
// composed from numbers parsed with Number() and fixed text, never from log text.
import type { Incident } from '../model.js';

export interface PoolAdvice {
  /** The failing limits as read, e.g. `pool_size=10, max_overflow=20, pool_timeout=30`. */
  limits: string;
  /** Connections the pool allowed (size + overflow), when known. */
  total: number | undefined;
  /** Pool wait timeout in seconds, when known. */
  timeout: number | undefined;
  /** Queries hung on open connections (read timeouts): the pool ran dry because nothing came back. */
  stalled: boolean;
  /** Callers waited for a pooled connection and gave up. */
  exhausted: boolean;
  /** Opening a new connection timed out (pg connectionTimeoutMillis). */
  connectTimeout: boolean;
  /** The server refused a connection (max_connections reached). */
  refused: boolean;
  /** A statement timeout below the pool timeout, in ms, so a hung query frees its connection before waiters give up. */
  statementTimeoutMs: number;
  /** Pool size to try when the demand is real (always above what failed), or undefined when raising it would not help. */
  nextTotal: number | undefined;
  /** One configuration line for the driver with the derived numbers. */
  setting: string;
  /** Logged connectionTimeoutMillis, and a value to try. */
  connectTimeoutMs: number | undefined;
  nextConnectTimeoutMs: number | undefined;
}

function num(v: string | number | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function first(incident: Incident, name: string): string | undefined {
  return incident.captureValues[name]?.[0] ?? incident.captures[name];
}

function seconds(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function poolAdvice(incident: Incident): PoolAdvice | undefined {
  if (incident.rule !== 'db-pool-timeout') return undefined;
  const logged = incident.context?.facts.poolSettings ?? {};
  const drivers = (incident.captureValues.driver ?? [incident.captures.driver ?? '']).join(' ');
  const symptoms = (incident.captureValues.symptom ?? [incident.captures.symptom ?? '']).join(' ');
  const sqlalchemy = /SQLAlchemy/.test(drivers);
  const prisma = /Prisma/.test(drivers);
  const pg = /node-postgres/.test(drivers);

  const size = num(first(incident, 'pool_size')) ?? num(logged.pool_size) ?? num(logged.connection_limit) ?? num(logged.connectionLimit) ?? num(logged.max) ?? num(logged.maxPoolSize) ?? num(logged.poolSize) ?? num(logged.max_size);
  const overflow = num(first(incident, 'max_overflow')) ?? num(logged.max_overflow);
  const timeout = num(first(incident, 'pool_timeout')) ?? num(logged.pool_timeout);
  const connectTimeoutMs = num(logged.connectionTimeoutMillis);
  const total = size === undefined ? undefined : size + Math.max(0, overflow ?? 0);

  const stalled = /stopped answering/.test(symptoms);
  const exhausted = /checked out|became free|acquired|pool is full|pooled/.test(symptoms);
  const connectTimeout = /opening a new connection/.test(symptoms);
  const refused = /refused a new connection/.test(symptoms);

  // A hung query must give its connection back before the callers queued behind it give up.
  const waitS = timeout ?? (sqlalchemy ? 30 : prisma ? 10 : 30);
  const statementTimeoutMs = Math.max(1000, Math.floor((waitS * 1000 * 2) / 3 / 1000) * 1000);
  // Raising the limit helps only when connections come back and demand is simply higher.
  const nextTotal = total !== undefined && exhausted && !stalled && !refused ? Math.max(total + 1, Math.ceil(total * 1.5)) : undefined;

  const parts: string[] = [];
  if (sqlalchemy) {
    if (size !== undefined) parts.push(`pool_size=${size}`);
    if (overflow !== undefined) parts.push(`max_overflow=${overflow}`);
  } else if (prisma) {
    if (size !== undefined) parts.push(`connection_limit=${size}`);
  } else if (size !== undefined) parts.push(`max=${size}`);
  if (timeout !== undefined) parts.push(`pool_timeout=${seconds(timeout)}`);
  if (connectTimeoutMs !== undefined) parts.push(`connectionTimeoutMillis=${connectTimeoutMs}`);

  let setting: string;
  if (sqlalchemy) {
    const s = nextTotal !== undefined && size !== undefined ? Math.max(size, nextTotal - Math.max(0, overflow ?? 0)) : size;
    const sized = s === undefined ? '' : `pool_size=${s}, max_overflow=${Math.max(0, overflow ?? 0)}, `;
    setting = `create_engine(url, ${sized}pool_timeout=${seconds(waitS)}, pool_pre_ping=True, connect_args={"options": "-c statement_timeout=${statementTimeoutMs}"})`;
  } else if (prisma) {
    const limit = nextTotal ?? size;
    setting = `DATABASE_URL="postgresql://…?${limit === undefined ? '' : `connection_limit=${limit}&`}pool_timeout=${seconds(waitS)}&statement_timeout=${statementTimeoutMs}"`;
  } else if (pg) {
    const max = nextTotal ?? size;
    const connect = connectTimeout ? Math.max(5000, (connectTimeoutMs ?? 500) * 10) : connectTimeoutMs ?? 5000;
    setting = `new Pool({ ${max === undefined ? '' : `max: ${max}, `}connectionTimeoutMillis: ${connect}, statement_timeout: ${statementTimeoutMs}, idleTimeoutMillis: 10000 })`;
  } else {
    setting = '';
  }
  return {
    limits: parts.join(', '),
    total,
    timeout,
    stalled,
    exhausted,
    connectTimeout,
    refused,
    statementTimeoutMs,
    nextTotal,
    setting,
    connectTimeoutMs,
    nextConnectTimeoutMs: connectTimeout ? Math.max(5000, (connectTimeoutMs ?? 500) * 10) : undefined,
  };
}
