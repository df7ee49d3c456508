// The host's resolver configuration, read the way glibc reads /etc/resolv.conf (resolv.conf(5)):
// berth's DNS servers run in the host's network namespace and forward to these nameservers, so a
// loopback one (systemd-resolved's 127.0.0.53) works as it does for the host itself.

export interface HostResolvers {
  /** In file order; "ip" text, IPv6 possibly with a `%zone`. */
  nameservers: string[];
  /** The last `search` or `domain` line wins, as in glibc. */
  search: string[];
  /** Every word of every `options` line, in order (`ndots:2`, `edns0`, …). */
  options: string[];
}

/** Parses resolv.conf text. Unknown keywords and malformed lines are skipped, as glibc does. */
export function readHostResolvers(text: string): HostResolvers {
  const result: HostResolvers = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...words] = line.split(/\s+/);
    if (keyword === 'nameserver' && words[0]) result.nameservers.push(words[0]);
    else if (keyword === 'search' || keyword === 'domain')
      result.search = keyword === 'domain' ? words.slice(0, 1) : words;
    else if (keyword === 'options') result.options.push(...words);
  }
  return result;
}
