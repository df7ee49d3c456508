// Go's text/template, as the docker CLI uses it for --format: parse once, execute per object.
//
//   const t = parseTemplate('{{.Repository}}:{{.Tag}}');   // throws invalidArgument on bad syntax
//   executeTemplate(t, { Repository: 'busybox', Tag: 'latest' })  // 'busybox:latest'
//
// Data is plain JavaScript: JSON objects behave as Go maps, class instances as Go structs (getters
// and methods are fields; methods may take arguments: `{{.Label "com.example"}}`), see govalue.ts.

import { invalidArgument } from '../../common/errors.ts';
import { ExecError, execute, type FuncMap } from './template/exec.ts';
import { DOCKER_FUNCS } from './template/funcs.ts';
import { parse, type Tree } from './template/parse.ts';

export type { FuncMap, TemplateFunc } from './template/exec.ts';
export { FuncError, plainField } from './template/exec.ts';
export { BUILTINS, DOCKER_FUNCS, HEADER_FUNCS } from './template/funcs.ts';

export interface Template {
  readonly source: string;
  readonly tree: Tree;
}

/** Parses a Go template with the docker CLI's functions (or `funcs`, which names must cover). */
export function parseTemplate(source: string, funcs: FuncMap = DOCKER_FUNCS): Template {
  return { source, tree: parse(source, new Set(Object.keys(funcs))) };
}

/** Executes a parsed template on `data`; errors are invalidArgument with Go's message. */
export function executeTemplate(template: Template, data: unknown, funcs: FuncMap = DOCKER_FUNCS): string {
  const { output, error } = executePartial(template, data, funcs);
  if (error) throw error;
  return output;
}

/** Executes and returns what was written before an error too, as Go's Execute leaves it. */
export function executePartial(
  template: Template,
  data: unknown,
  funcs: FuncMap = DOCKER_FUNCS,
): { output: string; error?: Error } {
  try {
    return { output: execute(template.tree, data, funcs) };
  } catch (err) {
    if (err instanceof ExecError)
      return { output: err.partial, error: invalidArgument(err.message, err.cause) };
    throw err;
  }
}

/** Parse and execute in one step. */
export function renderTemplate(source: string, data: unknown): string {
  return executeTemplate(parseTemplate(source), data);
}
