// The executor of Go's text/template over JavaScript data (see ../govalue.ts for how values
// map to Go's): fields, methods with arguments, variables, pipelines, if/with/range with else,
// break and continue, and Go's printing of what an action yields.

import { formatV, isTrue, kindOf, mapEntries, typeName } from '../govalue.ts';
import type { Arg, Command, ControlNode, Node, Pipe, Tree } from './parse.ts';

/** A parameter's Go type: how an argument is checked and converted before the call. */
export type Param = 'any' | 'string' | 'int' | 'strings';

export interface TemplateFunc {
  params: Param[];
  /** Type of the remaining arguments, for variadic functions. */
  variadic?: Param;
  fn: (...args: never[]) => unknown;
}

export type FuncMap = Readonly<Record<string, TemplateFunc>>;

/** An execution error, positioned like Go's: `template: :1:2: executing "" at <.X>: …`. */
export class ExecError extends Error {
  /** What the template had written before it failed (Go writes it; Docker's headers keep it). */
  partial = '';
}

/** Thrown by template functions for `error calling NAME: message`. */
export class FuncError extends Error {}

/** What plainField returns when `{{.Name}}` is more than a read: the general path decides. */
export const NOT_PLAIN = Symbol('not a plain field');

/**
 * What `{{.Name}}` reads from `dot` as evalField would, when that is a plain read: an object's
 * own key (a Go map: a missing key is no value) or a struct's member that is not a method.
 * NOT_PLAIN for anything else (a Map, a method, a missing struct field, not a map or struct).
 */
export function plainField(dot: unknown, name: string): unknown {
  const kind = kindOf(dot);
  let value: unknown;
  if (kind === 'map' && !(dot instanceof Map))
    value = Object.hasOwn(dot as object, name) ? (dot as Record<string, unknown>)[name] : undefined;
  else if (kind === 'struct' && name !== 'constructor' && name in (dot as object))
    value = (dot as Record<string, unknown>)[name];
  else return NOT_PLAIN;
  return typeof value === 'function' ? NOT_PLAIN : value;
}

const NONE = Symbol('no final value');
type Final = unknown;

class Break {}
class Continue {}

interface Variable {
  name: string;
  value: unknown;
}

export function execute(tree: Tree, data: unknown, funcs: FuncMap): string {
  const state = new State(tree, funcs, data);
  try {
    state.walkList(data, tree.root);
  } catch (err) {
    if (err instanceof ExecError) err.partial = state.out;
    throw err;
  }
  return state.out;
}

class State {
  out = '';
  private readonly tree: Tree;
  private readonly funcs: FuncMap;
  private readonly vars: Variable[];
  private node: { pos: number; text: string } = { pos: 0, text: '' };

  constructor(tree: Tree, funcs: FuncMap, data: unknown) {
    this.tree = tree;
    this.funcs = funcs;
    this.vars = [{ name: '$', value: data }];
  }

  private at(node: { pos: number; text: string }): void {
    this.node = node;
  }

  private error(message: string, cause?: unknown): never {
    const before = this.tree.text.slice(0, this.node.pos);
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const lineStart = before.lastIndexOf('\n') + 1;
    const col = new TextEncoder().encode(before.slice(lineStart)).length;
    throw new ExecError(`template: :${line}:${col}: executing "" at <${this.node.text}>: ${message}`, {
      cause,
    });
  }

  walkList(dot: unknown, list: Node[]): void {
    for (const node of list) this.walk(dot, node);
  }

