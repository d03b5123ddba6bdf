// `--alertmanager`, `--webhook`, `--host`, `--runbook-url` for analyze, watch and report: the
// options, their validation and the delivery queue they make.
import os from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ChangeSink, RetryPolicy } from '../sinks/deliver/sink.js';
import type { DeliveryOutcome, DeliveryQueue } from '../sinks/deliver/queue.js';
import type { RecordContext } from '../sinks/change-record.js';
import type { SilenceSpec } from '../sinks/silences.js';

export interface SinkFlags {
  alertmanager: string[];
  webhook: string[];
  host?: string;
  runbookUrl?: string;
  alertResend: number;
  out?: string;
  /** From the configuration file only. */
  silences?: SilenceSpec[];
}

/** An http(s) URL, or a usage error naming the option. */
function httpUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError('expected an http:// or https:// URL');
  return value;
}

function collectUrl(value: string, previous: string[]): string[] {
  return [...previous, httpUrl(value)];
}

function hostName(value: string): string {
  if (!/^[^\s\u0000-\u001f]{1,253}$/.test(value)) throw new InvalidArgumentError('expected a host name without spaces');
  return value;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0');
  return n;
}

export function addSinkOptions(cmd: Command): Command {
  return cmd
    .option('--alertmanager <url>', 'send incidents as alerts to this Alertmanager (v2 API); repeat for each of an HA pair', collectUrl, [])
    .option('--webhook <url>', 'POST each incident change as JSON to this URL (repeatable)', collectUrl, [])
    .option('--host <name>', "the host label of alerts and change records (default: this machine's host name)", hostName)
    .option('--runbook-url <prefix>', 'alerts link the incident report as <prefix><incident-id>.md (default: the local --out path)', httpUrl)
    .addOption(new Option('--alert-resend <seconds>', 're-send open alerts this often (watch)').argParser(seconds).default(60).hideHelp());
}

export function recordContext(flags: SinkFlags): RecordContext {
  return { host: flags.host ?? os.hostname(), reportDir: flags.out, reportUrl: flags.runbookUrl };
}

/** A batch run gives up on a change after 5 attempts (~15 s); watch keeps trying while it runs. */
const BATCH_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 1000, maxDelayMs: 8000 };
const WATCH_RETRY: RetryPolicy = { attempts: Number.POSITIVE_INFINITY, initialDelayMs: 1000, maxDelayMs: 60_000 };

/** The queue for the sinks the flags name, or undefined when there are none (nothing is loaded then). */
export async function openSinks(flags: SinkFlags, mode: 'batch' | 'watch', warn: (m: string) => void): Promise<DeliveryQueue | undefined> {
  if (flags.alertmanager.length === 0 && flags.webhook.length === 0) return undefined;
  const [{ DeliveryQueue }, { alertmanagerSink }, { webhookSink }, { isSilenced }] = await Promise.all([
    import('../sinks/deliver/queue.js'),
    import('../sinks/alertmanager.js'),
    import('../sinks/webhook.js'),
    import('../sinks/silences.js'),
  ]);
  const retry = mode === 'batch' ? BATCH_RETRY : WATCH_RETRY;
  const sinks: ChangeSink[] = [
    ...flags.alertmanager.map((url) => alertmanagerSink({ url, retry, resendIntervalMs: flags.alertResend * 1000 })),
    ...flags.webhook.map((url) => webhookSink({ url, retry })),
  ];
  const silences = flags.silences ?? [];
  return new DeliveryQueue(sinks, { warn, accept: silences.length ? (r) => !isSilenced(r, silences) : undefined });
}

/**
 * One line per sink that did not take everything; never hidden by --quiet. Returns whether
 * everything was delivered.
 */
export function reportOutcomes(outcomes: DeliveryOutcome[]): boolean {
  let ok = true;
  for (const o of outcomes) {
    if (o.dropped === 0 && o.pending === 0) continue;
    ok = false;
    const lost = o.dropped + o.pending;
    process.stderr.write(`incident-analyser: ${o.sink}: ${lost} change(s) not delivered${o.lastError ? ` (${o.lastError})` : ''}\n`);
  }
  return ok;
}
