// The parser of Go's text/template: builds the tree the executor walks. Like Go, it rejects
// unknown functions and undefined variables before anything runs.

import { invalidArgument } from '../../../common/errors.ts';
import { LexError, lex, type Token, type TokenType } from './lex.ts';

export type Arg =
  | { type: 'field'; pos: number; text: string; idents: string[] }
  | { type: 'variable'; pos: number; text: string; idents: string[] }
  | { type: 'dot'; pos: number; text: string }
  | { type: 'identifier'; pos: number; text: string; name: string }
  | { type: 'chain'; pos: number; text: string; node: Arg; fields: string[] }
  | { type: 'pipe'; pos: number; text: string; pipe: Pipe }
  | { type: 'constant'; pos: number; text: string; value: unknown };

export interface Command {
  pos: number;
  text: string;
  args: Arg[];
}

export interface Pipe {
  pos: number;
  text: string;
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export type Node =
  | { type: 'text'; text: string }
  | { type: 'action'; pos: number; pipe: Pipe }
  | ControlNode
  | { type: 'break' | 'continue'; pos: number };

export interface ControlNode {
  type: 'if' | 'with' | 'range';
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList?: Node[];
}

export interface Tree {
  text: string;
  root: Node[];
}

/** Parses a template; throws an invalidArgument `template: :LINE: message` like Go's errors. */
export function parse(text: string, funcs: ReadonlySet<string>): Tree {
  let tokens: Token[];
  try {
    tokens = lex(text);
  } catch (err) {
    if (err instanceof LexError) throw invalidArgument(`template: :${err.line}: ${err.message}`, err);
    throw err;
  }
  return { text, root: new Parser(text, tokens, funcs).parseTemplate() };
}

type Stop = 'end' | 'else' | 'eof';

class Parser {
  private readonly text: string;
  private readonly tokens: Token[];
  private readonly funcs: ReadonlySet<string>;
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(text: string, tokens: Token[], funcs: ReadonlySet<string>) {
    this.text = text;
    this.tokens = tokens;
    this.funcs = funcs;
  }

  parseTemplate(): Node[] {
    const { list, stop } = this.itemList();
    if (stop.type !== 'eof') this.fail(`unexpected {{${stop.type}}}`, stop.token);
    return list;
  }

  private fail(message: string, token: Token = this.peekRaw()): never {
    throw invalidArgument(`template: :${token.line}: ${message}`);
  }

  private peekRaw(): Token {
    return this.tokens[this.i];
  }

  private nextRaw(): Token {
    return this.tokens[this.i++];
  }

  /** Next token that is not a space. */
  private next(): Token {
    let t = this.nextRaw();
    while (t.type === 'space') t = this.nextRaw();
    return t;
  }

  private peek(): Token {
    const save = this.i;
    const t = this.next();
    this.i = save;
    return t;
  }

  private expect(type: TokenType, context: string): Token {
    const t = this.next();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Token, context: string): never {
    if (t.type === 'eof') this.fail('unexpected EOF', t);
    const shown = t.type === 'rightDelim' ? '}}' : t.value;
    this.fail(`unexpected ${JSON.stringify(shown)} in ${context}`, t);
  }

  private itemList(): { list: Node[]; stop: { type: Stop; token: Token } } {
    const list: Node[] = [];
    for (;;) {
      const t = this.nextRaw();
      if (t.type === 'eof') return { list, stop: { type: 'eof', token: t } };
      if (t.type === 'text') {
        list.push({ type: 'text', text: t.value });
        continue;
      }
      // leftDelim
      const keyword = this.peek();
      if (keyword.type === 'identifier') {
        switch (keyword.value) {
          case 'end':
            this.next();
            this.expect('rightDelim', 'end');
            return { list, stop: { type: 'end', token: keyword } };
          case 'else':
            this.next();
            return { list, stop: { type: 'else', token: keyword } };
          case 'if':
          case 'with':
          case 'range':
            this.next();
            list.push(this.control(keyword));
            continue;
          case 'break':
          case 'continue':
            this.next();
            if (this.rangeDepth === 0) this.fail(`{{${keyword.value}}} outside {{range}}`, keyword);
            this.expect('rightDelim', keyword.value);
            list.push({ type: keyword.value, pos: keyword.pos });
            continue;
          case 'define':
          case 'template':
          case 'block':
            this.fail(`{{${keyword.value}}} is not supported`, keyword);
        }
      }
      list.push({ type: 'action', pos: keyword.pos, pipe: this.pipeline('command', 'rightDelim') });
    }
  }