  private walk(dot: unknown, node: Node): void {
    switch (node.type) {
      case 'text':
        this.out += node.text;
        return;
      case 'action': {
        if (this.printLoneField(dot, node.pipe)) return;
        const value = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.print(value);
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const value = this.evalPipeline(dot, node.pipe);
        if (isTrue(value)) this.walkList(node.type === 'with' ? value : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  /**
   * `{{.Name}}` on a struct or a map, the bulk of list templates, printed without going through
   * the pipeline; false for anything else (methods, errors), which the general path evaluates.
   */
  private printLoneField(dot: unknown, pipe: Pipe): boolean {
    if (pipe.decl.length !== 0 || pipe.cmds.length !== 1) return false;
    const args = pipe.cmds[0].args;
    if (args.length !== 1 || args[0].type !== 'field' || args[0].idents.length !== 1) return false;
    const value = plainField(dot, args[0].idents[0]);
    if (value === NOT_PLAIN) return false;
    this.at(args[0]);
    if (typeof value === 'string') this.out += value;
    else this.print(value);
    return true;
  }

  private walkRange(dot: unknown, node: ControlNode): void {
    const mark = this.vars.length;
    this.at(node.pipe);
    const value = this.evalPipeline(dot, node.pipe);
    const items: [unknown, unknown][] = [];
    switch (kindOf(value)) {
      case 'slice':
        for (const [i, e] of (value as unknown[]).entries()) items.push([i, e]);
        break;
      case 'map':
        for (const [k, v] of mapEntries(value)) items.push([k, v]);
        break;
      case 'int':
        if (Number(value) < 0) break;
        for (let i = 0; i < Number(value); i++) items.push([i, i]);
        break;
      case 'invalid':
      case 'nil':
        break;
      default:
        this.at(node.pipe);
        this.error(`range can't iterate over ${formatV(value)}`);
    }
    const decl = node.pipe.decl;
    for (const [key, elem] of items) {
      const inner = this.vars.length;
      if (decl.length > 0) this.setTop(1, elem, node.pipe, decl[decl.length - 1]);
      if (decl.length > 1) this.setTop(2, key, node.pipe, decl[0]);
      try {
        this.walkList(elem, node.list);
      } catch (err) {
        if (err instanceof Break) {
          this.vars.length = inner;
          break;
        }
        if (!(err instanceof Continue)) throw err;
      }
      this.vars.length = inner;
    }
    if (items.length === 0 && node.elseList) this.walkList(dot, node.elseList);
    this.vars.length = mark;
  }

  /** Sets the n-th variable from the top (range's element and index), or assigns with `=`. */
  private setTop(n: number, value: unknown, pipe: Pipe, name: string): void {
    if (pipe.isAssign) this.setVar(name, value);
    else this.vars[this.vars.length - n].value = value;
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.error(`undefined variable: ${name}`);
  }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return this.error(`undefined variable: ${name}`);
  }

  private print(value: unknown): void {
    if (typeof value === 'function') this.error(`can't print ${this.node.text} of type func()`);
    this.out += formatV(value, 0);
  }

  evalPipeline(dot: unknown, pipe: Pipe): unknown {
    let value: unknown = NONE;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain': {
        const receiver = this.evalArgAny(dot, first.node);
        return this.evalFieldChain(dot, receiver, first, first.fields, cmd.args, final);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd, final);
      case 'variable': {
        this.at(first);
        const value = this.varValue(first.idents[0]);
        if (first.idents.length === 1) {
          this.notAFunction(cmd.args, final);
          return value;
        }
        return this.evalFieldChain(dot, value, first, first.idents.slice(1), cmd.args, final);
      }
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first.pipe);
      case 'dot':
        this.notAFunction(cmd.args, final);
        return dot;
      case 'constant':
        this.at(first);
        this.notAFunction(cmd.args, final);
        return first.value;
    }
  }

  private notAFunction(args: Arg[], final: Final): void {
    if (args.length > 1 || final !== NONE) {
      this.at(args[0]);
      this.error(`can't give argument to non-function ${args[0].text}`);
    }
  }

  private evalFieldChain(
    dot: unknown,
    receiver: unknown,
    node: Arg,
    idents: string[],
    args: Arg[],
    final: Final,
  ): unknown {
    let value = receiver;
    for (let i = 0; i < idents.length - 1; i++) value = this.evalField(dot, idents[i], node, [], NONE, value);
    return this.evalField(dot, idents[idents.length - 1], node, args, final, value);
  }

