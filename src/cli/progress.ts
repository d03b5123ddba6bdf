// The progress bar of `analyze` over large inputs (cli-progress): bytes and files done, MB/s,
// ETA, on stderr. Only on a terminal, never with --quiet, and only for inputs big enough to take
// a moment, so small runs and pipes see nothing.
import type { MultiBar, SingleBar } from 'cli-progress';
import type { AnalyzeProgress } from '../pipeline/analyze.js';

/** Below this much input there is nothing to wait for (reading runs at ~100+ MB/s). */
export const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

export interface ProgressBar {
  update(p: AnalyzeProgress): void;
  /** A line printed above the bar (warnings), not through it. */
  log(line: string): void;
  stop(): void;
}

const MB = 1024 * 1024;

export async function progressBar(options: { quiet: boolean }): Promise<ProgressBar | undefined> {
  if (options.quiet || process.stderr.isTTY !== true || process.env.TERM === 'dumb') return undefined;
  const { default: cliProgress } = await import('cli-progress');
  let multi: MultiBar | undefined;
  let bar: SingleBar | undefined;
  let started = 0;
  return {
    update(p) {
      if (!bar) {
        if (p.bytesTotal < PROGRESS_MIN_BYTES) return;
        started = performance.now();
        multi = new cliProgress.MultiBar(
          {
            stream: process.stderr,
            format: '{bar} {percentage}% | {doneMB}/{totalMB} MB | {files}/{totalFiles} files | {speed} MB/s | ETA {eta_formatted}',
            hideCursor: true,
            clearOnComplete: true,
            fps: 10,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar = multi.create(p.bytesTotal, 0, payload(p, 0));
      }
      const seconds = (performance.now() - started) / 1000;
      bar.update(p.bytesDone, payload(p, seconds > 0 ? p.bytesDone / MB / seconds : 0));
    },
    log(line) {
      if (multi) multi.log(line);
      else process.stderr.write(line);
    },
    stop() {
      multi?.stop();
    },
  };
}

function payload(p: AnalyzeProgress, speed: number): Record<string, string | number> {
  return {
    doneMB: (p.bytesDone / MB).toFixed(1),
    totalMB: (p.bytesTotal / MB).toFixed(1),
    files: p.filesDone,
    totalFiles: p.filesTotal,
    speed: speed.toFixed(1),
  };
}
