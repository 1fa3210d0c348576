import { Kind, type TSchema, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { configErrors } from './errors.ts';
import { ConfigSchema, type Config } from './schema.ts';

/** Environment variables of ours that are not config keys. */
export const RESERVED_ENV = ['ALLIANCE_DATA_DIR', 'ALLIANCE_CONFIG', 'ALLIANCE_URL', 'ALLIANCE_TOKEN', 'ALLIANCE_CREDENTIALS'] as const;

export interface ConfigSources {
  readonly defaults: Config;
  /** The parsed config file, if one was read. */
  readonly file?: { readonly path: string; readonly data: unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--set section.key=value` flags, in order. */
  readonly overrides: readonly string[];
}

export interface ResolvedConfig {
  readonly config: Config;
  /** Where each key's value came from ("defaults", a file path, a variable, "--set"). */
  readonly origins: ReadonlyMap<string, string>;
}

interface Leaf {
  readonly key: string;
  readonly schema: TSchema;
  readonly envName: string;
}

const leaves: readonly Leaf[] = collectLeaves(ConfigSchema, []);
const leafByKey = new Map(leaves.map((l) => [l.key, l]));
const leafByEnv = new Map(leaves.map((l) => [l.envName, l]));

export function configKeys(): readonly { key: string; envName: string }[] {
  return leaves.map(({ key, envName }) => ({ key, envName }));
}

/**
 * Layers defaults < file < environment < --set flags and validates the result.
 * Pure: the caller reads the file and the environment.
 * @throws AllianceError APL_CONFIG_* naming the key, the value, its origin and what is allowed.
 */
export function resolveConfig(sources: ConfigSources): ResolvedConfig {
  const merged = structuredClone(sources.defaults) as unknown as Record<string, unknown>;
  const origins = new Map(leaves.map((l) => [l.key, 'defaults']));

  if (sources.file) applyFileLayer(merged, origins, sources.file.data, sources.file.path);

  for (const [name, raw] of Object.entries(sources.env)) {
    if (!name.startsWith('ALLIANCE_') || raw === undefined) continue;
    if ((RESERVED_ENV as readonly string[]).includes(name)) continue;
    const leaf = leafByEnv.get(name);
    if (!leaf) {
      throw configErrors.UNKNOWN_KEY({ key: name, origin: 'environment', allowed: [...leafByEnv.keys(), ...RESERVED_ENV].join(', ') });
    }
    setPath(merged, leaf.key, coerce(leaf.schema, raw));
    origins.set(leaf.key, name);
  }

  for (const text of sources.overrides) {
    const eq = text.indexOf('=');
    if (eq <= 0) throw configErrors.BAD_OVERRIDE({ text });
    const key = text.slice(0, eq).trim();
    const leaf = leafByKey.get(key);
    if (!leaf) throw configErrors.UNKNOWN_KEY({ key, origin: '--set', allowed: [...leafByKey.keys()].join(', ') });
    setPath(merged, key, coerce(leaf.schema, text.slice(eq + 1)));
    origins.set(key, '--set');
  }

  const first = Value.Errors(ConfigSchema, merged).First();
  if (first) {
    const key = first.path.split('/').filter(Boolean).join('.');
    const leaf = leafByKey.get(key);
    throw configErrors.INVALID({
      key: key || '(top level)',
      value: JSON.stringify(first.value) ?? 'nothing',
      origin: origins.get(key) ?? 'defaults',
      problem: first.message.toLowerCase(),
      allowed: leaf ? describeAllowed(leaf.schema) : 'see docs/configuration.md',
    });
  }
  const config = merged as unknown as Config;
  // Every network endpoint authenticates its callers: a bus listener with nobody to trust would admit no one or, worse, be "fixed" by turning checks off.
  if (config.bus.listen !== '' && config.bus.trusted_peers === '') {
    throw configErrors.INVALID({ key: 'bus.trusted_peers', value: '""', origin: origins.get('bus.trusted_peers') ?? 'defaults', problem: `bus.listen is ${config.bus.listen} but nobody is trusted to connect`, allowed: 'the path of a PEM file with the peer certificates or CAs to admit' });
  }
  return { config, origins };
}

function applyFileLayer(target: Record<string, unknown>, origins: Map<string, string>, data: unknown, path: string): void {
  const walk = (schema: TObject, value: unknown, prefix: string[]): void => {
    if (!isPlainObject(value)) {
      throw configErrors.INVALID({
        key: prefix.join('.') || '(top level)',
        value: JSON.stringify(value) ?? 'nothing',
        origin: path,
        problem: 'expected a table',
        allowed: `a table with keys ${Object.keys(schema.properties).join(', ')}`,
      });
    }
    for (const [name, child] of Object.entries(value)) {
      const childSchema = schema.properties[name];
      const key = [...prefix, name].join('.');
      if (!childSchema) {
        throw configErrors.UNKNOWN_KEY({ key, origin: path, allowed: Object.keys(schema.properties).map((k) => [...prefix, k].join('.')).join(', ') });
      }
      if (isObjectSchema(childSchema)) {
        walk(childSchema, child, [...prefix, name]);
      } else {
        setPath(target, key, child);
        origins.set(key, path);
      }
    }
  };
  walk(ConfigSchema, data, []);
}

function collectLeaves(schema: TObject, prefix: string[]): Leaf[] {
  return Object.entries(schema.properties).flatMap(([name, child]) => {
    const path = [...prefix, name];
    if (isObjectSchema(child)) return collectLeaves(child, path);
    return [{ key: path.join('.'), schema: child, envName: `ALLIANCE_${path.join('_').toUpperCase()}` }];
  });
}

function isObjectSchema(schema: TSchema): schema is TObject {
  return schema[Kind] === 'Object';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strings from the environment or flags become the leaf's type where they can; the validator reports the rest. */
function coerce(schema: TSchema, raw: string): unknown {
  const text = raw.trim();
  switch (schema[Kind]) {
    case 'Integer':
    case 'Number':
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : raw;
    case 'Boolean':
      return text === 'true' ? true : text === 'false' ? false : raw;
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isPlainObject(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

export function describeAllowed(schema: TSchema): string {
  if (typeof schema.description === 'string') return schema.description;
  switch (schema[Kind]) {
    case 'Integer':
      return `an integer from ${schema.minimum ?? '-inf'} to ${schema.maximum ?? 'inf'}`;
    case 'Union':
      return `one of ${(schema.anyOf as TSchema[]).map((s) => String(s.const)).join(', ')}`;
    case 'Boolean':
      return 'true or false';
    default:
      return `a ${String(schema.type ?? schema[Kind]).toLowerCase()}`;
  }
}
