// Facts on demand. Error lines and WebSocket handshakes are common in busy logs, yet only a few
// incidents use them: the last error before each PM2 exit (restart loops) and the handshakes
// during a reconnect storm. The first pass keeps the events only those literals hit unbuilt (bytes,
// file, line, time: match/facts.ts DEFERRED_FACT_LITERALS); after correlation this pass builds the
// ones inside the time windows that incidents' reports ask about and notes their facts in the
// FactBook, in their reading order. Nothing is read twice, so standard input and .gz work alike.
import type { Incident } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import type { FactBook } from '../correlate/fact-book.js';
import { AROUND_MS, EXIT_SLACK_MS, SOCKETS_AROUND_MS } from '../correlate/evidence-context.js';
import { buildDeferredEvent, deferredService, type DeferredEvent } from '../parse/stream-parser.js';
import { mayHoldOtherFact } from '../match/facts.js';

/** Bytes of deferred events kept at most; past it the oldest go (as the FactBook's rings drop old facts). */
const MAX_KEPT_BYTES = 256 * 1024 * 1024;

// Template values that read the last errors or the handshakes (sinks/evidence-values.ts).
const USES_ERRORS = /\b(?:last_errors?|other_errors|exits|last_error_by_order)\b/;
const USES_SOCKETS = /\bsockets\b/;
const PM2_LOGS_PREFIX = /^\d+\|([^|\n]{1,64})\|/;

export interface FactPassStats {
  kept: number;
  keptBytes: number;
  built: number;
}

export class FactPass {
  private kept: Array<{ event: DeferredEvent; seq: number }> = [];
  private keptBytes = 0;
  readonly stats: FactPassStats = { kept: 0, keptBytes: 0, built: 0 };

  constructor(private readonly book: FactBook) {}

  /** The parser's onDeferred: keep the event with its place in reading order. */
  readonly add = (event: DeferredEvent): void => {
    this.kept.push({ event, seq: this.book.reserve() });
    this.keptBytes += event.bytes.length;
    this.stats.kept++;
    this.stats.keptBytes += event.bytes.length;
    if (this.keptBytes > MAX_KEPT_BYTES) {
      let drop = 0;
      while (this.keptBytes > (MAX_KEPT_BYTES * 3) / 4) this.keptBytes -= this.kept[drop++]?.event.bytes.length ?? this.keptBytes;
      this.kept.splice(0, drop);
    }
  };

  /** Build the kept events the incidents' reports need and note their facts. */
  resolve(incidents: Incident[], rules: CompiledRule[], pm2Knows: (service: string) => boolean): void {
    if (this.kept.length === 0) return;
    const texts = new Map(rules.map((r) => [r.spec.id, JSON.stringify(r.texts)]));
    // per service: an event of another service is not built (JSON lines, whose service only a build tells, always are)
    const windows = new Map<string, Array<[number, number]>>();
    const open = (services: string[], from: number, to: number): void => {
      for (const s of services) {
        const list = windows.get(s) ?? [];
        list.push([from, to]);
        windows.set(s, list);
      }
    };
    let everything = false;
    const pm2Unknown = new Set<string>();
    const errorServices = new Set<string>();
    for (const inc of incidents) {
      for (const s of inc.services) if (!this.book.pm2Apps.has(s) && !pm2Knows(s)) pm2Unknown.add(s);
      const text = texts.get(inc.rule) ?? '';
      const first = Date.parse(inc.firstSeen);
      const last = Date.parse(inc.lastSeen);
      if (USES_SOCKETS.test(text)) open(inc.services, first - SOCKETS_AROUND_MS, last + SOCKETS_AROUND_MS);
      if (!USES_ERRORS.test(text)) continue;
      // the last error before each exit, at most AROUND_MS before it (evidence-context.ts)
      for (const s of inc.services) {
        for (const t of this.book.exits.get(s) ?? []) {
          if (t >= first - AROUND_MS && t <= last + AROUND_MS) {
            open(inc.services, t - AROUND_MS, t + EXIT_SLACK_MS);
            errorServices.add(s);
          }
        }
        // estimated times are placed by order, over all the service's errors
        if ((this.book.errors.get(s) ?? []).some((e) => e.approx)) everything = true;
      }
    }
    const byService = new Map([...windows].map(([s, list]) => [s, merge(list)]));
    const any = merge([...windows.values()].flat());
    const wanted = (event: DeferredEvent): boolean => {
      if (!inWindow(any, event.time)) return false;
      const service = deferredService(event);
      return service === undefined || inWindow(byService.get(service) ?? [], event.time);
    };
    const left: Array<{ event: DeferredEvent; seq: number } | undefined> = [];
    for (const entry of this.kept) {
      if (everything || wanted(entry.event) || this.otherwiseNeeded(entry.event, pm2Unknown)) this.noteKept(entry);
      else left.push(entry);
    }
    // A restart loop's exits are counted only when its services logged some error at all
    // (evidence-context.ts): make sure one is known, from outside the windows if need be.
    for (const s of errorServices) {
      if (this.book.errors.has(s)) continue;
      for (let i = 0; i < left.length && !this.book.errors.has(s); i++) {
        const entry = left[i];
        if (entry && !/"websocket /i.test(entry.event.bytes.toString('latin1'))) {
          this.noteKept(entry);
          left[i] = undefined;
        }
      }
    }
    this.kept = [];
    this.keptBytes = 0;
    this.book.settle();
  }

  private noteKept(entry: { event: DeferredEvent; seq: number }): void {
    this.book.note(buildDeferredEvent(entry.event), false, entry.seq);
    this.stats.built++;
  }

  /** Outside every window the event still counts when it may name a PM2 app or state a port or pool setting. */
  private otherwiseNeeded(event: DeferredEvent, pm2Unknown: Set<string>): boolean {
    const text = event.bytes.toString('latin1');
    if (mayHoldOtherFact(text)) return true;
    if (pm2Unknown.size === 0) return false;
    if (text.includes('app_name') || text.includes('"service"')) return true;
    const prefix = PM2_LOGS_PREFIX.exec(text);
    return prefix !== null && pm2Unknown.has((prefix[1] ?? '').trimEnd());
  }
}

function merge(windows: Array<[number, number]>): Array<[number, number]> {
  windows.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [from, to] of windows) {
    const lastWindow = out[out.length - 1];
    if (lastWindow && from <= lastWindow[1]) lastWindow[1] = Math.max(lastWindow[1], to);
    else out.push([from, to]);
  }
  return out;
}

function inWindow(windows: Array<[number, number]>, t: number): boolean {
  let lo = 0;
  let hi = windows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = windows[mid];
    if (!w) break;
    if (t < w[0]) hi = mid - 1;
    else if (t > w[1]) lo = mid + 1;
    else return true;
  }
  return false;
}
