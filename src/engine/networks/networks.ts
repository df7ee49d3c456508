// Networks in the engine: the predefined `bridge`, `host` and `none`, user-defined bridge
// networks, and the endpoints containers have on them. Each network is a record in
// <data-root>/networks/<id>.json; each endpoint lives in its container's record
// (NetworkSettings), so both survive berthd restarts. While a container runs on bridge networks
// it has a network namespace of its own (<exec-root>/netns/<id>), a veth pair per network, and
// its published ports are DNAT rules in the network's own nftables table (src/network/nft.ts).

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  conflict,
  errorKind,
  forbidden,
  invalidArgument,
  notFound,
  notImplemented,
} from '../../common/errors.ts';
import { makeEvent } from '../../common/events.ts';
import { type Filters, matchLabels, parseTimestampNs } from '../../common/filters.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import {
  allocate,
  chooseSubnet,
  contains,
  DEFAULT_POOLS,
  formatAddress,
  formatPrefix,
  macFor,
  overlaps,
  type Prefix,
  parseAddress,
  parsePrefix,
} from '../../network/ipam.ts';
import {
  addEndpoint,
  bridgePorts,
  deleteLink,
  type EndpointLink,
  enableForwarding,
  ensureBridge,
  hostRoutes,
  linkExists,
  nft,
  removeNetns,
} from '../../network/link.ts';
import { deleteScript, networkScript, type PortRule, tableName } from '../../network/nft.ts';
import { parseNetworkMode } from '../../spec/docker/container.ts';
import {
  type ContainerNetworking,
  clearDynamic,
  type EndpointRequest,
  type EndpointSettings,
  endpointSettings,
  type NetworkCreateRequest,
  type NetworkRecord,
  PREDEFINED,
  parseLink,
  portRequests,
} from '../../spec/docker/network.ts';
import type { ContainerRecord, ContainerStore } from '../containers/record.ts';
import type { EventBus } from '../events.ts';
import { allocatePorts, type Binding } from './ports.ts';
import { hostInterface, strays } from './strays.ts';

export interface NetworksConfig {
  dataRoot: string;
  execRoot: string;
  /** the default network's Linux bridge (dockerd's docker0) */
  bridge: string;
  /** the default bridge's gateway address and prefix, `10.88.0.1/16`; chosen when absent */
  bip?: string;
  /** the host address published ports bind to when a binding names none (dockerd's --ip) */
  defaultBindIp?: string;
  mtu?: number;
}

const DEFAULT_MTU = 1500;
const BRIDGE_NAME_OPT = 'com.docker.network.bridge.name';
const MASQ_OPT = 'com.docker.network.bridge.enable_ip_masquerade';
const MTU_OPT = 'com.docker.network.driver.mtu';

/**
 * The endpoint ID of a running container on the `host` or `none` network, where berth keeps no
 * endpoint record: derived from the two IDs, so it is the same in every view.
 */
function fixedEndpointId(containerId: string, networkId: string): string {
  return createHash('sha256').update(`${containerId}\n${networkId}`).digest('hex');
}

/** A usable gateway endpoint kind: the namespace is berth's to make. */
export function ownsNetns(rec: ContainerRecord): boolean {
  const kind = parseNetworkMode(rec.HostConfig.NetworkMode).kind;
  return (kind === 'bridge' || kind === 'network') && !rec.Config.NetworkDisabled;
}

export class Networks {
  readonly #cfg: NetworksConfig;
  readonly #dir: string;
  readonly #events: EventBus;
  readonly #store: ContainerStore;
  readonly #records = new Map<string, NetworkRecord>();
  /** per network: its rule updates, one after another (each writes the whole table) */
  readonly #ruleQueue = new Map<string, Promise<unknown>>();
  /** per network: the last address handed out (libnetwork hands out the next one) */
  readonly #lastAddress = new Map<string, bigint>();
  /** hooks the engine sets: the DNS servers of user-defined networks */
  dnsStart?: (net: NetworkRecord) => Promise<void>;
  dnsStop?: (net: NetworkRecord) => Promise<void>;

