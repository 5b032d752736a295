import { splitArgs } from './split-args.js';

/** The exec type's connectivity test (`tasker -c`): `<template with command/arguments>` must exit and print as expected. */
export interface ConnectivityTest {
  command: string;
  /** Arguments text, split like task arguments. */
  arguments: string;
  expectedExit: number;
  /** Substring the test's stdout must contain; '' = only the exit code is checked. */
  expectedOutput: string;
  timeoutSec: number;
}

/** How a task of one exec type becomes an argv. */
export interface ExecType {
  name: string;
  description?: string;
  /**
   * Program that must be on PATH for this type (checked before a run, see {@link findBinary}).
   * '' for `local` (the task's command is the program) and for `ssh`.
   */
  binary: string;
  /**
   * argv template. Elements are formatted with `{binary} {hostname} {command} {arguments}`
   * (`{{`/`}}` for literal braces); an element that is exactly `{arguments_split}` expands to the
   * POSIX-split arguments (nothing when empty).
   */
  template: string[];
  timeoutSec?: number;
  connectivityTest?: ConnectivityTest | null;
  /** true for types with no local template, run by another executor (`ssh`). */
  remote?: true;
  /** Tasks of this type run on `hostname`, so the host is validated (all but `local`/`shell`). */
  usesHost: boolean;
}

export interface ExecTypeRegistry {
  readonly types: ReadonlyMap<string, ExecType>;
  /** Lower-case alias → type name (`bash` → `shell`). */
  readonly aliases: ReadonlyMap<string, string>;
  /** From the config's `default_exec_type`; the engine falls back to `pbrun` (SPEC §2). */
  readonly defaultExecType?: string;
  /** From the config's `default_timeout`, seconds. */
  readonly defaultTimeoutSec?: number;
}

export const TEMPLATE_PLACEHOLDERS = ['binary', 'hostname', 'command', 'arguments'] as const;
export const ARGUMENTS_SPLIT = '{arguments_split}';

const DEFAULT_TEST_TIMEOUT_SEC = 10;

/** The built-in exec types (SPEC §2 and the peer's shipped `execution_types.yaml`). */
export function builtinExecTypes(): ExecType[] {
  const test = (command: string, args = '', timeoutSec = DEFAULT_TEST_TIMEOUT_SEC): ConnectivityTest => ({
    command,
    arguments: args,
    expectedExit: 0,
    expectedOutput: 'OK',
    timeoutSec,
  });
  return [
    {
      name: 'local',
      description: 'Run the command directly on this machine (argv, no shell)',
      binary: '',
      template: ['{command}', ARGUMENTS_SPLIT],
      connectivityTest: null,
      usesHost: false,
    },
    {
      name: 'shell',
      description: 'Run "command arguments" through /bin/bash -c on this machine',
      binary: '/bin/bash',
      template: ['{binary}', '-c', '{command} {arguments}'],
      connectivityTest: test('echo', 'OK'),
      usesHost: false,
    },
    {
      name: 'pbrun',
      description: 'PowerBroker: pbrun -n -h HOST CMD ARGS…',
      binary: 'pbrun',
      template: ['{binary}', '-n', '-h', '{hostname}', '{command}', ARGUMENTS_SPLIT],
      connectivityTest: test('pbtest'),
      usesHost: true,
    },
    {
      name: 'p7s',
      description: 'p7s HOST CMD ARGS…',
      binary: 'p7s',
      template: ['{binary}', '{hostname}', '{command}', ARGUMENTS_SPLIT],
      connectivityTest: test('pbtest'),
      usesHost: true,
    },
    {
      name: 'wwrs',
      description: 'wwrs_clir HOST CMD ARGS…',
      binary: 'wwrs_clir',
      template: ['{binary}', '{hostname}', '{command}', ARGUMENTS_SPLIT],
      connectivityTest: test('wwrs_test', '', 15),
      usesHost: true,
    },
    {
      name: 'ssh',
      description: 'CMD ARGS… on HOST over SSH (run by the SSH executor, no local template)',
      binary: '',
      template: [],
      connectivityTest: null,
      remote: true,
      usesHost: true,
    },
  ];
}

