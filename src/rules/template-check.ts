// Load-time check of the rule texts a person may paste (commands, verify and prevent steps, and
// the code in a remediation's detail): a value from a log may appear there only through a helper
// that validates it against its type and quotes it — `{{arg x}}` (one shell word) or, in detail
// snippets, `{{js x}}` (a JavaScript string). A raw `{{x}}` / `{{{x}}}` of a log value is refused
// with the line and what to write instead. The rule author's own text is never changed.
import type { CaptureType, RuleCaptures } from './capture-types.js';

/** Shell text (commands, verify, prevent) or Markdown with code (remediation detail). */
export type PasteKind = 'shell' | 'detail';

export interface TemplateProblem {
  /** 1-based line within the template. */
  line: number;
  message: string;
}

/** Names a template may print as they are: numbers and the rule's own text. */
const SAFE_NAMES = new Set(['count', 'rule', 'title']);
const DATA_SAFE = new Set(['index', 'first', 'last']);
/** Context fields that are not captures, and their types. */
const CONTEXT_TYPES: Record<string, CaptureType> = {
  services: 'text',
  files: 'text',
  firstSeen: 'time',
  lastSeen: 'time',
  // the port the service's own log lines announced (sinks/evidence-values.ts)
  app_port: 'port',
  // the incident's first log file (not pm2.log), for commands that read it
  log_file: 'path',
};

type Quote = 'none' | 'single' | 'double';

/** Tracks shell quoting across the author's text, so a helper inside quotes can be refused. */
class QuoteState {
  private stack: Quote[] = ['none'];
  private comment = false;
  private prev = ' ';
  private fed = 0;
  /** Offset (in everything fed) of the `#` that started the first comment. */
  commentAt: number | undefined;

  feed(text: string): void {
    const base = this.fed;
    this.fed += text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charAt(i);
      const top = this.stack[this.stack.length - 1] ?? 'none';
      if (c === '\n') this.comment = false;
      if (this.comment) continue;
      if (top === 'single') {
        if (c === "'") this.stack[this.stack.length - 1] = 'none';
      } else if (c === '\\') {
        i++;
      } else if (c === '$' && text.charAt(i + 1) === '(') {
        this.stack.push('none');
        i++;
      } else if (top === 'double') {
        if (c === '"') this.stack[this.stack.length - 1] = 'none';
      } else if (c === "'") this.stack[this.stack.length - 1] = 'single';
      else if (c === '"') this.stack[this.stack.length - 1] = 'double';
      else if (c === ')' && this.stack.length > 1) this.stack.pop();
      else if (c === '#' && /\s/.test(this.prev)) {
        this.comment = true;
        this.commentAt ??= base + i;
      }
      this.prev = c;
    }
  }

  value(): void {
    this.prev = 'x';
  }

  get quoted(): boolean {
    return (this.stack[this.stack.length - 1] ?? 'none') !== 'none';
  }

  get inComment(): boolean {
    return this.comment;
  }
}

/**
 * A one-line shell text split at its trailing comment (`ss -ltnp   # one listener` →
 * `ss -ltnp   ` and `# one listener`), or undefined when it has none. A `#` inside quotes or
 * without a blank before it (`{{#if}}`, `a#b`) does not start a comment.
 */
export function splitShellComment(source: string): { code: string; comment: string } | undefined {
  if (source.includes('\n')) return undefined;
  const q = new QuoteState();
  q.feed(source);
  const at = q.commentAt;
  if (at === undefined || source.slice(0, at).trim() === '') return undefined;
  return { code: source.slice(0, at), comment: source.slice(at) };
}

/** Pairs of a `key=value` hash; the parser leaves the hash out when there is none. */
function hashSize(hash: hbs.AST.Hash | undefined): number {
  return hash?.pairs.length ?? 0;
}

function isMustache(n: hbs.AST.Node): n is hbs.AST.MustacheStatement {
  return n.type === 'MustacheStatement';
}
function isBlock(n: hbs.AST.Node): n is hbs.AST.BlockStatement {
  return n.type === 'BlockStatement';
}
function isContent(n: hbs.AST.Node): n is hbs.AST.ContentStatement {
  return n.type === 'ContentStatement';
}
function isPath(n: hbs.AST.Node): n is hbs.AST.PathExpression {
  return n.type === 'PathExpression';
}

/** The capture a path names (`service`, `captures.port`, `this` inside `#each values.pid`), or undefined. */
function captureOf(p: hbs.AST.PathExpression, eachOf: string | undefined): string | undefined {
  if (p.data) return undefined;
  const parts = p.parts;
  if (parts.length === 0) return p.original === 'this' ? eachOf : undefined;
  if (parts.length === 1) return parts[0];
  if (parts.length === 2 && parts[0] === 'captures') return parts[1];
  return undefined;
}