  private evalField(
    dot: unknown,
    name: string,
    node: Arg,
    args: Arg[],
    final: Final,
    receiver: unknown,
  ): unknown {
    this.at(node);
    const hasArgs = args.length > 1 || final !== NONE;
    switch (kindOf(receiver)) {
      case 'invalid':
        return undefined;
      case 'nil':
        return this.error(`nil pointer evaluating interface {}.${name}`);
      case 'map': {
        if (hasArgs) this.error(`${name} is not a method but has arguments`);
        if (receiver instanceof Map) return receiver.get(name);
        return Object.hasOwn(receiver as object, name)
          ? (receiver as Record<string, unknown>)[name]
          : undefined;
      }
      case 'struct': {
        if (name === 'constructor' || !(name in (receiver as object))) break;
        const value = (receiver as Record<string, unknown>)[name];
        if (typeof value === 'function') {
          return this.evalCall(dot, value as TemplateFunc['fn'], receiver, name, node, args, final);
        }
        if (hasArgs) this.error(`${name} has arguments but cannot be invoked as function`);
        return value;
      }
    }
    return this.error(`can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  /** Calls a struct's method: its arguments are untyped, their count must match. */
  private evalCall(
    dot: unknown,
    fn: TemplateFunc['fn'],
    self: unknown,
    name: string,
    node: Arg,
    args: Arg[],
    final: Final,
  ): unknown {
    const values = args.slice(1).map((a) => this.evalArgAny(dot, a));
    if (final !== NONE) values.push(final);
    this.at(node);
    if (values.length !== fn.length) {
      this.error(`wrong number of args for ${name}: want ${fn.length} got ${values.length}`);
    }
    try {
      return (fn as (...a: unknown[]) => unknown).apply(self, values);
    } catch (err) {
      this.at(node);
      return this.error(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  private evalFunction(
    dot: unknown,
    node: Extract<Arg, { type: 'identifier' }>,
    cmd: Command,
    final: Final,
  ): unknown {
    const name = node.name;
    if (name === 'and' || name === 'or') return this.evalAndOr(dot, node, cmd, final);
    const f = this.funcs[name];
    this.at(node);
    if (!f) this.error(`"${name}" is not a defined function`);
    const argNodes = cmd.args.slice(1);
    const count = argNodes.length + (final !== NONE ? 1 : 0);
    const fixed = f.params.length;
    if (f.variadic ? count < fixed : count !== fixed) {
      this.error(
        `wrong number of args for ${name}: want ${f.variadic ? 'at least ' : ''}${fixed} got ${count}`,
      );
    }
    const values: unknown[] = [];
    argNodes.forEach((a, i) => {
      values.push(this.evalArg(dot, a, f.params[i] ?? f.variadic!));
    });
    if (final !== NONE) values.push(this.convert(final, f.params[count - 1] ?? f.variadic!));
    this.at(node);
    try {
      return (f.fn as (...a: unknown[]) => unknown)(...values);
    } catch (err) {
      this.at(node);
      return this.error(`error calling ${name}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  /** and/or evaluate their arguments one by one and stop at the first that decides. */
  private evalAndOr(dot: unknown, node: Arg, cmd: Command, final: Final): unknown {
    const name = node.text;
    const argNodes = cmd.args.slice(1);
    const count = argNodes.length + (final !== NONE ? 1 : 0);
    this.at(node);
    if (count < 1) this.error(`wrong number of args for ${name}: want at least 1 got 0`);
    let value: unknown;
    for (const a of argNodes) {
      value = this.evalArgAny(dot, a);
      if (isTrue(value) === (name === 'or')) return value;
    }
    if (final !== NONE) value = final;
    return value;
  }

  private evalArgAny(dot: unknown, arg: Arg): unknown {
    return this.evalArg(dot, arg, 'any');
  }

  private evalArg(dot: unknown, arg: Arg, param: Param): unknown {
    this.at(arg);
    let value: unknown;
    switch (arg.type) {
      case 'constant':
        return this.convertConstant(arg.value, arg.text, param);
      case 'dot':
        value = dot;
        break;
      case 'field':
        value = this.evalFieldChain(dot, dot, arg, arg.idents, [arg], NONE);
        break;
      case 'variable': {
        value = this.varValue(arg.idents[0]);
        if (arg.idents.length > 1)
          value = this.evalFieldChain(dot, value, arg, arg.idents.slice(1), [arg], NONE);
        break;
      }
      case 'pipe':
        value = this.evalPipeline(dot, arg.pipe);
        break;
      case 'chain': {
        const receiver = this.evalArgAny(dot, arg.node);
        value = this.evalFieldChain(dot, receiver, arg, arg.fields, [arg], NONE);
        break;
      }
      case 'identifier':
        value = this.evalFunction(dot, arg, { pos: arg.pos, text: arg.text, args: [arg] }, NONE);
        break;
    }
    this.at(arg);
    return this.convert(value, param);
  }

  private convertConstant(value: unknown, text: string, param: Param): unknown {
    switch (param) {
      case 'string':
        if (typeof value !== 'string') this.error(`expected string; found ${text}`);
        return value;
      case 'int':
        if (typeof value !== 'number' || !Number.isInteger(value))
          this.error(`expected integer; found ${text}`);
        return value;
      case 'strings':
        if (value === null) return [];
        return this.error(`expected []string; found ${text}`);
      default:
        return value;
    }
  }

  /** Go's validateType: the value must be assignable to the parameter. */
  private convert(value: unknown, param: Param): unknown {
    const kind = kindOf(value);
    switch (param) {
      case 'any':
        return value === undefined ? null : value;
      case 'string':
        if (kind === 'string') return value;
        break;
      case 'int':
        if (kind === 'int') return Number(value);
        break;
      case 'strings':
        if (kind === 'invalid' || kind === 'nil') return [];
        if (kind === 'slice' && (value as unknown[]).every((x) => typeof x === 'string')) return value;
        break;
    }
    if (kind === 'invalid' || kind === 'nil') this.error(`invalid value; expected ${goParam(param)}`);
    return this.error(`wrong type for value; expected ${goParam(param)}; got ${typeName(value)}`);
  }
}

function goParam(param: Param): string {
  return param === 'strings' ? '[]string' : param === 'any' ? 'interface {}' : param;
}
