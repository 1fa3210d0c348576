// Shared pieces of the hosts tests: a store, a clock, a context like the
// appliance lends, host keys and signed enrolment requests.
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type Config } from '../../../../../appliance/config/index.ts';
import { enrolmentPayload, joinHmac, joinSecretKey, parseJoinCode, type EnrolmentRequest, type Inventory } from '../../../../../appliance/contracts/index.ts';
import { dataDirLayout } from '../../../../../appliance/data-dir/index.ts';
import { nodeIdOf, type NodeIdentity } from '../../../../../appliance/identity/index.ts';
import { BusClient, BusServer, type Method } from '../../../../../appliance/bus/index.ts';
import { createLogger } from '../../../../../appliance/log/index.ts';
import { openStore, type Store } from '../../../../../appliance/store/index.ts';
import type { HostsContext } from '../../../../../services/controller/hosts/index.ts';
import { HostRepository } from '../../../../../services/controller/hosts/host-repository.ts';

/** Time that moves only when a test moves it. */
export class Clock {
  #ms: number;

  constructor(start = Date.parse('2026-03-01T12:00:00.000Z')) {
    this.#ms = start;
  }

  now = (): Date => new Date(this.#ms);

  advance(ms: number): void {
    this.#ms += ms;
  }
}

export interface Noted {
  readonly kind: string;
  readonly severity: string;
  readonly message: string;
  readonly data: Record<string, unknown>;
}

export interface TestContext {
  readonly ctx: HostsContext;
  readonly store: Store;
  readonly dir: string;
  readonly notes: Noted[];
  readonly announced: { topic: string; body: unknown }[];
}

/** A real SQLite store in a temporary data directory, and what the appliance would lend. */
export function testContext(options: { now: () => Date; controller?: Partial<Config['controller']>; call?: HostsContext['call'] }): TestContext {
  const dir = mkdtempSync(join(tmpdir(), 'alliance-hosts-'));
  const layout = dataDirLayout(dir);
  const store = openStore(layout.storeFile, { create: true });
  const base = defaultConfig('controller-test');
  const config: Config = { ...base, controller: { ...base.controller, ...options.controller } };
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const identity: NodeIdentity = { nodeId: nodeIdOf(publicKey), publicKey, privateKey };
  const notes: Noted[] = [];
  const announced: { topic: string; body: unknown }[] = [];
  const ctx: HostsContext = {
    config,
    layout,
    store,
    identity,
    log: createLogger('fatal'),
    note: (kind, severity, message, data) => notes.push({ kind, severity, message, data }),
    announce: (topic, body) => announced.push({ topic, body }),
    call: options.call ?? (() => Promise.reject(new Error('no bus in this test'))),
    now: options.now,
  };
  return { ctx, store, dir, notes, announced };
}

export interface HostKeys {
  readonly hostId: string;
  readonly hostKey: KeyObject;
  readonly hostKeyPem: string;
  readonly tlsPublicPem: string;
  readonly tlsPrivatePem: string;
}

export function hostKeys(): HostKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const tls = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    hostId: nodeIdOf(publicKey),
    hostKey: privateKey,
    hostKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    tlsPublicPem: tls.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    tlsPrivatePem: tls.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

export function sampleInventory(overrides: Partial<Inventory> = {}): Inventory {
  return {
    system: { vendor: 'Supermicro', model: 'SYS-1029U', serial: 'S1234', uuid: '4c4c4544-0000-1000-8000-000000000001' },
    cpu: { model: 'Intel(R) Xeon(R) Gold 6230', vendor: 'GenuineIntel', sockets: 2, cores: 40, threads: 80, flags: ['vmx', 'sse4_2'], virtualization: true },
    memory: { totalBytes: 384 * 2 ** 30 },
    disks: [{ name: 'nvme0n1', model: 'Samsung PM983', serial: 'D1', sizeBytes: 960 * 10 ** 9, rotational: false, type: 'NVMe' }],
    nics: [{ name: 'eno1', mac: '3c:ec:ef:00:00:01', speedMbps: 10_000, link: true, virtual: false, addresses: ['192.0.2.10'] }],
    pci: [],
    os: { hostname: 'node-a', kernel: '6.12.0', distro: 'Alliance host', arch: 'x64' },
    ...overrides,
  };
}

export interface RequestOptions {
  readonly now: Date;
  readonly joinCode?: string;
  readonly name?: string;
  readonly nonce?: string;
  readonly inventory?: Inventory | null;
  readonly addresses?: string[];
  /** Changes made after signing (to forge). */
  readonly tamper?: (request: EnrolmentRequest) => EnrolmentRequest;
  /** A join proof made with this secret instead of the code's. */
  readonly proofSecret?: string;
}

/** An enrolment request signed by the host key, with a join proof when a code is given, as the agent makes it. */
export function signedRequest(keys: HostKeys, options: RequestOptions): EnrolmentRequest {
  const join = options.joinCode === undefined ? undefined : parseJoinCode(options.joinCode);
  if (options.joinCode !== undefined && join === undefined) throw new Error(`not a join code: ${options.joinCode}`);
  const unsigned = {
    hostKey: keys.hostKeyPem,
    tlsKey: keys.tlsPublicPem,
    name: options.name ?? 'node-a',
    ...(join === undefined ? {} : { joinTokenId: join.id }),
    timestamp: options.now.toISOString(),
    nonce: options.nonce ?? randomBytes(16).toString('base64url'),
    addresses: options.addresses ?? ['192.0.2.10'],
    agentVersion: '0.1.0',
    inventory: options.inventory === undefined ? sampleInventory() : options.inventory,
  };
  const payload = enrolmentPayload(unsigned);
  const request: EnrolmentRequest = {
    ...unsigned,
    ...(join === undefined ? {} : { joinProof: joinHmac(joinSecretKey(options.proofSecret ?? join.secret), payload) }),
    signature: sign(null, payload, keys.hostKey).toString('base64'),
  };
  return options.tamper ? options.tamper(request) : request;
}

export interface StoredHostOptions {
  readonly state?: 'active' | 'offline';
  readonly labels?: Record<string, string>;
  readonly traits?: string[];
  readonly inventory?: Partial<Inventory>;
  /** An enrolled host's credential hash; null for none. */
  readonly credentialHash?: string | null;
}

/** A host put straight into the store (enrolled and heard from at `at`), with a fresh key; answers its id. */
export function insertHost(t: TestContext, at: string, name: string, options: StoredHostOptions = {}): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const id = nodeIdOf(publicKey);
  new HostRepository(t.store.database).insert({
    id,
    publicKey: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    name,
    state: options.state ?? 'active',
    addresses: [],
    labels: options.labels ?? {},
    traits: options.traits ?? ['cpu:virtualization'],
    inventory: sampleInventory(options.inventory),
    health: null,
    credentialHash: options.credentialHash ?? null,
    certificate: null,
    certNotAfter: null,
    joinTokenId: null,
    approvedBy: null,
    agentVersion: 'test',
    createdAt: at,
    updatedAt: at,
    enrolledAt: at,
    lastHeartbeatAt: at,
  });
  return id;
}

/** Methods served on an inproc bus of their own, and a client of it, as the appliance's local socket would. */
export interface LocalBus {
  readonly client: BusClient;
  close(): Promise<void>;
}

export async function serveLocally(methods: Readonly<Record<string, Method>>, name: string): Promise<LocalBus> {
  const server = await BusServer.open(methods, { log: createLogger('fatal') });
  const url = `inproc://${name}-${process.hrtime.bigint()}`;
  server.listen(url);
  const client = await BusClient.connect(url);
  return {
    client,
    async close() {
      client.close();
      await server.close();
    },
  };
}
