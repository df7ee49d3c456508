// `docker volume ls` output (docker/cli formatter/volume.go).

import { RAW_FORMAT_KEY, renderFormat, TABLE_FORMAT_KEY } from '../format.ts';
import { humanSize } from '../units.ts';
import { joinLabels, type ListOptions, Row } from './row.ts';

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint?: string;
  Scope?: string;
  Labels?: Record<string, string> | null;
  UsageData?: { RefCount: number; Size: number } | null;
}

export const DEFAULT_VOLUME_TABLE_FORMAT = 'table {{.Driver}}\t{{.Name}}';

export const VOLUME_HEADERS: Record<string, string> = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

/** NewVolumeFormat. */
export function volumeListFormat(source: string, quiet: boolean): string {
  if (source === TABLE_FORMAT_KEY || source === '') return quiet ? '{{.Name}}' : DEFAULT_VOLUME_TABLE_FORMAT;
  if (source === RAW_FORMAT_KEY)
    return quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\\ndriver: {{.Driver}}\\n';
  return source;
}

export class VolumeContext extends Row {
  static override goName = 'formatter.volumeContext';
  readonly #v: VolumeSummary;

  constructor(v: VolumeSummary) {
    super();
    this.#v = v;
  }

  get Name(): string {
    return this.#v.Name;
  }
  get Driver(): string {
    return this.#v.Driver;
  }
  get Scope(): string {
    return this.#v.Scope ?? '';
  }
  get Mountpoint(): string {
    return this.#v.Mountpoint ?? '';
  }
  get Labels(): string {
    return joinLabels(this.#v.Labels);
  }
  Label(name: string): string {
    return this.#v.Labels?.[name] ?? '';
  }
  get Links(): string {
    return this.#v.UsageData ? String(this.#v.UsageData.RefCount) : 'N/A';
  }
  get Size(): string {
    return this.#v.UsageData ? humanSize(this.#v.UsageData.Size) : 'N/A';
  }
  // Cluster volumes (swarm) do not exist in berth.
  get Group(): string {
    return 'N/A';
  }
  get Availability(): string {
    return 'N/A';
  }
  get Status(): string {
    return 'N/A';
  }
}

/** The whole output of `docker volume ls`. */
export function formatVolumeList(
  volumes: readonly VolumeSummary[],
  opts: Omit<ListOptions, 'clock'>,
): string {
  const format = volumeListFormat(opts.format ?? '', opts.quiet ?? false);
  return renderFormat(
    format,
    volumes.map((v) => new VolumeContext(v)),
    VOLUME_HEADERS,
  );
}
