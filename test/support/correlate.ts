// The batch use of the engine, for tests: feed matches, flush at `end`, and return each incident
// as the drivers hand it to sinks (rendered), one per id.
import type { Incident, Match } from '../../src/model.js';
import type { CompiledRule } from '../../src/rules/types.js';
import { Engine } from '../../src/correlate/engine.js';
import { renderIncidentTexts } from '../../src/sinks/incident-text.js';

export function correlate(rules: CompiledRule[], matches: Match[], end: number | undefined): Incident[] {
  const engine = new Engine(rules);
  for (const m of matches) engine.add(m);
  engine.flush(end);
  const byId = new Map<string, Incident>();
  for (const c of engine.takeChanges()) byId.set(c.incident.id, c.incident);
  // as analyze does: cause links are made over the whole run afterwards (linkRootCauses)
  const bare = [...byId.values()].map((i) => ({ ...i, links: i.links.filter((l) => l.relation === 'recurrence-of') }));
  return renderIncidentTexts(bare, rules);
}
