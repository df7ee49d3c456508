// `docker network ls` output (docker/cli network/formatter.go).

import { DEFAULT_QUIET_FORMAT, RAW_FORMAT_KEY, renderFormat, TABLE_FORMAT_KEY } from '../format.ts';
import { goTimeFromRFC3339, truncateID } from '../units.ts';
import { joinLabels, type ListOptions, Row } from './row.ts';

export interface NetworkSummary {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  /** RFC 3339 with nanoseconds, as the API sends it. */
  Created?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

export const DEFAULT_NETWORK_TABLE_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

/** network.NewFormat. */
export function networkListFormat(source: string, quiet: boolean): string {
  if (source === TABLE_FORMAT_KEY || source === '')
    return quiet ? DEFAULT_QUIET_FORMAT : DEFAULT_NETWORK_TABLE_FORMAT;
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return 'network_id: {{.ID}}';
    return 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';
  }
  return source;
}

export class NetworkContext extends Row {
  static override goName = 'network.networkContext';
  readonly #n: NetworkSummary;
  readonly #trunc: boolean;

  constructor(n: NetworkSummary, trunc: boolean) {
    super();
    this.#n = n;
    this.#trunc = trunc;
  }

  get ID(): string {
    return this.#trunc ? truncateID(this.#n.Id) : this.#n.Id;
  }
  get Name(): string {
    return this.#n.Name;
  }
  get Driver(): string {
    return this.#n.Driver;
  }
  get Scope(): string {
    return this.#n.Scope;
  }
  get IPv4(): string {
    return String(this.#n.EnableIPv4 ?? false);
  }
  get IPv6(): string {
    return String(this.#n.EnableIPv6 ?? false);
  }
  get Internal(): string {
    return String(this.#n.Internal ?? false);
  }
  get Labels(): string {
    return joinLabels(this.#n.Labels);
  }
  Label(name: string): string {
    return this.#n.Labels?.[name] ?? '';
  }
  get CreatedAt(): string {
    return goTimeFromRFC3339(this.#n.Created ?? '0001-01-01T00:00:00Z');
  }
}

/** The whole output of `docker network ls`. */
export function formatNetworkList(
  networks: readonly NetworkSummary[],
  opts: Omit<ListOptions, 'clock'>,
): string {
  const format = networkListFormat(opts.format ?? '', opts.quiet ?? false);
  return renderFormat(
    format,
    networks.map((n) => new NetworkContext(n, !opts.noTrunc)),
    NETWORK_HEADERS,
  );
}
