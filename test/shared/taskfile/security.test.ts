import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDiagnostic } from '../../../shared/taskfile/diagnostics.js';
import type { Diagnostic } from '../../../shared/taskfile/diagnostics.js';
import type { Task, Workflow } from '../../../shared/taskfile/model.js';
import { parseTaskFile } from '../../../shared/taskfile/parser.js';
import { checkGlobalsSecurity, checkSecurity, checkTaskSecurity } from '../../../shared/taskfile/security.js';
import { buildWorkflow } from '../../../shared/taskfile/validate.js';

const EXEC_TYPES = new Set(['local', 'shell', 'pbrun', 'p7s', 'wwrs', 'bash', 'sh']);

function workflow(text: string, env: NodeJS.ProcessEnv = {}): Workflow {
  return buildWorkflow(parseTaskFile(text, 'wf.txt').ast, { env, execTypes: EXEC_TYPES }).workflow;
}

/** The task's own exec, default local (the peer's context rule). `bash`/`sh` are aliases of shell. */
const execTypeOf = (task: Task, resolve: (text: string) => string): string => {
  const e = resolve(task.exec ?? 'local').toLowerCase();
  return e === 'bash' || e === 'sh' ? 'shell' : e;
};

type Expected = Array<[code: string, severity: 'error' | 'warning', line: number, col: number, length: number]>;

function brief(ds: Diagnostic[]): Expected {
  return ds.map((d) => [d.code, d.severity, d.line!, d.col!, d.length!]);
}

/** One task with the given key=value lines; the first field line is line 3. */
function oneTask(exec: string, fields: string[]): string {
  return ['task=0', `exec=${exec}`, ...fields].join('\n') + '\n';
}

const flags = test.macro({
  exec(t, exec: string, fields: string[], expected: Expected) {
    t.deepEqual(brief(checkSecurity(workflow(oneTask(exec, fields)), { execTypeOf })), expected);
  },
  title: (provided, exec: string, fields: string[]) => provided ?? `${exec}: ${fields.join(' ')}`,
});

// No false positives on ordinary workflows.
test('plain local command', flags, 'local', ['hostname=localhost', 'command=ls', 'arguments=-la /tmp'], []);
test('a lone | in local arguments is a literal grep pattern', flags, 'local', ['hostname=localhost', 'command=grep', 'arguments="a|b" file.txt'], []);
test('a lone & and > in local arguments are literal words', flags, 'local', ['hostname=h', 'command=echo', 'arguments=a & b > c'], []);
test('shell syntax is allowed for exec=shell', flags, 'shell', ['hostname=localhost', 'command=ls', 'arguments=| nc evil 1; rm x; echo $(date) `id` > /dev/null'], []);
test('exec=@GLOBAL@ is resolved before choosing the rules', (t) => {
  const wf = workflow('MODE=shell\ntask=0\nhostname=h\nexec=@MODE@\ncommand=ps aux | wc -l\n');
  t.deepEqual(checkSecurity(wf, { execTypeOf }), []);
});
test('the bash alias counts as shell', flags, 'bash', ['hostname=h', 'command=echo $(id); rm', 'arguments=x'], []);
test('email-like and dotted values pass', flags, 'local', ['hostname=web01.example.com', 'command=/usr/bin/mail', 'arguments=-s ok a.b@c.d ./x.y'], []);
test('rm -rf of a directory is not rm -rf /', flags, 'local', ['hostname=h', 'command=rm', 'arguments=-rf /tmp/build'], []);

// Injection in arguments of non-shell types: error at the pattern.
test('; rm in local arguments', flags, 'local', ['hostname=h', 'command=echo', 'arguments=; rm -rf /'],
  [['SECURITY_INJECTION', 'error', 5, 11, 4], ['SECURITY_DANGEROUS', 'warning', 5, 13, 8]]);
test('; curl', flags, 'pbrun', ['hostname=h', 'command=echo', 'arguments=x;curl http://e'], [['SECURITY_INJECTION', 'error', 5, 12, 5]]);
test('; wget', flags, 'p7s', ['hostname=h', 'command=echo', 'arguments=x ;  wget y'], [['SECURITY_INJECTION', 'error', 5, 13, 7]]);
test('; cat', flags, 'local', ['hostname=h', 'command=echo', 'arguments=a; cat b'], [['SECURITY_INJECTION', 'error', 5, 12, 5]]);
test('pipe to nc', flags, 'local', ['hostname=h', 'command=echo', 'arguments=x | nc 10.0.0.1 80'], [['SECURITY_INJECTION', 'error', 5, 13, 4]]);
test('$(…)', flags, 'local', ['hostname=h', 'command=echo', 'arguments=a $(id) b'], [['SECURITY_INJECTION', 'error', 5, 13, 5]]);
test('backtick pair', flags, 'local', ['hostname=h', 'command=echo', 'arguments=`id`'], [['SECURITY_INJECTION', 'error', 5, 11, 4]]);
test('&& rm', flags, 'wwrs', ['hostname=h', 'command=echo', 'arguments=a && rm b'], [['SECURITY_INJECTION', 'error', 5, 13, 5]]);
test('|| curl', flags, 'local', ['hostname=h', 'command=echo', 'arguments=a || curl b'], [['SECURITY_INJECTION', 'error', 5, 13, 7]]);
test('> /dev/', flags, 'local', ['hostname=h', 'command=echo', 'arguments=a > /dev/sda'], [['SECURITY_INJECTION', 'error', 5, 13, 7]]);
test('< /dev/', flags, 'local', ['hostname=h', 'command=cat', 'arguments=</dev/zero'], [['SECURITY_INJECTION', 'error', 5, 11, 6]]);

