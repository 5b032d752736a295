import test from 'ava';
import { spawnSync } from 'node:child_process';
import { ExitCode } from '../../../shared/exit-codes.js';
import { BIN, makeBase } from './console-helpers.js';

const serve = (...args: string[]) => spawnSync(process.execPath, [BIN.ui, 'serve', '-l', makeBase(), ...args], { encoding: 'utf8', timeout: 20_000 });

test('a non-loopback --listen without TLS is refused with exit 2 and says what is needed', (t) => {
  for (const address of ['0.0.0.0:0', '[::]:0', '192.0.2.10:8080']) {
    const r = serve('--listen', address);
    t.is(r.status, ExitCode.USAGE, address);
    t.regex(r.stderr, /is not a loopback address: a console reachable from other machines needs TLS and client certificates \(--tls-cert FILE --tls-key FILE --tls-ca FILE/);
    t.regex(r.stderr, /^usage: tasker-ui serve/m);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('half of the TLS options is refused too', (t) => {
  const r = serve('--listen', '0.0.0.0:0', '--tls-cert', 'a.pem');
  t.is(r.status, ExitCode.USAGE);
  t.regex(r.stderr, /--tls-cert, --tls-key and --tls-ca must be given together/);
});

test('--help prints the usage and exits 0; no command or an unknown one is a usage error', (t) => {
  const help = spawnSync(process.execPath, [BIN.ui, '--help'], { encoding: 'utf8' });
  t.is(help.status, 0);
  t.regex(help.stdout, /^usage: tasker-ui serve /);
  const none = spawnSync(process.execPath, [BIN.ui], { encoding: 'utf8' });
  t.is(none.status, ExitCode.USAGE);
  t.regex(none.stderr, /tasker-ui: error: a command is needed: serve/);
  const other = spawnSync(process.execPath, [BIN.ui, 'start'], { encoding: 'utf8' });
  t.is(other.status, ExitCode.USAGE);
  t.regex(other.stderr, /unknown command `start`; the command is serve/);
});
