// Apply compiled rules to events. Built once per run; `prefilter` tells the parser which lines
// can possibly match, so only those events are built and tested here.
import type { LogEvent, Match } from '../model.js';
import type { CompiledRule } from './load-rules.js';
import { prefilterLiterals } from './literals.js';
import { LiteralScanner } from './literal-scanner.js';
import { toLatin1 } from '../sources/read-file.js';

export interface Prefilter {
  /** Finds lines holding any rule literal; undefined when no rule has one. */
  scanner: LiteralScanner | undefined;
  /** Some pattern has no usable literal: every event must be built and tested. */
  everyEvent: boolean;
}

/** Does `text` (a real string, not Latin-1) hold one of the prefilter's literals, or does everything pass? */
export function prefilterPasses(prefilter: Prefilter, text: string): boolean {
  return prefilter.everyEvent || (prefilter.scanner?.test(toLatin1(text)) ?? false);
}

export class Matcher {
  readonly prefilter: Prefilter;

  constructor(readonly rules: CompiledRule[]) {
    const literals: string[] = [];
    let everyEvent = false;
    for (const rule of rules) {
      for (const p of rule.patterns) {
        if (p.source !== 'log') continue;
        if (!p.literals) everyEvent = true;
        else literals.push(...p.literals);
      }
    }
    // the parser hands the scanner the file's bytes as Latin-1: search for the literals' bytes
    const kept = prefilterLiterals(literals).map(toLatin1);
    this.prefilter = { scanner: kept.length > 0 ? new LiteralScanner(kept) : undefined, everyEvent };
  }

  /** Every rule's first matching pattern (per rule), unless an exclude vetoes it. */
  matchEvent(event: LogEvent): Match[] {
    const out: Match[] = [];
    for (const rule of this.rules) {
      const m = matchRule(rule, event);
      if (m) out.push(m);
    }
    return out;
  }
}

export function matchRule(rule: CompiledRule, event: LogEvent): Match | undefined {
  for (const pattern of rule.patterns) {
    if (pattern.source !== event.kind) continue;
    const found = pattern.regex.exec(event.text);
    if (!found) continue;
    if (rule.excludes.some((ex) => ex.test(event.text))) return undefined;
    const captures: Record<string, string> = { ...pattern.set };
    if (found.groups) {
      for (const [k, v] of Object.entries(found.groups)) if (v !== undefined) captures[k] = v.trim();
    }
    if (captures.pid === undefined && event.pid !== undefined) captures.pid = String(event.pid);
    const named = pattern.service ? fillCaptures(pattern.service, { ...captures, match: found[0].replace(/^[\s/]+/, '') }) : '';
    const service = named || captures.service || event.service;
    captures.service = service;
    const groupKey = rule.spec.group_by
      .map((key) => (key === 'file' ? event.file : key === 'service' ? service : (captures[key] ?? '')))
      .join('\u0000');
    return {
      rule: rule.spec.id,
      event,
      captures,
      groupKey,
      service,
      time: event.time ?? 0,
      sufficient: pattern.sufficient,
    };
  }
  return undefined;
}

/** `{{name}}` placeholders filled from captures; spaces collapsed. Runs per match, so no Handlebars. */
export function fillCaptures(template: string, captures: Record<string, string>): string {
  return template
    .replace(/\{\{\s*([\w$]+)\s*\}\}/g, (_m, name: string) => captures[name] ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}
