// `Config.User` and `HostConfig.GroupAdd` resolved against the container's /etc/passwd and
// /etc/group, the way runc's libcontainer/user (GetExecUser, GetAdditionalGroups) does it for
// dockerd. Pure: the engine reads the two files from the root filesystem and passes their text
// (undefined when a file does not exist).

import { invalidArgument } from '../../common/errors.ts';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups (the user's groups from /etc/group, then `--group-add`), without `gid`. */
  additionalGids: number[];
  /** Home directory from /etc/passwd, `/` when unknown: HOME is set to it when the env has none. */
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2147483647;
const RANGE_ERROR = `uids and gids must be in range 0-${MAX_ID}`;

const isNumeric = (s: string) => /^[0-9]+$/.test(s);

function lines(text: string | undefined): string[][] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** `name:password:uid:gid:gecos:home:shell`; lines with a non-numeric uid or gid are skipped. */
export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return lines(text)
    .filter((f) => isNumeric(f[2] ?? '') && isNumeric(f[3] ?? ''))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' }));
}

/** `name:password:gid:member,member`; lines with a non-numeric gid are skipped. */
export function parseGroup(text: string | undefined): GroupEntry[] {
  return lines(text)
    .filter((f) => isNumeric(f[2] ?? ''))
    .map((f) => ({
      name: f[0],
      gid: Number(f[2]),
      members: (f[3] ?? '').split(',').filter((m) => m !== ''),
    }));
}

function checkRange(id: number): number {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) throw invalidArgument(RANGE_ERROR);
  return id;
}

/**
 * `""`, `name`, `uid`, `name:group`, `uid:gid` … -> numeric ids. A name must exist in passwd
 * (`unable to find user foo: no matching entries in passwd file`); a number need not. Without an
 * explicit group the gid is the passwd entry's and the supplementary groups are those listing the
 * user as a member; with one, there are no supplementary groups. `groupAdd` names or numbers are
 * appended (a name must exist: `Unable to find group x: no matching entries in group file`).
 */
export function resolveUser(
  userSpec: string | undefined,
  passwdText: string | undefined,
  groupText: string | undefined,
  groupAdd: readonly string[] = [],
): ResolvedUser {
  const [userArg = '', groupArg = ''] = (userSpec ?? '').split(':');
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const out: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };

  const match =
    userArg === ''
      ? passwd.find((u) => u.uid === 0)
      : isNumeric(userArg)
        ? passwd.find((u) => u.uid === Number(userArg))
        : passwd.find((u) => u.name === userArg);
  let userName = '';
  if (match) {
    userName = match.name;
    out.uid = match.uid;
    out.gid = match.gid;
    out.home = match.home || '/';
  } else if (userArg !== '') {
    if (!isNumeric(userArg)) {
      throw invalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
    }
    out.uid = checkRange(Number(userArg));
  }

  if (groupArg !== '') {
    const g = groups.find((e) => e.name === groupArg || (isNumeric(groupArg) && e.gid === Number(groupArg)));
    if (g) out.gid = g.gid;
    else if (isNumeric(groupArg)) out.gid = checkRange(Number(groupArg));
    else throw invalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
  } else if (userName !== '') {
    out.additionalGids = groups.filter((g) => g.members.includes(userName)).map((g) => g.gid);
  }

  for (const name of groupAdd) {
    const g = groups.find((e) => e.name === name || (isNumeric(name) && e.gid === Number(name)));
    let gid: number;
    if (g) gid = g.gid;
    else if (isNumeric(name)) gid = checkRange(Number(name));
    else throw invalidArgument(`Unable to find group ${name}: no matching entries in group file`);
    if (!out.additionalGids.includes(gid)) out.additionalGids.push(gid);
  }
  return out;
}
