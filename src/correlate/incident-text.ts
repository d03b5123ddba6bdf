// Render a rule's Handlebars texts (summary, diagnosis, remediation, verify, prevent) for one
// incident. Runs once per incident, after reading: templating stays off the hot path.
import type { Incident, Remediation } from '../model.js';
import type { CompiledRule } from '../match/load-rules.js';

function context(incident: Incident): Record<string, unknown> {
  return {
    ...incident.captures,
    captures: incident.captures,
    values: incident.captureValues,
    count: incident.count,
    services: incident.services.join(', '),
    service: incident.services[0] ?? '',
    files: incident.files.join(', '),
    firstSeen: incident.firstSeen,
    lastSeen: incident.lastSeen,
    rule: incident.rule,
    title: incident.title,
  };
}

function clean(text: string): string {
  return text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

export function renderIncidentText(incident: Incident, rule: CompiledRule): Incident {
  const ctx = context(incident);
  const t = rule.templates;
  const summary = t.summary
    ? clean(t.summary(ctx))
    : `${incident.count} matching event${incident.count === 1 ? '' : 's'} of "${rule.spec.title}" in ${incident.services.join(', ')}.`;
  const remediations: Remediation[] = rule.spec.remediation.map((r, i) => {
    const tr = t.remediation[i];
    return {
      title: clean(tr ? tr.title(ctx) : r.title),
      kind: r.kind,
      commands: (tr?.commands ?? []).map((c) => clean(c(ctx))).filter((c) => c.length > 0),
      detail: tr?.detail ? clean(tr.detail(ctx)) : undefined,
    };
  });
  return {
    ...incident,
    summary,
    rootCause: clean(t.diagnosis(ctx)),
    remediations,
    verify: t.verify.map((v) => clean(v(ctx))).filter(Boolean),
    prevent: t.prevent.map((v) => clean(v(ctx))).filter(Boolean),
  };
}
