// What a container's inspect and list answers look like to a client of an older API version, as
// dockerd adapts them to the version in the request's path (the docker CLI negotiates down to the
// daemon's; SDKs often pin one):
// - before 1.44, an endpoint has no `DNSNames` (the field came with 1.44; the schemas of 1.43 and
//   earlier, and dockerd 20.10, have no such key);
// - before 1.45, an endpoint on a user-defined network lists the container's short ID and its
//   hostname among its `Aliases` (dockerd stopped adding them in 1.45, when DNSNames took over).
// The answers are built for the newest version; these take away or add what differs.

import { PREDEFINED } from '../../spec/docker/network.ts';
import { compareVersions } from './router.ts';

type Endpoint = Record<string, unknown> & { Aliases?: string[] | null };

/** GET /containers/{id}/json's body for `version`: a copy where it differs, never the record's objects. */
export function inspectForVersion(body: Record<string, unknown>, version: string): Record<string, unknown> {
  const dnsNames = compareVersions(version, '1.44') >= 0;
  const exactAliases = compareVersions(version, '1.45') >= 0;
  if (dnsNames && exactAliases) return body;
  const settings = body.NetworkSettings as { Networks?: Record<string, Endpoint> } | undefined;
  if (!settings?.Networks) return body;
  const id = String(body.Id ?? '').slice(0, 12);
  const hostname = (body.Config as { Hostname?: string } | undefined)?.Hostname ?? '';
  const networks: Record<string, Endpoint> = {};
  for (const [name, endpoint] of Object.entries(settings.Networks)) {
    const e: Endpoint = { ...endpoint };
    if (!dnsNames) delete e.DNSNames;
    if (!exactAliases && !PREDEFINED.has(name))
      e.Aliases = [...new Set([...(e.Aliases ?? []), id, hostname])].filter(Boolean);
    networks[name] = e;
  }
  return { ...body, NetworkSettings: { ...settings, Networks: networks } };
}

const LIST_DNS_NAMES = ',"DNSNames":null';

/**
 * GET /containers/json's body (JSON text, as encoded for the newest version) for `version`. The
 * list's endpoints carry `"DNSNames":null` as dockerd's do (it lists no names there); before 1.44
 * the key goes. That text can only be that key: inside a JSON string its quotes are escaped.
 */
export function listForVersion(body: Buffer, version: string): Buffer {
  if (compareVersions(version, '1.44') >= 0) return body;
  const text = body.toString();
  return text.includes(LIST_DNS_NAMES) ? Buffer.from(text.replaceAll(LIST_DNS_NAMES, '')) : body;
}
