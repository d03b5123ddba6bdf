// `pm2 ls` / `pm2 list` / `pm2 status` tables as users paste them. The columns moved between
// versions, so the header row names them:
//   PM2 0.x-1.x  │ App name │ id │ mode │ pid │ status │ restart │ uptime │ memory │ watching │
//   PM2 2.x-3.x  │ App name │ id │ version │ mode │ pid │ status │ restart │ uptime │ cpu │ mem │ user │ watching │
//   PM2 4.x+     │ id │ name │ namespace │ version │ mode │ pid │ uptime │ ↺ │ status │ cpu │ mem │ user │ watching │
//   narrow tty   │ id │ name │ mode │ ↺ │ status │ cpu │ memory │
// Each app row becomes a 'ps' event whose text is one normalised line,
//   `pm2 ls: App [api:0] mode=fork pid=1234 status=errored restarts=15 uptime=0`
// (PM2's own `App [name:id]` wording), so rules match it like any process row.
import type { LogEvent } from '../model.js';

export interface Pm2Layout {
  /** Column index (after splitting on the cell separator) of each known column. */
  name: number;
  id: number;
  mode: number;
  pid: number;
  status: number;
  restarts: number;
  uptime: number;
  /** The cell separator: `│` (box drawing), or `|` when a terminal or a paste lost it. */
  sep: string;
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

function cells(line: string, sep: string): string[] {
  return line.replace(ANSI, '').split(sep).map((c) => c.trim());
}

/** The table layout if `line` is the header row of a `pm2 ls` table. */
export function pm2TableHeader(line: string): Pm2Layout | undefined {
  const sep = line.includes('│') ? '│' : line.includes('|') ? '|' : '';
  if (!sep) return undefined;
  const names = cells(line, sep).map((c) => c.toLowerCase());
  const find = (...want: string[]): number => names.findIndex((n) => want.includes(n));
  const layout: Pm2Layout = {
    name: find('name', 'app name'),
    id: find('id'),
    mode: find('mode'),
    pid: find('pid'),
    status: find('status'),
    restarts: find('↺', 'restart', 'restarts', 'restarted'),
    uptime: find('uptime'),
    sep,
  };
  if (layout.name < 0 || layout.id < 0 || layout.status < 0) return undefined;
  return layout;
}

const UPTIME = /^(\d+)([smhDdMy])$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, D: 86_400, d: 86_400, M: 2_592_000, y: 31_536_000 };

/** PM2's uptime cell (`0`, `45s`, `3m`, `2D`) in seconds, or undefined. */
export function uptimeSeconds(cell: string): number | undefined {
  if (cell === '0') return 0;
  const m = UPTIME.exec(cell);
  if (!m) return undefined;
  return Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? Number.NaN);
}

export function pm2RowEvent(
  line: string,
  layout: Pm2Layout,
  src: { file: string; line: number; service: string; time: number | undefined; timeApprox: boolean },
): LogEvent | undefined {
  const row = line.replace(/\r$/, '');
  if (!row.includes(layout.sep)) return undefined;
  const c = cells(row, layout.sep);
  const name = c[layout.name] ?? '';
  const id = c[layout.id] ?? '';
  const status = c[layout.status] ?? '';
  // border rows, the header itself, and `Module` tables below the apps (pm2-logrotate) have no numeric id
  if (!name || !/^\d+$/.test(id) || !status || status.toLowerCase() === 'status') return undefined;
  const fields: Record<string, string> = { name, id, status };
  const get = (i: number): string | undefined => (i >= 0 ? c[i] : undefined);
  const mode = get(layout.mode);
  const pidCell = get(layout.pid);
  const restarts = get(layout.restarts);
  const uptime = get(layout.uptime);
  if (mode) fields.mode = mode;
  if (pidCell) fields.pid = pidCell;
  if (restarts) fields.restarts = restarts;
  if (uptime) {
    fields.uptime = uptime;
    const secs = uptimeSeconds(uptime);
    if (secs !== undefined) fields.uptime_s = String(secs);
  }
  const pid = pidCell && /^[1-9]\d*$/.test(pidCell) ? Number(pidCell) : undefined;
  const parts = [`pm2 ls: App [${name}:${id}]`];
  if (mode) parts.push(`mode=${mode}`);
  parts.push(`pid=${pid ?? 0}`, `status=${status.replace(/\s+/g, '-')}`);
  if (restarts !== undefined) parts.push(`restarts=${restarts}`);
  if (fields.uptime_s !== undefined) parts.push(`uptime=${fields.uptime_s}s`);
  return {
    kind: 'ps',
    file: src.file,
    line: src.line,
    lineCount: 1,
    text: parts.join(' '),
    raw: row,
    time: src.time,
    timeApprox: src.timeApprox,
    service: name,
    pid,
    fields,
  };
}
