// Wire form of a plan (native/PLAN.md): one step per line, `key=value` fields, values
// percent-encoded. Lists repeat their key, except `flags`, which is one comma list.

import { type AnyStep, PLAN_VERSION, type Plan } from './types.ts';

const SAFE = /^[A-Za-z0-9._~/:,@+=-]$/;
const ALL_SAFE = /^[A-Za-z0-9._~/:,@+=-]*$/;
const COMMA_LISTS = new Set(['flags']);

export function encodeValue(value: string): string {
  if (ALL_SAFE.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && SAFE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeValue(value: string): string {
  return Buffer.from(
    value.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

function encodeStep(step: AnyStep): string {
  const fields: string[] = [step.op];
  for (const [key, value] of Object.entries(step)) {
    if (key === 'op') continue;
    if (Array.isArray(value)) {
      if (COMMA_LISTS.has(key)) fields.push(`${key}=${encodeValue(value.join(','))}`);
      else for (const item of value) fields.push(`${key}=${encodeValue(String(item))}`);
    } else {
      fields.push(`${key}=${encodeValue(String(value))}`);
    }
  }
  return fields.join(' ');
}

export function encodePlan(plan: Plan): string {
  const lines = [`berth-plan ${PLAN_VERSION}`, '@pre'];
  for (const step of plan.pre) lines.push(encodeStep(step));
  lines.push('@parent');
  for (const step of plan.parent) lines.push(encodeStep(step));
  lines.push('@child');
  for (const step of plan.child) lines.push(encodeStep(step));
  return `${lines.join('\n')}\n`;
}
