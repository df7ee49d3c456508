// Which queries a network's DNS server answers itself, and how — the decision, as data (HABITS 3).
// Follows Docker's embedded resolver (libnetwork resolver.go, sandbox ResolveName): a name is
// looked up as asked and with the network's own domain stripped (`web.mynet` is `web` on network
// `mynet`); what is not berth's goes upstream.

import {
  addressRecord,
  asciiLower,
  CLASS_IN,
  type Message,
  ptrAddress,
  ptrRecord,
  RCODE,
  type ResourceRecord,
  reply,
  TYPE,
} from './message.ts';

/**
 * The names of one network, as the engine knows them. `from` is the address the query came from,
 * so that `--link` aliases, which only the linking container sees, can be answered for it alone.
 */
export interface DnsRecords {
  /**
   * The addresses of a container name, network alias or link alias on this network; `name` is
   * lower-case ASCII without a trailing dot. Undefined when the name is not one of berth's. An
   * alias shared by several containers has all their addresses.
   */
  lookup(name: string, from: string): { v4: string[]; v6: string[] } | undefined;
  /** The name a reverse lookup of a container address gives (Docker: `<container>.<network>`). */
  reverse(ip: string, from: string): string | undefined;
}

/** The local names a query name may stand for: itself, then without each of `domains`. */
export function localNames(name: string, domains: readonly string[]): string[] {
  const lower = asciiLower(name).replace(/\.$/, '');
  if (lower === '') return [];
  const names = [lower];
  for (const domain of domains) {
    const suffix = `.${asciiLower(domain).replace(/^\.|\.$/g, '')}`;
    if (suffix !== '.' && lower.endsWith(suffix) && lower.length > suffix.length) {
      names.push(lower.slice(0, -suffix.length));
    }
  }
  return names;
}

function shuffled<T>(items: readonly T[]): T[] {
  // Docker shuffles the addresses of a shared alias so that clients spread over them
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * berth's own answer to a one-question query, or undefined when it is to be forwarded. Local
 * names get authoritative answers: their addresses for A, AAAA and ANY, and no records (NOERROR)
 * for any other type — an IPv4-only container has no AAAA, and its name must not leak upstream.
 */
export function answerLocally(
  query: Message,
  records: DnsRecords,
  domains: readonly string[],
  from: string,
): Message | undefined {
  const question = query.questions[0];
  if (!question || question.class !== CLASS_IN) return undefined;
  if (question.type === TYPE.PTR) {
    const ip = ptrAddress(question.name);
    const target = ip === undefined ? undefined : records.reverse(ip, from);
    if (target === undefined) return undefined;
    return reply(query, RCODE.NOERROR, [ptrRecord(question.name, target)], true);
  }
  let found: { v4: string[]; v6: string[] } | undefined;
  for (const name of localNames(question.name, domains)) {
    found = records.lookup(name, from);
    if (found) break;
  }
  if (!found) return undefined;
  const ips =
    question.type === TYPE.A
      ? found.v4
      : question.type === TYPE.AAAA
        ? found.v6
        : question.type === TYPE.ANY
          ? [...found.v4, ...found.v6]
          : [];
  const answers: ResourceRecord[] = shuffled(ips).map((ip) => addressRecord(question.name, ip));
  return reply(query, RCODE.NOERROR, answers, true);
}
