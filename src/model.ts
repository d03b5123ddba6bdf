// The plain data objects that flow between pipeline stages:
// sources -> parse (LogEvent) -> match (Match) -> correlate (Incident) -> sinks.
// No stage depends on another stage's internals, only on these shapes.

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Languages reports and console lines are written in (`--lang`); rule files carry `zh:` texts. */
export const LANGS = ['en', 'zh'] as const;
export type Lang = (typeof LANGS)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Where an event came from: a log file, or one row of a `ps` snapshot. */
export type EventKind = 'log' | 'ps';

/** One log event: a line plus its continuation lines (stack frames, object dumps, tracebacks). */
export interface LogEvent {
  kind: EventKind;
  /** Path of the file as the user named it (relative paths stay relative). */
  file: string;
  /** 1-based line number of the event's first line in `file`. */
  line: number;
  /** Number of physical lines joined into this event. */
  lineCount: number;
  /** Message text: prefixes (ANSI, PM2, timestamps) stripped, continuation lines joined with \n. */
  text: string;
  /** The original lines, joined with \n, as evidence. */
  raw: string;
  /** Epoch milliseconds from the log's own timestamp (or an estimate, see timeApprox). */
  time: number | undefined;
  /** True when the file carried no timestamps and `time` was estimated. */
  timeApprox: boolean;
  /** Service (app) name: from the line when it says so, else from the file name. */
  service: string;
  pid?: number | undefined;
  level?: string | undefined;
  /** Structured fields the parser found (ps columns like ppid/start/user, JSON scalars); rules see them as captures. */
  fields?: Record<string, string> | undefined;
  /** The machine the line says it came from (syslog's host, pino's `hostname`), when it says. */
  host?: string | undefined;
  /**
   * Which box or scenario the event belongs to: the input it was read from (a path given, a PM2
   * home, a folder of a collection), refined by a `hostname` field. Absent or '' when the run has
   * one scope. Events of different scopes never form one incident, and incidents of different
   * scopes never link.
   */
  scope?: string | undefined;
  /**
   * Set when this event repeats an earlier one of its file byte for byte but for the timestamp
   * (parse/repeat-lines.ts): it is that event with its own line, time and raw text, so what a
   * stage derived from the text and fields of `repeatOf` holds for this one too.
   */
  repeatOf?: LogEvent | undefined;
}

/** A rule matched an event. */
export interface Match {
  rule: string;
  event: LogEvent;
  /** Named regex captures (plus `service`, `pid` when known). */
  captures: Record<string, string>;
  /** Values of the rule's group_by keys and the scope (when there is one), joined: one incident stream per rule and key. */
  groupKey: string;
  /** The event's scope ('' for a single-scope run). */
  scope: string;
  /** Service after captures were applied (a `service` capture wins over the file's). */
  service: string;
  /** Event time in epoch ms. */
  time: number;
  /** This pattern alone is enough to open an incident, whatever the threshold. */
  sufficient: boolean;
}

export interface EvidenceLine {
  file: string;
  line: number;
  /** The event's original text (multi-line for stack traces), capped in length. */
  text: string;
  time?: string | undefined;
}

export interface Remediation {
  title: string;
  kind: 'command' | 'code-change' | 'config-change' | 'investigate';
  /** Shell commands, one per entry, shown in the report (never run by analyze). */
  commands: string[];
  detail?: string | undefined;
  /** Why a step shows a placeholder instead of a value from the log (the value did not fit its type). */
  notes?: string[] | undefined;
}

export interface IncidentLink {
  id: string;
  rule: string;
  title: string;
  /** caused-by / causes: root-cause links; recurrence-of: the same problem's earlier incident (watch mode). */
  relation: 'caused-by' | 'causes' | 'recurrence-of';
}

export interface Incident {
  /** Stable id: the same lines give the same id, so a re-run updates instead of duplicating. */
  id: string;
  rule: string;
  title: string;
  severity: Severity;
  status: 'open' | 'resolved';
  /** ISO-8601. */
  firstSeen: string;
  lastSeen: string;
  /** Matched events in this incident, exact. */
  count: number;
  services: string[];
  files: string[];
  groupKey: string;
  /** The scope of its events (see LogEvent.scope); absent or '' when the run had one. */
  scope?: string | undefined;
  /** Captures of the first match, used by diagnosis templates. */
  captures: Record<string, string>;
  /** Distinct values seen per capture name (capped), e.g. every missing file path. */
  captureValues: Record<string, string[]>;
  /** Per capture name, matches whose value was not kept because the value list was full. */
  captureOverflow?: Record<string, number> | undefined;
  evidence: EvidenceLine[];
  /** What happened, in a sentence or two (rendered from the rule's summary). */
  summary: string;
  /** The rendered diagnosis: what the rule says the cause is, with linked causes first. */
  rootCause: string;
  remediations: Remediation[];
  verify: string[];
  prevent: string[];
  links: IncidentLink[];
  /** True when the times were estimated (files without timestamps). */
  timeApprox: boolean;
  /** What the logs show around the incident beyond its own matches (batch analysis; see correlate/evidence-context.ts). */
  context?: IncidentContext | undefined;
  /**
   * The `--rules` folders or files of the run that found it, when its rule came from one of them
   * (not built in): the command that re-checks the incident must load the same rule.
   */
  rulePaths?: string[] | undefined;
}

