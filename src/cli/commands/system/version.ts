// berth version: the client's and the server's versions (docker version's layout).

import { CLIENT_API_VERSION } from '../../../api/client/client.ts';
import type { CommandDef } from '../../command.ts';
import { formatWith } from '../../output.ts';

const CLIENT_VERSION = '0.1.0';

interface ServerVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GoVersion: string;
  GitCommit: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  Platform?: { Name: string };
}

export const version: CommandDef = {
  path: ['version'],
  summary: 'Show the berth version information',
  usage: 'berth version [OPTIONS]',
  flags: [
    { name: 'format', short: 'f', type: 'string', description: 'Format output using a custom template' },
  ],
  async run(ctx, opts) {
    const client = await ctx.client();
    const negotiated = await client.negotiate();
    const server = await client.json<ServerVersion>('GET', '/version');
    const data = {
      Client: {
        Version: CLIENT_VERSION,
        ApiVersion: negotiated,
        DefaultAPIVersion: CLIENT_API_VERSION,
        GoVersion: `node ${process.version}`,
        Os: 'linux',
        Arch: server.Arch,
        Context: 'default',
      },
      Server: server,
    };
    if (opts.format) {
      ctx.out.write(formatWith(String(opts.format), data));
      return 0;
    }
    const downgraded = negotiated !== CLIENT_API_VERSION ? ` (downgraded from ${CLIENT_API_VERSION})` : '';
    ctx.out.write(
      [
        'Client:',
        ` Version:           ${CLIENT_VERSION}`,
        ` API version:       ${negotiated}${downgraded}`,
        ` Node version:      ${process.version}`,
        ` OS/Arch:           linux/${server.Arch}`,
        ` Context:           default`,
        '',
        `Server: ${server.Platform?.Name ?? ''}`,
        ' Engine:',
        `  Version:          ${server.Version}`,
        `  API version:      ${server.ApiVersion} (minimum version ${server.MinAPIVersion})`,
        `  Runtime:          ${server.GoVersion}`,
        `  OS/Arch:          ${server.Os}/${server.Arch}`,
        `  Kernel:           ${server.KernelVersion}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
