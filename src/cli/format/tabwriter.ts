// Docker's tabwriter (a fork of Go's text/tabwriter using display widths): tab-terminated cells
// in consecutive lines form a column, padded to the widest cell plus `padding`, at least
// `minwidth`. The text after a line's last tab is not part of a column and is not padded.
// Docker's tables use minwidth 10, tabwidth 1, padding 3, padchar ' ', no flags.

import { stringWidth } from './width.ts';

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
  padchar: string;
  alignRight?: boolean;
}

export const DOCKER_TABLE: TabwriterOptions = { minwidth: 10, padding: 3, padchar: ' ' };

/** Aligns tab-separated text into columns, as `tabwriter.Writer` followed by Flush. */
export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABLE): string {
  const lines = text.split('\n').map((line) => line.split('\t'));
  // display widths of the cells, measured once; a line's last cell is never part of a column
  const cellWidths = lines.map((cells) => {
    const w = new Array<number>(cells.length - 1);
    for (let j = 0; j < w.length; j++) w[j] = stringWidth(cells[j]);
    return w;
  });
  const pads: string[] = [];
  const padding = (n: number) => (pads[n] ??= opts.padchar.repeat(n));
  const out: string[] = [];
  const widths: number[] = [];

  // a line written has a width for each of its cells but the last (format() writes a line once
  // the columns it has cells in are all sized)
  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const cells = lines[i];
      const w = cellWidths[i];
      let line = '';
      for (let j = 0; j < w.length; j++) {
        const pad = padding(Math.max(0, widths[j] - w[j]));
        line += opts.alignRight ? pad + cells[j] : cells[j] + pad;
      }
      out.push(line + cells[cells.length - 1]);
    }
  };

  // Go's format(): find blocks of consecutive lines that have a cell in this column, size the
  // column by its block, then recurse into the columns to its right within the block.
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (column >= lines[i].length - 1) continue;
      writeLines(start, i);
      start = i;
      let width = opts.minwidth;
      for (; i < line1 && column < lines[i].length - 1; i++) {
        width = Math.max(width, cellWidths[i][column] + opts.padding);
      }
      widths.push(width);
      format(start, i);
      widths.pop();
      start = i;
      i--;
    }
    writeLines(start, line1);
  };

  const uniform = uniformWidths(lines, cellWidths, opts);
  if (uniform) {
    widths.push(...uniform);
    writeLines(0, lines.length);
  } else format(0, lines.length);
  return out.join('\n');
}

/**
 * A table (every line with the same cells, the last maybe empty) has one block per column, all
 * its lines: each column is as wide as its widest cell, as format() would find. Undefined for
 * ragged text, which format() handles.
 */
function uniformWidths(
  lines: readonly string[][],
  cellWidths: readonly number[][],
  opts: TabwriterOptions,
): number[] | undefined {
  const n = lines[0].length;
  if (n < 2) return undefined;
  const last = lines.length - 1;
  for (let i = 1; i < lines.length; i++)
    if (lines[i].length !== n && !(i === last && lines[i].length === 1 && lines[i][0] === ''))
      return undefined;
  const widths = new Array<number>(n - 1).fill(opts.minwidth);
  for (const w of cellWidths)
    for (let j = 0; j < w.length; j++) if (w[j] + opts.padding > widths[j]) widths[j] = w[j] + opts.padding;
  return widths;
}

/**
 * tabwrite of a table given by its columns: `columns[j][i]` is line i's cell j (no cell holds a
 * tab or newline) and each line ends with a newline, so `tabwriteColumns([['a'], ['b']])` is
 * `tabwrite('a\tb\n')`. Every line has every cell: each column is as wide as its widest cell plus
 * the padding, at least minwidth, as tabwrite finds for such a table.
 */
export function tabwriteColumns(columns: readonly string[][], opts: TabwriterOptions = DOCKER_TABLE): string {
  const last = columns.length - 1;
  const rows = columns[0].length;
  const cellWidths: Uint32Array[] = [];
  const widths: number[] = [];
  for (let j = 0; j < last; j++) {
    const column = columns[j];
    const w = new Uint32Array(rows);
    let width = opts.minwidth;
    for (let i = 0; i < rows; i++) {
      w[i] = stringWidth(column[i]);
      if (w[i] + opts.padding > width) width = w[i] + opts.padding;
    }
    cellWidths.push(w);
    widths.push(width);
  }
  const pads: string[] = [];
  const out = new Array<string>(rows + 1);
  for (let i = 0; i < rows; i++) {
    let line = '';
    for (let j = 0; j < last; j++) {
      const n = widths[j] - cellWidths[j][i];
      pads[n] ??= opts.padchar.repeat(n);
      const pad = pads[n];
      line += opts.alignRight ? pad + columns[j][i] : columns[j][i] + pad;
    }
    out[i] = line + columns[last][i];
  }
  out[rows] = '';
  return out.join('\n');
}
