// The fixed texts of reports and console lines, in English and Chinese, keyed by id (like ESLint's
// `meta.messages`): a template or sink asks for `t(lang, 'id', { name: value })` and never picks a
// language itself. `{name}` in a message is replaced by the parameter; a message that depends on a
// number (English plurals) is a function. The Chinese catalogue must have every English id (the
// type says so), so a text added in one language only does not compile.
//
// Parameters are inserted as given: callers pass text that is already escaped for where it goes
// (Markdown from the escape helpers, plain text for the terminal).
import type { Lang, Severity } from '../model.js';

export type MessageParams = Record<string, string | number>;
type Message = string | ((p: MessageParams) => string);

function n(p: MessageParams, key = 'n'): number {
  const v = p[key];
  return typeof v === 'number' ? v : Number(v ?? 0);
}

/** `12,345`, without depending on the ICU data Node was built with. */
function count(value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function enPlural(value: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count(value)} ${value === 1 ? singular : pluralForm}`;
}

const en = {
  // severities and states
  'severity.critical': 'critical',
  'severity.error': 'error',
  'severity.warning': 'warning',
  'severity.info': 'info',
  'status.open': 'open',
  'status.resolved': 'resolved',
  'kind.code-change': 'code change',
  'kind.config-change': 'configuration change',
  'kind.investigate': 'investigation',

  // counts
  'count.files': (p: MessageParams) => enPlural(n(p), 'file'),
  'count.lines': (p: MessageParams) => enPlural(n(p), 'line'),
  'count.events': (p: MessageParams) => enPlural(n(p), 'event'),
  'count.matchedEvents': (p: MessageParams) => enPlural(n(p), 'matched event'),
  'count.ruleMatches': (p: MessageParams) => enPlural(n(p), 'rule match', 'rule matches'),
  'count.incidents': (p: MessageParams) => enPlural(n(p), 'incident'),
  'count.inputs': (p: MessageParams) => enPlural(n(p), 'input'),
  'count.scopes': (p: MessageParams) => enPlural(n(p), 'scope'),
  'count.empty': ' ({n} empty)',
  'count.severity': '{n} {severity}',
  'fence.omitted': (p: MessageParams) => `_… ${enPlural(n(p), 'more line', 'more lines')} not shown._`,
  'list.more': 'and {n} more',
  'list.moreComma': ', and {n} more',
  'list.sep': ', ',
  'time.unknown': 'unknown time',
  'time.unknownShort': 'unknown',
  'duration.d': '{n}d',
  'duration.h': '{n}h',
  'duration.m': '{n}m',
  'duration.s': '{n}s',
  'duration.sep': ' ',

  // summary page
  'paren': ' ({text})',
  'summary.heading': 'Incident report',
  'summary.bold': '**{text}.**',
  'summary.none': 'No incidents found',
  'summary.headline': '{incidents}: {parts}',
  'summary.topMany': 'The most severe is {mark} {link}{services}, first seen {time}.',
  'summary.topOpen': 'The most severe still open is {mark} {link}{services}, first seen {time}.',
  'summary.topOne': 'It is {mark} {link}{services}, first seen {time}.',
  'summary.inServices': ' in {services}',
  'summary.checked': 'Read {lines} from {files}; {matches}.',
  'summary.matchesBelow': (p: MessageParams) => `${enPlural(n(p), 'line')} matched a rule, but none reached an incident threshold`,
  'summary.noMatch': 'no line matched a rule',
  'summary.run': 'Run',
  'summary.generated': 'Generated',
  'summary.generatedBy': '{time} by {tool}',
  'summary.source': 'Source',
  'summary.sourceStore': 'incidents kept in {store}; no logs were read for this report',
  'summary.incidentsSpan': 'Incidents span',
  'summary.noStored': 'No stored incident matches the filters given.',
  'summary.read': 'Read',
  'summary.readRow': '{files}, {lines}, {bytes}',
  'summary.foundRow': '{events}, {matches}',
  'summary.logsCover': 'Logs cover',
  'summary.approximate': ' — approximate',
  'summary.spanApproximate': ' ({text}) — approximate',
  'summary.found': 'Found',
  'summary.apart': 'Analysed apart',
  'summary.apartValue': '{scopes} (boxes or scenarios): incidents of different scopes are never merged or linked',
  'summary.col.where': 'Where',
  'summary.recurring': 'Recurring incidents',
  'summary.recurringAnchor': 'recurring-incidents',
  'summary.recurringIntro':
    'A row above with occurrences stands for every incident of one rule in one service: its times span them all, its events add up, its title links the latest. Each occurrence has its own page:',
  'summary.recurringLine': '{title}{services}, {occurrences}: ',
  'summary.effectsAnd': ' and ',
  'incident.scope': 'Scope',
  'summary.took': 'Analysis took',
  'summary.warnApprox':
    '**Some times are approximate.** At least one file had no timestamps, so its event times were estimated. Do not read too much into the order of events across files or into exact durations.',
  'summary.warnSkipped': '**Skipped {inputs}**, so this report does not cover:',
  'summary.truncated': (p: MessageParams) => `${enPlural(n(p), 'line was', 'lines were')} longer than the line limit and cut`,
  'summary.warnTruncated': '**{text}**; text past the cut was not matched against the rules.',
  'summary.incidents': 'Incidents',
  'summary.col.severity': 'Severity',
  'summary.col.incident': 'Incident',
  'summary.col.rule': 'Rule',
  'summary.col.services': 'Services',
  'summary.col.first': 'First seen (UTC)',
  'summary.col.last': 'Last seen',
  'summary.col.events': 'Events',
  'summary.resolvedMark': ' (resolved)',
  'summary.approxLegend': '≈ marks estimated times.',
  'summary.timeline': 'Timeline',
  'summary.causes': 'Likely causes',
  'summary.causeLine': '{cause}{causeServices} most likely caused {effect}{effectServices}.',
  'summary.causesFirst': 'Fix the causes first: the incidents they cause usually stop with them.',
  'summary.noCauses': 'No incident here looks like the cause of another: treat them as independent problems.',
  'summary.first': 'What to do first',
  'summary.startWithCause':
    'Start with {incident}{services}: it most likely causes {effect}, the most severe incident, so fixing it first should clear both.',
  'summary.startWith': 'Start with {incident}{services}.',
  'summary.notFilled': '⚠ Not filled in: {note}',
  'summary.pageLists': (p: MessageParams) =>
    `Its page lists ${enPlural(n(p), 'more step', 'more steps')}, how to verify the fix and how to keep it from coming back.`,
  'summary.pageSays': 'Its page says how to verify the fix and how to keep it from coming back.',
  'summary.noRemediation': 'No remediation is defined for its rule: start from the evidence and the root cause on its page.',
  'summary.thenTable': 'Then work down the table above.',
  'summary.checkedHeading': 'What was checked',
  'summary.stillWrong':
    'If something is still wrong, the logs that show it may not be among these files, or no rule knows the failure yet: `incident-analyser rules list` shows what is recognised.',

  // timeline
  'timeline.title': 'Incidents over time (UTC)',
  'timeline.unknownService': 'unknown service',
  'timeline.noTimes': 'No incident has a usable time, so there is no timeline.',
  'timeline.capped': (p: MessageParams) => `The chart shows the ${n(p, 'shown')} most severe of ${enPlural(n(p), 'incident')}.`,
  'timeline.untimed': (p: MessageParams) => `${enPlural(n(p), 'incident')} without a usable time ${n(p) === 1 ? 'is' : 'are'} not drawn.`,

  // incident page
  'incident.over': ' over {duration}',
  'incident.allIncidents': 'all incidents',
  'incident.rule': 'Rule',
  'incident.status': 'Status',
  'incident.services': 'Services',
  'incident.files': 'Files',
  'incident.filesMore': ' and {n} more',
  'incident.firstSeen': 'First seen',
  'incident.lastSeen': 'Last seen',
  'incident.estimated': ' (estimated)',
  'incident.matched': 'Matched events',
  'incident.id': 'Incident id',
  'incident.whatHappened': 'What happened',
  'incident.defaultSummary': 'Rule {rule} matched {events}{services}{duration}.',
  'incident.valuesSeen': 'Values seen in the matched lines:',
  'incident.evidence': 'Evidence',
  'incident.noEvidence': 'No evidence lines were kept for this incident.',
  'incident.showing': (p: MessageParams) =>
    `Showing ${count(n(p, 'shown'))} of ${enPlural(n(p), 'matched event')}; the other ${count(n(p) - n(p, 'shown'))} are in the files listed above.`,
  'incident.theOne': 'The one matched event:',
  'incident.all': (p: MessageParams) => `All ${enPlural(n(p), 'matched event')}:`,
  'incident.rootCause': 'Root cause',
  'incident.followsFrom': 'This most likely follows from {cause}{services} ({rule}){when}. Fix that first; this incident should stop with it.',
  'incident.which': ', which {when}',
  'incident.noDiagnosis': 'The rule gives no diagnosis for this incident; start from the evidence above.',
  'incident.inTurn': 'This incident in turn most likely causes:',
  'incident.remediation': 'Remediation',
  'incident.review': 'Review each command before running it; incident-analyser never runs them itself.',
  'incident.noRemediation': 'Rule {rule} defines no remediation. Work from the evidence and the root cause above{first}.',
  'incident.noRemediationFirst': ', and fix the incident that causes this one first',
  'incident.verify': 'How to verify',
  'incident.recheck': 'Confirm it has not come back: analyse only what was logged after the last matched event. This rule should find nothing.',
  'incident.watchAfter':
    'Watch the logs after the fix; the lines shown under Evidence should not appear again. Re-run incident-analyser on the new logs to be sure.',
  'incident.prevent': 'How to prevent',
  'incident.noPrevent': 'The rule suggests nothing specific. Keep incident-analyser watching these logs so a recurrence is caught early.',
  'incident.approxFooter': '_Times on this page are approximate: the log had no timestamps, so they were estimated._',
  'incident.footer': '_Generated {time} by {tool}. Incident id {id}._',
  'incident.estimatedCause': 'was seen at an estimated time (a process snapshot or a log without timestamps)',
  'incident.sameTime': 'started at the same time',
  'incident.earlier': 'started {duration} earlier',
  'incident.later': 'started {duration} later',

  // rule texts
  'rule.defaultSummary': (p: MessageParams) => `${enPlural(n(p), 'matching event')} of "${String(p.title)}" in ${String(p.services)}.`,
  'note.missing': 'A value this step needs {reason}; fill in the placeholder.',
  'note.refused': '{what} in the log, {value}, {reason}; the step shows {placeholder} in its place. Fill it in by hand if you trust it.',

  // console
  'warn.noTexts': 'no {lang} texts in rule(s) {rules}: their incidents are described in English (add a zh: block, see docs/rules.md)',
  'console.read': 'Read {files} file(s), {lines} lines, {mib} MiB in {ms} ms{range}.',
  'console.range': ', logs from {from} to {to}',
  'console.stored': 'Incidents kept in {store} (no logs were read now){range}.',
  'console.storedRange': ', from {from} to {to}',
  'console.none': 'No incidents found.',
  'console.incidents': '{n} incident(s):',
  'console.skipped': 'Skipped {n} input(s): {list}',
  'console.approx': ' (approx.)',
  'console.wrote': 'wrote {n} report file(s) to {summary} and {dir}',
  'console.wroteTo': 'wrote {n} report file(s) to {dir}',
  'console.watching': 'watching {what} (state in {db}); Ctrl-C to stop',
  'console.processTable': 'the process table',
  'console.change.opened': 'OPENED',
  'console.change.updated': 'UPDATED',
  'console.change.escalated': 'ESCALATED',
  'console.change.resolved': 'RESOLVED',

  // terminal summary (analyze on a terminal without --out/--format)
  'tty.headline': '{headline} in {files} ({range})',
  'tty.headlineNoRange': '{headline} in {files}',
  'tty.first': 'first {time}',
  'tty.span': '{first} → {last}',
  'tty.events': (p: MessageParams) => enPlural(n(p), 'event'),
  'tty.causedBy': 'likely caused by {title}',
  'tty.start': 'Start here: {title}',
  'tty.more': '… and {n} more incident(s) (--format md shows all)',
  'tty.nothing': 'Read {lines} from {files}; no rule found a problem.',
  'tty.hint': 'Full reports: --out <dir> (Markdown: summary and one page per incident) · --format md|json|text for pipes',
  'tty.lang': 'Chinese: --lang zh',
} satisfies Record<string, Message>;

export type MessageId = keyof typeof en;

const zh: Record<MessageId, Message> = {
  'severity.critical': '严重',
  'severity.error': '错误',
  'severity.warning': '警告',
  'severity.info': '提示',
  'status.open': '未解决',
  'status.resolved': '已恢复',
  'kind.code-change': '改代码',
  'kind.config-change': '改配置',
  'kind.investigate': '排查',

  'count.files': '{n} 个文件',
  'count.lines': '{n} 行',
  'count.events': '{n} 个事件',
  'count.matchedEvents': '{n} 条匹配记录',
  'count.ruleMatches': '{n} 次规则匹配',
  'count.incidents': '{n} 个故障',
  'count.inputs': '{n} 个输入',
  'count.scopes': '{n} 个范围',
  'count.empty': '（{n} 个为空）',
  'count.severity': '{severity} {n} 个',
  'fence.omitted': '_… 另有 {n} 行未显示。_',
  'list.more': '另有 {n} 个',
  'list.moreComma': '，另有 {n} 个',
  'list.sep': '、',
  'time.unknown': '时间未知',
  'time.unknownShort': '未知',
  'duration.d': '{n} 天',
  'duration.h': '{n} 小时',
  'duration.m': '{n} 分',
  'duration.s': '{n} 秒',
  'duration.sep': ' ',

  'paren': '（{text}）',
  'summary.heading': '故障诊断报告',
  'summary.bold': '**{text}。**',
  'summary.none': '未发现故障',
  'summary.headline': '共 {incidents}：{parts}',
  'summary.topMany': '最严重的是 {mark} {link}{services}，首次出现于 {time}。',
  'summary.topOpen': '仍未恢复的事件中最严重的是 {mark} {link}{services}，首次出现于 {time}。',
  'summary.topOne': '该故障为 {mark} {link}{services}，首次出现于 {time}。',
  'summary.inServices': '（{services}）',
  'summary.checked': '读取了 {files}，共 {lines}；{matches}。',
  'summary.matchesBelow': '有 {n} 行命中规则，但都没有达到成为故障的阈值',
  'summary.noMatch': '没有任何一行命中规则',
  'summary.run': '本次分析',
  'summary.generated': '生成时间',
  'summary.generatedBy': '{time}，由 {tool} 生成',
  'summary.source': '来源',
  'summary.sourceStore': '保存在 {store} 里的故障；本报告没有读取日志',
  'summary.incidentsSpan': '故障时间范围',
  'summary.noStored': '保存的故障里没有符合筛选条件的。',
  'summary.read': '读取',
  'summary.readRow': '{files}，{lines}，{bytes}',
  'summary.foundRow': '{events}，{matches}',
  'summary.logsCover': '日志时间范围',
  'summary.approximate': '（估算）',
  'summary.spanApproximate': '（{text}，估算）',
  'summary.found': '发现',
  'summary.apart': '分开分析',
  'summary.apartValue': '{scopes}（不同的机器或场景）：不同范围的故障从不合并、也不关联',
  'summary.col.where': '范围',
  'summary.recurring': '反复出现的故障',
  'summary.recurringAnchor': '反复出现的故障',
  'summary.recurringIntro': '上表中带出现次数的行，代表同一条规则在同一个服务上的所有故障：时间覆盖全部，事件数相加，标题链接到最近的一次。每一次都有自己的页面：',
  'summary.recurringLine': '{title}{services}，{occurrences}：',
  'summary.effectsAnd': '和',
  'incident.scope': '范围',
  'summary.took': '分析耗时',
  'summary.warnApprox':
    '**部分时间是估算的。** 至少有一个文件没有时间戳，其中事件的时间是推算出来的。跨文件的先后顺序和精确的持续时间仅供参考。',
  'summary.warnSkipped': '**跳过了 {inputs}**，本报告不包括：',
  'summary.truncated': '有 {n} 行超过单行长度上限，已被截断',
  'summary.warnTruncated': '**{text}**；截断之后的内容没有参与规则匹配。',
  'summary.incidents': '故障列表',
  'summary.col.severity': '级别',
  'summary.col.incident': '故障',
  'summary.col.rule': '规则',
  'summary.col.services': '服务',
  'summary.col.first': '首次出现 (UTC)',
  'summary.col.last': '最后出现',
  'summary.col.events': '事件数',
  'summary.resolvedMark': '（已恢复）',
  'summary.approxLegend': '≈ 表示时间是估算的。',
  'summary.timeline': '时间线',
  'summary.causes': '可能的因果关系',
  'summary.causeLine': '{cause}{causeServices} 很可能导致了 {effect}{effectServices}。',
  'summary.causesFirst': '先修复原因：由它引起的故障通常会随之消失。',
  'summary.noCauses': '这些故障之间看不出因果关系，请分别处理。',
  'summary.first': '首先要做的',
  'summary.startWithCause': '先处理 {incident}{services}：它很可能是最严重的故障 {effect} 的原因，先修它，两个问题应该一起消失。',
  'summary.startWith': '先处理 {incident}{services}。',
  'summary.notFilled': '⚠ 未填入：{note}',
  'summary.pageLists': '它的页面上还有 {n} 个步骤，以及如何验证修复、如何防止再次发生。',
  'summary.pageSays': '它的页面上写了如何验证修复、如何防止再次发生。',
  'summary.noRemediation': '这条规则没有给出修复措施：请从它页面上的证据和根本原因入手。',
  'summary.thenTable': '然后按上表逐个处理。',
  'summary.checkedHeading': '检查了什么',
  'summary.stillWrong':
    '如果问题依然存在，可能说明能反映问题的日志不在这些文件里，或者还没有规则认识这种故障：`incident-analyser rules list` 会列出已支持的故障。',

  'timeline.title': '故障时间线 (UTC)',
  'timeline.unknownService': '未知服务',
  'timeline.noTimes': '没有任何故障带有可用的时间，因此不画时间线。',
  'timeline.capped': '图中只画出 {n} 个故障中最严重的 {shown} 个。',
  'timeline.untimed': '{n} 个故障没有可用的时间，未画出。',

  'incident.over': '，持续 {duration}',
  'incident.allIncidents': '全部故障',
  'incident.rule': '规则',
  'incident.status': '状态',
  'incident.services': '服务',
  'incident.files': '文件',
  'incident.filesMore': '，另有 {n} 个',
  'incident.firstSeen': '首次出现',
  'incident.lastSeen': '最后出现',
  'incident.estimated': '（估算）',
  'incident.matched': '匹配事件数',
  'incident.id': '故障 ID',
  'incident.whatHappened': '问题描述',
  'incident.defaultSummary': '规则 {rule} 匹配到 {events}{services}{duration}。',
  'incident.valuesSeen': '匹配行中出现的值：',
  'incident.evidence': '日志证据',
  'incident.noEvidence': '这个故障没有保留证据行。',
  'incident.showing': (p: MessageParams) => `共 ${count(n(p))} 条匹配记录，这里列出 ${count(n(p, 'shown'))} 条；其余 ${count(n(p) - n(p, 'shown'))} 条在上面列出的文件里。`,
  'incident.theOne': '唯一一条匹配记录：',
  'incident.all': '全部 {n} 条匹配记录：',
  'incident.rootCause': '根本原因',
  'incident.followsFrom': '这很可能是 {cause}{services}（{rule}）引起的{when}。先修复那个问题，这个故障应该会随之消失。',
  'incident.which': '，它{when}',
  'incident.noDiagnosis': '规则没有给出诊断；请从上面的证据入手。',
  'incident.inTurn': '这个故障又很可能引起了：',
  'incident.remediation': '修复措施',
  'incident.review': '执行前请逐条检查命令；incident-analyser 自己从不执行它们。',
  'incident.noRemediation': '规则 {rule} 没有给出修复措施。请从上面的证据和根本原因入手{first}。',
  'incident.noRemediationFirst': '，并先修复引起它的那个故障',
  'incident.verify': '验证',
  'incident.recheck': '确认问题没有复发：只分析最后一条匹配记录之后写入的日志，这条规则应该什么都找不到。',
  'incident.watchAfter': '修复后继续观察日志，上面“日志证据”里的那些行不应再出现。可以对新日志再跑一次 incident-analyser 确认。',
  'incident.prevent': '预防措施',
  'incident.noPrevent': '规则没有具体建议。让 incident-analyser 持续监控这些日志，复发时能尽早发现。',
  'incident.approxFooter': '_本页时间是估算的：日志没有时间戳，时间是推算出来的。_',
  'incident.footer': '_{time} 由 {tool} 生成。故障 ID {id}。_',
  'incident.estimatedCause': '出现的时间是估算的（来自进程快照或没有时间戳的日志）',
  'incident.sameTime': '与它同时开始',
  'incident.earlier': '早 {duration} 开始',
  'incident.later': '晚 {duration} 开始',

  'rule.defaultSummary': '{services} 中有 {n} 条记录匹配“{title}”。',
  'note.missing': '这一步需要的某个值{reason}；请手动填写占位符。',
  'note.refused': '日志中的{what} {value} {reason}；这一步用 {placeholder} 代替了它。如果你确认它可信，请手动填写。',

  'warn.noTexts': '规则 {rules} 没有中文文本，它们的故障仍用英文描述（在规则文件末尾加 zh: 块，见 docs/rules.md）',
  'console.read': '读取了 {files} 个文件，{lines} 行，{mib} MiB，耗时 {ms} ms{range}。',
  'console.range': '，日志时间 {from} 至 {to}',
  'console.stored': '保存在 {store} 里的故障（这次没有读取日志）{range}。',
  'console.storedRange': '，时间 {from} 至 {to}',
  'console.none': '未发现故障。',
  'console.incidents': '{n} 个故障：',
  'console.skipped': '跳过了 {n} 个输入：{list}',
  'console.approx': '（估算）',
  'console.wrote': '已写入 {n} 个报告文件：{summary} 和 {dir}',
  'console.wroteTo': '已写入 {n} 个报告文件到 {dir}',
  'console.watching': '正在监控 {what}（状态保存在 {db}）；按 Ctrl-C 停止',
  'console.processTable': '进程表',
  'console.change.opened': '新故障',
  'console.change.updated': '更新',
  'console.change.escalated': '升级',
  'console.change.resolved': '已恢复',

  'tty.headline': '{headline}，来自 {files}（{range}）',
  'tty.headlineNoRange': '{headline}，来自 {files}',
  'tty.first': '首次 {time}',
  'tty.span': '{first} → {last}',
  'tty.events': '{n} 次',
  'tty.causedBy': '很可能由“{title}”引起',
  'tty.start': '先处理：{title}',
  'tty.more': '… 另有 {n} 个故障（--format md 显示全部）',
  'tty.nothing': '读取了 {files}，共 {lines}；没有规则发现问题。',
  'tty.hint': '完整报告：--out <目录>（Markdown：总览加每个故障一页） · 管道输出用 --format md|json|text',
  'tty.lang': 'English: --lang en',
};

const CATALOGUES: Record<Lang, Record<MessageId, Message>> = { en, zh };

/** The message `id` in `lang`, with `{name}` replaced by `params.name` (numbers formatted with separators). */
export function t(lang: Lang, id: MessageId, params: MessageParams = {}): string {
  const message = CATALOGUES[lang][id];
  if (typeof message === 'function') return message(params);
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    return typeof v === 'number' ? count(v) : v;
  });
}

export function isMessageId(id: string): id is MessageId {
  return Object.hasOwn(en, id);
}

export function severityName(lang: Lang, severity: Severity): string {
  return t(lang, `severity.${severity}`);
}
