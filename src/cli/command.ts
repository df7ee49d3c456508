// The berth CLI's command model (HABITS 1): each command lives in
// src/cli/commands/<object>/<verb>.ts and exports a CommandDef; aliases (`berth info` =
// `berth system info`) are declared beside it.

import type { ApiClient } from '../api/client/client.ts';

export type FlagType = 'bool' | 'string' | 'list' | 'int';

export interface FlagDef {
  name: string;
  short?: string;
  type: FlagType;
  description: string;
  default?: string | boolean | number;
}

export type Options = Record<string, string | boolean | number | string[] | undefined>;

export interface CommandContext {
  /** connected lazily: commands that need no daemon never start one */
  client(): Promise<ApiClient>;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  signal: AbortSignal;
}

export interface CommandDef {
  /** e.g. ['system', 'info'] */
  path: string[];
  aliases?: string[][];
  summary: string;
  /** e.g. 'berth system info [OPTIONS]' */
  usage: string;
  flags: FlagDef[];
  args?: { min: number; max?: number };
  run(ctx: CommandContext, opts: Options, args: string[]): Promise<number | undefined>;
}
