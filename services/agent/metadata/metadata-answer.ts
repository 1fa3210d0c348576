import type { InstanceSpec } from '../../../appliance/contracts/index.ts';

// What the metadata endpoint answers for one instance and one path, as a pure
// function of the spec: the EC2 tree cloud-init's Ec2 datasource crawls and the
// OpenStack files its OpenStack datasource reads. Paths are matched as whole
// strings against a closed set, so nothing in a path is ever interpreted, and
// every value is the spec's own. Anything else is undefined (a 404).
//
// cloud-init's Ec2 datasource asks for dated API versions before `latest`
// (2021-03-23, 2018-09-24, 2016-09-02, 2009-04-04), so those answer the same
// tree as `latest`. network_data.json is left out on purpose: an OpenStack
// network_data.json without links makes cloud-init configure no interface at
// all, while none at all makes it fall back to DHCP on the first NIC, and the
// spec has no MACs to name links by.

/** The EC2 API versions answered; cloud-init picks the first it finds. */
export const EC2_VERSIONS = ['2009-04-04', '2016-09-02', '2018-09-24', '2021-03-23', 'latest'] as const;

export interface MetadataAnswer {
  readonly type: 'text/plain; charset=utf-8' | 'application/json; charset=utf-8';
  readonly body: string;
}

const text = (body: string): MetadataAnswer => ({ type: 'text/plain; charset=utf-8', body });
const json = (value: unknown): MetadataAnswer => ({ type: 'application/json; charset=utf-8', body: JSON.stringify(value) });

/** The name each key goes by, in the EC2 index and OpenStack's public_keys. */
export function keyName(index: number): string {
  return `key-${index}`;
}

/** The answer for `path` (no query string), or undefined when there is none. */
export function answerMetadata(spec: InstanceSpec, path: string): MetadataAnswer | undefined {
  if (path === '/') return text([...EC2_VERSIONS, 'openstack'].join('\n'));
  const [, first, ...rest] = path.split('/');
  if (first === 'openstack') return openstack(spec, rest.join('/'));
  if ((EC2_VERSIONS as readonly string[]).includes(first ?? '')) return ec2(spec, rest.join('/'));
  return undefined;
}

function ec2(spec: InstanceSpec, rest: string): MetadataAnswer | undefined {
  const { hostname, sshKeys, userData } = spec.metadata;
  if (rest === '') return text(['meta-data', ...(userData === null ? [] : ['user-data'])].join('\n'));
  if (rest === 'user-data') return userData === null ? undefined : text(userData);
  if (rest === 'meta-data' || rest === 'meta-data/') {
    return text(['hostname', 'instance-id', 'local-hostname', ...(sshKeys.length > 0 ? ['public-keys/'] : [])].join('\n'));
  }
  if (rest === 'meta-data/instance-id') return text(spec.id);
  if (rest === 'meta-data/hostname' || rest === 'meta-data/local-hostname') return text(hostname);
  if (sshKeys.length === 0) return undefined;
  if (rest === 'meta-data/public-keys' || rest === 'meta-data/public-keys/') return text(sshKeys.map((_, i) => `${i}=${keyName(i)}`).join('\n'));
  const [, index, leaf] = /^meta-data\/public-keys\/(0|[1-9][0-9]?)(\/|\/openssh-key)?$/.exec(rest) ?? [];
  const line = index === undefined ? undefined : sshKeys[Number(index)];
  if (line === undefined) return undefined;
  return leaf === '/openssh-key' ? text(line) : text('openssh-key');
}

function openstack(spec: InstanceSpec, rest: string): MetadataAnswer | undefined {
  const { hostname, sshKeys, userData, projectId } = spec.metadata;
  if (rest === '') return text('latest');
  if (rest === 'latest' || rest === 'latest/') return text(['meta_data.json', ...(userData === null ? [] : ['user_data'])].join('\n'));
  if (rest === 'latest/user_data') return userData === null ? undefined : text(userData);
  if (rest === 'latest/meta_data.json') {
    return json({
      uuid: spec.id,
      name: spec.name,
      hostname,
      project_id: projectId,
      public_keys: Object.fromEntries(sshKeys.map((key, i) => [keyName(i), key])),
      launch_index: 0,
    });
  }
  return undefined;
}
