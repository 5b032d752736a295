// Built bin: the exit code the process sets, and the environment its shebang hands to Node.
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { file, ROOT, spawnTasker, tempWith } from '../helpers/tasker.js';

const VALID = file('task=0', 'hostname=localhost', 'command=echo', 'arguments=hi', 'exec=local');
const INVALID = file('task=0', 'command=echo', 'exec=pbrn');

// The built bin sets the process exit code from runTasker (npm test builds dist first).
const builtBin = test.macro({
  async exec(t, argv: string[], code: number, stderr: RegExp) {
    const dir = tempWith({ 'wf.txt': VALID, 'bad.txt': INVALID });
    const r = await spawnTasker(argv, { cwd: dir, env: { HOME: dir, TASK_EXECUTOR_LOG: join(dir, 'logs') } });
    t.is(r.code, code);
    t.regex(r.stderr, stderr);
  },
  title: (_p, argv: string[], code: number) => `built tasker ${argv.join(' ')} exits ${code}`,
});
test(builtBin, ['--bogus', 'wf.txt'], 2, /^usage: tasker [\s\S]*tasker: error: unknown option --bogus\n$/);
test(builtBin, ['bad.txt'], 20, /^bad\.txt:1:1: error\[MISSING_HOSTNAME\]/);
test(builtBin, ['missing.txt'], 30, /^tasker: error: task file not found: missing\.txt\n$/);
test(builtBin, ['--validate-only', 'wf.txt'], 0, /^$/);

// The bin's shebang moves NODE_EXTRA_CA_CERTS aside so Node does not parse it at start; the
// commands tasker runs must still see the operator's environment exactly.
const ENV_PROBE = file('task=0', 'hostname=localhost', 'exec=shell', 'command=echo "[${NODE_EXTRA_CA_CERTS-unset}] [${TASKER_NODE_EXTRA_CA_CERTS-unset}]"');
const runProbe = (dir: string, env: NodeJS.ProcessEnv, how: 'tasker.cjs' | 'tasker.js' | 'node') =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const cli = join(ROOT, 'dist', 'controller', 'cli');
    const args = ['-r', 'probe.txt', '-l', join(dir, 'logs')];
    const child = how === 'node' ? spawn(process.execPath, [join(cli, 'tasker.js'), ...args], { cwd: dir, env }) : spawn(join(cli, how), args, { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

for (const bin of ['tasker.cjs', 'tasker.js'] as const) {
  test(`run through its shebang, ${bin} skips Node parsing NODE_EXTRA_CA_CERTS and hands it to commands unchanged`, async (t) => {
    const dir = tempWith({ 'probe.txt': ENV_PROBE });
    const { NODE_EXTRA_CA_CERTS: _ignored, ...base } = process.env;
    const extra = { ...base, NODE_EXTRA_CA_CERTS: '/nonexistent/extra ca.pem' };
    const set = await runProbe(dir, extra, bin);
    t.is(set.code, 0, set.stderr);
    t.regex(set.stdout, /Task 0: STDOUT: \[\/nonexistent\/extra ca\.pem\] \[unset\]\n/);
    // Node warns at start when it cannot load the file: proof it did (not) try.
    t.notRegex(set.stderr, /extra certs/);
    const unset = await runProbe(dir, base, bin);
    t.is(unset.code, 0, unset.stderr);
    t.regex(unset.stdout, /Task 0: STDOUT: \[unset\] \[unset\]\n/);
  });
}

test('started as `node tasker.js`, Node parses NODE_EXTRA_CA_CERTS itself and commands see it unchanged', async (t) => {
  const dir = tempWith({ 'probe.txt': ENV_PROBE });
  const viaNode = await runProbe(dir, { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/extra ca.pem' }, 'node');
  t.is(viaNode.code, 0, viaNode.stderr);
  t.regex(viaNode.stderr, /Ignoring extra certs from `\/nonexistent\/extra ca\.pem`/);
  t.regex(viaNode.stdout, /Task 0: STDOUT: \[\/nonexistent\/extra ca\.pem\] \[unset\]\n/);
});
