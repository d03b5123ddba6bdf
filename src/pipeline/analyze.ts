// The batch driver: files in, incidents out. sources → parse → match → correlate; the sinks
// (reports, JSON, store) take the AnalysisResult. Input problems become warnings that name the
// file, and the run goes on.
import type { AnalysisResult, Incident, LogEvent, Match, RunStats, SkippedInput } from '../model.js';
import { severityRank } from '../model.js';
import { UserError } from '../errors.js';
import type { CompiledRule } from '../rules/types.js';
import { Matcher } from '../match/matcher.js';
import { matchFacts, type Fact } from '../match/facts.js';
import { RepeatMemo } from '../match/repeat-memo.js';
import { Engine } from '../correlate/engine.js';
import { linkRootCauses } from '../correlate/links.js';
import { FactBook, type FactNote } from '../correlate/fact-book.js';
import { attachContexts } from '../correlate/evidence-context.js';
import { renderIncidentTexts } from '../sinks/incident-text.js';
import { discoverStreams, type LogStream } from '../sources/discover.js';
import { readTextChunks, type ReadIssues } from '../sources/read-file.js';
import { StreamParser, type ParsedFile } from '../parse/stream-parser.js';
import { HostScopes } from '../parse/host-scope.js';
import path from 'node:path';
import { Pm2Timeline } from './pm2-timeline.js';
import { mergeByTime } from './merge-by-time.js';

export interface AnalyzeOptions {
  paths: string[];
  rules: CompiledRule[];
  /** Keep only events at or after / before these times (epoch ms). */
  since?: number | undefined;
  until?: number | undefined;
  /**
   * Let times estimated from a file's modification time (files without timestamps) count for
   * `since`/`until`. Off by default: an estimate cannot show that an event happened in the window.
   */
  sinceEstimated?: boolean | undefined;
  cwd?: string;
  /** Follow symbolic links out of the folders named (default: skip them, with a warning). */
  followSymlinks?: boolean;
  /** The `--rules` folders or files as the user gave them: kept on incidents of their rules. */
  rulePaths?: string[] | undefined;
  /** Called for every event the rules were run on, with what matched (for `rules test`). */
  onEvaluated?: (event: LogEvent, matches: Match[]) => void;
  /** One line per problem with an input, naming the file. */
  onWarning?: (message: string) => void;
  /** Reading progress, after each piece read (the progress bar). */
  onProgress?: (progress: AnalyzeProgress) => void;
  /** Take repeated lines the fast way (parse/repeat-lines.ts); default on. Tests turn it off to compare. */
  repeats?: boolean;
  /** Read one-line fact-only events without building them (parse/stream-parser.ts FactLine); default on. Tests turn it off to compare. */
  factLines?: boolean;
}

