// Silences from the configuration file: a change matching one (every given field equal) is not
// sent to sinks, like an Alertmanager silence but before the network. Expired ones do nothing.
import type { ChangeRecord } from './change-record.js';

export interface SilenceSpec {
  rule?: string | undefined;
  service?: string | undefined;
  host?: string | undefined;
  /** ISO-8601; forever when absent. */
  until?: string | undefined;
  comment?: string | undefined;
}

export function isSilenced(record: ChangeRecord, silences: readonly SilenceSpec[], now = Date.now()): boolean {
  return silences.some(
    (s) =>
      (s.until === undefined || Date.parse(s.until) > now) &&
      (s.rule === undefined || s.rule === record.incident.rule) &&
      (s.service === undefined || record.incident.services.includes(s.service)) &&
      (s.host === undefined || s.host === record.host),
  );
}
