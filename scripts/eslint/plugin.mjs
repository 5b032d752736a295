// The project's own lint rules (see docs/architecture.md, "Lint").
import importThroughIndex from './import-through-index.mjs';
import noImportCycle from './no-import-cycle.mjs';

export default {
  meta: { name: 'tasker' },
  rules: {
    'import-through-index': importThroughIndex,
    'no-import-cycle': noImportCycle,
  },
};
