export { configErrors } from './errors.ts';
export { CONFIG_FILE_NAME, loadConfig } from './load-config.ts';
export type { LoadConfigOptions } from './load-config.ts';
export { configKeys, describeAllowed, RESERVED_ENV, resolveConfig } from './resolve-config.ts';
export type { ConfigSources, ResolvedConfig } from './resolve-config.ts';
export { ConfigSchema, defaultConfig } from './schema.ts';
export type { Config, LogLevel } from './schema.ts';
export { renderConfigTemplate } from './render-config-template.ts';
