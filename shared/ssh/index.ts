export { connectSsh, describeTarget, type SshTarget } from './connect.js';
export { openTunnel, describeEndpoint, type SshTunnel, type RemoteEndpoint } from './tunnel.js';
export { knownHostsName, lookupHostKeys, parseKnownHosts } from './known-hosts.js';
export { shellQuote } from './shell-quote.js';
export { enableInteractiveMode } from './interactive-mode.js';
