// The project's own lint rules (see docs/architecture.md, "Lint").
import importThroughIndex from './import-through-index.mjs';
import noBareExitCode from './no-bare-exit-code.mjs';
import noImportCycle from './no-import-cycle.mjs';

export default {
  meta: { name: 'tasker' },
  rules: {
    'import-through-index': importThroughIndex,
    'no-bare-exit-code': noBareExitCode,
    'no-import-cycle': noImportCycle,
  },
};
