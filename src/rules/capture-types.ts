// What kind of value each capture of a rule holds. A value read from a log is data with a type:
// the type decides whether (and how) it may appear in text a person pastes into a shell (see
// sinks/shell-values.ts). Rules declare types in `captures:`; well-known names get a default.

export const CAPTURE_TYPES = ['app', 'port', 'pid', 'int', 'signal', 'path', 'module', 'host', 'url', 'word', 'time', 'text'] as const;
export type CaptureType = (typeof CAPTURE_TYPES)[number];

/** Default type of a capture by its name; anything not recognised is free text (never put in a command). */
export function defaultCaptureType(name: string): CaptureType {
  if (name === 'service' || name === 'app') return 'app';
  if (/(?:^|_)port$/.test(name)) return 'port';
  if (/(?:^|_)pid$/.test(name)) return 'pid';
  if (/(?:^|_)signal$/.test(name)) return 'signal';
  if (name === 'module') return 'module';
  if (/(?:^|_)(?:path|file|dir|script)$/.test(name)) return 'path';
  if (name === 'address' || name === 'host' || name === 'hostname') return 'host';
  if (/(?:^|_)url$/.test(name)) return 'url';
  return 'text';
}

/** Names of the capture groups in a regex source (`(?<name>...)`). */
export function namedGroups(source: string): string[] {
  return [...source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1] ?? '');
}

export interface RuleCaptures {
  /** Every capture that can carry a value from a log, with its type. */
  types: Record<string, CaptureType>;
  /**
   * Names that only ever hold the rule author's own text (`set:` values no pattern captures):
   * rule text, not log data, so they may be written as they are (`{{stop_with}}`).
   */
  constants: string[];
}

/** The captures of a rule: log values (regex groups, service, pid) typed, `set:`-only names as constants. */
export function ruleCaptures(
  patterns: ReadonlyArray<{ regex: string; set?: Record<string, string> | undefined }>,
  declared: Record<string, CaptureType>,
): RuleCaptures {
  const fromLog = new Set<string>(['service', 'pid']);
  for (const p of patterns) for (const name of namedGroups(p.regex)) fromLog.add(name);
  const constants = new Set<string>();
  for (const p of patterns) for (const name of Object.keys(p.set ?? {})) if (!fromLog.has(name)) constants.add(name);
  const types: Record<string, CaptureType> = {};
  for (const name of fromLog) types[name] = declared[name] ?? defaultCaptureType(name);
  return { types, constants: [...constants] };
}
