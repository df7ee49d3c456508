// Go's float formatting (strconv.FormatFloat with 'e', 'f', 'g'), which Docker's size strings and
// the template engine's printing rely on: `%.3g` of 999.9 is `1e+03`, `%v` of 1e6 is `1e+06`.
// Rounding is Go's: to the exact binary value, ties to even.

/** Decimal digits of |x| (no leading zeros, no trailing zeros) and the exponent of the first one. */
interface Digits {
  digits: string;
  exp: number;
}

const ZERO: Digits = { digits: '0', exp: 0 };

function parseExponential(s: string): Digits {
  const [mantissa, e] = s.split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, exp: Number(e) };
}

/** The shortest digits that read back as |x| (what Go's precision -1 means). */
export function shortestDigits(x: number): Digits {
  if (x === 0) return ZERO;
  return parseExponential(Math.abs(x).toExponential());
}

/** True when the exact value's digits after `kept` are exactly 5000…: a tie Go rounds to even. */
function isTie(long: string, kept: number): boolean {
  const rest = long.slice(kept);
  return /^50*$/.test(rest);
}

/** |x| rounded to n significant digits, ties to even. */
export function roundedDigits(x: number, n: number): Digits {
  if (x === 0) return ZERO;
  const abs = Math.abs(x);
  const extra = Math.min(100, n - 1 + 40);
  const long = parseExponential(abs.toExponential(extra));
  const padded = long.digits.padEnd(n + 1, '0');
  if (isTie(padded, n)) {
    const lastEven = Number(padded[n - 1]) % 2 === 0;
    if (lastEven) return trimDigits({ digits: padded.slice(0, n), exp: long.exp });
  }
  return trimDigits(parseExponential(abs.toExponential(n - 1)));
}

function trimDigits(d: Digits): Digits {
  return { digits: d.digits.replace(/0+$/, '') || '0', exp: d.exp };
}

function expSuffix(exp: number, upper: boolean): string {
  const sign = exp < 0 ? '-' : '+';
  const abs = Math.abs(exp);
  return (upper ? 'E' : 'e') + sign + (abs < 10 ? '0' : '') + abs;
}

function layoutE(d: Digits, prec: number, upper: boolean): string {
  const digits = d.digits.padEnd(prec + 1, '0');
  const mantissa = prec > 0 ? digits[0] + '.' + digits.slice(1, prec + 1) : digits[0];
  return mantissa + expSuffix(d.digits === '0' ? 0 : d.exp, upper);
}

function layoutF(d: Digits, prec: number): string {
  // value = 0.digits × 10^(exp+1)
  const point = d.exp + 1;
  let int: string;
  let frac: string;
  if (d.digits === '0') {
    int = '0';
    frac = '';
  } else if (point <= 0) {
    int = '0';
    frac = '0'.repeat(-point) + d.digits;
  } else {
    int = d.digits.slice(0, point).padEnd(point, '0');
    frac = d.digits.slice(point);
  }
  frac = frac.padEnd(prec, '0').slice(0, prec);
  return prec > 0 ? int + '.' + frac : int;
}

/** Digits of |x| rounded to `prec` places after the point, ties to even. */
function fixedDigits(x: number, prec: number): Digits {
  if (x === 0) return ZERO;
  const abs = Math.abs(x);
  if (abs >= 1e21) return roundedDigits(x, Math.max(1, Math.floor(Math.log10(abs)) + 1 + prec));
  const exp = Number(abs.toExponential().split('e')[1]);
  const n = exp + 1 + prec;
  if (n <= 0) {
    // Rounds to 0 or to one unit in the last place.
    const half = 0.5 * 10 ** -prec;
    if (abs > half) return { digits: '1', exp: -prec };
    return ZERO;
  }
  const d = roundedDigits(x, n);
  return d;
}

/** Go's strconv.FormatFloat(x, fmt, prec, 64) for fmt in e, E, f, g, G; prec -1 is shortest. */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const shortest = prec < 0;
  switch (fmt) {
    case 'e':
    case 'E': {
      const d = shortest ? shortestDigits(x) : roundedDigits(x, prec + 1);
      return sign + layoutE(d, shortest ? d.digits.length - 1 : prec, fmt === 'E');
    }
    case 'f': {
      if (shortest) {
        const d = shortestDigits(x);
        return sign + layoutF(d, Math.max(d.digits.length - d.exp - 1, 0));
      }
      return sign + layoutF(fixedDigits(x, prec), prec);
    }
    default: {
      let p = prec;
      if (p === 0) p = 1;
      const d = shortest ? shortestDigits(x) : roundedDigits(x, p);
      const nd = d.digits === '0' ? 1 : d.digits.length;
      const dp = d.exp + 1;
      let eprec = shortest ? 6 : p;
      if (!shortest && eprec > nd && nd >= dp) eprec = nd;
      const exp = d.digits === '0' ? 0 : d.exp;
      if (exp < -4 || exp >= eprec) return sign + layoutE(d, nd - 1, fmt === 'G');
      return sign + layoutF(d, Math.max(nd - dp, 0));
    }
  }
}
