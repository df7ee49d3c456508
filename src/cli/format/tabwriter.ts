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

interface Cell {
  text: string;
  width: number;
}

/** Aligns tab-separated text into columns, as `tabwriter.Writer` followed by Flush. */
export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABLE): string {
  const rawLines = text.split('\n');
  const lines: Cell[][] = rawLines.map((line) =>
    line.split('\t').map((t) => ({ text: t, width: stringWidth(t) })),
  );
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      let s = '';
      lines[i].forEach((cell, j) => {
        const padding = j < widths.length ? opts.padchar.repeat(Math.max(0, widths[j] - cell.width)) : '';
        s += opts.alignRight ? padding + cell.text : cell.text + padding;
      });
      out.push(i + 1 === lines.length ? s : s + '\n');
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
        width = Math.max(width, lines[i][column].width + opts.padding);
      }
      widths.push(width);
      format(start, i);
      widths.pop();
      start = i;
      i--;
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out.join('');
}
