export {
  loadConfig,
  parseConfigFile,
  parseConfigText,
  configCandidates,
  type LoadConfigOptions,
  type LoadedConfig,
  type ConfigPath,
} from './load-config.js';
export { execTypesFromConfig } from './exec-types-config.js';
export { hostValidationFromConfig, DEFAULT_HOST_VALIDATION, type HostValidationConfig } from './host-validation-config.js';
export { SchemaReport, keyPath, isMap, type PositionOf } from './schema-check.js';
export { inventoryFromConfig } from './inventory-config.js';
export { loadYaml } from './yaml.js';
export { secretNamesFromConfig } from './secrets-config.js';
