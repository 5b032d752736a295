/**
 * The shipped systemd unit restricts nothing tasks do; the opt-in drop-in does, and documents what
 * each of its settings breaks (issue 15, item 6). Read by systemd's own parser (systemd-analyze).
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from '../helpers/run-cli.js';

const UNIT = readFileSync(join(ROOT, 'deploy', 'tasker-agent.service'), 'utf8');
const DROP_IN = readFileSync(join(ROOT, 'deploy', 'tasker-agent.service.d', 'hardening.conf'), 'utf8');
const fill = (text: string) =>
  text.replaceAll('@USER@', 'root').replaceAll('@GROUP@', 'root').replaceAll('@PREFIX@', '/opt/tasker-agent').replaceAll('@NODE@', process.execPath);

/** Install the filled unit (and the drop-in) in a temp dir; what systemd-analyze says about it. */
function analyse(withDropIn: boolean): { verify: string; settings: Record<string, string | undefined> } {
  const dir = tempDir('tasker-unit-');
  const unit = join(dir, 'tasker-agent.service');
  writeFileSync(unit, fill(UNIT));
  if (withDropIn) {
    mkdirSync(`${unit}.d`);
    writeFileSync(join(`${unit}.d`, 'hardening.conf'), fill(DROP_IN));
  }
  const checked = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
  const verify = `${checked.stdout}${checked.stderr}`; // systemd reports problems on stderr
  const rows = JSON.parse(execFileSync('systemd-analyze', ['security', '--offline=true', '--json=short', '--no-pager', unit], { encoding: 'utf8' })) as {
    json_field: string;
    description: string;
  }[];
  const fields = ['ProtectSystem', 'ProtectHome', 'PrivateTmp', 'ProtectControlGroups', 'UMask'];
  return { verify, settings: Object.fromEntries(fields.map((f) => [f, rows.find((r) => r.json_field === f)?.description])) };
}

test('the default unit leaves tasks unrestricted: full access to /etc, /usr, homes, the shared /tmp, cgroups, umask 022', (t) => {
  const { verify, settings } = analyse(false);
  t.is(verify, '');
  t.deepEqual(settings, {
    ProtectSystem: 'Service has full access to the OS file hierarchy',
    ProtectHome: 'Service has full access to home directories',
    PrivateTmp: "Service has access to other software's temporary files",
    ProtectControlGroups: 'Service may modify the control group file system',
    UMask: 'Files created by service are world-readable by default',
  });
  t.regex(UNIT, /^RuntimeDirectory=tasker-agent$/m);
  t.regex(UNIT, /^RuntimeDirectoryMode=0700$/m);
  t.notRegex(UNIT, /^NoNewPrivileges=/m);
});

test('with the hardening drop-in systemd applies the sandboxing', (t) => {
  const { verify, settings } = analyse(true);
  t.is(verify, '');
  t.deepEqual(settings, {
    ProtectSystem: 'Service has very limited write access to the OS file hierarchy',
    ProtectHome: 'Service has read-only access to home directories',
    PrivateTmp: "Service has no access to other software's temporary files",
    ProtectControlGroups: 'Service cannot modify the control group file system',
    UMask: 'Files created by service are group-readable by default',
  });
});

test('the drop-in says what each of its settings breaks', (t) => {
  const keys = [...DROP_IN.matchAll(/^(\w+)=/gm)].map((m) => m[1]!);
  t.deepEqual(keys, ['ProtectSystem', 'ProtectHome', 'PrivateTmp', 'ProtectControlGroups', 'UMask', 'ReadWritePaths']);
  for (const key of keys) t.regex(DROP_IN, new RegExp(`^# - ${key}=`, 'm'), `${key} is explained`);
});
