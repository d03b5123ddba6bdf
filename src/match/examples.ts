// Every rule proves itself: its `examples.match` texts must match and its `examples.no_match`
// near misses must not. Examples go through the real parser (prefix stripping, multi-line
// joining, ps snapshots), so they test what a log line really becomes. Used by the test suite,
// `rules test` and `rules lint`.
import type { LogEvent } from '../model.js';
import { StreamParser } from '../parse/stream-parser.js';
import { toLatin1 } from '../text/latin1.js';
import type { CompiledRule } from '../rules/types.js';
import { Matcher, matchRule } from './matcher.js';
import { prefilterPasses } from '../parse/prefilter.js';

export interface ExampleOutcome {
  text: string;
  expected: 'match' | 'no_match';
  ok: boolean;
  /** For match examples: the prefilter found the line too (else the rule would never see it in a real run). */
  prefilterHit?: boolean;
  /** Captures of the matching event, if one matched. */
  captures?: Record<string, string> | undefined;
}

/** Parse a piece of log text into events the way a log file would be parsed (times default to 0). */
export function parseSnippet(text: string, service = 'example', file = '<example>'): LogEvent[] {
  const events: LogEvent[] = [];
  const parser = new StreamParser({
    service,
    prefilter: { scanner: undefined, everyEvent: true },
    everyEvent: true,
    onEvent: (e) => events.push(e),
  });
  parser.beginFile(file);
  parser.push(toLatin1(text.endsWith('\n') ? text : `${text}\n`));
  const parsed = parser.endFile();
  for (const e of parsed.untimed) {
    e.time = 0;
    events.push(e);
  }
  return events;
}

export function runExamples(rule: CompiledRule): ExampleOutcome[] {
  const out: ExampleOutcome[] = [];
  const prefilter = new Matcher([rule]).prefilter;
  for (const text of rule.spec.examples.match) {
    const m = parseSnippet(text).map((e) => matchRule(rule, e)).find((x) => x !== undefined);
    const prefilterHit =
      m === undefined ||
      m.event.kind === 'ps' ||
      prefilterPasses(prefilter, text);
    out.push({ text, expected: 'match', ok: m !== undefined && prefilterHit, prefilterHit, captures: m?.captures });
  }
  for (const text of rule.spec.examples.no_match) {
    const m = parseSnippet(text).map((e) => matchRule(rule, e)).find((x) => x !== undefined);
    out.push({ text, expected: 'no_match', ok: m === undefined, captures: m?.captures });
  }
  return out;
}
