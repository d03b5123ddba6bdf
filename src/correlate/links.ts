// Link incidents to their likely causes: a rule names the rules that cause it (`caused_by`),
// and an incident of such a rule that overlaps in time and shares a service (or comes from a
// process snapshot, which has no service) within the same scope (box, scenario) is linked both
// ways, as the seed diagnoses reason ("duplicate processes left .next inconsistent, hence the
// ENOENT"). Reports lead with the cause.
import type { Incident } from '../model.js';
import type { CompiledRule } from '../rules/types.js';

/** How far apart two incidents may be and still be cause and effect. */
const SLACK_MS = 10 * 60_000;
/** A process snapshot shows processes alive when it was taken; they may have started hours before. */
const SNAPSHOT_REACH_MS = 24 * 3_600_000;

export function linkRootCauses(incidents: Incident[], rules: CompiledRule[], psIncidents: Set<string>): Incident[] {
  const byRule = new Map<string, Incident[]>();
  for (const inc of incidents) {
    const list = byRule.get(inc.rule) ?? [];
    list.push(inc);
    byRule.set(inc.rule, list);
  }
  const ruleById = new Map(rules.map((r) => [r.spec.id, r]));
  for (const effect of incidents) {
    const rule = ruleById.get(effect.rule);
    if (!rule) continue;
    const causes: Incident[] = [];
    for (const causeRule of rule.spec.caused_by) {
      for (const cause of byRule.get(causeRule) ?? []) {
        if (cause === effect) continue;
        if (related(effect, cause, psIncidents.has(cause.id))) causes.push(cause);
      }
    }
    for (const cause of causes) {
      effect.links.push({ id: cause.id, rule: cause.rule, title: cause.title, relation: 'caused-by' });
      cause.links.push({ id: effect.id, rule: effect.rule, title: effect.title, relation: 'causes' });
    }
  }
  return incidents;
}

function related(effect: Incident, cause: Incident, causeIsSnapshot: boolean): boolean {
  // another box or scenario: whatever the times say, one cannot have caused the other
  if ((effect.scope ?? '') !== (cause.scope ?? '')) return false;
  const eFirst = Date.parse(effect.firstSeen);
  const eLast = Date.parse(effect.lastSeen);
  const cFirst = Date.parse(cause.firstSeen);
  const cLast = Date.parse(cause.lastSeen);
  if (causeIsSnapshot) {
    // duplicates seen at snapshot time were running before it: the effect must precede or overlap
    return eFirst <= cLast + SLACK_MS && cLast - eLast <= SNAPSHOT_REACH_MS;
  }
  const overlap = cFirst <= eLast + SLACK_MS && cLast >= eFirst - SLACK_MS;
  if (!overlap) return false;
  return effect.services.some((s) => cause.services.includes(s));
}
