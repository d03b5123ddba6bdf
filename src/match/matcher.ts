// Apply compiled rules to events. Built once per run; `prefilter` tells the parser which lines
// can possibly match, so only those events are built and tested here.
import type { LogEvent, Match } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import { buildPrefilter, prefilterPasses, type Prefilter } from '../parse/prefilter.js';
import { FACT_LITERALS } from './facts.js';

export class Matcher {
  /** What the parser builds events for: the rules' literals, plus the fact patterns' when asked. */
  readonly prefilter: Prefilter;
  /** The rules' literals alone: an event built only for a fact skips the rules. */
  readonly rulePrefilter: Prefilter;

  /** `facts`: also build the events the fact patterns need (match/facts.ts), for reports. */
  constructor(
    readonly rules: CompiledRule[],
    options: { facts?: boolean } = {},
  ) {
    this.rulePrefilter = buildPrefilter(rules);
    this.prefilter = options.facts === true ? buildPrefilter(rules, FACT_LITERALS) : this.rulePrefilter;
  }

  /** Like matchEvent, but an event holding none of the rules' literals is not tested (it was built for a fact). */
  matchBuilt(event: LogEvent): Match[] {
    if (this.prefilter === this.rulePrefilter || event.kind === 'ps' || prefilterPasses(this.rulePrefilter, event.raw)) return this.matchEvent(event);
    return [];
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
    const scope = event.scope ?? '';
    const byRule = rule.spec.group_by
      .map((key) => (key === 'file' ? event.file : key === 'service' ? service : (captures[key] ?? '')))
      .join('\u0000');
    // the scope joins the key only when there is one, so single-scope runs keep their incident ids
    const groupKey = scope === '' ? byRule : `${byRule}\u0000@${scope}`;
    return {
      rule: rule.spec.id,
      event,
      captures,
      groupKey,
      scope,
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
