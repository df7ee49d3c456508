// The create body (or the error and exit status) for every command line in testdata/cases.ts,
// compared with what the docker CLI 28 sent or printed (testdata/create-bodies.golden.json).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepareContainer } from './prepare.ts';
import { CASES, type CaptureResult } from './testdata/cases.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');
const golden = JSON.parse(
  readFileSync(join(TESTDATA, 'create-bodies.golden.json'), 'utf8').replaceAll('$TESTDATA', TESTDATA),
) as Record<string, CaptureResult>;

/** Docker builds Env and Binds through Go maps: their order varies from run to run. */
function normalize(body: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(body) as Record<string, unknown> & { HostConfig: Record<string, unknown> };
  if (Array.isArray(copy.Env)) copy.Env = [...copy.Env].sort();
  if (Array.isArray(copy.HostConfig.Binds)) copy.HostConfig.Binds = [...copy.HostConfig.Binds].sort();
  return copy;
}

for (const c of CASES) {
  test(`${c.command ?? 'create'}: ${c.name}`, () => {
    const want = golden[c.name];
    assert.ok(want, `no golden result for ${c.name}: run testdata/capture.ts`);
    const got = prepareContainer(c.command ?? 'create', c.args, {
      lookup: (name) => c.env?.[name],
      cwd: TESTDATA,
    });
    if ('body' in want) {
      assert.ok(got.ok, `expected a body, got: ${!got.ok && got.stderr}`);
      assert.deepEqual(normalize(got.request.body), normalize(want.body));
      const query: Record<string, string> = {};
      if (got.request.name) query.name = got.request.name;
      if (got.request.platform) query.platform = got.request.platform;
      assert.deepEqual(query, want.query);
    } else {
      assert.ok(!got.ok, 'expected an error');
      assert.equal(got.stderr, want.stderr.replaceAll('docker', 'berth'));
      assert.equal(got.status, want.status);
    }
  });
}