// Command: metacharacters and injection for non-shell types.
test('metachar in a local command', flags, 'local', ['hostname=h', 'command=ls|wc', 'arguments=-l'], [['SECURITY_METACHAR', 'error', 4, 11, 1]]);
test('injection in a command is reported once, not again as metachar', flags, 'local', ['hostname=h', 'command=echo;rm', 'arguments=x'], [['SECURITY_INJECTION', 'error', 4, 13, 3]]);
test('$ in a pbrun command', flags, 'pbrun', ['hostname=h', 'command=$HOME/bin/x'], [['SECURITY_METACHAR', 'error', 4, 9, 1]]);

// Hostname: metacharacters for every type, shell included.
test('metachar in hostname (shell too)', flags, 'shell', ['hostname=web;01', 'command=ls'], [['SECURITY_METACHAR', 'error', 3, 13, 1]]);
test('quote in hostname', flags, 'local', ['hostname="h"', 'command=ls'], [['SECURITY_METACHAR', 'error', 3, 10, 1]]);

// Path traversal: error for every type, shell included.
test('../ in shell arguments', flags, 'shell', ['hostname=h', 'command=cat', 'arguments=../../x'], [['SECURITY_TRAVERSAL', 'error', 5, 11, 3], ['SECURITY_TRAVERSAL', 'error', 5, 14, 3]]);
test('..\\ in arguments', flags, 'local', ['hostname=h', 'command=type', 'arguments=..\\x'], [['SECURITY_TRAVERSAL', 'error', 5, 11, 3]]);
test('%2e%2e%2f in arguments', flags, 'local', ['hostname=h', 'command=curl', 'arguments=http://h/%2E%2e%2fetc'], [['SECURITY_TRAVERSAL', 'error', 5, 20, 9]]);
test('..%2f in arguments', flags, 'local', ['hostname=h', 'command=curl', 'arguments=h/..%2fx'], [['SECURITY_TRAVERSAL', 'error', 5, 13, 5]]);
test('/etc/passwd', flags, 'local', ['hostname=h', 'command=grep', 'arguments=root /etc/passwd'], [['SECURITY_TRAVERSAL', 'error', 5, 16, 11]]);
test('/etc/shadow', flags, 'shell', ['hostname=h', 'command=cat', 'arguments=/etc/shadow'], [['SECURITY_TRAVERSAL', 'error', 5, 11, 11]]);
test('/proc/version', flags, 'local', ['hostname=h', 'command=cat', 'arguments=/proc/version'], [['SECURITY_TRAVERSAL', 'error', 5, 11, 13]]);
test('c:\\windows\\', flags, 'local', ['hostname=h', 'command=dir', 'arguments=C:\\Windows\\system32'], [['SECURITY_TRAVERSAL', 'error', 5, 11, 11]]);

// Dangerous commands: warnings, also for shell; may span command and arguments.
test('rm -rf / across command and arguments', flags, 'shell', ['hostname=h', 'command=rm', 'arguments=-rf /'], [['SECURITY_DANGEROUS', 'warning', 4, 9, 2]]);
test('chmod 777', flags, 'local', ['hostname=h', 'command=chmod', 'arguments=777 /srv'], [['SECURITY_DANGEROUS', 'warning', 4, 9, 5]]);
test('mkfs.', flags, 'shell', ['hostname=h', 'command=mkfs.ext4 /dev/sdb1'], [['SECURITY_DANGEROUS', 'warning', 4, 9, 9]]);
test('dd of=/dev/', flags, 'shell', ['hostname=h', 'command=dd', 'arguments=if=x of=/dev/sda bs=1M'], [['SECURITY_DANGEROUS', 'warning', 4, 9, 2]]);

