/**
 * The checked-in TypeScript of the wire protocol (shared/proto/generated/) is what the generator
 * makes of proto/*.proto today: regenerated into a temporary directory, every file must match and
 * none may be missing or extra. On a failure, run `npm run gen:proto` and commit the result.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { packageRoot } from '../../../shared/proto/load-proto.js';

const root = packageRoot();
const checkedIn = join(root, 'shared', 'proto', 'generated');

/** Every file below `dir`, as paths relative to it, sorted. */
function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test('shared/proto/generated matches proto/*.proto (else: npm run gen:proto)', (t) => {
  const fresh = mkdtempSync(join(tmpdir(), 'tasker-gen-proto-'));
  try {
    execFileSync('bash', [join(root, 'scripts', 'gen-proto.sh'), fresh], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    const expected = filesBelow(fresh);
    t.true(expected.length > 0, 'the generator wrote no files');
    t.deepEqual(filesBelow(checkedIn), expected, 'files missing or extra in shared/proto/generated');
    for (const file of expected) {
      t.is(readFileSync(join(checkedIn, file), 'utf8'), readFileSync(join(fresh, file), 'utf8'), `${file} is out of date`);
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
