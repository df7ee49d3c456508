// The DNS servers of user-defined networks: one per network, on its IPv4 gateway address, port
// 53 (src/network/dns/). They answer the names of the containers running on the network and
// forward the rest to the host's nameservers. They live in berthd: while it is down, names of
// other containers do not resolve (the containers keep running and reach each other by address).

import { readFileSync } from 'node:fs';
import { readHostResolvers } from '../../network/dns/resolvconf.ts';
import { DnsServer } from '../../network/dns/server.ts';
import type { NetworkRecord } from '../../spec/docker/network.ts';
import type { Networks } from './networks.ts';

export class NetworkDns {
  readonly #networks: Networks;
  readonly #servers = new Map<string, DnsServer>();
  readonly #log: (message: string) => void;

  constructor(networks: Networks, log: (message: string) => void) {
    this.#networks = networks;
    this.#log = log;
    networks.dnsStart = (net) => this.start(net);
    networks.dnsStop = (net) => this.stop(net);
  }

  async start(net: NetworkRecord): Promise<void> {
    const address = this.#networks.dnsAddress(net);
    if (!address || this.#servers.has(net.Id)) return;
    let upstreams: string[] = [];
    try {
      upstreams = readHostResolvers(readFileSync('/etc/resolv.conf', 'utf8')).nameservers;
    } catch {
      // no host resolvers: only berth's names resolve
    }
    const networks = this.#networks;
    const server = new DnsServer({
      address,
      records: {
        lookup: (name, from) => networks.resolve(net, name, from),
        reverse: (ip) => networks.reverse(net, ip),
      },
      upstreams,
      upstreamsFor: (from) => networks.containerDns(net, from),
      domains: [net.Name],
      log: this.#log,
    });
    try {
      await server.start();
      this.#servers.set(net.Id, server);
    } catch (err) {
      // the network works without it; names then do not resolve
      this.#log(`network ${net.Name}: no DNS server on ${address}:53: ${(err as Error).message}`);
    }
  }

  async stop(net: NetworkRecord): Promise<void> {
    const server = this.#servers.get(net.Id);
    this.#servers.delete(net.Id);
    await server?.close();
  }

  async close(): Promise<void> {
    const all = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(all.map((s) => s.close().catch(() => {})));
  }
}