export interface AnalyzeProgress {
  /** On-disk bytes of the files done plus what was read of the current one. */
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** What a stream hands the merge: matches for the engine, facts for the book. */
type Item = Match | FactNote;
type Emit = (item: Item) => void;

export class InputError extends UserError {
  override name = 'InputError';
}

export async function analyze(options: AnalyzeOptions): Promise<AnalysisResult> {
  const started = performance.now();
  const warn = options.onWarning ?? (() => {});
  const { streams, skipped, scopes } = await discoverStreams(options.paths, { cwd: options.cwd, followSymlinks: options.followSymlinks });
  for (const s of skipped) warn(`${s.file}: ${s.reason}`);
  const allSkipped: SkippedInput[] = [...skipped];

  const matcher = new Matcher(options.rules, { facts: true });
  const facts = new FactBook();
  // a repeated line states the facts its first repeat did (they depend on its text and bits alone)
  const factMemo = new RepeatMemo<{ hot: number | undefined; facts: Fact[] }>();
  const factsOf = (event: LogEvent, hot: number | undefined): Fact[] | undefined => {
    if (event.repeatOf === undefined || event.kind === 'ps') return undefined;
    const known = factMemo.known(event);
    if (known !== undefined && known.hot === hot) return known.facts;
    const found = matchFacts(event, hot);
    factMemo.remember(event, { hot, facts: found });
    return found;
  };
  const windowed = options.since !== undefined || options.until !== undefined;
  /** Files whose estimated times were left out of --since/--until, for one warning each. */
  const leftOut = new Map<string, number>();
  const engine = new Engine(options.rules);
  // per scope: one box's PM2 daemon log says nothing about another box's apps
  const pm2ByScope = new Map<string, Pm2Timeline>();
  const pm2Of = (scope: string): Pm2Timeline => {
    let t = pm2ByScope.get(scope);
    if (!t) pm2ByScope.set(scope, (t = new Pm2Timeline()));
    return t;
  };
  const hosts = new HostScopes();
  // latest log time per folder and per scope: dates snapshots and decides open vs resolved
  const lastByFolder = new Map<string, number>();
  const lastByScope = new Map<string, number>();
  const noteLast = (map: Map<string, number>, key: string, t: number | undefined): void => {
    if (t !== undefined && t > (map.get(key) ?? -Infinity)) map.set(key, t);
  };
  const stats: RunStats = {
    files: 0,
    lines: 0,
    bytes: 0,
    events: 0,
    matches: 0,
    durationMs: 0,
    skipped: allSkipped,
    scopes: scopes.length > 1 ? scopes : undefined,
    empty: 0,
    truncatedLines: 0,
    approximateTimes: false,
  };
  const filesRead: string[] = [];
  const progress: AnalyzeProgress = {
    bytesDone: 0,
    bytesTotal: streams.reduce((n, s) => n + s.files.reduce((m, f) => m + f.size, 0), 0),
    filesDone: 0,
    filesTotal: streams.reduce((n, s) => n + s.files.length, 0),
  };
  // Matches whose time is only known at the end (files without timestamps, process snapshots
  // without a date line): fed after the timed ones, in time order.
  const late: Item[] = [];
  const snapshotFiles = new Set<string>();
  const untimedFiles: Array<{ stream: LogStream; parsed: ParsedFile; mtimeMs: number }> = [];
  let firstTime: number | undefined;
  let lastTime: number | undefined;

  // facts go through the merge with the matches: the book pairs each PM2 exit with the error
  // before it as they come, in log time across files
  const feed = (item: Item): void => {
    if ('facts' in item) facts.add(item);
    else engine.add(item);
  };

  const matchesOf = (event: LogEvent, into: Emit, daemon = false, hot?: number): void => {
    // the parser's scan tells an event built only for a fact (no rule can match: skipped) from one
    // holding a rule literal (all fact patterns run on it too, as on events built without bits)
    const rule = hot === undefined ? undefined : matcher.ruleEvent(event, hot);
    const matches = rule === undefined ? matcher.matchBuilt(event) : rule ? matcher.matchEvent(event) : [];
    options.onEvaluated?.(event, matches);
    if (event.time !== undefined || event.kind === 'ps') {
      const factHot = rule === false ? hot : undefined;
      const note = facts.note(event, daemon, factHot, factsOf(event, factHot));
      if (note) into(note);
    }
    for (const m of matches) {
      if (windowed && event.timeApprox && options.sinceEstimated !== true) {
        leftOut.set(event.file, (leftOut.get(event.file) ?? 0) + 1);
        continue;
      }
      if (options.since !== undefined && m.time < options.since) continue;
      if (options.until !== undefined && m.time > options.until) continue;
      into(m);
    }
  };

  /**
   * One stream's matches, a chunk's worth at a time, in file order. `direct`: the only stream,
   * whose file order is the time order the merge would give: its items go to the engine and the
   * book as they are found (holding and merging them was ~8% of a run where every line matched).
   */
  async function* streamMatches(stream: LogStream, direct: boolean): AsyncGenerator<Item[]> {
    let batch: Item[] = [];
    const emit: Emit = direct ? feed : (item) => batch.push(item);
    const pm2 = pm2Of(stream.scope);
    const parser = new StreamParser({
      service: stream.service,
      prefilter: matcher.prefilter,
      scope: stream.scope,
      hosts,
      // PM2's daemon log is small and gives the app timeline used for estimating times
      everyEvent: stream.pm2Daemon,
      repeats: options.repeats,
      onEvent: (event, hot) => {
        if (stream.pm2Daemon) pm2.note(event);
        matchesOf(event, emit, stream.pm2Daemon, hot);
      },
      // lines no rule can match, read for their facts only; `rules test` sees every event built
      onFactLine:
        stream.pm2Daemon || options.onEvaluated !== undefined || options.factLines === false
          ? undefined
          : (line) => {
              const note = facts.noteLine(line);
              if (note) emit(note);
            },
    });
    for (const file of stream.files) {
      const issues: ReadIssues = { warnings: [], truncatedLines: 0, bytes: 0 };
      const cutBefore = parser.truncatedLines;
      parser.beginFile(file.display);
      // streams are read side by side (merged by time): progress grows by what each one read
      let counted = 0;
      for await (const chunk of readTextChunks(file, issues)) {
        parser.push(chunk);
        if (options.onProgress) {
          // bytes read are decompressed bytes for .gz: capped at the file's size on disk
          const now = Math.min(issues.bytes, file.size);
          progress.bytesDone += now - counted;
          counted = now;
          options.onProgress(progress);
        }
        if (batch.length > 0) {
          yield batch;
          batch = [];
        }
      }
      progress.bytesDone += file.size - counted;
      progress.filesDone++;
      options.onProgress?.(progress);
      const parsed = parser.endFile();
      stats.bytes += issues.bytes;
      stats.truncatedLines += issues.truncatedLines;
      if (issues.fatal) {
        warn(`${file.display}: ${issues.fatal}; skipped`);
        allSkipped.push({ file: file.display, reason: issues.fatal });
        continue;
      }
      for (const w of issues.warnings) warn(`${file.display}: ${w}`);
      if (issues.partial) allSkipped.push({ file: file.display, reason: issues.partial });
      // cut by the reader (a line spanning reads) or by the parser (inside one read)
      const cut = issues.truncatedLines + parser.truncatedLines - cutBefore;
      if (cut > 0) warn(`${file.display}: ${cut} line(s) longer than 64 KiB were cut; the rules saw their first 64 KiB`);
      stats.files++;
      if (issues.empty) stats.empty++;
      filesRead.push(file.display);
      if (parsed.isPsSnapshot) snapshotFiles.add(file.display);
      if (parsed.untimed.length > 0) untimedFiles.push({ stream, parsed, mtimeMs: file.mtimeMs });
    }
    if (batch.length > 0) yield batch;
    stats.lines += parser.lines;
    stats.events += parser.events;
    stats.truncatedLines += parser.truncatedLines;
    noteLast(lastByFolder, path.dirname(stream.key), parser.lastTime);
    noteLast(lastByScope, stream.scope, parser.lastTime);
    if (parser.firstTime !== undefined && (firstTime === undefined || parser.firstTime < firstTime)) firstTime = parser.firstTime;
    if (parser.lastTime !== undefined && (lastTime === undefined || parser.lastTime > lastTime)) lastTime = parser.lastTime;
  }

  await mergeByTime(streams.map((s) => streamMatches(s, streams.length === 1)), feed);

  // Files without timestamps (PM2's default): keep file order, place events between the app's
  // first appearance in pm2.log (or the file's mtime) and the file's mtime.
  const accept = (ev: LogEvent): void => matchesOf(ev, (item) => late.push(item));
  for (const { stream, parsed, mtimeMs } of untimedFiles) {
    const pm2 = pm2Of(stream.scope);
    if (parsed.isPsSnapshot) {
      // A snapshot without a date line was taken when its own folder's logs end (the seeds save
      // `ps aux` next to the logs they explain), else its scope's, else at its file time: never
      // at the end of some other box's logs. Marked approximate either way.
      const t = lastByFolder.get(path.dirname(stream.key)) ?? lastByScope.get(stream.scope) ?? mtimeMs;
      for (const ev of parsed.untimed) {
        ev.time = t;
        ev.timeApprox = true;
        accept(ev);
      }
      continue;
    }
    stats.approximateTimes = true;
    warn(`${parsed.file}: no timestamps; times are estimated from ${pm2.knows(stream.service) ? "PM2's daemon log and " : ''}the file's modification time`);
    const end = mtimeMs;
    const begin = Math.min(pm2.firstSeen(stream.service) ?? end, end);
    parsed.untimed.forEach((ev, i) => {
      const frac = parsed.totalChars > 0 ? (parsed.untimedOffsets[i] ?? 0) / parsed.totalChars : 1;
      ev.time = Math.round(begin + frac * (end - begin));
      ev.timeApprox = true;
      accept(ev);
    });
  }
  late.sort((a, b) => a.time - b.time);
  for (const item of late) feed(item);
  for (const [file, n] of leftOut) {
    warn(
      `${file}: ${n} matched event(s) have only estimated times (no timestamps in the file), so they cannot be shown to fall within --since/--until and were left out; pass --since-estimated to count them by their estimated times`,
    );
  }

  engine.flush(lastTime);
  const byId = new Map<string, Incident>();
  for (const change of engine.takeChanges()) byId.set(change.incident.id, change.incident);
  // cause links are made below over every incident of the run, resolved ones too
  let incidents = [...byId.values()].map((i) => ({ ...i, links: i.links.filter((l) => l.relation === 'recurrence-of') }));
  // open vs resolved is decided at the end of the incident's own scope's logs
  if (lastByScope.size > 1) {
    const ruleById = new Map(options.rules.map((r) => [r.spec.id, r]));
    for (const inc of incidents) {
      const end = lastByScope.get(hosts.folder(inc.scope ?? ''));
      const rule = ruleById.get(inc.rule);
      if (rule) inc.status = end !== undefined && end - Date.parse(inc.lastSeen) > rule.resolveAfterMs ? 'resolved' : 'open';
    }
  }
  const psIds = new Set(incidents.filter((i) => i.files.every((f) => snapshotFiles.has(f))).map((i) => i.id));
  incidents = linkRootCauses(incidents, options.rules, psIds);
  incidents = attachContexts(incidents, facts, (service) => [...pm2ByScope.values()].some((t) => t.knows(service)), options.rules);
  incidents = renderIncidentTexts(incidents, options.rules);
  const userRules = new Set(options.rules.filter((r) => !r.builtin).map((r) => r.spec.id));
  if (options.rulePaths?.length) {
    for (const inc of incidents) if (userRules.has(inc.rule)) inc.rulePaths = [...options.rulePaths];
  }
  incidents.sort(compareIncidents);

  stats.matches = engine.matches;
  stats.from = firstTime !== undefined ? new Date(firstTime).toISOString() : undefined;
  stats.to = lastTime !== undefined ? new Date(lastTime).toISOString() : undefined;
  stats.durationMs = Math.round(performance.now() - started);
  if (stats.files === 0 && options.paths.length > 0) {
    throw new InputError(`no readable log file in ${options.paths.join(', ')}`);
  }
  return { incidents, stats, files: filesRead };
}

export function compareIncidents(a: Incident, b: Incident): number {
  return severityRank(b.severity) - severityRank(a.severity) || (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0) || (a.id < b.id ? -1 : 1);
}
