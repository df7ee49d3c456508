// Docker image references, parsed and normalised as distribution/reference does
// (ParseNormalizedNamed, FamiliarName, FamiliarString, TagNameOnly, FamiliarMatch). Pure.
//
//   reference := name [ ":" tag ] [ "@" digest ]
//   name      := [domain "/"] path-component ["/" path-component]*
//   domain    := host [":" port]     (host: domain name, or [IPv6])
//   tag       := [\w][\w.-]{0,127}
//
// A first component is a domain when it contains "." or ":", is "localhost", or has uppercase
// letters; otherwise the domain is docker.io, and one-component names live under library/.

import { invalidArgument } from '../common/errors.ts';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const namePat = `(?:${domainAndPort}/)?${pathComponent}(?:/${pathComponent})*`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_NAME = new RegExp(`^(?:(${domainAndPort})/)?(${pathComponent}(?:/${pathComponent})*)$`);
const ANCHORED_TAG = new RegExp(`^${tagPat}$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;
const DIGEST_HEX_LEN: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** A normalised reference: `domain/path[:tag][@digest]`. */
export interface Reference {
  readonly domain: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

const invalid = (detail?: string) =>
  invalidArgument(detail ? `invalid reference format: ${detail}` : 'invalid reference format');

function validateDigest(d: string): void {
  const i = d.indexOf(':');
  const alg = d.slice(0, i);
  const hex = d.slice(i + 1);
  const len = DIGEST_HEX_LEN[alg];
  if (len === undefined) throw invalidArgument(`invalid reference format: unsupported digest algorithm`);
  if (hex.length !== len) throw invalidArgument('invalid checksum digest length');
  if (!/^[a-f0-9]+$/.test(hex)) throw invalidArgument('invalid checksum digest format');
}

/** distribution/reference.Parse: a reference as written, without normalisation. */
function parseRaw(s: string): Reference {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') throw invalid('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw invalid('repository name must be lowercase');
    throw invalid();
  }
  if (m[1].length > NAME_TOTAL_LENGTH_MAX)
    throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  const nm = ANCHORED_NAME.exec(m[1])!;
  if (m[3]) validateDigest(m[3]);
  return { domain: nm[1] ?? '', path: nm[2], tag: m[2] || undefined, digest: m[3] || undefined };
}

function splitDockerDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let rest: string;
  const first = name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    rest = name;
  } else {
    domain = first;
    rest = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = OFFICIAL_PREFIX + rest;
  return [domain, rest];
}

/**
 * ParseNormalizedNamed: `busybox` → docker.io/library/busybox; keeps the tag and digest as given
 * (no :latest added; see withDefaultTag). Throws InvalidArgument with Docker's messages.
 */
export function parseReference(s: string): Reference {
  if (ANCHORED_ID.test(s))
    throw invalidArgument(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const [domain, rest] = splitDockerDomain(s);
  const tagSep = rest.indexOf(':');
  const remoteName = tagSep > -1 ? rest.slice(0, tagSep) : rest;
  if (remoteName.toLowerCase() !== remoteName)
    throw invalid(`repository name (${remoteName}) must be lowercase`);
  return parseRaw(`${domain}/${rest}`);
}

/** Like parseReference, and a reference with neither tag nor digest gets `:latest`. */
export function parseNormalizedTagged(s: string): Reference {
  return withDefaultTag(parseReference(s));
}

/** reference.TagNameOnly: adds :latest when there is neither tag nor digest. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: 'latest' } : ref;
}

/** The repository name: `docker.io/library/busybox`. */
export function repoName(ref: Reference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** The full normalised string: `docker.io/library/busybox:latest`. */
export function formatReference(ref: Reference): string {
  return repoName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}

/** The short form users see: `busybox`, `user/repo`, `host:5000/a/b`. */
export function familiarName(ref: Reference): string {
  if (ref.domain === DEFAULT_DOMAIN) {
    const rest = ref.path.slice(OFFICIAL_PREFIX.length);
    if (ref.path.startsWith(OFFICIAL_PREFIX) && !rest.includes('/')) return rest;
    return ref.path;
  }
  return repoName(ref);
}

/** `busybox:latest`, `host:5000/a@sha256:…` — what `docker images` and RepoTags show. */
export function familiarString(ref: Reference): string {
  return (
    familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '')
  );
}

/** Normalises a string reference to its full form, adding :latest: `busybox` → `docker.io/library/busybox:latest`. */
export function normalize(s: string): string {
  return formatReference(parseNormalizedTagged(s));
}

/** Whether `tag` is a valid tag as in `docker tag x repo:TAG`. */
export function isValidTag(tag: string): boolean {
  return ANCHORED_TAG.test(tag);
}

/** A string that is a 64-hex image ID (with or without `sha256:`). */
export function isFullId(s: string): boolean {
  return ANCHORED_ID.test(s.startsWith('sha256:') ? s.slice(7) : s);
}

/**
 * Go's path.Match: `*` any run of non-`/` characters, `?` one non-`/` character, `[…]` classes
 * (`^` or `!` negates), `\` escapes. Returns false for malformed patterns.
 */
export function pathMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      if (++i >= pattern.length) return false;
      re += escapeRe(pattern[i]);
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) return false;
      let body = pattern.slice(i + 1, end);
      let neg = '';
      if (body[0] === '^' || body[0] === '!') {
        neg = '^';
        body = body.slice(1);
      }
      re += `[${neg}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(`${re}$`).test(name);
  } catch {
    return false;
  }
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** reference.FamiliarMatch: the pattern against `busybox:latest`, then against `busybox`. */
export function familiarMatch(pattern: string, ref: Reference): boolean {
  return pathMatch(pattern, familiarString(ref)) || pathMatch(pattern, familiarName(ref));
}
