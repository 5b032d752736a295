// `npm run lint` output: one line per problem, `path:line:col: severity [rule] message`, paths
// relative to the project, so a terminal or an editor jumps straight to the place.
import { relative } from 'node:path';

export default function formatProblems(results, context) {
  const lines = [];
  let errors = 0;
  let warnings = 0;
  for (const result of results) {
    const path = relative(context.cwd, result.filePath);
    for (const m of result.messages) {
      const severity = m.severity === 2 ? 'error' : 'warning';
      if (m.severity === 2) errors++;
      else warnings++;
      const fixable = m.fix ? ' (npm run lint -- --fix)' : '';
      lines.push(`${path}:${m.line ?? 0}:${m.column ?? 0}: ${severity} [${m.ruleId ?? 'parse'}] ${m.message}${fixable}`);
    }
  }
  if (lines.length === 0) return '';
  lines.push(`lint: ${errors} error(s), ${warnings} warning(s); rules: docs/architecture.md#lint`);
  return `${lines.join('\n')}\n`;
}
