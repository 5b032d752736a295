export { escapeControlChars, escapeControlChar } from './escape-control-chars.js';
