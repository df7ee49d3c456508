// Go's parsers as the docker CLI's flags use them, with Go's error texts: strconv.ParseInt /
// ParseUint / ParseBool, time.ParseDuration, go-units RAMInBytes, and the big.Rat parse behind
// --cpus. The flag parser prefixes the errors: `invalid argument "x" for "-m, --memory" flag: …`.

/** Go's strconv.Quote for the printable ASCII that flag values usually are. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

const syntax = (fn: string, s: string) => new Error(`strconv.${fn}: parsing ${goQuote(s)}: invalid syntax`);
const range = (fn: string, s: string) =>
  new Error(`strconv.${fn}: parsing ${goQuote(s)}: value out of range`);

/** Digits of `s` in `base` (0: Go's prefixes 0x, 0o, 0b, 0 and `_` separators), as a bigint. */
function parseDigits(s: string, base: number, fn: string, whole: string): bigint {
  let text = s;
  let b = base;
  if (base === 0) {
    b = 10;
    if (/^0[xX]/.test(text)) {
      b = 16;
      text = text.slice(2);
    } else if (/^0[oO]/.test(text)) {
      b = 8;
      text = text.slice(2);
    } else if (/^0[bB]/.test(text)) {
      b = 2;
      text = text.slice(2);
    } else if (/^0./.test(text)) {
      b = 8;
      text = text.slice(1);
    }
    if (text.includes('_')) {
      if (/^_|__|_$/.test(text)) throw syntax(fn, whole);
      text = text.replaceAll('_', '');
    }
  }
  if (text === '') throw syntax(fn, whole);
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
  let n = 0n;
  for (const ch of text.toLowerCase()) {
    const d = digits.indexOf(ch);
    if (d < 0) throw syntax(fn, whole);
    n = n * BigInt(b) + BigInt(d);
  }
  return n;
}

/** strconv.ParseInt(s, base, bits); base 0 as pflag's int flags. */
export function parseGoInt(s: string, bits = 64, base = 0): number {
  if (s === '') throw syntax('ParseInt', s);
  const neg = s[0] === '-';
  const body = s[0] === '-' || s[0] === '+' ? s.slice(1) : s;
  const n = parseDigits(body, base, 'ParseInt', s);
  const limit = 1n << BigInt(bits - 1);
  if (neg ? n > limit : n >= limit) throw range('ParseInt', s);
  return Number(neg ? -n : n);
}

/** strconv.ParseUint(s, base, bits). */
export function parseGoUint(s: string, bits = 64, base = 0): number {
  if (s === '' || s[0] === '-' || s[0] === '+') throw syntax('ParseUint', s);
  const n = parseDigits(s, base, 'ParseUint', s);
  if (n >= 1n << BigInt(bits)) throw range('ParseUint', s);
  return Number(n);
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw syntax('ParseBool', s);
}

/** strconv.ParseFloat(s, 64) for decimal notation (what sizes and --cpus are written in). */
export function parseGoFloat(s: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s.replaceAll('_', ''))) {
    if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    throw new Error(`strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`);
  }
  return Number(s.replaceAll('_', ''));
}

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration: `1h30m`, `500ms`, `-1.5s`; nanoseconds. */
export function parseGoDuration(s: string): number {
  const orig = goQuote(s);
  let rest = s;
  let neg = false;
  if (rest[0] === '-' || rest[0] === '+') {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${orig}`);
  let total = 0;
  while (rest !== '') {
    const num = /^(\d*)(\.(\d*))?/.exec(rest)!;
    if (num[0] === '' || num[0] === '.') throw new Error(`time: invalid duration ${orig}`);
    rest = rest.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === '') throw new Error(`time: missing unit in duration ${orig}`);
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${orig}`);
    rest = rest.slice(unit.length);
    total += Number(`${num[1] || '0'}.${num[3] || '0'}`) * scale;
  }
  total = Math.round(total);
  if (total >= 2 ** 63) throw new Error(`time: invalid duration ${orig}`);
  return neg ? -total : total;
}

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const DECIMAL: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/** go-units RAMInBytes: `512m`, `1.5g`, `10 KiB`, `100` → bytes (binary multiples). */
export function ramInBytes(s: string): number {
  return parseSize(s, BINARY);
}

/** go-units FromHumanSize: as RAMInBytes, in decimal multiples (`1k` = 1000): json-file's max-size. */
export function fromHumanSize(s: string): number {
  return parseSize(s, DECIMAL);
}

function parseSize(s: string, multiples: Record<string, number>): number {
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(s[i])) {
      sep = i;
      break;
    }
  }
  if (sep < 0) throw new Error(`invalid size: '${s}'`);
  const num = s[sep] === ' ' ? s.slice(0, sep) : s.slice(0, sep + 1);
  const sfx = s.slice(sep + 1).toLowerCase();
  let size = parseGoFloat(num);
  if (size < 0) throw new Error(`invalid size: '${s}'`);
  const bad = () => new Error(`invalid suffix: '${sfx}'`);
  if (sfx !== '') {
    if (sfx.length > 3) throw bad();
    if (sfx[0] === 'b') {
      if (sfx.length > 1) throw bad();
    } else {
      const mul = multiples[sfx[0]];
      if (mul === undefined) throw bad();
      size *= mul;
      if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
    }
  }
  return Math.trunc(size);
}

/** opts.MemSwapBytes: RAMInBytes, or -1 for unlimited. */
export function memSwapBytes(s: string): number {
  return s === '-1' ? -1 : ramInBytes(s);
}

/** opts.NanoCPUs: `1.5` → 1500000000; big.Rat syntax (decimals, exponents, fractions `3/2`). */
export function nanoCpus(s: string): number {
  const bad = new Error(`failed to parse ${s} as a rational number`);
  let num: bigint;
  let den: bigint;
  const frac = /^([+-]?\d+)\/(\d+)$/.exec(s);
  if (frac) {
    num = BigInt(frac[1]);
    den = BigInt(frac[2]);
    if (den === 0n) throw bad;
  } else {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw bad;
    const digits = `${m[2]}${m[3] ?? ''}`;
    const exp = Number(m[4] ?? 0) - (m[3] ?? '').length;
    num = BigInt(digits || '0') * (m[1] === '-' ? -1n : 1n);
    den = 1n;
    if (exp > 0) num *= 10n ** BigInt(exp);
    else if (exp < 0) den = 10n ** BigInt(-exp);
  }
  const scaled = num * 1_000_000_000n;
  if (scaled % den !== 0n) throw new Error('value is too precise');
  return Number(scaled / den);
}
