import { Type, type Static } from '@sinclair/typebox';

// The one source of truth for settings: the TOML file, ALLIANCE_* variables and
// --set flags are all checked against it, and the types below come from it.
/** A dotted-quad IPv4 address, or empty (unset). */
const IPV4_OR_EMPTY = '^(|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))$';

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
    controller: Type.Object(
      {
        enabled: Type.Boolean({ description: 'run the controller (REST API under /api/v1, host enrolment) in this appliance' }),
        listen: Type.String({
          pattern: '^tls\\+tcp://\\S+$',
          description: 'tls+tcp:// address where enrolled hosts reach the controller with cluster-CA certificates, e.g. tls+tcp://0.0.0.0:8444',
        }),
        access_token_ttl_s: Type.Integer({ minimum: 60, maximum: 86_400, description: 'lifetime of a token from login or refresh' }),
        refresh_token_ttl_s: Type.Integer({ minimum: 300, maximum: 2_592_000, description: 'lifetime of a refresh token; a session lasts at most this long without a new login' }),
        password_cost: Type.Integer({ minimum: 10, maximum: 20, description: 'scrypt cost as log2(N) for new password hashes; 15 uses 32 MiB per hash' }),
        login_attempts_per_minute: Type.Integer({ minimum: 1, maximum: 10_000, description: 'failed logins allowed per user name and per client address each minute' }),
        heartbeat_interval_s: Type.Integer({ minimum: 1, maximum: 600, description: 'how often agents are asked to send a heartbeat' }),
        suspect_after_s: Type.Integer({ minimum: 2, maximum: 3600, description: 'silence after which a host is marked suspect' }),
        offline_after_s: Type.Integer({ minimum: 3, maximum: 86_400, description: 'silence after which a host is marked offline (more than suspect_after_s)' }),
        unknown_hosts: Type.Union([Type.Literal('pending'), Type.Literal('refuse')], {
          description: 'a host that asks to enrol without a join token: wait for approval (pending) or refuse it',
        }),
        max_pending_hosts: Type.Integer({ minimum: 0, maximum: 100_000, description: 'pending hosts kept at most; more requests without a join token are refused' }),
      },
      { additionalProperties: false },
    ),
    agent: Type.Object(
      {
        controller: Type.String({
          pattern: '^(|\\S+:\\d{1,5})$',
          description: 'host:port of the controller HTTPS API to enrol with; empty to take it from the kernel command line or mDNS',
        }),
        join_code_file: Type.String({ description: 'file holding a join code (id.secret); empty to wait for approval unless the kernel command line has one' }),
        fingerprint: Type.String({
          pattern: '^(|([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$',
          description: 'SHA-256 fingerprint of the controller HTTPS certificate to pin on first contact; empty trusts on first use',
        }),
        cmdline_file: Type.String({ description: 'where to read alliance.controller=, alliance.join= and alliance.fingerprint= (the boot service puts them there)' }),
        libvirt_uri: Type.String({
          pattern: '^(|[a-z][a-z0-9+]*:///\\S*)$',
          description: 'libvirt connection the agent runs instances on (qemu:///system on a host); empty: this host runs no instances',
        }),
      },
      { additionalProperties: false },
    ),
    boot: Type.Object(
      {
        enabled: Type.Boolean({ description: 'run the boot service: dnsmasq (DHCP, TFTP) on boot.interface, so machines network-boot into enrolment' }),
        interface: Type.String({ pattern: '^(|[A-Za-z0-9_][A-Za-z0-9_.-]{0,14})$', description: 'the provisioning network interface dnsmasq binds to' }),
        mode: Type.Union([Type.Literal('dhcp'), Type.Literal('proxy')], {
          description: 'dhcp: hand out addresses on the provisioning network; proxy: add boot information beside another DHCP server',
        }),
        server_address: Type.String({ pattern: IPV4_OR_EMPTY, description: "the appliance's IPv4 address on boot.interface (TFTP server and iPXE endpoint)" }),
        range_start: Type.String({ pattern: IPV4_OR_EMPTY, description: 'first address handed out (dhcp mode); in proxy mode, the network address of the proxied subnet' }),
        range_end: Type.String({ pattern: IPV4_OR_EMPTY, description: 'last address handed out (dhcp mode)' }),
        netmask: Type.String({ pattern: IPV4_OR_EMPTY, description: 'netmask of the provisioning network, e.g. 255.255.255.0' }),
        lease_s: Type.Integer({ minimum: 120, maximum: 31_536_000, description: 'DHCP lease time in seconds (dhcp mode)' }),
        unknown_hosts: Type.Union([Type.Literal('discover'), Type.Literal('admit'), Type.Literal('ignore')], {
          description:
            'a MAC with no host: boot it into enrolment to wait for approval (discover), boot it with a single-use join code so it is admitted at once (admit: for a closed provisioning network only), or do not answer it (ignore)',
        }),
        http_port: Type.Integer({ minimum: 1, maximum: 65_535, description: 'plain-HTTP port on boot.server_address for iPXE scripts and the host image (firmware cannot do our TLS)' }),
        image_dir: Type.String({ description: 'directory of the host image: <arch>/vmlinuz and <arch>/initrd.img (built by `make -C image host`)' }),
        tftp_root: Type.String({ description: "directory TFTP serves the first stage from: Debian's ipxe package puts undionly.kpxe and snponly.efi in /usr/lib/ipxe" }),
      },
      { additionalProperties: false },
    ),
    console: Type.Object(
      {
        etc_dir: Type.String({ minLength: 1, description: 'where the console writes the management network (systemd/network/), hostname, resolv.conf and NTP settings' }),
        network_check_s: Type.Integer({ minimum: 1, maximum: 120, description: 'seconds a changed management network has to reach its gateway before the console rolls it back' }),
        network_confirm_s: Type.Integer({ minimum: 5, maximum: 600, description: 'seconds the operator has to keep a changed management network before the console rolls it back' }),
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
    controller: {
      enabled: true,
      listen: 'tls+tcp://0.0.0.0:8444',
      access_token_ttl_s: 900,
      refresh_token_ttl_s: 43_200,
      password_cost: 15,
      login_attempts_per_minute: 10,
      heartbeat_interval_s: 5,
      suspect_after_s: 15,
      offline_after_s: 45,
      unknown_hosts: 'pending',
      max_pending_hosts: 1000,
    },
    agent: { controller: '', join_code_file: '', fingerprint: '', cmdline_file: '/proc/cmdline', libvirt_uri: '' },
    boot: { enabled: false, interface: '', mode: 'dhcp', server_address: '', range_start: '', range_end: '', netmask: '255.255.255.0', lease_s: 3600, unknown_hosts: 'discover', http_port: 8081, image_dir: '/usr/lib/alliance/host-image', tftp_root: '/usr/lib/ipxe' },
    console: { etc_dir: '/etc', network_check_s: 10, network_confirm_s: 60 },
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