// Lengths (skipped while a placeholder is unresolved).
test('arguments longer than 2000 characters', flags, 'local', ['hostname=h', 'command=echo', `arguments=${'x'.repeat(2001)}`], [['SECURITY_LENGTH', 'error', 5, 2011, 1]]);
test('hostname longer than 253 characters', flags, 'local', [`hostname=${'a'.repeat(254)}`, 'command=ls'], [['SECURITY_LENGTH', 'error', 3, 263, 1]]);
test('length is not checked while a placeholder remains', flags, 'local', ['hostname=h', 'command=echo', `arguments=@0_stdout@ ${'x'.repeat(2001)}`], []);

test('a finding inside a substituted global points at the placeholder', (t) => {
  const wf = workflow(['EVIL=x; rm -rf /tmp/a', 'task=0', 'hostname=h', 'command=echo', 'arguments=ok @EVIL@'].join('\n'));
  const ds = checkTaskSecurity(wf, { execTypeOf });
  t.deepEqual(brief(ds), [['SECURITY_INJECTION', 'error', 5, 14, 6]]);
  t.is(formatDiagnostic(ds[0]!, 'wf.txt', wf.ast.lines), [
    "wf.txt:5:14: error[SECURITY_INJECTION] task 0: arguments contains the injection pattern '; rm'",
    ' 5 | arguments=ok @EVIL@',
    '   |              ^^^^^^',
    '   = help: use exec=shell if you need shell syntax',
  ].join('\n'));
});

test('the metachar message names every distinct character and hints at exec=shell', (t) => {
  const [d] = checkSecurity(workflow(oneTask('local', ['hostname=h', 'command=a|b|c>d'])), { execTypeOf });
  t.is(d!.message, 'task 0: command contains shell metacharacters `|`, `>`');
  t.is(d!.hint, 'use exec=shell if you need shell syntax; a local command runs without a shell');
});

// Globals: injection and traversal are errors always, shell or not.
const globalFlags = test.macro({
  exec(t, line: string, env: NodeJS.ProcessEnv, expected: Expected) {
    const wf = workflow(`${line}\ntask=0\nhostname=h\nexec=shell\ncommand=true\n`, env);
    t.deepEqual(brief(checkGlobalsSecurity(wf)), expected);
  },
  title: (provided, line: string) => provided ?? `global ${line}`,
});
test(globalFlags, 'A=plain value', {}, []);
test(globalFlags, 'A=a|b', {}, []);
test(globalFlags, 'A=x && rm y', {}, [['SECURITY_INJECTION', 'error', 1, 5, 5]]);
test(globalFlags, 'A=/data/../etc', {}, [['SECURITY_TRAVERSAL', 'error', 1, 9, 3]]);
test('a global whose env expansion injects points at the whole value', globalFlags, 'A=pre_$TASKER_X', { TASKER_X: '$(id)' }, [['SECURITY_INJECTION', 'error', 1, 3, 13]]);

test('global findings say they cannot be skipped', (t) => {
  const [d] = checkGlobalsSecurity(workflow('A=`id`\ntask=0\nhostname=h\ncommand=true\n'));
  t.is(d!.message, "global 'A': value contains the injection pattern 'command substitution `…`'");
  t.regex(d!.hint!, /even with --skip-security-validation/);
});

test('checkTaskSecurity leaves globals out; checkSecurity includes them', (t) => {
  const wf = workflow('A=`id`\ntask=0\nhostname=h\ncommand=true\n');
  t.deepEqual(checkTaskSecurity(wf, { execTypeOf }), []);
  t.is(checkSecurity(wf, { execTypeOf }).length, 1);
});

// The peer's own conformance cases that expect success must pass security validation.
const CASES = '/work/shared/conformance/cases';
test('no security errors in conformance cases that expect exit 0', (t) => {
  let checked = 0;
  const offenders: string[] = [];
  for (const dir of readdirSync(CASES)) {
    for (const f of readdirSync(join(CASES, dir)).filter((n) => n.endsWith('.txt'))) {
      const text = readFileSync(join(CASES, dir, f), 'utf8');
      const meta = /^# TEST_METADATA: (\{.*\})/.exec(text);
      if (!meta) continue;
      let m: { expected_exit_code?: number };
      try {
        m = JSON.parse(meta[1]!) as typeof m;
      } catch {
        continue;
      }
      if (m.expected_exit_code !== 0 || /skip-security-validation|skip-validation/.test(text + meta[1])) continue;
      checked++;
      const env = { HOME: '/home/u', USER: 'u', PATH: '/usr/bin', TASKER_DEPLOY_HOST: 'server001', TASKER_BUILD_ID: 'b-1' };
      const errors = checkSecurity(workflow(text, env), { execTypeOf }).filter((d) => d.severity === 'error');
      if (errors.length) offenders.push(`${dir}/${f}: ${errors.map((d) => `${d.line}:${d.col} ${d.message}`).join('; ')}`);
    }
  }
  t.true(checked > 100, `checked ${checked} cases`);
  t.deepEqual(offenders, []);
});
