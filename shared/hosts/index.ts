export {
  validateHosts,
  formatHostProblem,
  type HostTarget,
  type HostProblem,
  type HostStage,
  type ValidateHostsOptions,
  type HostValidationResult,
} from './validate-hosts.js';
export { resolveHost, type Resolution, type ResolveOptions } from './resolve-host.js';
export { pingHost } from './ping-host.js';
export { testConnectivity } from './connectivity-test.js';
export {
  parseHostAddress,
  formatHostAddress,
  HOSTNAME_PATTERN,
  type HostAddress,
  type HostAddressResult,
} from './host-address.js';
export { type HostTallies, countHostOutcome, formatHostRecap, mergeHostTallies } from './host-tally.js';
