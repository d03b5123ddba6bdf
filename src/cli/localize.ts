// Incidents in the language a report or console line is written in. The pipeline renders rule
// texts in English (JSON and the store keep them: other tools read those); a report in another
// language renders them again from the rules' texts in that language. A rule without them keeps
// English, and the run says so once, naming the rules.
import type { AnalysisResult, Lang } from '../model.js';
import type { CompiledRule } from '../rules/types.js';
import { renderIncidentTexts } from '../sinks/incident-text.js';
import { t } from '../sinks/messages.js';

export function localize(result: AnalysisResult, rules: CompiledRule[], lang: Lang, warn: (message: string) => void): AnalysisResult {
  if (lang === 'en') return result;
  const used = new Set(result.incidents.map((i) => i.rule));
  const missing = rules.filter((r) => used.has(r.spec.id) && r.texts.zh === undefined).map((r) => r.spec.id);
  if (missing.length > 0) warn(t(lang, 'warn.noTexts', { lang, rules: missing.join(', ') }));
  return { ...result, incidents: renderIncidentTexts(result.incidents, rules, lang) };
}
