// Yes/no questions before destructive commands (prune), answered on stdin as docker does.

import type { CommandContext } from './command.ts';

export async function confirm(ctx: CommandContext, warning: string): Promise<boolean> {
  ctx.out.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    process.stdin.once('data', (d) => resolve(String(d)));
    process.stdin.once('end', () => resolve(''));
  });
  process.stdin.pause();
  return /^y(es)?$/i.test(answer.trim());
}
