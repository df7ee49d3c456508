// Layering check (DESIGN.md "Code layout and dependency direction"): a module under src/ may
// import only modules of its own rank or lower, and src/plan and src/spec do no I/O.
// Exits non-zero listing every violation.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const RANK: Record<string, number> = {
  common: 0,
  spec: 1,
  plan: 2,
  image: 3,
  storage: 3,
  distribution: 4,
  runtime: 4,
  network: 5,
  volume: 5,
  build: 6,
  registry: 6,
  engine: 7,
  api: 8,
  daemon: 9,
  cli: 9,
};
const PURE = new Set(['spec', 'plan']);
const IO_MODULES =
  /^(node:)?(fs|fs\/promises|child_process|net|dgram|http|https|http2|os|worker_threads|cluster|tls|dns)$/;
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

const moduleOf = (file: string): string => relative(src, file).split('/')[0];
const problems: string[] = [];

for (const file of walk(src)) {
  const mod = moduleOf(file);
  const rank = RANK[mod];
  const rel = relative(root, file);
  if (rank === undefined) {
    problems.push(`${rel}: src/${mod} is not a known layer (add it to scripts/check-layers.ts)`);
    continue;
  }
  const isTest = file.endsWith('.test.ts');
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    if (spec.startsWith('.')) {
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(src + '/')) continue;
      const targetMod = moduleOf(target);
      const targetRank = RANK[targetMod];
      if (targetRank === undefined || targetRank > rank) {
        problems.push(`${rel}: src/${mod} must not import src/${targetMod} (${spec})`);
      }
      if (PURE.has(mod) && !isTest && !PURE.has(targetMod) && target !== join(src, 'common/errors.ts')) {
        problems.push(
          `${rel}: src/${mod} is pure and may import only spec, plan and common/errors (${spec})`,
        );
      }
    } else if (PURE.has(mod) && !isTest && IO_MODULES.test(spec)) {
      problems.push(`${rel}: src/${mod} is pure and must not import ${spec}`);
    }
  }
  const code = text.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, "''");
  if (PURE.has(mod) && !isTest && /\bprocess\.(env|cwd|argv|pid|kill|exit)\b/.test(code)) {
    problems.push(`${rel}: src/${mod} is pure and must not read the process environment`);
  }
}

if (problems.length) {
  for (const p of problems) console.error(`layers: ${p}`);
  process.exit(1);
}
console.log('layers: ok');
