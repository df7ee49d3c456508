// berth tag / berth image tag: another name for an image.

import type { CommandDef } from '../../command.ts';
import { splitTag } from '../../format/reference.ts';

export const tag: CommandDef = {
  path: ['image', 'tag'],
  aliases: [['tag']],
  summary: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  usage: 'berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  args: { min: 2, max: 2 },
  flags: [],
  async run(ctx, _opts, [source, target]) {
    const client = await ctx.client();
    // the repository and the tag are sent apart
    const { repo, tag: tagName = 'latest' } = splitTag(target);
    await client.request('POST', `/images/${encodeURIComponent(source)}/tag`, {
      query: { repo, tag: tagName },
    });
    return 0;
  },
};
