// Verify and prevent steps as rules write them: sentences, or bare shell lines.
/** A verify/prevent item: prose, or shell commands (consecutive command items merged). */
export interface ListItem {
  text: string | null;
  commands: string | null;
}

const COMMON_COMMANDS = new Set(
  'awk cat curl df dmesg docker du free grep head incident-analyser journalctl kill kubectl ls lsof netstat node npm npx pgrep pkill pm2 pnpm ps psql redis-cli rm sleep ss sudo systemctl tail test top uptime watch wc wget yarn'.split(' '),
);

/**
 * Rule authors often write a verify step as a bare shell line (`pm2 describe api | grep ...  # expect 0`).
 * As prose its `*`, `[` and `#` would be mangled, so such lines go into a bash block instead.
 * A command (possibly commented out): one line, no backticks, a lowercase first word that is a known command or is
 * followed by shell syntax (a flag, pipe, `;`, `&&`, `$(`, or a trailing `# comment`).
 */
export function looksLikeCommand(text: string): boolean {
  // a step whose log value was refused is kept as a comment (`# pm2 describe <app> ...`)
  const line = text.trim().replace(/^#\s+(?=[a-z])/, '');
  if (line === '' || line.includes('\n') || line.includes('`')) return false;
  const first = /^[a-z][a-z0-9._-]*(?=\s|$)/.exec(line)?.[0];
  if (first === undefined) return false;
  return COMMON_COMMANDS.has(first) || /\s-{1,2}[A-Za-z]|\||;|&&|\$\(|\s#\s/.test(line);
}

export function listItems(items: string[]): ListItem[] {
  const out: ListItem[] = [];
  for (const item of items) {
    if (item.trim() === '') continue;
    const last = out[out.length - 1];
    if (!looksLikeCommand(item)) out.push({ text: item, commands: null });
    else if (last !== undefined && last.commands !== null) last.commands += `\n${item.trim()}`;
    else out.push({ text: null, commands: item.trim() });
  }
  return out;
}
