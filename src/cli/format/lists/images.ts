// `docker images` / `docker image ls` output (docker/cli formatter/image.go): one row per
// repository and tag, `<none>` for dangling images, sizes in decimal units with 3 digits.

import {
  DEFAULT_QUIET_FORMAT,
  isTableFormat,
  RAW_FORMAT_KEY,
  renderFormat,
  TABLE_FORMAT_KEY,
} from '../format.ts';
import { splitReference } from '../reference.ts';
import { goTimeString, humanSince, humanSize, humanSizeWithPrecision, truncateID } from '../units.ts';
import { type Clock, type ListOptions, Row } from './row.ts';

/** The fields of an image in the API's GET /images/json answer that the list shows. */
export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  /** Seconds since the epoch. */
  Created: number;
  Size: number;
  SharedSize?: number;
  Containers?: number;
}

export const DEFAULT_IMAGE_TABLE_FORMAT =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST =
  'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

export interface ImageListOptions extends ListOptions {
  /** --digests. */
  digests?: boolean;
}

/** NewImageFormat: the format a flag combination stands for. */
export function imageListFormat(source: string, quiet: boolean, digests: boolean): string {
  if (source === TABLE_FORMAT_KEY || source === '') {
    if (quiet) return DEFAULT_QUIET_FORMAT;
    return digests ? DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST : DEFAULT_IMAGE_TABLE_FORMAT;
  }
  if (source === RAW_FORMAT_KEY) {
    if (quiet) return 'image_id: {{.ID}}';
    return `repository: {{ .Repository }}\ntag: {{.Tag}}\n${digests ? 'digest: {{.Digest}}\n' : ''}image_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n`;
  }
  if (isTableFormat(source) && digests && !source.includes('{{.Digest}}')) return source + '\t{{.Digest}}';
  return source;
}

export class ImageContext extends Row {
  static override goName = 'formatter.imageContext';
  readonly #image: ImageSummary;
  readonly #trunc: boolean;
  readonly #repo: string;
  readonly #tag: string;
  readonly #digest: string;
  readonly #clock: Clock;

  constructor(image: ImageSummary, repo: string, tag: string, digest: string, trunc: boolean, clock: Clock) {
    super();
    this.#image = image;
    this.#repo = repo;
    this.#tag = tag;
    this.#digest = digest;
    this.#trunc = trunc;
    this.#clock = clock;
  }

  get ID(): string {
    return this.#trunc ? truncateID(this.#image.Id) : this.#image.Id;
  }
  get Repository(): string {
    return this.#repo;
  }
  get Tag(): string {
    return this.#tag;
  }
  get Digest(): string {
    return this.#digest;
  }
  get CreatedSince(): string {
    return humanSince(this.#image.Created * 1000, this.#clock.now);
  }
  get CreatedAt(): string {
    return goTimeString(this.#image.Created * 1000, this.#clock.offsetMinutes, this.#clock.zone);
  }
  get Size(): string {
    return humanSizeWithPrecision(this.#image.Size, 3);
  }
  get Containers(): string {
    const n = this.#image.Containers ?? -1;
    return n === -1 ? 'N/A' : String(n);
  }
  get VirtualSize(): string {
    return humanSize(this.#image.Size);
  }
  get SharedSize(): string {
    const shared = this.#image.SharedSize ?? -1;
    return shared === -1 ? 'N/A' : humanSize(shared);
  }
  get UniqueSize(): string {
    const shared = this.#image.SharedSize ?? -1;
    if (this.#image.Size === -1 || shared === -1) return 'N/A';
    return humanSize(this.#image.Size - shared);
  }
}

function isDangling(image: ImageSummary): boolean {
  const tags = image.RepoTags ?? [];
  const digests = image.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return (
    tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>'
  );
}

/** The rows of one image: one per repository and tag (and digest, when digests are shown). */
export function imageRows(
  images: readonly ImageSummary[],
  opts: { trunc: boolean; digests: boolean; showDigestColumn: boolean; clock: Clock },
): ImageContext[] {
  const rows: ImageContext[] = [];
  for (const image of images) {
    const add = (repo: string, tag: string, digest: string) =>
      rows.push(new ImageContext(image, repo, tag, digest, opts.trunc, opts.clock));
    if (isDangling(image)) {
      add('<none>', '<none>', '<none>');
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const ref of image.RepoTags ?? []) {
      const r = splitReference(ref);
      if (r?.tag !== undefined && r.digest === undefined)
        repoTags.set(r.name, [...(repoTags.get(r.name) ?? []), r.tag]);
    }
    for (const ref of image.RepoDigests ?? []) {
      const r = splitReference(ref);
      if (r?.digest !== undefined) repoDigests.set(r.name, [...(repoDigests.get(r.name) ?? []), r.digest]);
    }
    for (const [repo, tags] of repoTags) {
      const digests = opts.showDigestColumn ? (repoDigests.get(repo) ?? []) : [];
      repoDigests.delete(repo);
      for (const tag of tags) {
        if (digests.length === 0) add(repo, tag, '<none>');
        for (const digest of digests) add(repo, tag, digest);
      }
    }
    for (const [repo, digests] of repoDigests) {
      if (opts.digests) for (const digest of digests) add(repo, '<none>', digest);
      else add(repo, '<none>', '');
    }
  }
  return rows;
}

/** The whole output of `docker images` for these images and flags. */
export function formatImageList(images: readonly ImageSummary[], opts: ImageListOptions): string {
  const digests = opts.digests ?? false;
  const format = imageListFormat(opts.format ?? '', opts.quiet ?? false, digests);
  const rows = imageRows(images, {
    trunc: !opts.noTrunc,
    digests,
    showDigestColumn: digests || format.includes('{{.Digest}}'),
    clock: opts.clock,
  });
  return renderFormat(format, rows, IMAGE_HEADERS);
}
