// Render a rule's Handlebars texts (summary, diagnosis, remediation, verify, prevent) for one
// incident. Runs once per incident, after reading: templating stays off the hot path.
import type { Incident, Remediation } from '../model.js';
import type { CompiledRule } from '../rules/types.js';

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

/**
 * Captures come from log lines, which anyone who can make the app log can write. In text that
 * users paste into a shell (remediation commands, verify steps) a capture keeps only characters
 * that cannot start a command or end a quote, and is single-quoted if it still has spaces.
 */
export function shellSafe(value: string): string {
  const neutral = value.replace(/[`$\\"';&|<>(){}\r\n]/g, '');
  return /^[A-Za-z0-9_./:=@%+,-]*$/.test(neutral) ? neutral : `'${neutral}'`;
}

function shellContext(ctx: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ctx)) {
    if (typeof v === 'string') out[k] = shellSafe(v);
    else if (k === 'captures' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v).map(([ck, cv]) => [ck, typeof cv === 'string' ? shellSafe(cv) : cv]));
    } else out[k] = v;
  }
  return out;
}

function clean(text: string): string {
  return text.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

export function renderIncidentText(incident: Incident, rule: CompiledRule): Incident {
  const ctx = context(incident);
  const shellCtx = shellContext(ctx);
  const t = rule.templates;
  const summary = t.summary
    ? clean(t.summary(ctx))
    : `${incident.count} matching event${incident.count === 1 ? '' : 's'} of "${rule.spec.title}" in ${incident.services.join(', ')}.`;
  const remediations: Remediation[] = rule.spec.remediation.map((r, i) => {
    const tr = t.remediation[i];
    return {
      title: clean(tr ? tr.title(ctx) : r.title),
      kind: r.kind,
      commands: (tr?.commands ?? []).map((c) => clean(c(shellCtx))).filter((c) => c.length > 0),
      detail: tr?.detail ? clean(tr.detail(ctx)) : undefined,
    };
  });
  return {
    ...incident,
    summary,
    rootCause: clean(t.diagnosis(ctx)),
    remediations,
    verify: t.verify.map((v) => clean(v(shellCtx))).filter(Boolean),
    prevent: t.prevent.map((v) => clean(v(ctx))).filter(Boolean),
  };
}
