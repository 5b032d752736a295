/**
 * The runner's whole behaviour table again, with the launcher switched off: Node's own spawn
 * is the fallback where no C compiler built `dist/native/tasker-launch`, so it must behave the
 * same. (ava runs each test file in its own process, so the setting cannot leak.) The last test
 * of the table checks which way children were started.
 */
import '../../helpers/launcher-off.js';
import './run-process.test.js';
