// The TXT record of an Alliance instance (RFC 6763 §6: key=value strings, short
// keys, a version key first). Nothing in it is trusted: it only says where to
// connect; who is at the other end is settled by the enrolment handshake.

export type NodeRole = 'appliance' | 'host';

export interface AdvertisedNode {
  /** Empty until the node belongs to a cluster. */
  readonly clusterId: string;
  /** base32 SHA-256 of the node's public key (see identity/). */
  readonly nodeId: string;
  readonly role: NodeRole;
  readonly version: string;
  readonly apiPort: number;
  /** 0 when the node does not listen for other machines on the bus. */
  readonly busPort: number;
}

const TXT_VERSION = '1';
const ROLES: readonly NodeRole[] = ['appliance', 'host'];
const NODE_ID = /^[a-z2-7]{52}$/;
const CLUSTER_ID = /^([a-z2-7]{1,64})?$/;
const VERSION = /^[0-9A-Za-z.+~-]{1,64}$/;

export function encodeTxt(node: AdvertisedNode): Buffer[] {
  return [
    `txtvers=${TXT_VERSION}`,
    `node=${node.nodeId}`,
    `role=${node.role}`,
    `cluster=${node.clusterId}`,
    `version=${node.version}`,
    `api=${node.apiPort}`,
    `bus=${node.busPort}`,
  ].map((s) => Buffer.from(s, 'utf8'));
}

export type TxtResult = { readonly ok: true; readonly node: AdvertisedNode } | { readonly ok: false; readonly problem: string };

/** Reads a TXT record off the wire; anything malformed is a problem, never a throw. */
export function decodeTxt(strings: readonly (Buffer | string)[]): TxtResult {
  const fields = new Map<string, string>();
  for (const raw of strings) {
    const s = typeof raw === 'string' ? raw : raw.toString('utf8');
    const eq = s.indexOf('=');
    const key = (eq < 0 ? s : s.slice(0, eq)).toLowerCase();
    // RFC 6763 §6.4: the first occurrence of a key wins.
    if (key !== '' && !fields.has(key)) fields.set(key, eq < 0 ? '' : s.slice(eq + 1));
  }
  const txtvers = fields.get('txtvers');
  if (txtvers !== TXT_VERSION) return { ok: false, problem: `txtvers ${JSON.stringify(txtvers ?? null)} is not ${TXT_VERSION}` };
  const nodeId = fields.get('node') ?? '';
  if (!NODE_ID.test(nodeId)) return { ok: false, problem: 'node is not a node id (52 base32 characters)' };
  const role = fields.get('role') as NodeRole | undefined;
  if (role === undefined || !ROLES.includes(role)) return { ok: false, problem: `role ${JSON.stringify(role ?? null)} is not one of ${ROLES.join(', ')}` };
  const clusterId = fields.get('cluster') ?? '';
  if (!CLUSTER_ID.test(clusterId)) return { ok: false, problem: 'cluster is not a cluster id' };
  const version = fields.get('version') ?? '';
  if (!VERSION.test(version)) return { ok: false, problem: 'version is missing or has odd characters' };
  const apiPort = port(fields.get('api'), 1);
  if (apiPort === undefined) return { ok: false, problem: 'api is not a port number' };
  const busPort = port(fields.get('bus'), 0);
  if (busPort === undefined) return { ok: false, problem: 'bus is not a port number' };
  return { ok: true, node: { clusterId, nodeId, role, version, apiPort, busPort } };
}

function port(text: string | undefined, min: number): number | undefined {
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= 65535 ? n : undefined;
}