  private control(keyword: Token): Node {
    const type = keyword.value as 'if' | 'with' | 'range';
    const scope = this.vars.length;
    const pipe = this.pipeline(type, 'rightDelim');
    if (type === 'range') this.rangeDepth++;
    const body = this.itemList();
    if (type === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (body.stop.type === 'eof') this.fail('unexpected EOF', body.stop.token);
    if (body.stop.type === 'else') {
      const after = this.peek();
      if (
        after.type === 'identifier' &&
        ((type === 'if' && after.value === 'if') || (type === 'with' && after.value === 'with'))
      ) {
        // {{else if …}} and {{else with …}}: a nested control that consumes our {{end}}.
        this.next();
        elseList = [this.control(after)];
      } else {
        this.expect('rightDelim', 'else');
        const rest = this.itemList();
        if (rest.stop.type !== 'end') {
          this.fail(
            rest.stop.type === 'eof' ? 'unexpected EOF' : 'expected end; found {{else}}',
            rest.stop.token,
          );
        }
        elseList = rest.list;
      }
    }
    this.vars.length = scope;
    return { type, pos: keyword.pos, pipe, list: body.list, elseList };
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): Pipe {
    const start = this.peek();
    const decl: string[] = [];
    let isAssign = false;
    // declarations: $x := …, $x = …, and in range $i, $e := …
    const save = this.i;
    const v = this.next();
    if (v.type === 'variable') {
      const op = this.peek();
      if (op.type === 'declare' || op.type === 'assign') {
        this.next();
        decl.push(v.value);
        isAssign = op.type === 'assign';
      } else if (op.type === 'comma' && context === 'range') {
        this.next();
        const second = this.next();
        if (second.type !== 'variable') this.fail(`range can only initialize variables`, second);
        const op2 = this.next();
        if (op2.type !== 'declare' && op2.type !== 'assign') this.unexpected(op2, 'range');
        decl.push(v.value, second.value);
        isAssign = op2.type === 'assign';
      } else {
        this.i = save;
      }
    } else {
      this.i = save;
    }
    if (decl.length && context !== 'range' && decl.length > 1) this.fail('too many declarations', v);
    const cmds: Command[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === end) {
        this.next();
        break;
      }
      if (t.type === 'eof') this.fail(end === 'rightParen' ? 'unclosed left paren' : 'unclosed action', t);
      if (t.type === 'pipe') {
        if (cmds.length === 0) this.fail(`missing value for ${context}`, t);
        this.next();
        const after = this.peek();
        if (after.type === end || after.type === 'pipe') this.fail('missing value for command', after);
        continue;
      }
      cmds.push(this.command(end));
      const after = this.peek();
      if (after.type !== 'pipe' && after.type !== end) this.unexpected(after, 'operand');
    }
    if (cmds.length === 0) this.fail(`missing value for ${context}`, start);
    for (const name of decl) {
      if (isAssign) {
        if (!this.vars.includes(name)) this.fail(`undefined variable "${name}"`, v);
      } else this.vars.push(name);
    }
    const endTok = this.tokens[this.i - 1];
    return { pos: start.pos, text: this.text.slice(start.pos, endTok.pos).trim(), decl, isAssign, cmds };
  }

