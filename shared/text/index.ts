export { escapeControlChars, escapeControlChar } from './escape-control-chars.js';
export { firstLineOf } from './first-line.js';
export { hideUrlCredentials } from './hide-url-credentials.js';