export const BUILTIN_ALIASES: Readonly<Record<string, string>> = {
  bash: 'shell',
  sh: 'shell',
  '/bin/bash': 'shell',
  '/bin/sh': 'shell',
};

/** The registry without any config file. */
export function defaultRegistry(): ExecTypeRegistry {
  return {
    types: new Map(builtinExecTypes().map((t) => [t.name, t])),
    aliases: new Map(Object.entries(BUILTIN_ALIASES)),
  };
}

/** Look a name up (case-insensitive, through aliases); undefined when unknown. */
export function resolveExecType(registry: ExecTypeRegistry, name: string): ExecType | undefined {
  const key = name.trim().toLowerCase();
  return registry.types.get(key) ?? registry.types.get(registry.aliases.get(key) ?? '');
}

/** Every name a task may write in `exec=` (types and aliases), for messages and suggestions. */
export function execTypeNames(registry: ExecTypeRegistry): string[] {
  return [...registry.types.keys(), ...registry.aliases.keys()];
}

export interface BuildArgvInput {
  hostname: string;
  command: string;
  arguments: string;
}

/**
 * Turn a task into argv for its exec type. `{arguments_split}` becomes the POSIX-split
 * arguments. For `local` the command is argv[0]; a command containing blanks (e.g.
 * `command=ls -l`) is split the same way and its words come first (the peer only warns and then
 * fails to find a program named "ls -l"). An unterminated quote gives `error` and no argv.
 */
export function buildArgv(type: ExecType, input: BuildArgvInput): { argv: string[]; error?: string } {
  if (type.remote) return { argv: [], error: `exec type '${type.name}' has no local template; it runs through its own executor` };
  if (input.command.trim() === '') return { argv: [], error: 'no command given' };
  let split: string[] | undefined;
  const argumentsSplit = (): string[] | string => {
    if (split) return split;
    const r = splitArgs(input.arguments);
    if (r.error) return `arguments: ${r.error}`;
    return (split = r.args);
  };
  const values: Record<string, string> = {
    binary: type.binary,
    hostname: input.hostname,
    command: input.command,
    arguments: input.arguments,
  };
  const argv: string[] = [];
  for (const element of type.template) {
    if (element === ARGUMENTS_SPLIT) {
      const words = argumentsSplit();
      if (typeof words === 'string') return { argv: [], error: words };
      argv.push(...words);
    } else if (element === '{command}' && type.name === 'local' && /\s/.test(input.command.trim())) {
      const r = splitArgs(input.command);
      if (r.error) return { argv: [], error: `command: ${r.error}` };
      argv.push(...r.args);
    } else {
      let text = formatTemplateElement(element, values);
      if (input.arguments === '' && element.endsWith('{arguments}')) text = text.trimEnd();
      argv.push(text);
    }
  }
  if (argv.length === 0 || argv[0] === '') return { argv: [], error: `exec type '${type.name}' produced an empty program name` };
  return { argv };
}

/** Replace `{name}` placeholders in one element; `{{`/`}}` are literal braces; unknown names stay. */
export function formatTemplateElement(element: string, values: Readonly<Record<string, string>>): string {
  return element.replace(/\{\{|\}\}|\{([a-z_]+)\}/g, (match, name: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    return name !== undefined && Object.hasOwn(values, name) ? values[name]! : match;
  });
}

/** Placeholder names used in a template element that we do not know (for config validation). */
export function unknownPlaceholders(element: string): string[] {
  if (element === ARGUMENTS_SPLIT) return [];
  const found: string[] = [];
  for (const m of element.replace(/\{\{|\}\}/g, '').matchAll(/\{([^{}]*)\}/g)) {
    const name = m[1]!;
    if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) found.push(name);
  }
  return found;
}

/** argv of a type's connectivity test against `hostname`, or an error. */
export function connectivityArgv(type: ExecType, hostname: string): { argv: string[]; error?: string } {
  const test = type.connectivityTest;
  if (!test) return { argv: [], error: `exec type '${type.name}' has no connectivity test` };
  return buildArgv(type, { hostname, command: test.command, arguments: test.arguments });
}
