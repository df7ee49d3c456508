// Just enough of distribution/reference for display: split `name:tag@digest` and print names in
// their familiar form (`docker.io/library/busybox` → `busybox`). Not a validator.

export interface ParsedReference {
  name: string;
  tag?: string;
  digest?: string;
}

const VALID_NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

/** Splits a reference; undefined when it is not one (`<none>:<none>`, upper case, empty). */
export function splitReference(ref: string): ParsedReference | undefined {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
  }
  const slash = rest.indexOf('/');
  const domain = slash >= 0 ? rest.slice(0, slash) : '';
  const hasDomain = domain !== '' && (/[.:]/.test(domain) || domain === 'localhost');
  const path = hasDomain ? rest.slice(slash + 1) : rest;
  if (!VALID_NAME.test(path)) return undefined;
  return { name: familiarName(rest), tag, digest };
}

/** `repo[:tag]` → its parts, as the API takes them (`repo=`, `tag=`); no validation. */
export function splitTag(ref: string): { repo: string; tag?: string } {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/')
    ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { repo: ref };
}

/** `docker.io/library/x` → `x`, `docker.io/a/b` → `a/b`, others unchanged. */
export function familiarName(name: string): string {
  for (const prefix of ['docker.io/', 'index.docker.io/']) {
    if (name.startsWith(prefix)) {
      const path = name.slice(prefix.length);
      return path.startsWith('library/') && !path.slice(8).includes('/') ? path.slice(8) : path;
    }
  }
  return name;
}
