// Imported first by run-process-node-spawn.test.ts: ES modules evaluate in import order, so the
// setting is in place before the runner ever looks for the launcher.
process.env['TASKER_LAUNCHER'] = 'off';
