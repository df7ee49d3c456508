// The docker CLI's --format conventions (cli/command/formatter): `table …` renders a header row
// and aligns columns with Docker's tabwriter; `json` is `{{json .}}` per object, one a line; any
// other string is a Go template run once per object, each followed by a newline. `\t` and `\n`
// written literally in the flag are turned into a tab and a newline.

import { invalidArgument } from '../../common/errors.ts';
import { kindOf } from './govalue.ts';
import { tabwrite, tabwriteColumns } from './tabwriter.ts';
import { executePartial, HEADER_FUNCS, parseTemplate, plainField, type Template } from './template.ts';

export const TABLE_FORMAT_KEY = 'table';
export const RAW_FORMAT_KEY = 'raw';
export const JSON_FORMAT_KEY = 'json';
export const DEFAULT_QUIET_FORMAT = '{{.ID}}';
export const JSON_FORMAT = '{{json .}}';

/** True for `table` and `table {{…}}` formats. */
export function isTableFormat(format: string): boolean {
  return format.startsWith(TABLE_FORMAT_KEY);
}

/** True for exactly `json`. */
export function isJSONFormat(format: string): boolean {
  return format === JSON_FORMAT_KEY;
}

/** The template a format stands for: `table` stripped, `json` expanded, `\t`/`\n` unescaped. */
export function templateText(format: string): string {
  let text = format;
  if (isTableFormat(format)) text = text.slice(TABLE_FORMAT_KEY.length);
  else if (isJSONFormat(format)) text = JSON_FORMAT;
  return text.replace(/^ +| +$/g, '').replace(/\\t|\\n/g, (e) => (e === '\\t' ? '\t' : '\n'));
}

function wrap(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  return invalidArgument(`template parsing error: ${message}`, err);
}

/** Formats parsed so far: a stream (events, stats) renders one format many times. */
const parsed = new Map<string, Template>();

/** Parses a --format value; errors read `template parsing error: template: :1: …` as docker's. */
export function parseFormat(format: string): Template {
  let template = parsed.get(format);
  if (template) return template;
  try {
    template = parseTemplate(templateText(format));
  } catch (err) {
    throw wrap(err);
  }
  parsed.set(format, template);
  return template;
}

/**
 * Renders objects with a --format value, as docker/cli's Context.Write: each object through the
 * template and a newline; for `table` formats, first a header row made by running the template
 * on `header` (field name → column title) with the header functions, then aligned columns.
 */
export function renderFormat(
  format: string,
  rows: Iterable<unknown>,
  header: Record<string, string> = {},
): string {
  const table = isTableFormat(format);
  const list = [...rows];
  const fields = loneFields(format);
  if (fields) {
    // a table of lone fields, one a cell: its columns go to the tabwriter as they are, not
    // joined into text for it to split again
    if (table && fields.cells) {
      const columns = fieldValues(fields.names, [header, ...list]);
      if (columns) return tabwriteColumns(columns);
    }
    const body = renderFields(fields, list);
    const head = table ? renderFields(fields, [header]) : '';
    // the header's own newline is the one renderFields puts after each row
    if (body !== undefined && head !== undefined) return table ? tabwrite(head + body) : body;
  }
  const template = parseFormat(format);
  let body = '';
  for (const row of list) {
    const { output, error } = executePartial(template, row);
    if (error) throw wrap(error);
    body += output + '\n';
  }
  if (!table) return body;
  // Like docker, a header that fails part-way keeps what it wrote (`{{.Label "x"}}` has no title).
  const head = executePartial(template, header, HEADER_FUNCS).output;
  return tabwrite(head + '\n' + body);
}

/** Text and lone `{{.Field}}` actions: the texts (one more than the names) and the field names. */
interface LoneFields {
  texts: string[];
  names: string[];
  /** Only tabs between the fields, nothing before or after: each field is one cell of a line. */
  cells: boolean;
}

const loneFieldFormats = new Map<string, LoneFields | null>();

/**
 * A format that is only text and `{{.Field}}` actions (every default table, most --format
 * values) as its parts, without parsing it as a template; undefined for anything else.
 */
function loneFields(format: string): LoneFields | undefined {
  let found = loneFieldFormats.get(format);
  if (found === undefined) {
    const parts = templateText(format).split(/\{\{\.([A-Za-z_][A-Za-z0-9_]*)\}\}/);
    const texts = parts.filter((_, i) => i % 2 === 0);
    found = texts.some((t) => t.includes('{{'))
      ? null
      : {
          texts,
          names: parts.filter((_, i) => i % 2 === 1),
          cells:
            texts.length > 1 &&
            texts[0] === '' &&
            texts[texts.length - 1] === '' &&
            texts.slice(1, -1).every((t) => t === '\t'),
        };
    loneFieldFormats.set(format, found);
  }
  return found ?? undefined;
}

/**
 * The rows through a lone-fields format, each followed by a newline, as the template would print
 * them, when every field of every row is a string as the template's `{{.Field}}` reads it
 * (plainField); undefined when one is not (the template decides then).
 */
function renderFields({ texts, names }: LoneFields, rows: readonly unknown[]): string | undefined {
  const columns = fieldValues(names, rows, false);
  if (!columns) return undefined;
  const lines = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    let line = texts[0];
    for (let i = 0; i < names.length; i++) line += columns[i][r] + texts[i + 1];
    lines[r] = line;
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/**
 * What `{{.Name}}` prints for each of `names` (a column each) on each row, when every one is a
 * string as the template reads it (plainField); undefined when one is not, or (for `cells`) when
 * one holds a tab or newline, which would split it into more cells or lines.
 */
function fieldValues(
  names: readonly string[],
  rows: readonly unknown[],
  cells = true,
): string[][] | undefined {
  const columns = names.map(() => new Array<string>(rows.length));
  let proto: unknown = NO_PROTO;
  let getters: (Getter | undefined)[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    // rows of one class read their fields through its getters, found once, not by name per cell
    const p = typeof row === 'object' && row !== null ? Object.getPrototypeOf(row) : NO_PROTO;
    if (p !== proto) {
      proto = p;
      getters = kindOf(row) === 'struct' ? names.map((n) => getterOf(p as object, n)) : [];
    }
    for (let i = 0; i < names.length; i++) {
      const get = getters[i];
      const value =
        get && !Object.hasOwn(row as object, names[i]) ? get.call(row) : plainField(row, names[i]);
      if (typeof value !== 'string') return undefined;
      if (cells && (value.includes('\t') || value.includes('\n'))) return undefined;
      columns[i][r] = value;
    }
  }
  return columns;
}

type Getter = (this: unknown) => unknown;
const NO_PROTO = Symbol('not an object');

/** The getter `name` resolves to on `proto`'s chain (what `row[name]` runs), if it is one. */
function getterOf(proto: object | null, name: string): Getter | undefined {
  if (name === 'constructor') return undefined;
  for (let p = proto; p; p = Object.getPrototypeOf(p)) {
    const desc = Object.getOwnPropertyDescriptor(p, name);
    if (desc) return desc.get;
  }
  return undefined;
}
