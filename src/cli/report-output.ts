// `--out <dir>`: checked before a run starts (a run that ends unable to write is wasted), written
// as one set with the permissions of the most private log quoted.
import fs from 'node:fs';
import type { AnalysisResult, Lang } from '../model.js';
import { quotingMode } from '../sources/file-privacy.js';
import { UsageError, VERSION } from './common.js';

/** Refuse an empty `--out`, and one naming something that is not a folder (a file, /dev/null). */
export function checkOutDir(out: string | undefined): void {
  if (out === undefined) return;
  if (out.trim() === '') throw new UsageError("--out needs a folder name (got '')");
  const st = fs.statSync(out, { throwIfNoEntry: false });
  if (st !== undefined && !st.isDirectory()) {
    throw new UsageError(`--out ${out}: ${st.isFile() ? 'is a file' : 'is not a folder'}; name a folder (it is created if missing)`);
  }
}

/** `only`: rewrite the pages of these incidents (watch mode: the ones that changed); the summary always. */
export async function writeReportSet(result: AnalysisResult, out: string, lang: Lang = 'en', only?: ReadonlySet<string>): Promise<string[]> {
  const { writeReports } = await import('../sinks/markdown-report.js');
  return writeReports(result, out, { tool: { name: 'incident-analyser', version: VERSION }, fileMode: quotingMode(), lang, only });
}
