// Alertmanager sink: each incident is one alert through the v2 API (POST /api/v2/alerts), the
// way Prometheus sends them. Alertmanager does the fleet work — dedup across hosts, grouping,
// routing, silences, on-call — so the labels identify the problem, not the agent's bookkeeping.
import type { ChangeRecord } from './change-record.js';
import { postJson } from './deliver/http-post.js';
import type { ChangeSink, RetryPolicy } from './deliver/sink.js';

export interface AlertmanagerOptions {
  /** Base URL of one Alertmanager (`http://am:9093`, or with a path prefix behind a proxy). */
  url: string;
  retry: RetryPolicy;
  /** Re-send open incidents this often (ms); firing alerts stay valid for 4 times that. */
  resendIntervalMs: number;
}

/** One alert as the v2 API takes it (postableAlert). */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

const DESCRIPTION_CHARS = 500;
const SUMMARY_CHARS = 300;

/**
 * Firing alerts carry an explicit endsAt a few re-send periods ahead (Prometheus uses 4× its
 * resend delay): if the agent dies, Alertmanager resolves them by itself instead of paging forever,
 * whatever its own resolve_timeout is.
 */
export function toAlert(r: ChangeRecord, now: number, resendIntervalMs: number): PostableAlert {
  const i = r.incident;
  const labels: Record<string, string> = {
    alertname: i.rule,
    severity: i.severity,
    service: i.services.join(',') || 'unknown',
    host: r.host,
    incident_id: i.id,
  };
  const annotations: Record<string, string> = {
    summary: clip(firstLine(i.summary) || i.title, SUMMARY_CHARS),
    description: clip(firstParagraph(i.rootCause), DESCRIPTION_CHARS),
  };
  if (r.report) annotations.runbook = r.report;
  const startsAt = i.firstSeen;
  let endsAt: string;
  if (i.status === 'resolved') {
    // the problem was last seen then; never after the moment we knew it was over
    const last = Math.min(Date.parse(i.lastSeen), Date.parse(r.at));
    endsAt = new Date(Math.max(last, Date.parse(startsAt))).toISOString();
  } else {
    endsAt = new Date(now + 4 * resendIntervalMs).toISOString();
  }
  return { labels, annotations, startsAt, endsAt, ...(r.report && /^https?:\/\//.test(r.report) ? { generatorURL: r.report } : {}) };
}

export function alertmanagerSink(options: AlertmanagerOptions): ChangeSink {
  const base = options.url.replace(/\/+$/, '');
  const endpoint = `${base}/api/v2/alerts`;
  return {
    name: `alertmanager ${base}`,
    retry: options.retry,
    batchSize: 64,
    resendIntervalMs: options.resendIntervalMs,
    async deliver(changes, signal) {
      // only the latest state of each incident matters to Alertmanager
      const latest = new Map<string, ChangeRecord>();
      for (const c of changes) latest.set(c.incident.id, c);
      const now = Date.now();
      await postJson(endpoint, [...latest.values()].map((c) => toAlert(c, now, options.resendIntervalMs)), signal);
    },
  };
}

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim() !== '') ?? '').trim();
}

function firstParagraph(s: string): string {
  return (s.split(/\n\s*\n/)[0] ?? '').replace(/\s+/g, ' ').trim();
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
