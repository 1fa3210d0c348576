import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { describeAllowed } from './resolve-config.ts';
import { ConfigSchema, type Config } from './schema.ts';

/** A commented TOML file listing every key with its default, for `alliance init`. Pure. */
export function renderConfigTemplate(defaults: Config): string {
  const lines = [
    '# Alliance appliance configuration.',
    '# Every key is optional; a commented line shows the default.',
    '# Each key can also be set by an environment variable (ALLIANCE_<SECTION>_<KEY>)',
    '# or a flag (--set section.key=value); flags win over variables, variables over this file.',
  ];
  for (const [section, schema] of Object.entries<TObject>(ConfigSchema.properties)) {
    lines.push('', `[${section}]`);
    for (const [key, leaf] of Object.entries<TSchema>(schema.properties)) {
      const value = (defaults[section as keyof Config] as Record<string, unknown>)[key];
      lines.push(`# ${key}: ${describeAllowed(leaf)}`);
      lines.push(`# ${key} = ${leaf[Kind] === 'String' || leaf[Kind] === 'Union' ? JSON.stringify(value) : String(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
