import type { InstanceSpec } from '../../../appliance/contracts/index.ts';
import { yamlString } from './_yaml-string.ts';

// The files of a NoCloud seed (the `cidata` cdrom cloud-init looks for before
// any network datasource), rendered from the instance spec alone.
//
// - meta-data always carries the SSH keys as `public-keys`. cloud-init's ssh
//   module installs a datasource's public keys for the image's default user
//   (debian, ubuntu, ...) whatever the user data says, so keys land with and
//   without user data, and the metadata endpoint serves the very same keys.
// - user-data is the user's text byte for byte. NoCloud ignores a seed that has
//   no user-data file, so without user data we write a minimal cloud-config
//   that only asks for the datasource keys to be installed (the default, said
//   out loud in case an image turned it off); the keys are not repeated there,
//   which would put each one twice into authorized_keys.
// - network-config is left out: the spec has no addresses or MACs, and without
//   one cloud-init brings the first NIC up with DHCP, which is what instances
//   get until tenant networks exist. A config without MACs could only be wrong.

/** The user-data written when the user gave none. */
export const DEFAULT_USER_DATA = '#cloud-config\n# No user data was given: install the SSH keys from meta-data for the default user.\nallow_public_ssh_keys: true\n';

/** The seed's files by name, in the order genisoimage is given them. */
export interface NoCloudSeed {
  readonly 'user-data': string;
  readonly 'meta-data': string;
}

/** meta-data as NoCloud reads it: YAML with instance-id, local-hostname and public-keys. */
export function renderMetaData(spec: InstanceSpec): string {
  const keys = spec.metadata.sshKeys;
  const lines = [`instance-id: ${yamlString(spec.id)}`, `local-hostname: ${yamlString(spec.metadata.hostname)}`];
  if (keys.length === 0) lines.push('public-keys: []');
  else lines.push('public-keys:', ...keys.map((key) => `  - ${yamlString(key)}`));
  return `${lines.join('\n')}\n`;
}

/** user-data: the user's own, or DEFAULT_USER_DATA when there is none. */
export function renderUserData(spec: InstanceSpec): string {
  return spec.metadata.userData ?? DEFAULT_USER_DATA;
}

/** Both files of the seed. Pure: the same spec gives the same text. */
export function renderNoCloudSeed(spec: InstanceSpec): NoCloudSeed {
  return { 'user-data': renderUserData(spec), 'meta-data': renderMetaData(spec) };
}
