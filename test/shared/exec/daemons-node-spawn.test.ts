/**
 * The daemon cases again with the launcher switched off (Node's spawn): what /proc links to the
 * task dies on timeout and cancel, the deliberate daemon of a normal exit survives. Double-forked
 * daemons are the documented gap of this mode (docs/task-files.md, "Processes a task leaves").
 */
import '../../helpers/launcher-off.js';
import './daemons.test.js';
