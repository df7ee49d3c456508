// --format for single objects (version, info, events): Go templates through src/cli/format,
// one rendering per object, newline-terminated as docker prints them.

import { renderFormat } from './format/format.ts';

export function formatWith(format: string, data: unknown): string {
  return renderFormat(format, [data]);
}