/** Every problem in one parsed template; `kind` says how its text is used. */
export function checkPasteable(ast: hbs.AST.Program, kind: PasteKind, captures: RuleCaptures): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const quotes = new QuoteState();
  let before = '';
  const typeOf = (name: string): CaptureType | undefined => captures.types[name] ?? CONTEXT_TYPES[name];
  const instead = (name: string): string => (kind === 'shell' ? `{{arg ${name}}}` : `{{arg ${name}}} in shell code or {{js ${name}}} in a JS snippet`);

  const mustache = (m: hbs.AST.MustacheStatement, eachOf: string | undefined): void => {
    const line = m.loc.start.line;
    const add = (message: string): void => void problems.push({ line, message });
    if (!isPath(m.path)) return add('a literal in {{ }} prints nothing useful; write the text itself');
    const helper = m.path.original;
    if (m.params.length === 0 && hashSize(m.hash) === 0 && helper !== 'arg' && helper !== 'js') {
      if (m.path.data) {
        if (!DATA_SAFE.has(m.path.parts[0] ?? '')) add(`{{${helper}}} is not allowed here`);
        return;
      }
      if (m.path.parts.length === 1 && (SAFE_NAMES.has(helper) || captures.constants.includes(helper))) return;
      // derived.*: text incident-analyser composes from numbers it parsed (sinks/pool-advice.ts), never log text
      if (m.path.parts[0] === 'derived') return;
      const name = captureOf(m.path, eachOf);
      const shown = name === undefined ? helper : name;
      const written = m.escaped ? `{{${helper}}}` : `{{{${helper}}}}`;
      return add(`${written} puts a value from the log into ${kind === 'shell' ? 'a command' : 'pasteable text'} unquoted; write ${instead(m.path.original === 'this' ? 'this' : shown)} instead`);
    }
    if (helper !== 'arg' && helper !== 'js') return add(`unknown helper {{${helper}}}: only {{arg x}} and {{js x}} may take values here`);
    if (helper === 'js' && kind === 'shell') return add('{{js x}} is for JavaScript snippets in a detail; in a command pass the value as its own argument with {{arg x}}');
    const param = m.params[0];
    if (m.params.length !== 1 || param === undefined || !isPath(param) || hashSize(m.hash) > 0) return add(`{{${helper}}} takes exactly one capture name, like {{${helper} service}}`);
    if (param.parts[0] === 'values') return add(`{{${helper} ${param.original}}} is a list; write {{#each ${param.original}}}{{${helper} this}}{{/each}}`);
    const name = captureOf(param, eachOf);
    if (name === undefined) {
      if (param.original !== 'this') add(`{{${helper} ${param.original}}}: not a capture of this rule`);
      return;
    }
    const type = typeOf(name);
    if (type === undefined && !captures.constants.includes(name) && !SAFE_NAMES.has(name)) {
      return add(`{{${helper} ${param.original}}}: "${name}" is not a capture of this rule (${Object.keys(captures.types).join(', ')})`);
    }
    if (type === 'text') {
      return add(`"${name}" is free text, which never enters ${kind === 'shell' ? 'a command' : 'code'}; if it is a name, port, path or host, declare it under captures: (e.g. captures: { ${name}: word })`);
    }
    if (kind === 'shell') {
      if (quotes.quoted) add(`{{arg ${param.original}}} inside quotes: {{arg}} writes its own quotes, so put it outside ('...'{{arg ${param.original}}}'...')`);
      else if (!quotes.inComment && /(?:^|[|;&(`]|\$\(|&&|\|\|)\s*$/.test(before)) add(`{{arg ${param.original}}} would be the program to run; a value from a log is only ever an argument`);
    }
  };

  const walk = (program: hbs.AST.Program | undefined, eachOf: string | undefined): void => {
    if (!program) return;
    for (const node of program.body) {
      if (isContent(node)) {
        quotes.feed(node.value);
        before = (before + node.value).slice(-200);
      } else if (isMustache(node)) {
        mustache(node, eachOf);
        quotes.value();
        before += 'x';
      } else if (isBlock(node)) {
        const helper = node.path.original;
        if (helper !== 'if' && helper !== 'unless' && helper !== 'each') {
          problems.push({ line: node.loc.start.line, message: `{{#${helper}}} is not allowed here (only #if, #unless and #each)` });
          continue;
        }
        const first = node.params[0];
        const list = helper === 'each' && first !== undefined && isPath(first) && first.parts[0] === 'values' ? first.parts[1] : undefined;
        walk(node.program, helper === 'each' ? list : eachOf);
        walk(node.inverse, eachOf);
      } else if (node.type !== 'CommentStatement') {
        problems.push({ line: node.loc.start.line, message: `${node.type} is not allowed in a rule text` });
      }
    }
  };
  walk(ast, undefined);
  return problems;
}
