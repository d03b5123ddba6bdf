// A stand-in for `journalctl -o json` over a recorded journal (JSON lines in $FAKE_JOURNAL, records
// as real journalctl printed them): honours -n N, --no-tail, --after-cursor=C, --unit=U and -f
// (follows lines appended to the file). Each invocation's argv is appended to $FAKE_JOURNAL_ARGS.
import fs from 'node:fs';

const journal = process.env.FAKE_JOURNAL;
if (!journal) {
  process.stderr.write('FAKE_JOURNAL is not set\n');
  process.exit(1);
}
const args = process.argv.slice(2);
if (process.env.FAKE_JOURNAL_ARGS) fs.appendFileSync(process.env.FAKE_JOURNAL_ARGS, `${JSON.stringify(args)}\n`);
let follow = false;
let tail;
let after;
const units = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '-f' || a === '--follow') follow = true;
  else if (a === '-n') tail = Number(args[++i]);
  else if (a === '--no-tail') tail = undefined;
  else if (a.startsWith('--after-cursor=')) after = a.slice('--after-cursor='.length);
  else if (a.startsWith('--unit=')) units.push(a.slice('--unit='.length));
  else if (a === '-o') i++;
}
const wanted = (rec) => units.length === 0 || units.some((u) => rec._SYSTEMD_UNIT === u || rec._SYSTEMD_UNIT === `${u}.service`);

let done = 0;
const complete = () => {
  const text = fs.readFileSync(journal, 'latin1');
  const end = text.lastIndexOf('\n') + 1;
  return text.slice(0, end).split('\n').filter(Boolean);
};
let lines = complete();
let start = 0;
if (after !== undefined) {
  const at = lines.findIndex((l) => JSON.parse(l).__CURSOR === after);
  if (at < 0) {
    process.stderr.write('Failed to seek to cursor: Invalid argument\n');
    process.exit(1);
  }
  start = at + 1;
} else if (tail !== undefined) {
  const matching = lines.map((l, i) => [l, i]).filter(([l]) => wanted(JSON.parse(l)));
  start = tail === 0 ? lines.length : (matching[Math.max(0, matching.length - tail)]?.[1] ?? lines.length);
}
const write = (from) => {
  for (let i = from; i < lines.length; i++) if (wanted(JSON.parse(lines[i]))) process.stdout.write(`${lines[i]}\n`);
  done = lines.length;
};
write(start);
done = lines.length;
process.stdout.on('error', () => process.exit(0));
if (follow) {
  const parent = process.ppid;
  setInterval(() => {
    // like journalctl, which dies with its reader (SIGPIPE) — also when nothing is written
    if (process.ppid !== parent) process.exit(0);
    lines = complete();
    if (lines.length > done) write(done);
  }, 30);
}
