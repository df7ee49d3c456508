// berth login / berth logout: POST /auth checks the credentials through berthd, then they go
// into config.json (or its credential helper); logout removes them.

import { readFileSync } from 'node:fs';
import {
  configPath,
  eraseCredentials,
  serverKey,
  storeCredentials,
} from '../../../distribution/credentials.ts';
import type { CommandDef } from '../../command.ts';

export const login: CommandDef = {
  path: ['login'],
  summary: 'Log in to a registry',
  usage: 'berth login [OPTIONS] [SERVER]',
  args: { min: 0, max: 1 },
  flags: [
    { name: 'username', short: 'u', type: 'string', description: 'Username' },
    { name: 'password', short: 'p', type: 'string', description: 'Password' },
    { name: 'password-stdin', type: 'bool', description: 'Take the password from stdin' },
  ],
  async run(ctx, opts, [server]) {
    const key = serverKey(server);
    let username = (opts.username as string | undefined)?.trim();
    let password = opts.password as string | undefined;
    if (opts['password-stdin']) {
      if (password) throw new Error('--password and --password-stdin are mutually exclusive');
      if (!username) throw new Error('Must provide --username with --password-stdin');
      password = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
    }
    if (password && !opts['password-stdin'])
      ctx.err.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (!username) username = (await ask(ctx, 'Username: ', false)).trim();
    if (!username) throw new Error('Error: Non-null Username Required');
    if (password === undefined) password = await ask(ctx, 'Password: ', true);
    if (!password) throw new Error('Error: Password Required');
    const client = await ctx.client();
    const auth = { username, password, serveraddress: key };
    const res = await client.json<{ Status: string; IdentityToken?: string }>('POST', '/auth', {
      body: auth,
    });
    const where = storeCredentials(
      key,
      res.IdentityToken ? { ...auth, password: undefined, identitytoken: res.IdentityToken } : auth,
    );
    // the docker CLI warns the same way (its first line word for word, for scripts that look)
    if (where === 'file')
      ctx.err.write(
        `\nWARNING! Your credentials are stored unencrypted in '${configPath()}'.\n` +
          'Configure a credential helper ("credsStore" in that file) to remove this warning.\n\n',
      );
    ctx.out.write(`${res.Status || 'Login Succeeded'}\n`);
    return 0;
  },
};

export const logout: CommandDef = {
  path: ['logout'],
  summary: 'Log out from a registry',
  usage: 'berth logout [SERVER]',
  args: { min: 0, max: 1 },
  flags: [],
  async run(ctx, _opts, [server]) {
    const key = serverKey(server);
    // (the docker CLI 28 says so whether or not there were any)
    ctx.out.write(`Removing login credentials for ${key}\n`);
    eraseCredentials(key);
    return 0;
  },
};

/** One line from stdin after a prompt; not echoed when hidden and stdin is a terminal. */
async function ask(
  ctx: Parameters<CommandDef['run']>[0],
  question: string,
  hidden: boolean,
): Promise<string> {
  ctx.out.write(question);
  const stdin = process.stdin;
  const raw = hidden && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  let text = '';
  try {
    text = await new Promise<string>((resolve) => {
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            stdin.off('end', onEnd);
            resolve(text);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          text += ch;
        }
      };
      const onEnd = () => resolve(text);
      stdin.on('data', onData);
      stdin.once('end', onEnd);
    });
  } finally {
    if (raw) {
      stdin.setRawMode(false);
      ctx.out.write('\n');
    }
    stdin.pause();
  }
  return text;
}
