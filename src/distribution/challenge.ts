// WWW-Authenticate challenges (RFC 7235) as registries send them:
//   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
//   Basic realm="basic-realm"
// Pure.

export interface Challenge {
  /** lower case: `bearer`, `basic` */
  scheme: string;
  params: Record<string, string>;
}

/** Every challenge of one or more WWW-Authenticate header values. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const value of values) {
    let current: Challenge | undefined;
    let i = 0;
    const s = value;
    while (i < s.length) {
      while (i < s.length && /[\s,]/.test(s[i])) i++;
      const tokenStart = i;
      while (i < s.length && /[^\s,=]/.test(s[i])) i++;
      const token = s.slice(tokenStart, i);
      if (!token) break;
      let j = i;
      while (j < s.length && s[j] === ' ') j++;
      if (s[j] === '=' && current) {
        // a parameter: name=value or name="quoted \" value"
        i = j + 1;
        while (s[i] === ' ') i++;
        let v = '';
        if (s[i] === '"') {
          i++;
          while (i < s.length && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < s.length) i++;
            v += s[i++];
          }
          i++;
        } else {
          const vs = i;
          while (i < s.length && s[i] !== ',') i++;
          v = s.slice(vs, i).trim();
        }
        current.params[token.toLowerCase()] = v;
      } else {
        current = { scheme: token.toLowerCase(), params: {} };
        out.push(current);
      }
    }
  }
  return out;
}

/** The scope a pull (or push) of a repository needs: `repository:library/busybox:pull,push`. */
export function repositoryScope(path: string, actions: readonly string[]): string {
  return `repository:${path}:${actions.join(',')}`;
}
