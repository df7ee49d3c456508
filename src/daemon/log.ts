// berthd's log lines, dockerd-style: time="…" level=info msg="…" key=value.

const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];

export interface Log {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function logger(min: Level, out: (line: string) => void = (l) => process.stderr.write(l)): Log {
  const at =
    (level: Level) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      if (LEVELS.indexOf(level) < LEVELS.indexOf(min)) return;
      const extra = Object.entries(fields)
        .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`)
        .join('');
      out(`time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}${extra}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