  private command(end: TokenType): Command {
    const args: Arg[] = [];
    const first = this.peek();
    for (;;) {
      const t = this.peek();
      if (t.type === 'pipe' || t.type === end || t.type === 'eof') break;
      if (args.length > 0 && this.peekRaw().type !== 'space') this.unexpected(t, 'operand');
      args.push(this.operand());
    }
    if (args.length === 0) this.fail('empty command', first);
    const last = args[args.length - 1];
    return { pos: first.pos, text: this.text.slice(first.pos, last.pos + last.text.length), args };
  }

  private operand(): Arg {
    const term = this.term();
    const fields: string[] = [];
    while (this.peekRaw().type === 'field') fields.push(this.nextRaw().value.slice(1));
    if (fields.length === 0) return term;
    const text = this.text.slice(
      term.pos,
      this.tokens[this.i - 1].pos + fields[fields.length - 1].length + 1,
    );
    switch (term.type) {
      case 'field':
      case 'variable':
        return { ...term, text, idents: [...term.idents, ...fields] };
      case 'constant':
      case 'dot':
        this.fail(`unexpected . after term ${JSON.stringify(term.text)}`);
        break;
      case 'identifier':
        this.fail(`unexpected . after term ${JSON.stringify(term.text)}`);
    }
    return { type: 'chain', pos: term.pos, text, node: term, fields };
  }

  private term(): Arg {
    const t = this.next();
    const pos = t.pos;
    switch (t.type) {
      case 'field':
        return { type: 'field', pos, text: t.value, idents: [t.value.slice(1)] };
      case 'variable':
        if (!this.vars.includes(t.value)) this.fail(`undefined variable "${t.value}"`, t);
        return { type: 'variable', pos, text: t.value, idents: [t.value] };
      case 'dot':
        return { type: 'dot', pos, text: '.' };
      case 'identifier':
        if (!this.funcs.has(t.value)) this.fail(`function ${JSON.stringify(t.value)} not defined`, t);
        return { type: 'identifier', pos, text: t.value, name: t.value };
      case 'bool':
        return { type: 'constant', pos, text: t.value, value: t.value === 'true' };
      case 'nil':
        return { type: 'constant', pos, text: t.value, value: null };
      case 'string':
      case 'rawString':
        return { type: 'constant', pos, text: t.value, value: unquote(t, this) };
      case 'char':
        return { type: 'constant', pos, text: t.value, value: unquote(t, this).codePointAt(0) };
      case 'number':
        return { type: 'constant', pos, text: t.value, value: parseNumber(t, this) };
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        const text = this.text.slice(pos, this.tokens[this.i - 1].pos + 1);
        return { type: 'pipe', pos, text, pipe };
      }
      default:
        this.unexpected(t, 'operand');
    }
  }

  error(message: string, t: Token): never {
    this.fail(message, t);
  }
}

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
};

function unquote(t: Token, p: Parser): string {
  const body = t.value.slice(1, -1);
  if (t.type === 'rawString') return body.replace(/\r/g, '');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (ESCAPES[e] !== undefined) out += ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) p.error(`invalid syntax: ${t.value}`, t);
      out +=
        e === 'x'
          ? String.fromCharCode(Number.parseInt(hex, 16))
          : String.fromCodePoint(Number.parseInt(hex, 16));
      i += n;
    } else if (/[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) p.error(`invalid syntax: ${t.value}`, t);
      out += String.fromCharCode(Number.parseInt(oct, 8));
      i += 2;
    } else p.error(`invalid syntax: ${t.value}`, t);
  }
  return out;
}

function parseNumber(t: Token, p: Parser): number {
  const s = t.value.replace(/_/g, '');
  const neg = s.startsWith('-');
  const body = s.replace(/^[+-]/, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = Number.parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = Number.parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = Number.parseInt(body.slice(2), 2);
  else if (/^0[0-7]+$/.test(body)) n = Number.parseInt(body, 8);
  else n = Number(body);
  if (Number.isNaN(n)) p.error(`illegal number syntax: ${JSON.stringify(t.value)}`, t);
  return neg ? -n : n;
}
