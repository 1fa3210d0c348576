import { Type, type Static } from '@sinclair/typebox';

// The one source of truth for settings: the TOML file, ALLIANCE_* variables and
// --set flags are all checked against it, and the types below come from it.
export const ConfigSchema = Type.Object(
  {
    appliance: Type.Object(
      {
        name: Type.String({
          minLength: 1,
          maxLength: 63,
          pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
          description: 'a DNS label: lower-case letters, digits and inner hyphens, 1-63 characters',
        }),
      },
      { additionalProperties: false },
    ),
    http: Type.Object(
      {
        listen: Type.String({ minLength: 1, description: 'an IP address or host name to bind, e.g. 0.0.0.0 or ::' }),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
        tls_cert: Type.String({ description: 'path to a PEM certificate chain; empty uses the one made at init' }),
        tls_key: Type.String({ description: 'path to the PEM private key for tls_cert; empty uses the one made at init' }),
      },
      { additionalProperties: false },
    ),
    log: Type.Object(
      {
        level: Type.Union(
          ['fatal', 'error', 'warn', 'info', 'debug', 'trace'].map((l) => Type.Literal(l)),
        ),
      },
      { additionalProperties: false },
    ),
    bus: Type.Object(
      {
        listen: Type.String({
          pattern: '^(|tls\\+tcp://\\S+)$',
          description: 'empty (local sockets only) or a tls+tcp:// address for other machines, e.g. tls+tcp://0.0.0.0:8444',
        }),
        trusted_peers: Type.String({ description: 'path to a PEM file of the peer certificates (or CAs) allowed to connect to bus.listen' }),
      },
      { additionalProperties: false },
    ),
    discovery: Type.Object(
      {
        enabled: Type.Boolean({ description: 'advertise this appliance and browse for others with mDNS (DNS-SD)' }),
        interfaces: Type.String({
          pattern: '^([A-Za-z0-9_.@-]{1,15}(,[A-Za-z0-9_.@-]{1,15})*)?$',
          description: 'comma-separated interface names to run mDNS on; empty for every interface that is up and multicast-capable',
        }),
        peers: Type.String({
          pattern: '^(\\S+:\\d{1,5}(,\\S+:\\d{1,5})*)?$',
          description: 'comma-separated host:port of other appliances, for networks without multicast, e.g. 10.0.0.5:8443,[fd00::5]:8443',
        }),
        srv_domain: Type.String({ pattern: '^([A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*)?$', description: 'a DNS domain whose _alliance._tcp SRV records list appliances; empty for none' }),
        ttl_s: Type.Integer({ minimum: 1, maximum: 4500, description: 'lifetime of our mDNS records in seconds; a crashed appliance disappears from browsers after this long' }),
      },
      { additionalProperties: false },
    ),
    supervisor: Type.Object(
      {
        stop_timeout_ms: Type.Integer({ minimum: 100, maximum: 600_000 }),
        restart_limit: Type.Integer({ minimum: 0, maximum: 1000, description: 'restarts allowed within restart_window_ms before a service is left failed' }),
        restart_window_ms: Type.Integer({ minimum: 1000, maximum: 86_400_000 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

export type LogLevel = Config['log']['level'];

/** Defaults of the embedded appliance; the name comes from the host. */
export function defaultConfig(hostname: string): Config {
  return {
    appliance: { name: toDnsLabel(hostname) },
    http: { listen: '0.0.0.0', port: 8443, tls_cert: '', tls_key: '' },
    log: { level: 'info' },
    bus: { listen: '', trusted_peers: '' },
    discovery: { enabled: true, interfaces: '', peers: '', srv_domain: '', ttl_s: 120 },
    supervisor: { stop_timeout_ms: 10_000, restart_limit: 5, restart_window_ms: 60_000 },
  };
}

function toDnsLabel(hostname: string): string {
  const label = (hostname.split('.')[0] ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label === '' ? 'alliance' : label;
}