  constructor(cfg: NetworksConfig, store: ContainerStore, events: EventBus) {
    this.#cfg = cfg;
    this.#dir = join(cfg.dataRoot, 'networks');
    this.#events = events;
    this.#store = store;
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.netnsDir, { recursive: true, mode: 0o700 });
    for (const f of readdirSync(this.#dir)) {
      if (f.includes('.tmp-')) rmSync(join(this.#dir, f), { force: true });
      else if (f.endsWith('.json')) {
        const rec = JSON.parse(readFileSync(join(this.#dir, f), 'utf8')) as NetworkRecord;
        this.#records.set(rec.Id, rec);
      }
    }
  }

  get netnsDir(): string {
    return join(this.#cfg.execRoot, 'netns');
  }

  #save(rec: NetworkRecord): void {
    writeFileAtomic(join(this.#dir, `${rec.Id}.json`), JSON.stringify(rec), 0o600);
    this.#records.set(rec.Id, rec);
  }

  #emit(net: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.#events.publish(
      makeEvent('network', action, net.Id, { name: net.Name, type: net.Driver, ...extra }),
    );
  }

  /** The predefined networks, made on first start; the default bridge's kernel side waits for use. */
  async init(): Promise<void> {
    const base = (name: string, driver: NetworkRecord['Driver']): NetworkRecord => ({
      Name: name,
      Id: randomBytes(32).toString('hex'),
      Created: new Date().toISOString(),
      Scope: 'local',
      Driver: driver,
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: null, Config: [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Options: {},
      Labels: {},
    });
    if (!this.find('host')) this.#save(base('host', 'host'));
    if (!this.find('none')) this.#save(base('none', 'null'));
    const bridge = this.find('bridge');
    const wanted = await this.#defaultBridgeConfig(bridge);
    if (!bridge || bridge.Options[BRIDGE_NAME_OPT] !== wanted.name || !sameIpam(bridge, wanted)) {
      if (bridge && this.#endpoints(bridge).some((c) => c.State.Running))
        throw conflict(
          `the default bridge network's configuration changed while containers run on it: ${bridge.Options[BRIDGE_NAME_OPT]}`,
        );
      const rec = bridge ?? base('bridge', 'bridge');
      rec.IPAM.Config = [{ Subnet: wanted.subnet, Gateway: wanted.gateway }];
      rec.Options = {
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
        [MASQ_OPT]: 'true',
        'com.docker.network.bridge.host_binding_ipv4': this.#cfg.defaultBindIp ?? '0.0.0.0',
        [BRIDGE_NAME_OPT]: wanted.name,
        [MTU_OPT]: String(this.#cfg.mtu ?? DEFAULT_MTU),
      };
      this.#save(rec);
    }
  }

  async #defaultBridgeConfig(current: NetworkRecord | undefined) {
    const name = this.#cfg.bridge;
    if (this.#cfg.bip) {
      const slash = this.#cfg.bip.indexOf('/');
      const gw = parseAddress(this.#cfg.bip.slice(0, slash));
      const p = parsePrefix(this.#cfg.bip, 'bip');
      if (gw?.family !== 4 || slash < 0) throw invalidArgument(`invalid bip: ${this.#cfg.bip}`);
      return { name, subnet: formatPrefix(p), gateway: formatAddress(4, gw.value) };
    }
    // the subnet chosen at the first start stays, as long as the bridge keeps its name
    const cur = current?.IPAM.Config[0];
    if (current && current.Options[BRIDGE_NAME_OPT] === name && cur?.Subnet && cur.Gateway)
      return { name, subnet: cur.Subnet, gateway: cur.Gateway };
    const p = await this.#freeSubnet([], 'bridge');
    return { name, subnet: formatPrefix(p), gateway: formatAddress(4, p.base + 1n) };
  }

  async #freeSubnet(pools: { base: string; size: number }[], except?: string): Promise<Prefix> {
    const taken = [...(await hostRoutes()), ...this.#subnets(except)];
    const p = chooseSubnet(pools.length ? pools : DEFAULT_POOLS, taken);
    if (!p)
      throw forbidden(
        'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network',
      );
    return p;
  }

  #subnets(exceptName?: string): Prefix[] {
    const out: Prefix[] = [];
    for (const n of this.#records.values()) {
      if (n.Name === exceptName) continue;
      for (const c of n.IPAM.Config) if (c.Subnet) out.push(parsePrefix(c.Subnet));
    }
    return out;
  }

  /** Brings back every bridge network's kernel side and rules (after a berthd or host restart). */
  async restore(): Promise<void> {
    for (const net of this.#records.values()) {
      if (net.Driver !== 'bridge') continue;
      const inUse = this.#endpoints(net).some((c) => c.State.Running);
      if (isDefault(net) && !inUse && !linkExists(bridgeName(net))) continue;
      try {
        await this.#bringUp(net);
        await this.#syncRules(net);
      } catch (err) {
        console.error(`berthd: network ${net.Name}: ${(err as Error).message}`);
      }
    }
  }

  /**
   * After a crash between forgetting a container and detaching it: removes the namespaces and
   * host veths of containers this data root no longer knows (strays.ts decides). `known` holds
   * the IDs of every container in the store, running or not; theirs are left to their adoption.
   * Only this berthd's own are looked at: its exec root's namespaces, its networks' bridges.
   */
  async sweep(known: ReadonlySet<string>): Promise<void> {
    const bridges = [...this.#records.values()]
      .filter((net) => net.Driver === 'bridge')
      .map((net) => ({ networkId: net.Id, ports: bridgePorts(bridgeName(net)) }));
    const found = strays({ netns: readdirSync(this.netnsDir), bridges }, known);
    for (const f of found.netns) removeNetns(join(this.netnsDir, f));
    for (const name of found.links)
      await deleteLink(name).catch((err) => console.error(`berthd: ${(err as Error).message}`));
  }

  async #bringUp(net: NetworkRecord): Promise<void> {
    const gateways = net.IPAM.Config.filter((c) => c.Subnet && c.Gateway).map(
      (c) => `${c.Gateway}/${parsePrefix(c.Subnet as string).bits}`,
    );
    await ensureBridge(bridgeName(net), gateways, mtuOf(net));
    enableForwarding(net.EnableIPv6);
    if (!isDefault(net)) await this.dnsStart?.(net);
  }

  // ---- lookup -----------------------------------------------------------------------------

  all(): NetworkRecord[] {
    return [...this.#records.values()];
  }

  /** Docker's lookup: full ID, then exact name, then a unique ID prefix. */
  find(ref: string): NetworkRecord | undefined {
    const byId = this.#records.get(ref);
    if (byId) return byId;
    for (const n of this.#records.values()) if (n.Name === ref) return n;
    const prefixed = [...this.#records.values()].filter((n) => n.Id.startsWith(ref));
    if (prefixed.length > 1)
      throw invalidArgument(
        `network ${ref} is ambiguous (${prefixed.length} matches found based on ID prefix)`,
      );
    return prefixed[0];
  }

  get(ref: string): NetworkRecord {
    const n = ref ? this.find(ref) : undefined;
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  /** The containers with an endpoint on `net` (configured, running or not). */
  #endpoints(net: NetworkRecord): ContainerRecord[] {
    return this.#store
      .all()
      .filter(
        (c) => networking(c) && Object.values(networking(c)!.Networks).some((e) => e.NetworkID === net.Id),
      );
  }

  /**
   * The endpoint dockerd shows for a container in `host` or `none` mode, where berth keeps no
   * endpoint record: that network's, no address, an ID while it runs.
   */
  fixedModeEndpoint(rec: ContainerRecord): [name: string, endpoint: EndpointSettings] | undefined {
    const mode = rec.HostConfig.NetworkMode;
    if (mode !== 'host' && mode !== 'none') return undefined;
    const net = this.find(mode);
    if (!net) return undefined;
    const endpoint = endpointSettings(undefined, net.Id);
    if (rec.State.Running) endpoint.EndpointID = fixedEndpointId(rec.ID, net.Id);
    return [mode, endpoint];
  }

  /** `GET /networks/{id}`: with `Containers`, the running endpoints. */
  inspect(ref: string): NetworkRecord & { Containers: Record<string, unknown> } {
    const net = this.get(ref);
    const containers: Record<string, unknown> = {};
    if (net.Driver === 'host' || net.Driver === 'null') {
      // as dockerd: the running containers in that mode, with no address
      for (const c of this.#store.all()) {
        const e = c.State.Running ? this.fixedModeEndpoint(c)?.[1] : undefined;
        if (e?.NetworkID === net.Id)
          containers[c.ID] = {
            Name: c.Name.slice(1),
            EndpointID: e.EndpointID,
            MacAddress: '',
            IPv4Address: '',
            IPv6Address: '',
          };
      }
    }
    for (const c of this.#endpoints(net)) {
      const e = endpointOn(c, net);
      if (!e?.IPAddress && !e?.GlobalIPv6Address) continue;
      containers[c.ID] = {
        Name: c.Name.slice(1),
        EndpointID: e.EndpointID,
        MacAddress: e.MacAddress,
        IPv4Address: e.IPAddress ? `${e.IPAddress}/${e.IPPrefixLen}` : '',
        IPv6Address: e.GlobalIPv6Address ? `${e.GlobalIPv6Address}/${e.GlobalIPv6PrefixLen}` : '',
      };
    }
    return { ...net, Containers: containers };
  }

  list(filters: Filters): (NetworkRecord & { Containers: Record<string, unknown> })[] {
    for (const key of Object.keys(filters))
      if (!['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'].includes(key))
        throw invalidArgument(`invalid filter '${key}'`);
    for (const t of filters.type ?? [])
      if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
    const any = (key: string, test: (v: string) => boolean) =>
      !filters[key]?.length || filters[key].some(test);
    return this.all()
      .filter(
        (n) =>
          any('driver', (v) => n.Driver === v) &&
          any('id', (v) => n.Id.startsWith(v)) &&
          any('name', (v) => n.Name.includes(v)) &&
          any('scope', (v) => v === 'local') &&
          any('type', (v) => (v === 'builtin') === PREDEFINED.has(n.Name)) &&
          any(
            'dangling',
            (v) =>
              (v === 'true' || v === '1') === (!PREDEFINED.has(n.Name) && this.#endpoints(n).length === 0),
          ) &&
          matchLabels(n.Labels, filters.label ?? []),
      )
      .map((n) => ({ ...n, Containers: {} }));
  }

  // ---- create, remove ---------------------------------------------------------------------

  async create(req: NetworkCreateRequest): Promise<{ Id: string; Warning: string }> {
    const name = req.Name ?? '';
    if (!name) throw invalidArgument('network name is required'); // hmm
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name))
      throw invalidArgument(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    if (this.#byName(name)) throw conflict(`network with name ${name} already exists`);
    const driver = req.Driver || 'bridge';
    if (driver === 'host' || driver === 'null')
      throw forbidden(`only one instance of "${driver}" network is allowed`);
    if (['overlay', 'macvlan', 'ipvlan'].includes(driver))
      throw notImplemented(`the ${driver} network driver is not supported by berth: use bridge`);
    if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
    if (req.Ingress) throw notImplemented('ingress networks need a swarm, which berth does not have');
    if (req.ConfigOnly || req.ConfigFrom?.Network)
      throw notImplemented('config-only networks are not supported by berth');
    if (req.IPAM?.Driver && req.IPAM.Driver !== 'default')
      throw notFound(`plugin "${req.IPAM.Driver}" not found`);
    const options = { ...(req.Options ?? {}) };
    const id = randomBytes(32).toString('hex');
    const bridge = options[BRIDGE_NAME_OPT] || `br-${id.slice(0, 12)}`;
    if (bridge.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridge))
      throw invalidArgument(`invalid bridge name "${bridge}": at most 15 characters of [a-zA-Z0-9_.-]`);
    if (this.all().some((n) => n.Driver === 'bridge' && bridgeName(n) === bridge))
      throw conflict(`bridge name ${bridge} is used by another network`);
    if (options[MTU_OPT] !== undefined && !/^\d+$/.test(options[MTU_OPT]))
      throw invalidArgument(`invalid MTU value: ${options[MTU_OPT]}`);
    const ipv6 = req.EnableIPv6 === true;
    const config = await this.#ipamConfig(req.IPAM?.Config ?? [], ipv6);
    const rec: NetworkRecord = {
      Name: name,
      Id: id,
      Created: new Date().toISOString(),
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv4: true,
      EnableIPv6: ipv6,
      IPAM: { Driver: 'default', Options: req.IPAM?.Options ?? null, Config: config },
      Internal: req.Internal === true,
      Attachable: req.Attachable === true,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Options: { ...options, [BRIDGE_NAME_OPT]: bridge },
      Labels: { ...(req.Labels ?? {}) },
    };
    if (linkExists(bridge)) throw conflict(`a network interface named ${bridge} already exists on the host`);
    try {
      this.#save(rec);
      await this.#bringUp(rec);
      await this.#syncRules(rec);
    } catch (err) {
      await this.#tearDown(rec).catch(() => {});
      rmSync(join(this.#dir, `${rec.Id}.json`), { force: true });
      this.#records.delete(rec.Id);
      throw err;
    }
    this.#emit(rec, 'create');
    return { Id: id, Warning: '' };
  }

  #byName(name: string): NetworkRecord | undefined {
    for (const n of this.#records.values()) if (n.Name === name) return n;
    return undefined;
  }

  /** The IPAM config of a new network: the subnets asked for, checked, or a free one. */
  async #ipamConfig(asked: NonNullable<NetworkCreateRequest['IPAM']>['Config'] & {}, ipv6: boolean) {
    const out: NetworkRecord['IPAM']['Config'] = [];
    const others = this.#subnets();
    for (const c of asked) {
      if (!c.Subnet) {
        if (c.Gateway || c.IPRange) throw invalidArgument('an IP range or gateway needs a subnet');
        continue;
      }
      const p = parsePrefix(c.Subnet);
      if (p.family === 6 && !ipv6) throw invalidArgument('IPv6 subnets need --ipv6 (EnableIPv6)');
      for (const o of [...others, ...out.map((x) => parsePrefix(x.Subnet as string))])
        if (overlaps(o, p))
          throw forbidden('invalid pool request: Pool overlaps with other one on this address space');
      if (p.bits > (p.family === 4 ? 30 : 126))
        throw invalidArgument(`subnet ${c.Subnet} is too small for a network`);
      let gateway: bigint = p.base + 1n;
      if (c.Gateway) {
        const g = parseAddress(c.Gateway);
        if (!g || !contains(p, g.family, g.value))
          throw invalidArgument(`no matching subnet for gateway ${c.Gateway}`);
        gateway = g.value;
      }
      if (c.IPRange) {
        const r = parsePrefix(c.IPRange, 'ip-range');
        if (!contains(p, r.family, r.base) || r.bits < p.bits)
          throw invalidArgument(`no matching subnet for range ${c.IPRange}`);
      }
      for (const [k, v] of Object.entries(c.AuxiliaryAddresses ?? {})) {
        const a = parseAddress(v);
        if (!a || !contains(p, a.family, a.value))
          throw invalidArgument(`no matching subnet for aux-address ${k}=${v}`);
      }
      out.push({
        Subnet: formatPrefix(p),
        ...(c.IPRange ? { IPRange: c.IPRange } : {}),
        Gateway: formatAddress(p.family, gateway),
        ...(c.AuxiliaryAddresses ? { AuxiliaryAddresses: c.AuxiliaryAddresses } : {}),
      });
    }
    if (!out.some((c) => !(c.Subnet as string).includes(':'))) {
      const p = await this.#freeSubnet([]);
      out.unshift({ Subnet: formatPrefix(p), Gateway: formatAddress(4, p.base + 1n) });
    }
    if (ipv6 && !out.some((c) => (c.Subnet as string).includes(':')))
      throw invalidArgument('IPv6 networks need a --subnet for IPv6: berth has no IPv6 pool to pick from');
    return out;
  }

  async remove(ref: string): Promise<void> {
    const net = this.get(ref);
    if (PREDEFINED.has(net.Name))
      throw forbidden(`${net.Name} is a pre-defined network and cannot be removed`);
    const users = this.#endpoints(net).filter((c) => endpointOn(c, net)?.EndpointID);
    if (users.length)
      throw forbidden(
        `error while removing network: network ${net.Name} has active endpoints (${users.map((c) => `name:"${c.Name.slice(1)}" id:"${c.ID.slice(0, 12)}"`).join(', ')})`,
      );
    await this.#tearDown(net);
    rmSync(join(this.#dir, `${net.Id}.json`), { force: true });
    this.#records.delete(net.Id);
    // containers that were only configured on it (created, never started) lose the endpoint
    for (const c of this.#endpoints(net)) {
      const nets = networking(c)!.Networks;
      for (const [k, e] of Object.entries(nets)) if (e.NetworkID === net.Id) delete nets[k];
      this.#store.save(c);
    }
    this.#emit(net, 'destroy');
  }

  async #tearDown(net: NetworkRecord): Promise<void> {
    await this.dnsStop?.(net);
    await this.#queueRules(net, () => nft(deleteScript(tableName(bridgeName(net)))));
    this.#ruleQueue.delete(net.Id);
    await deleteLink(bridgeName(net));
  }

  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] }> {
    for (const key of Object.keys(filters))
      if (key !== 'until' && key !== 'label' && key !== 'label!')
        throw invalidArgument(`invalid filter '${key}'`);
    const until = filters.until?.length ? parseTimestampNs(filters.until[0]) : undefined;
    const deleted: string[] = [];
    for (const net of this.all()) {
      if (PREDEFINED.has(net.Name) || this.#endpoints(net).some((c) => endpointOn(c, net)?.EndpointID))
        continue;
      if (until !== undefined && Date.parse(net.Created) * 1e6 >= until) continue;
      if (!matchLabels(net.Labels, filters.label ?? [])) continue;
      if ((filters['label!'] ?? []).some((l) => matchLabels(net.Labels, [l]))) continue;
      try {
        await this.remove(net.Id);
        deleted.push(net.Name);
      } catch (err) {
        if (errorKind(err) !== 'Forbidden') throw err;
      }
    }
    return { NetworksDeleted: deleted };
  }

  // ---- endpoints --------------------------------------------------------------------------

  /**
   * The endpoints a new container asks for: its network mode's network, with the settings of
   * NetworkingConfig for it, and (API ≥ 1.44) further networks. Checked as dockerd does.
   */
  endpointsAtCreate(
    networkMode: string | undefined,
    endpoints: Record<string, EndpointRequest | null> | null | undefined,
  ): ContainerNetworking | undefined {
    const mode = parseNetworkMode(networkMode);
    if (mode.kind !== 'bridge' && mode.kind !== 'network') return undefined;
    const primaryName = mode.kind === 'bridge' ? 'bridge' : mode.name;
    const primary = this.find(primaryName);
    if (primary?.Driver === 'host' || primary?.Driver === 'null') return undefined;
    const out: ContainerNetworking = { Networks: {}, Ports: {}, SandboxKey: '' };
    // the docker CLI names the default network `default`
    const asked = Object.fromEntries(
      Object.entries(endpoints ?? {}).map(([k, v]) => [k === 'default' ? 'bridge' : k, v]),
    );
    const reqFor = (net: NetworkRecord) =>
      asked[net.Name] ??
      asked[net.Id] ??
      Object.entries(asked).find(([k]) => this.find(k)?.Id === net.Id)?.[1];
    // as dockerd: a network that does not exist is an error of the start, not of the create
    out.Networks[primary?.Name ?? primaryName] = primary
      ? this.#checkedEndpoint(primary, reqFor(primary) ?? undefined)
      : endpointSettings(asked[primaryName] ?? undefined, '');
    for (const [ref, req] of Object.entries(asked)) {
      if (ref === primaryName) continue;
      const net = this.get(ref);
      if (net.Id === primary?.Id) continue;
      if (net.Driver !== 'bridge')
        throw invalidArgument(`container cannot be connected to network ${net.Name} and to ${primaryName}`);
      out.Networks[net.Name] = this.#checkedEndpoint(net, req ?? undefined);
    }
    return out;
  }

  #checkedEndpoint(net: NetworkRecord, req: EndpointRequest | undefined): EndpointSettings {
    const e = endpointSettings(req, net.Id);
    if (isDefault(net)) {
      if (e.Aliases?.length)
        throw invalidArgument(
          'network-scoped alias is supported only for containers in user defined networks',
        );
      if (e.IPAMConfig?.IPv4Address || e.IPAMConfig?.IPv6Address)
        throw invalidArgument('user specified IP address is supported on user defined networks only');
    }
    for (const [addr, fam] of [
      [e.IPAMConfig?.IPv4Address, 4],
      [e.IPAMConfig?.IPv6Address, 6],
    ] as const) {
      if (!addr) continue;
      const a = parseAddress(addr);
      if (a?.family !== fam) throw invalidArgument(`invalid IPv${fam} address: ${addr}`);
      const inSubnet = net.IPAM.Config.some(
        (c) => c.Subnet && contains(parsePrefix(c.Subnet), a.family, a.value),
      );
      if (!inSubnet)
        throw invalidArgument(
          `user specified IP address is not in the subnets of network ${net.Name}: ${addr}`,
        );
    }
    if (e.MacAddress && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(e.MacAddress))
      throw invalidArgument(`invalid MAC address: ${e.MacAddress}`);
    return e;
  }

  /**
   * Gives a starting container its namespace and endpoints, and publishes its ports. Returns at
   * once the namespace path (undefined for containers without bridge networking), every
   * endpoint's address already set on `rec`, so the container's files and spec can be made
   * while the namespace and its veths are made on the threadpool; `ready` settles when they are.
   * On failure (`ready` rejects) nothing is left behind.
   */
  attach(rec: ContainerRecord): { netns: string | undefined; ready: Promise<void> } {
    const nw = networking(rec);
    if (!nw || !ownsNetns(rec)) return { netns: undefined, ready: Promise.resolve() };
    const ns = join(this.netnsDir, rec.ID);
    // what the last run left (a restart comes before that run's clean-up; the kernel drops a
    // namespace's veths only some time after its last user is gone)
    if (existsSync(ns)) removeNetns(ns);
    const stale = Object.values(nw.Networks)
      .flatMap((e) => (e.NetworkID ? [hostInterface(rec.ID, e.NetworkID)] : []))
      .filter(linkExists);
    nw.SandboxKey = ns;
    const links: [NetworkRecord, EndpointSettings, EndpointLink][] = [];
    try {
      for (const [name, e] of Object.entries(nw.Networks)) {
        const net = this.#records.get(e.NetworkID) ?? this.#byName(name);
        if (net?.Driver !== 'bridge') throw notFound(`network ${name} not found`);
        e.NetworkID = net.Id;
        // the first endpoint comes with the namespace itself
        links.push([net, e, this.#assign(rec, net, e, ns, links.length, links.length === 0)]);
      }
    } catch (err) {
      return { netns: ns, ready: this.detach(rec).then(() => Promise.reject(err)) };
    }
    // nothing is awaited before the first veth pair is asked of the threadpool when there is
    // no stale link to delete and the bridge is up: it is made while the caller goes on
    const ready = (async () => {
      try {
        for (const name of stale) await deleteLink(name);
        for (const [net, e, link] of links) await this.#link(rec, net, e, link);
        await this.#publish(rec);
      } catch (err) {
        await this.detach(rec);
        throw err;
      }
    })();
    return { netns: ns, ready };
  }

  /** Takes a stopped container off its networks: endpoints, ports, namespace. */
  async detach(rec: ContainerRecord): Promise<void> {
    const nw = networking(rec);
    if (!nw) return;
    // the rules hold only published ports, and those only on the gateway network
    const published = Object.values(nw.Ports).some((list) => list?.length);
    const gateway = published ? this.gatewayNetwork(rec)?.net : undefined;
    for (const e of Object.values(nw.Networks)) {
      if (e.IPAddress && e.MacAddress === macFor(4, parseAddress(e.IPAddress)?.value ?? 0n))
        e.MacAddress = '';
      clearDynamic(e);
    }
    nw.Ports = {};
    // the veths go with the namespace: once its processes are gone and it is unmounted, the
    // kernel removes them in the background (an `ip link del` holds the rtnl lock for tens of
    // ms, which the next container's start would wait for); attach() removes any still there
    removeNetns(nw.SandboxKey || join(this.netnsDir, rec.ID));
    nw.SandboxKey = '';
    nw.Interfaces = {};
    if (gateway) await this.#syncRules(gateway);
  }

  /** One endpoint: an address, a veth pair into the namespace, the default route if first. */
  async #plug(
    rec: ContainerRecord,
    net: NetworkRecord,
    e: EndpointSettings,
    ns: string,
    index: number,
    create = false,
  ) {
    await this.#link(rec, net, e, this.#assign(rec, net, e, ns, index, create));
  }

  /**
   * An endpoint's address (taken synchronously, so two starts never get the same one), MAC,
   * endpoint ID and interface name, set on `e`: what its veth pair is made with.
   */
  #assign(
    rec: ContainerRecord,
    net: NetworkRecord,
    e: EndpointSettings,
    ns: string,
    index: number,
    create: boolean,
  ): EndpointLink {
    const v4 = net.IPAM.Config.find((c) => c.Subnet && !c.Subnet.includes(':'));
    const v6 = net.EnableIPv6 ? net.IPAM.Config.find((c) => c.Subnet?.includes(':')) : undefined;
    const addresses: string[] = [];
    const gateways: string[] = [];
    if (v4?.Subnet) {
      const { value, prefix } = this.#takeAddress(net, v4, e.IPAMConfig?.IPv4Address, rec);
      e.IPAddress = formatAddress(4, value);
      e.IPPrefixLen = prefix.bits;
      e.Gateway = v4.Gateway ?? '';
      e.MacAddress ||= macFor(4, value);
      addresses.push(`${e.IPAddress}/${e.IPPrefixLen}`);
      if (index === 0 && !net.Internal && e.Gateway) gateways.push(e.Gateway);
    }
    if (v6?.Subnet) {
      const { value, prefix } = this.#takeAddress(net, v6, e.IPAMConfig?.IPv6Address, rec);
      e.GlobalIPv6Address = formatAddress(6, value);
      e.GlobalIPv6PrefixLen = prefix.bits;
      e.IPv6Gateway = v6.Gateway ?? '';
      addresses.push(`${e.GlobalIPv6Address}/${e.GlobalIPv6PrefixLen}`);
      if (index === 0 && !net.Internal && e.IPv6Gateway) gateways.push(e.IPv6Gateway);
    }
    e.EndpointID = randomBytes(32).toString('hex');
    e.DNSNames = isDefault(net) ? null : dnsNames(rec, e);
    const nw = networking(rec) as ContainerNetworking;
    nw.Interfaces = { ...(nw.Interfaces ?? {}), [net.Id]: `eth${index}` };
    return {
      createNetns: create,
      netns: ns,
      bridge: bridgeName(net),
      hostIf: hostInterface(rec.ID, net.Id),
      ifname: `eth${index}`,
      mac: e.MacAddress,
      mtu: mtuOf(net),
      addresses,
      gateways,
    };
  }

  /** The veth pair of an assigned endpoint; on failure the endpoint's assignment is undone. */
  async #link(rec: ContainerRecord, net: NetworkRecord, e: EndpointSettings, link: EndpointLink) {
    try {
      // the default bridge is made on first use; any bridge gone from the host comes back
      if (!linkExists(bridgeName(net))) await this.#bringUp(net);
      await addEndpoint(link);
    } catch (err) {
      clearDynamic(e);
      const nw = networking(rec);
      if (nw?.Interfaces) delete nw.Interfaces[net.Id];
      throw err;
    }
  }

  #takeAddress(
    net: NetworkRecord,
    c: NetworkRecord['IPAM']['Config'][number],
    asked: string | undefined,
    self: ContainerRecord,
  ) {
    const prefix = parsePrefix(c.Subnet as string);
    const used = new Set<bigint>();
    const gw = c.Gateway ? parseAddress(c.Gateway) : undefined;
    if (gw) used.add(gw.value);
    for (const v of Object.values(c.AuxiliaryAddresses ?? {})) {
      const a = parseAddress(v);
      if (a) used.add(a.value);
    }
    for (const other of this.#endpoints(net)) {
      if (other.ID === self.ID) continue;
      const e = endpointOn(other, net);
      const ip = prefix.family === 4 ? e?.IPAddress : e?.GlobalIPv6Address;
      const a = ip ? parseAddress(ip) : undefined;
      if (a) used.add(a.value);
    }
    if (asked) {
      const a = parseAddress(asked);
      if (!a || !contains(prefix, a.family, a.value))
        throw invalidArgument(`no configured subnet contains IP address ${asked}`);
      if (used.has(a.value)) throw forbidden(`Address already in use: ${asked} on network ${net.Name}`);
      return { value: a.value, prefix };
    }
    const range = c.IPRange ? parsePrefix(c.IPRange, 'ip-range') : undefined;
    const key = `${net.Id}/${prefix.family}`;
    const value = allocate(prefix, used, range, this.#lastAddress.get(key));
    if (value === undefined)
      throw forbidden(
        `no available IPv${prefix.family} addresses on this network's address pools: ${net.Name} (${net.Id})`,
      );
    this.#lastAddress.set(key, value);
    return { value, prefix };
  }

  /** Host ports for the container's published ports, then its network's rules. */
  async #publish(rec: ContainerRecord): Promise<void> {
    const nw = networking(rec);
    const gateway = this.gatewayNetwork(rec);
    if (!nw || !gateway) return;
    const requests = portRequests(rec.Config, rec.HostConfig).map((r) => ({
      ...r,
      hostIp: r.hostIp || this.#cfg.defaultBindIp || '',
    }));
    if (!requests.length) {
      exposedWithoutBinding(rec, nw);
      return;
    }
    const taken: Binding[] = [];
    for (const other of this.#store.all()) {
      if (other.ID === rec.ID) continue;
      for (const [key, list] of Object.entries(networking(other)?.Ports ?? {}))
        for (const b of list ?? [])
          taken.push({
            proto: key.split('/')[1] as Binding['proto'],
            hostIp: b.HostIp,
            hostPort: Number(b.HostPort),
          });
    }
    const bindings = await allocatePorts(requests, taken);
    nw.Ports = {};
    for (const [i, r] of requests.entries()) {
      const key = `${r.containerPort}/${r.proto}`;
      const b = bindings[i];
      const list = nw.Ports[key] ?? [];
      list.push({ HostIp: b.hostIp || '0.0.0.0', HostPort: String(b.hostPort) });
      nw.Ports[key] = list;
    }
    exposedWithoutBinding(rec, nw);
    await this.#syncRules(gateway.net);
  }

  /** The network whose endpoint holds the container's default route (and its published ports). */
  gatewayNetwork(rec: ContainerRecord): { net: NetworkRecord; endpoint: EndpointSettings } | undefined {
    const first = Object.values(networking(rec)?.Networks ?? {})[0];
    const net = first ? this.#records.get(first.NetworkID) : undefined;
    return net && first ? { net, endpoint: first } : undefined;
  }

  /** Rewrites a network's nftables table from the records (one transaction). */
  #syncRules(net: NetworkRecord): Promise<unknown> {
    return this.#queueRules(net, async () => {
      if (!this.#records.has(net.Id) || net.Driver !== 'bridge') return;
      const ports: PortRule[] = [];
      for (const c of this.#endpoints(net)) {
        const gw = this.gatewayNetwork(c);
        if (gw?.net.Id !== net.Id || !gw.endpoint.IPAddress) continue;
        for (const [key, list] of Object.entries(networking(c)?.Ports ?? {})) {
          const [port, proto] = key.split('/');
          for (const b of list ?? [])
            ports.push({
              proto: proto as PortRule['proto'],
              hostIp: b.HostIp,
              hostPort: Number(b.HostPort),
              containerIp: gw.endpoint.IPAddress,
              containerPort: Number(port),
            });
        }
      }
      await nft(
        networkScript({
          table: tableName(bridgeName(net)),
          bridge: bridgeName(net),
          subnets: net.IPAM.Config.map((c) => c.Subnet as string).filter(Boolean),
          internal: net.Internal,
          masquerade: net.Options[MASQ_OPT] !== 'false',
          ports,
        }),
      );
    });
  }

  #queueRules(net: NetworkRecord, fn: () => Promise<unknown>): Promise<unknown> {
    const run = (this.#ruleQueue.get(net.Id) ?? Promise.resolve()).then(fn, fn);
    this.#ruleQueue.set(
      net.Id,
      run.catch(() => {}),
    );
    return run;
  }

  // ---- connect, disconnect ----------------------------------------------------------------

  /** `POST /networks/{id}/connect`: recorded, and plugged in at once when the container runs. */
  async connect(ref: string, rec: ContainerRecord, req: EndpointRequest | undefined): Promise<void> {
    const net = this.get(ref);
    const mode = parseNetworkMode(rec.HostConfig.NetworkMode);
    if (net.Driver === 'host' || net.Driver === 'null' || mode.kind === 'host' || mode.kind === 'none')
      throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    if (mode.kind === 'container')
      throw forbidden(
        'container sharing network namespace with another container or host cannot be connected to any other network',
      );
    const nw = networking(rec);
    if (!nw) throw forbidden(`container ${rec.ID.slice(0, 12)} has no network of its own`);
    if (Object.values(nw.Networks).some((e) => e.NetworkID === net.Id))
      throw forbidden(`endpoint with name ${rec.Name.slice(1)} already exists in network ${net.Name}`);
    const e = this.#checkedEndpoint(net, req);
    nw.Networks[net.Name] = e;
    if (rec.State.Running && nw.SandboxKey) {
      try {
        await this.#plug(rec, net, e, nw.SandboxKey, nextIndex(rec));
        await this.#syncRules(net);
      } catch (err) {
        delete nw.Networks[net.Name];
        throw err;
      }
    }
    this.#store.save(rec);
    this.#emit(net, 'connect', { container: rec.ID });
  }

  async disconnect(ref: string, rec: ContainerRecord, force: boolean): Promise<void> {
    const net = force ? this.find(ref) : this.get(ref);
    const nw = networking(rec);
    const entry = net
      ? Object.entries(nw?.Networks ?? {}).find(([, e]) => e.NetworkID === net.Id)
      : Object.entries(nw?.Networks ?? {}).find(([k]) => k === ref);
    if (net && (net.Driver === 'host' || net.Driver === 'null'))
      throw forbidden('container cannot be disconnected from host network or connected to host network');
    if (!nw || !entry) throw forbidden(`container ${rec.ID} is not connected to network ${net?.Name ?? ref}`);
    const [name, e] = entry;
    if (e.EndpointID && net) await deleteLink(hostInterface(rec.ID, net.Id));
    delete nw.Networks[name];
    if (net && nw.Interfaces) delete nw.Interfaces[net.Id];
    this.#store.save(rec);
    if (net) {
      await this.#syncRules(net);
      this.#emit(net, 'disconnect', { container: rec.ID });
    }
  }

  /** The address other containers and /etc/hosts know this container by, if it has one. */
  addressOf(rec: ContainerRecord): string | undefined {
    return this.gatewayNetwork(rec)?.endpoint.IPAddress || undefined;
  }

  /** For --add-host name:host-gateway: the default bridge's gateway address. */
  hostGateway(): string | undefined {
    return this.find('bridge')?.IPAM.Config[0]?.Gateway;
  }

  /**
   * The addresses of the containers running on `net` under `name` (container name, network
   * alias, short ID), or the target of a `--link` alias of the asking container (`from`).
   * Undefined when the name is none of these.
   */
  resolve(net: NetworkRecord, name: string, from?: string): { v4: string[]; v6: string[] } | undefined {
    const out = { v4: [] as string[], v6: [] as string[] };
    let found = false;
    const running = this.#endpoints(net).filter((c) => endpointOn(c, net)?.EndpointID);
    for (const c of running) {
      const e = endpointOn(c, net) as EndpointSettings;
      const names = (e.DNSNames ?? dnsNames(c, e)).map((n) => n.toLowerCase());
      if (!names.includes(name)) continue;
      found = true;
      if (e.IPAddress) out.v4.push(e.IPAddress);
      if (e.GlobalIPv6Address) out.v6.push(e.GlobalIPv6Address);
    }
    if (found || !from) return found ? out : undefined;
    for (const link of this.#runningAt(net, from)?.HostConfig.Links ?? []) {
      const { target, alias } = parseLink(link);
      if (alias.toLowerCase() !== name) continue;
      const other = this.#store.find(target);
      const e = other ? endpointOn(other, net) : undefined;
      if (!e?.EndpointID) continue;
      if (e.IPAddress) out.v4.push(e.IPAddress);
      if (e.GlobalIPv6Address) out.v6.push(e.GlobalIPv6Address);
      return out;
    }
    return undefined;
  }

  /** The container running on `net` with address `ip` (IPv4 or IPv6). */
  #runningAt(net: NetworkRecord, ip: string): ContainerRecord | undefined {
    return this.#endpoints(net).find((c) => {
      const e = endpointOn(c, net);
      return e?.EndpointID && (e.IPAddress === ip || e.GlobalIPv6Address === ip);
    });
  }

  /** The `--dns` servers of the container with address `from` on `net`, if it set any. */
  containerDns(net: NetworkRecord, from: string): string[] | undefined {
    return this.#runningAt(net, from)?.HostConfig.Dns ?? undefined;
  }

  /** The name of the container with `ip` on `net`, for PTR queries. */
  reverse(net: NetworkRecord, ip: string): string | undefined {
    const c = this.#runningAt(net, ip);
    return c ? `${c.Name.slice(1)}.${net.Name}` : undefined;
  }

  /** The user network's DNS server that answers `rec` (for its resolv.conf). */
  dnsServerFor(rec: ContainerRecord): string | undefined {
    const gw = this.gatewayNetwork(rec);
    return gw && !isDefault(gw.net) ? this.dnsAddress(gw.net) : undefined;
  }

  /** A network's IPv4 gateway, where its DNS server listens. */
  dnsAddress(net: NetworkRecord): string | undefined {
    return net.IPAM.Config.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
  }
}

function sameIpam(net: NetworkRecord, wanted: { subnet: string; gateway: string }): boolean {
  const c = net.IPAM.Config[0];
  return c?.Subnet === wanted.subnet && c.Gateway === wanted.gateway;
}

function isDefault(net: NetworkRecord): boolean {
  return net.Name === 'bridge' && net.Options['com.docker.network.bridge.default_bridge'] === 'true';
}

function bridgeName(net: NetworkRecord): string {
  return net.Options[BRIDGE_NAME_OPT] ?? '';
}

function mtuOf(net: NetworkRecord): number {
  const v = Number(net.Options[MTU_OPT]);
  return Number.isInteger(v) && v > 0 ? v : DEFAULT_MTU;
}

export function networking(rec: ContainerRecord): ContainerNetworking | undefined {
  return rec.NetworkSettings;
}

function endpointOn(rec: ContainerRecord, net: NetworkRecord): EndpointSettings | undefined {
  return Object.values(networking(rec)?.Networks ?? {}).find((e) => e.NetworkID === net.Id);
}

function dnsNames(rec: ContainerRecord, e: EndpointSettings): string[] {
  return [...new Set([rec.Name.slice(1), ...(e.Aliases ?? []), rec.ID.slice(0, 12)])];
}

/** The first ethN not in use inside a running container's namespace. */
function nextIndex(rec: ContainerRecord): number {
  const used = new Set(Object.values(networking(rec)?.Interfaces ?? {}));
  let n = 0;
  while (used.has(`eth${n}`)) n++;
  return n;
}

/** Exposed ports without a binding show as null in NetworkSettings.Ports (and `ps`), as in dockerd. */
function exposedWithoutBinding(rec: ContainerRecord, nw: ContainerNetworking): void {
  for (const key of Object.keys(rec.Config.ExposedPorts ?? {}))
    nw.Ports[key.includes('/') ? key : `${key}/tcp`] ??= null;
}
