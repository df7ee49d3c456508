// How Go sees a JavaScript value: its kind, its type name in messages, its truth, and how
// fmt prints it with %v. JSON objects are Go maps (`map[k:v]`, keys sorted); class instances
// are Go structs (fields by exact name, methods callable, printed through String() if they
// have one); integers are ints and other numbers float64; null is a nil pointer (`<nil>`);
// undefined is a missing map entry (`<no value>` when printed by a template).

import { formatFloat } from './gofloat.ts';

export type Kind =
  | 'invalid'
  | 'nil'
  | 'string'
  | 'int'
  | 'float'
  | 'bool'
  | 'slice'
  | 'map'
  | 'struct'
  | 'func';

export function kindOf(v: unknown): Kind {
  switch (typeof v) {
    case 'undefined':
      return 'invalid';
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'func';
    default:
      if (v === null) return 'nil';
      if (Array.isArray(v)) return 'slice';
      if (v instanceof Map || isPlainObject(v)) return 'map';
      return 'struct';
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Entries of a map value, keys sorted as Go's fmt and encoding/json sort them. */
export function mapEntries(v: unknown): [string, unknown][] {
  const entries: [string, unknown][] =
    v instanceof Map ? [...v.entries()].map(([k, x]) => [String(k), x]) : Object.entries(v as object);
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function elementType(values: unknown[]): string {
  if (values.length > 0 && values.every((x) => typeof x === 'string')) return 'string';
  return 'interface {}';
}

/** The Go type name used in error messages: `string`, `int`, `[]string`, `map[string]interface {}`. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
      return '<no value>';
    case 'nil':
      return '<nil>';
    case 'float':
      return 'float64';
    case 'slice':
      return '[]' + elementType(v as unknown[]);
    case 'map':
      return 'map[string]' + elementType(mapEntries(v).map(([, x]) => x));
    case 'struct': {
      const ctor = (v as object).constructor as { name?: string; goName?: string } | undefined;
      return '*' + (ctor?.goName || ctor?.name || 'struct');
    }
    case 'func':
      return 'func()';
    default:
      return kindOf(v);
  }
}

/** Go's truth for if/with/and/or/not: zero values and empty collections are false. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'string':
      return (v as string).length > 0;
    case 'int':
    case 'float':
      return v !== 0 && v !== 0n && !Number.isNaN(v);
    case 'bool':
      return v as boolean;
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return v instanceof Map ? v.size > 0 : Object.keys(v as object).length > 0;
    default:
      return true;
  }
}

/** A struct's String() method, as fmt.Stringer. */
export function stringer(v: unknown): (() => string) | undefined {
  if (kindOf(v) !== 'struct') return undefined;
  const fn = (v as { String?: unknown }).String;
  return typeof fn === 'function' && fn.length === 0 ? () => String(fn.call(v)) : undefined;
}

/** Own enumerable fields of a struct, in declaration order. */
export function structFields(v: object): unknown[] {
  return Object.values(v);
}

/** fmt's %v. */
export function formatV(v: unknown, depth = 0): string {
  const str = stringer(v);
  if (str) return str();
  switch (kindOf(v)) {
    case 'invalid':
      return depth === 0 ? '<no value>' : '<nil>';
    case 'nil':
      return '<nil>';
    case 'string':
      return v as string;
    case 'int':
      return String(v);
    case 'float':
      return formatFloat(v as number, 'g', -1);
    case 'bool':
      return v ? 'true' : 'false';
    case 'slice':
      return '[' + (v as unknown[]).map((x) => formatV(x, depth + 1)).join(' ') + ']';
    case 'map':
      return (
        'map[' +
        mapEntries(v)
          .map(([k, x]) => k + ':' + formatV(x, depth + 1))
          .join(' ') +
        ']'
      );
    case 'struct':
      if (v instanceof Date) return v.toISOString();
      return (
        '{' +
        structFields(v as object)
          .map((x) => formatV(x, depth + 1))
          .join(' ') +
        '}'
      );
    default:
      return '0x0';
  }
}
