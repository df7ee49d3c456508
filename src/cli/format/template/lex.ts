// The lexer of Go's text/template: text and actions between {{ and }}, with the trim markers
// `{{- ` and ` -}}` that remove the white space beside an action, and comments `{{/* … */}}`.

import { invalidArgument } from '../../../common/errors.ts';

export type TokenType =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'space'
  | 'field' // .Name
  | 'dot' // .
  | 'variable' // $ or $name
  | 'identifier' // function or keyword
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare' // :=
  | 'assign' // =
  | 'comma'
  | 'comment'
  | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  pos: number; // index in the template text
  line: number;
}

const SPACE = /[ \t\r\n]/;
const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.test(c);
/** Go's letter or digit or `_`; the Unicode classes only for non-ASCII (their regex is slow to build). */
let alnum: RegExp | undefined;
const isAlnum = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  if (c < '\x80')
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '_';
  alnum ??= /[\p{L}\p{N}_]/u;
  return alnum.test(c);
};

export class LexError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/** Splits a template into tokens; throws LexError (wrapped by the parser) on bad input. */
export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  const lineAt = (index: number) => 1 + countNewlines(input.slice(0, index));
  const emit = (type: TokenType, start: number, value: string) => {
    tokens.push({ type, value, pos: start, line: lineAt(start) });
  };
  const fail = (message: string, at: number): never => {
    throw new LexError(message, lineAt(at));
  };
  let i = 0;
  while (i < input.length) {
    const open = input.indexOf('{{', i);
    const textEnd = open < 0 ? input.length : open;
    const trimLeft = open >= 0 && input[open + 2] === '-' && isSpace(input[open + 3]);
    let text = input.slice(i, textEnd);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) emit('text', i, text);
    if (open < 0) break;
    emit('leftDelim', open, '{{');
    i = open + 2 + (trimLeft ? 2 : 0);
    if (input.startsWith('/*', i)) {
      const end = input.indexOf('*/', i);
      if (end < 0) fail('unclosed comment', i);
      const close = closeAt(input, end + 2);
      if (!close) return fail('comment ends before closing delimiter', i);
      tokens.pop();
      i = end + 2 + close.length;
      if (close.trim) i = skipSpace(input, i);
      continue;
    }
    for (;;) {
      const close = closeAt(input, i);
      if (close) {
        emit('rightDelim', i, '}}');
        i += close.length;
        if (close.trim) i = skipSpace(input, i);
        break;
      }
      if (i >= input.length) fail('unclosed action', open);
      const c = input[i];
      const start = i;
      if (isSpace(c)) {
        while (isSpace(input[i]) && !closeAt(input, i)) i++;
        emit('space', start, input.slice(start, i));
      } else if (SINGLE[c]) {
        i++;
        emit(SINGLE[c], start, c);
      } else if (c === ':') {
        if (input[i + 1] !== '=') fail('expected :=', i);
        i += 2;
        emit('declare', start, ':=');
      } else if (c === '"' || c === "'") {
        i = scanQuoted(input, i, c, fail);
        emit(c === '"' ? 'string' : 'char', start, input.slice(start, i));
      } else if (c === '`') {
        const end = input.indexOf('`', i + 1);
        if (end < 0) fail('unterminated raw quoted string', i);
        i = end + 1;
        emit('rawString', start, input.slice(start, i));
      } else if (c === '$') {
        i++;
        while (isAlnum(input[i])) i++;
        emit('variable', start, input.slice(start, i));
      } else if (c === '.' && /[0-9]/.test(input[i + 1] ?? '')) {
        i = scanNumber(input, i);
        emit('number', start, input.slice(start, i));
      } else if (c === '.') {
        i++;
        while (isAlnum(input[i])) i++;
        emit(i - start > 1 ? 'field' : 'dot', start, input.slice(start, i));
      } else if (/[0-9+-]/.test(c)) {
        i = scanNumber(input, i);
        const word = input.slice(start, i);
        if (!NUMBER.test(word)) fail(`bad number syntax: "${word}"`, start);
        emit('number', start, word);
      } else if (isAlnum(c)) {
        while (isAlnum(input[i])) i++;
        const word = input.slice(start, i);
        const type: TokenType =
          word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'identifier';
        emit(type, start, word);
      } else {
        fail(`unexpected ${quoteChar(c)} in command`, i);
      }
    }
  }
  tokens.push({ type: 'eof', value: '', pos: input.length, line: lineAt(input.length) });
  return tokens;
}

const SINGLE: Record<string, TokenType> = {
  '|': 'pipe',
  '(': 'leftParen',
  ')': 'rightParen',
  ',': 'comma',
  '=': 'assign',
};

const NUMBER = /^[+-]?(0[xX][0-9a-fA-F_]+|0[oObB][0-7_]+|([0-9_]+\.?[0-9_]*|\.[0-9_]+)([eE][+-]?[0-9_]+)?)$/;

function quoteChar(c: string): string {
  return JSON.stringify(c);
}

/** `}}` or ` -}}` at i: returns its length and whether it trims. */
function closeAt(input: string, i: number): { length: number; trim: boolean } | undefined {
  if (isSpace(input[i]) && input[i + 1] === '-' && input.startsWith('}}', i + 2)) {
    return { length: 4, trim: true };
  }
  if (input.startsWith('}}', i)) return { length: 2, trim: false };
  return undefined;
}

function skipSpace(input: string, i: number): number {
  let j = i;
  while (isSpace(input[j])) j++;
  return j;
}

function scanQuoted(input: string, i: number, quote: string, fail: (m: string, at: number) => never): number {
  let j = i + 1;
  for (;;) {
    const c = input[j];
    if (c === undefined || c === '\n') {
      fail(quote === '"' ? 'unterminated quoted string' : 'unterminated character constant', i);
    }
    if (c === '\\') j += 2;
    else if (c === quote) return j + 1;
    else j++;
  }
}

function scanNumber(input: string, i: number): number {
  let j = i;
  if (input[j] === '+' || input[j] === '-') j++;
  while (j < input.length) {
    const c = input[j];
    if (/[0-9a-zA-Z_.]/.test(c)) {
      j++;
      if ((c === 'e' || c === 'E' || c === 'p' || c === 'P') && (input[j] === '+' || input[j] === '-')) j++;
    } else break;
  }
  return j;
}

function countNewlines(s: string | undefined): number {
  if (!s) return 0;
  let n = 0;
  for (const c of s) if (c === '\n') n++;
  return n;
}

export function lexError(err: LexError): Error {
  return invalidArgument(`template: :${err.line}: ${err.message}`, err);
}
