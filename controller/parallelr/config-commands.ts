import { formatConfigDiagnostic, loadConfig, renderConfigYaml, type LoadedConfig, type ParallelrConfig } from './config.js';
import { ParallelrExit } from './exit-codes.js';
import type { ParallelrDirs } from './paths.js';
import { InputError } from '../../shared/errors/index.js';

type Write = (text: string) => void;

/** The merged configuration; warnings go to err, errors throw a InputError listing them. */
export function loadChecked(dirs: ParallelrDirs, err: Write): ParallelrConfig {
  const loaded = loadConfig({ installation: dirs.installationConfig, user: dirs.userConfig });
  for (const d of loaded.diagnostics) if (d.severity === 'warning') err(`parallelr: ${formatConfigDiagnostic(d)}`);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    throw new InputError(`invalid configuration:\n${errors.map(formatConfigDiagnostic).join('\n')}\n(check with parallelr --validate-config)`);
  }
  return loaded.config;
}

function describeFiles(loaded: LoadedConfig): string {
  return loaded.files.map((f) => `  ${`${f.tier}:`.padEnd(14)}${f.path} (${f.status})`).join('\n');
}

/** --show-config */
export function showConfig(dirs: ParallelrDirs, out: Write): number {
  const loaded = loadConfig({ installation: dirs.installationConfig, user: dirs.userConfig });
  out('Configuration files (later overrides earlier):');
  out(describeFiles(loaded));
  if (loaded.diagnostics.length) {
    out('Problems:');
    out(loaded.diagnostics.map((d) => `  ${formatConfigDiagnostic(d)}`).join('\n'));
  }
  out('\nEffective configuration (defaults, then the files above):');
  out(renderConfigYaml(loaded.config));
  out(`Directories:\n  home:      ${dirs.home}\n  logs:      ${dirs.logs}\n  workspace: ${dirs.workspace}\n  pids:      ${dirs.pids}`);
  out(`\nTo customise, create ${dirs.userConfig} (see deploy/parallelr.example.yaml).`);
  return ParallelrExit.SUCCESS;
}

/** --validate-config */
export function validateConfig(dirs: ParallelrDirs, out: Write, err: Write): number {
  const loaded = loadConfig({ installation: dirs.installationConfig, user: dirs.userConfig });
  out('Configuration files:');
  out(describeFiles(loaded));
  for (const d of loaded.diagnostics) err(formatConfigDiagnostic(d));
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = loaded.diagnostics.length - errors;
  if (errors) {
    out(`Configuration is invalid: ${errors} error(s), ${warnings} warning(s).`);
    return ParallelrExit.FAILED;
  }
  out(`Configuration is valid${warnings ? ` (${warnings} warning(s))` : ''}.`);
  return ParallelrExit.SUCCESS;
}
