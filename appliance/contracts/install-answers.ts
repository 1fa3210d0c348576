import { Type, type Static } from '@sinclair/typebox';

// What `alliance install` leaves for the installed system's first boot, in
// the data partition (LABEL=alliance-data, mounted on /var/lib/alliance):
// install/answers.json (0600), and, when an admin was given, install/admin-name
// and install/admin-password (0600). alliance-firstboot.service applies the
// answers (`alliance console first-boot`), runs `alliance init --admin` and
// deletes the admin files. NICs are named by MAC: the installer's interface
// names are not the installed system's predictable names.

export const INSTALL_ANSWERS_VERSION = 1;
/** Paths inside the data file system. */
export const INSTALL_FILES = {
  dir: 'install',
  answers: 'install/answers.json',
  adminName: 'install/admin-name',
  adminPassword: 'install/admin-password',
} as const;
/** File system labels of the installed disk's partitions. */
export const INSTALL_LABELS = { esp: 'ALLIANCEESP', root: 'alliance-root', data: 'alliance-data' } as const;

const Mac = Type.String({ pattern: '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$' });

export const InstallNetworkDhcpSchema = Type.Object({ mac: Mac, mode: Type.Literal('dhcp') }, { additionalProperties: false });
export const InstallNetworkStaticSchema = Type.Object(
  {
    mac: Mac,
    mode: Type.Literal('static'),
    /** IPv4 address/prefix, e.g. 192.0.2.10/24. */
    address: Type.String({ minLength: 1 }),
    /** IPv4 gateway, or '' for none. */
    gateway: Type.String(),
    dns: Type.Array(Type.String(), { maxItems: 3 }),
  },
  { additionalProperties: false },
);

export const InstallAnswersSchema = Type.Object(
  {
    version: Type.Literal(INSTALL_ANSWERS_VERSION),
    /** The host name to set, or null to keep the image's. */
    hostname: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
    /** The management interface, or null for the image's default (DHCP). */
    network: Type.Union([InstallNetworkDhcpSchema, InstallNetworkStaticSchema, Type.Null()]),
    /** NTP servers; [] keeps the image's default. */
    ntp: Type.Array(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type InstallAnswers = Static<typeof InstallAnswersSchema>;
export type InstallNetwork = Static<typeof InstallNetworkDhcpSchema> | Static<typeof InstallNetworkStaticSchema>;
