/** tasker/no-bare-exit-code (scripts/eslint/no-bare-exit-code.mjs) on small source trees of its own. */
import test from 'ava';
import { ESLint } from 'eslint';
// @ts-expect-error: the config is plain JavaScript without type declarations.
import { createConfig } from '../../../eslint.config.mjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const dirs: string[] = [];
test.after.always(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const EXIT_CODES = 'export const ExitCode = { SUCCESS: 0, USAGE: 2 } as const;\nexport const TaskExit = { NOT_RUN: -1 } as const;\n';

/** Lints `source` as controller/cli/main.ts; `line:column text` of each problem the rule reports. */
async function bareExitCodes(source: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-lint-exit-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries({ 'shared/exit-codes.ts': EXIT_CODES, 'controller/cli/main.ts': source })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: createConfig(dir) });
  const [result] = await eslint.lintFiles(['controller/cli/main.ts']);
  const other = result!.messages.filter((m) => m.ruleId !== 'tasker/no-bare-exit-code');
  if (other.length > 0) throw new Error(`the sample breaks other rules: ${other.map((m) => m.message).join('; ')}`);
  return result!.messages.map((m) => `${m.line}:${m.column} ${m.message.split(' gets')[0]}`);
}

const flags = test.macro(async (t, source: string, expected: string[]) => {
  t.deepEqual(await bareExitCodes(source), expected);
});

test('process.exit(2) is an error', flags, 'process.exit(2);\n', ['1:14 process.exit()']);
test('process.exitCode = 1 is an error', flags, 'process.exitCode = 1;\n', ['1:20 process.exitCode']);
test('process["exitCode"] = 1 is an error', flags, "process['exitCode'] = 1;\n", ["1:23 process['exitCode']"]);
test('an exitCode field of an object literal, also -1', flags, 'export const r = { exitCode: -1, exit_code: 0, other: 3 };\n', ['1:30 field exitCode', '1:45 field exit_code']);
test('an exitCode class field and an exitCode variable', flags, 'export class R {\n  exitCode = 10;\n}\nlet exitCode = 0;\nexitCode = 3;\nexport const e = exitCode;\n', ['2:14 field exitCode', '4:16 exitCode', '5:12 exitCode']);
test('both branches of ?: and the fallback of ?? count', flags, 'declare const ok: boolean;\ndeclare const n: number | undefined;\nprocess.exitCode = ok ? 0 : 1;\nprocess.exit(n ?? 70);\n', ['3:25 process.exitCode', '3:29 process.exitCode', '4:19 process.exit()']);
test('a literal hidden behind `as` counts', flags, 'export const r = { exitCode: 2 as number };\n', ['1:30 field exitCode']);

test('named constants, computed values and other fields pass', flags, [
  "import { ExitCode, TaskExit } from '../../shared/exit-codes.js';",
  '',
  'declare const ok: boolean;',
  'declare const code: number;',
  'process.exitCode = ok ? ExitCode.SUCCESS : ExitCode.USAGE;',
  'process.exit(code);',
  'export const r = { exitCode: TaskExit.NOT_RUN, count: 0, timeout: 30 };',
  'export const same = r.exitCode === 0;',
  'export function exitOf(n: number): number {',
  '  return 128 + n;',
  '}',
  '',
].join('\n'), []);

test('the message points to shared/exit-codes.ts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tasker-lint-exit-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'agent'), { recursive: true });
  writeFileSync(join(dir, 'agent/main.ts'), 'process.exit(2);\n');
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: true, overrideConfig: createConfig(dir) });
  const [result] = await eslint.lintFiles(['agent/main.ts']);
  t.deepEqual(result!.messages.map((m) => m.message), [
    'process.exit() gets the bare exit code 2: use a named constant from shared/exit-codes.ts (ExitCode, ParallelrExit, TaskExit), adding one there if none fits.',
  ]);
});
