export { runConsole } from './console-cli.js';
export { createConsoleServer, type ConsoleServer } from './server.js';
export { parseConsoleArgs, isLoopbackHost, type ConsoleArgs } from './console-args.js';
