import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { configErrors } from './errors.ts';
import { resolveConfig, type ResolvedConfig } from './resolve-config.ts';
import { defaultConfig } from './schema.ts';

export interface LoadConfigOptions {
  readonly dataDir: string;
  /** An explicit path (--config or ALLIANCE_CONFIG): it must exist. */
  readonly configPath?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly overrides: readonly string[];
  readonly hostname: string;
}

export const CONFIG_FILE_NAME = 'alliance.toml';

/** Reads the config file (explicit path, else <data-dir>/alliance.toml if present) and resolves all layers. */
export function loadConfig(options: LoadConfigOptions): ResolvedConfig & { readonly path: string | undefined } {
  const path = options.configPath ?? join(options.dataDir, CONFIG_FILE_NAME);
  const text = readConfigText(path, options.configPath !== undefined);
  let file: { path: string; data: unknown } | undefined;
  if (text !== undefined) {
    try {
      file = { path, data: parseToml(text) };
    } catch (err) {
      const reason = err instanceof TomlError ? `${err.message.split('\n')[0]} (line ${err.line}, column ${err.column})` : String(err);
      throw configErrors.UNREADABLE({ path, reason }, { cause: err });
    }
  }
  const resolved = resolveConfig({ defaults: defaultConfig(options.hostname), file, env: options.env, overrides: options.overrides });
  return { ...resolved, path: file?.path };
}

function readConfigText(path: string, required: boolean): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw configErrors.UNREADABLE({ path, reason: code === 'ENOENT' ? 'no such file' : (err as Error).message }, { cause: err });
  }
}
