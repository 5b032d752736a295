export * from './subjects.js';
export * from './schema.js';
export * from './connection.js';
export * from './streams.js';
export * from './config-file.js';
export * from './attempt.js';
export * from './heartbeat.js';
