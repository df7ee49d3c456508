// berth network rm: DELETE /networks/{id} for each name (asking first for an ingress network),
// printing each removed name; with -f a missing network is no error.

import { DaemonError } from '../../../api/client/client.ts';
import { confirm } from '../../prompt.ts';
import { interspersed, npath } from './common.ts';

const INGRESS_WARNING =
  'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same docker engine version. Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.';

export const rm = interspersed({
  path: ['network', 'rm'],
  aliases: [['network', 'remove']],
  summary: 'Remove one or more networks',
  usage: 'berth network rm NETWORK [NETWORK...]',
  args: { min: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', description: 'Do not error if the network does not exist' },
  ],
  async run(ctx, { opts, args }) {
    const client = await ctx.client();
    let status = 0;
    for (const name of args) {
      const network = await client.json<{ Ingress?: boolean }>('GET', npath(name)).catch(() => undefined);
      if (network?.Ingress && !(await confirm(ctx, INGRESS_WARNING))) continue;
      try {
        await client.request('DELETE', npath(name));
      } catch (err) {
        if (!(err instanceof DaemonError)) throw err;
        if (opts.force && err.status === 404) continue;
        ctx.err.write(`Error response from daemon: ${err.message}\n`);
        status = 1;
        continue;
      }
      ctx.out.write(`${name}\n`);
    }
    // docker 28 ends with its StatusError's text.
    if (status) ctx.err.write(`exit status ${status}\n`);
    return status;
  },
});