/** What the service's own logs say about it, beyond any rule's matches. */
export interface ServiceFacts {
  /** Ports its log lines announced (listening, ready, EADDRINUSE), most often seen first. */
  ports: number[];
  /** Seen under PM2: named in pm2.log or in `N|app |` prefixes. */
  pm2: boolean;
  /** Whether PM2's daemon log was among the inputs (so `pm2: false` is a finding, not a gap). */
  pm2LogRead: boolean;
  /** Whether a process snapshot (`ps aux` / `ps -ef`) was among the inputs. */
  snapshotRead: boolean;
  /** Pool settings the service logged (`max: 10`, `pool_size=10 max_overflow=20`), latest before the incident. */
  poolSettings: Record<string, number>;
}

/** One error line quoted from the logs, with where it is. */
export interface QuotedLine {
  file: string;
  line: number;
  /** The error's own line (first line of a Node stack, last line of a Python traceback). */
  text: string;
  time?: string | undefined;
  /** How many of the counted occasions (exits) it was the last error before. */
  count: number;
}

/** One row of a process snapshot, for duplicate-process reports. */
export interface ProcessRow {
  pid: number;
  ppid?: number | undefined;
  /** START / STIME / lstart column as ps printed it. */
  start?: string | undefined;
  tty?: string | undefined;
  command: string;
  /** The parent's command line, when the parent is in the snapshot. */
  parent?: string | undefined;
}

/** WebSocket handshakes logged by the server during the incident (uvicorn access lines). */
export interface SocketAccess {
  connections: number;
  /** First and last handshake (ISO). */
  from: string;
  to: string;
  /** The client address with the most handshakes, and how many. */
  peer: string;
  peerConnections: number;
  /** The path with the most handshakes (query string dropped). */
  path: string;
  /** Handshakes refused, by status (`403`, `404`). */
  rejected: Record<string, number>;
}

export interface IncidentContext {
  facts: ServiceFacts;
  /** Restart loops: the last error the app logged before each exit, most frequent first. */
  lastErrors?: QuotedLine[] | undefined;
  /** Exits of the service during the incident (PM2's `exited with code`). */
  exits?: number | undefined;
  /** The errors' times were estimated, so they were placed by order, not time. */
  lastErrorsByOrder?: boolean | undefined;
  sockets?: SocketAccess | undefined;
  /** Process snapshot rows of the incident's PIDs. */
  processes?: ProcessRow[] | undefined;
}

/** What happened to an incident: the correlation engine's output, for every sink. */
export type IncidentChangeKind = 'opened' | 'updated' | 'escalated' | 'resolved' | 'linked';

/**
 * One structured change of one incident, as the engine emits it. The incident is the state after
 * the change, with no rendered text (summary, rootCause, remediations, verify and prevent are
 * empty): sinks render what they show. `updated` (more matches) is emitted at most once per
 * incident per batch of changes, so a crash-looping service does not make one change per line.
 */
export interface IncidentChange {
  kind: IncidentChangeKind;
  incident: Incident;
}

/** A change as an outbox consumer receives it: numbered in commit order, delivered once. */
export interface OutboxEntry {
  /** Increases with every change written; a consumer's cursor is the last seq it handled. */
  seq: number;
  /** ISO time the change was committed. */
  at: string;
  change: IncidentChange;
}

export interface RunStats {
  files: number;
  lines: number;
  bytes: number;
  events: number;
  matches: number;
  durationMs: number;
  /** Files (or parts of files) that could not be read, with why. */
  skipped: SkippedInput[];
  /** Earliest and latest log timestamps seen (ISO), when any. */
  from?: string | undefined;
  to?: string | undefined;
  /** The scopes analysed apart (see LogEvent.scope), when there were several. */
  scopes?: string[] | undefined;
  /** Files read that held nothing (PM2 keeps an empty `<app>-error.log` while the app is healthy). */
  empty: number;
  /** Lines cut because they were longer than the line limit. */
  truncatedLines: number;
  /** Whether some times were estimated. */
  approximateTimes: boolean;
  /** Set when the incidents come from this store rather than from reading logs now. */
  store?: string | undefined;
}

export interface SkippedInput {
  file: string;
  reason: string;
}

export interface AnalysisResult {
  incidents: Incident[];
  stats: RunStats;
  files: string[];
}

/** Where watch mode stopped reading one file: its identity and the offset of the first unprocessed line. */
export interface SavedPosition {
  /** Path the file had when last seen. */
  path: string;
  dev: number;
  ino: number;
  fingerprint: string;
  fingerprintLength: number;
  /** Bytes consumed: every line before it has been processed and checkpointed. */
  offset: number;
  /** Lines before `offset`, so evidence line numbers stay right after a restart. */
  line: number;
  /** Hash of the TAIL_HASH_BYTES bytes before `offset` ('' at offset 0). */
  tailHash: string;
}
