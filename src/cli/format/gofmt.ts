// Go's fmt.Sprint, Sprintln and Sprintf over JavaScript values (see govalue.ts for the mapping),
// and strconv.Quote. Verbs: %v %s %q %d %b %o %x %X %c %U %e %E %f %F %g %G %t %T %%, with the
// flags `-+# 0`, width and precision. Mismatches print like Go: `%!d(string=x)`, `%!s(MISSING)`.

import { formatFloat } from './gofloat.ts';
import { formatV, kindOf, mapEntries, stringer, structFields, typeName } from './govalue.ts';

/** unicode.IsPrint, for the non-ASCII characters (a Unicode class is slow to build: made on demand). */
let printable: RegExp | undefined;
function isPrint(ch: string): boolean {
  printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
  return printable.test(ch);
}

/** Printable ASCII but the double quote and the backslash: what Quote copies unchanged. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** strconv.Quote: a double-quoted Go string literal, non-printable runes escaped. */
export function quote(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (isPrint(ch)) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((arg, i) => {
    if (i > 0 && typeof arg !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatV(arg, 1);
  });
  return out;
}

/** fmt.Sprintln: operands always separated by spaces, newline appended. */
export function sprintln(args: unknown[]): string {
  return args.map((a) => formatV(a, 1)).join(' ') + '\n';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
  verb: string;
}

const runeCount = (s: string): number => [...s].length;

function pad(s: string, spec: Spec, numeric = false): string {
  const width = spec.width ?? 0;
  const n = runeCount(s);
  if (n >= width) return s;
  if (spec.minus) return s + ' '.repeat(width - n);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(width - n) + s.slice(sign.length);
  }
  if (spec.zero && !numeric && spec.verb !== 'v') return '0'.repeat(width - n) + s;
  return ' '.repeat(width - n) + s;
}

function badVerb(spec: Spec, arg: unknown): string {
  if (arg === null || arg === undefined) return `%!${spec.verb}(<nil>)`;
  return `%!${spec.verb}(${typeName(arg)}=${formatV(arg, 1)})`;
}

function signed(abs: string, negative: boolean, spec: Spec): string {
  if (negative) return '-' + abs;
  if (spec.plus) return '+' + abs;
  if (spec.space) return ' ' + abs;
  return abs;
}

function formatInt(v: number | bigint, spec: Spec): string {
  const big = BigInt(v);
  const negative = big < 0n;
  const abs = negative ? -big : big;
  let digits: string;
  switch (spec.verb) {
    case 'd':
    case 'v':
      digits = abs.toString(10);
      break;
    case 'b':
      digits = abs.toString(2);
      break;
    case 'o':
      digits = (spec.sharp ? '0' : '') + abs.toString(8);
      break;
    case 'O':
      digits = '0o' + abs.toString(8);
      break;
    case 'x':
      digits = (spec.sharp ? '0x' : '') + abs.toString(16);
      break;
    case 'X':
      digits = (spec.sharp ? '0X' : '') + abs.toString(16).toUpperCase();
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(big)), spec);
    case 'q':
      return pad(
        "'" +
          quote(String.fromCodePoint(Number(big)))
            .slice(1, -1)
            .replace(/'/g, "\\'") +
          "'",
        spec,
      );
    case 'U':
      return pad('U+' + abs.toString(16).toUpperCase().padStart(4, '0'), spec);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      return badVerb(spec, v);
    default:
      return badVerb(spec, v);
  }
  if (spec.prec !== undefined) digits = digits.padStart(spec.prec, '0');
  const s = signed(digits, negative, spec);
  return pad(s, spec.prec === undefined ? spec : { ...spec, zero: false }, true);
}

function formatFloatVerb(v: number, spec: Spec): string {
  let s: string;
  switch (spec.verb) {
    case 'v':
    case 'g':
    case 'G':
      s = formatFloat(v, spec.verb === 'G' ? 'G' : 'g', spec.prec ?? -1);
      break;
    case 'e':
    case 'E':
      s = formatFloat(v, spec.verb, spec.prec ?? 6);
      break;
    case 'f':
    case 'F':
      s = formatFloat(v, 'f', spec.prec ?? 6);
      break;
    default:
      return badVerb(spec, v);
  }
  if (!s.startsWith('-')) s = signed(s, false, spec);
  return pad(s, spec, Number.isFinite(v));
}

function formatString(s: string, spec: Spec): string {
  let text = s;
  if (spec.prec !== undefined && spec.verb !== 'x' && spec.verb !== 'X') {
    text = [...text].slice(0, spec.prec).join('');
  }
  switch (spec.verb) {
    case 'v':
    case 's':
      return pad(text, spec);
    case 'q':
      return pad(quote(text), spec);
    case 'x':
    case 'X': {
      const hex = [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, '0'));
      const joined = hex.join(spec.space ? ' ' : '');
      return pad(spec.verb === 'X' ? joined.toUpperCase() : joined, spec);
    }
    default:
      return badVerb(spec, s);
  }
}

function formatOne(arg: unknown, spec: Spec, depth: number): string {
  if (spec.verb === 'T') return pad(typeName(arg), spec);
  const str = stringer(arg);
  if (str && 'vsqxX'.includes(spec.verb)) return formatString(str(), spec);
  switch (kindOf(arg)) {
    case 'invalid':
    case 'nil':
      return spec.verb === 'v' ? pad('<nil>', spec) : badVerb(spec, null);
    case 'string':
      return formatString(arg as string, spec);
    case 'int':
      return formatInt(arg as number | bigint, spec);
    case 'float':
      return formatFloatVerb(arg as number, spec);
    case 'bool':
      return spec.verb === 'v' || spec.verb === 't' ? pad(String(arg), spec) : badVerb(spec, arg);
    case 'slice':
      return '[' + (arg as unknown[]).map((x) => formatOne(x, spec, depth + 1)).join(' ') + ']';
    case 'map':
      return (
        'map[' +
        mapEntries(arg)
          .map(([k, x]) => formatOne(k, spec, depth + 1) + ':' + formatOne(x, spec, depth + 1))
          .join(' ') +
        ']'
      );
    case 'struct':
      return (
        '{' +
        structFields(arg as object)
          .map((x) => formatOne(x, spec, depth + 1))
          .join(' ') +
        '}'
      );
    default:
      return pad(formatV(arg, depth), spec);
  }
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, verb: '' };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === ' ') spec.space = true;
      else if (c === '0') spec.zero = !spec.minus;
      else break;
    }
    const width = /^\d+/.exec(format.slice(i));
    if (width) {
      spec.width = Number(width[0]);
      i += width[0].length;
    }
    if (format[i] === '.') {
      i++;
      const prec = /^\d*/.exec(format.slice(i))![0];
      spec.prec = Number(prec || '0');
      i += prec.length;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    spec.verb = verb;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(args[argi++], spec, 0);
  }
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => (a === null ? '<nil>' : `${typeName(a)}=${formatV(a, 1)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
