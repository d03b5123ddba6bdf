// The one incident id formula. `analyze --db` and `watch` write to the same store: the same rule,
// group and first match must give the same id in both, or one incident is counted twice.
import { createHash } from 'node:crypto';

export function incidentId(ruleId: string, groupKey: string, firstSeenMs: number): string {
  const firstSeen = new Date(firstSeenMs).toISOString();
  const hash = createHash('sha1').update(`${ruleId}\u0000${groupKey}\u0000${firstSeen}`).digest('hex');
  return `${ruleId}-${hash.slice(0, 10)}`;
}
