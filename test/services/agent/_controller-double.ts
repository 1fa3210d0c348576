// TEST DOUBLE of the controller, for the agent's integration tests. It is NOT
// the controller (services/controller/): a few dozen lines that serve the
// contracts the agent speaks — POST /api/v1/enrolments over HTTPS and the
// host.* bus methods over tls+tcp with cluster-CA certificates — with
// switches the tests flip (approve, retire, lie about the join proof). The real
// controller end to end is covered by agent-netns.test.ts.
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../../appliance/api/index.ts';
import { BusServer, defineMethod } from '../../../appliance/bus/index.ts';
import {
  controllerProofPayload,
  DesiredParams,
  DesiredResult,
  ENROLMENT_CLOCK_SKEW_MS,
  ENROLMENT_PATH,
  type EnrolmentAnswer,
  EnrolmentRequest,
  enrolmentPayload,
  HeartbeatParams,
  HeartbeatResult,
  HOST_METHODS,
  IMAGE_CHUNK_BYTES,
  ImageChunkParams,
  ImageChunkResult,
  InstancesReportParams,
  InstancesReportResult,
  InventoryParams,
  InventoryResult,
  joinHmac,
  joinSecretKey,
  type HostState,
  type InstanceSpec,
  type Inventory,
} from '../../../appliance/contracts/index.ts';
import { AllianceError } from '../../../appliance/errors/index.ts';
import { ensureClusterCa, issueCertificate, makeSelfSignedCertificate, nodeIdOf, verifySignature, type ClusterCa } from '../../../appliance/identity/index.ts';
import { createLogger } from '../../../appliance/log/index.ts';

export const BUS_SERVER_NAME = 'controller.test';

// TypeBox checks formats only once they are registered (Fastify's ajv brings its own).
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)));

interface HostRecord {
  state: HostState;
  approved: boolean;
  credential: string | undefined;
}

export type DoubleEvent =
  | { kind: 'enrolment'; hostId: string; answer: 'pending' | 'admitted' | 'refused'; code?: string; valid: boolean }
  | { kind: 'heartbeat'; hostId: string; params: HeartbeatParams }
  | { kind: 'inventory'; hostId: string; inventory: Inventory }
  | { kind: 'desired'; hostId: string }
  | { kind: 'instances'; hostId: string; report: InstancesReportParams }
  | { kind: 'failed-heartbeat'; hostId: string }
  | { kind: 'refused-credential' };

const refusal = (code: string, status: number, message: string) => new AllianceError(code, { status, exit: 1, message }, {});

/** A stand-in controller: HTTPS enrolment plus the agent-facing bus, on 127.0.0.1. */
export class ControllerDouble {
  readonly events: DoubleEvent[] = [];
  readonly hosts = new Map<string, HostRecord>();
  /** Join secrets by token id. */
  readonly tokens = new Map<string, string>();
  /** Answer admissions with a controllerProof made with the wrong secret. */
  lie = false;
  intervalSeconds = 1;
  /** What host.desired lists for every host. */
  desiredInstances: InstanceSpec[] = [];
  /** Image files host.image-chunk serves, by image id. */
  readonly images = new Map<string, Buffer>();
  /** While set, host.heartbeat fails with this code (a controller in trouble, not a refusal). */
  failHeartbeats: string | undefined;
  readonly #dir: string;
  readonly #ca: ClusterCa;
  readonly #bus: BusServer;
  #https: FastifyInstance | undefined;
  #waiters: { check: () => boolean; done: () => void }[] = [];
  httpsPort = 0;
  busPort = 0;
  fingerprint = '';

  private constructor(dir: string, ca: ClusterCa, bus: BusServer) {
    this.#dir = dir;
    this.#ca = ca;
    this.#bus = bus;
  }

  static async start(): Promise<ControllerDouble> {
    const dir = mkdtempSync(join(tmpdir(), 'alliance-controller-double-'));
    const now = new Date();
    const ca = await ensureClusterCa({ cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') }, now);
    const log = createLogger('warn');
    const ref: { self?: ControllerDouble } = {};
    const hostOf = (credential: string | undefined): string => {
      const entry = [...ref.self!.hosts].find(([, h]) => credential !== undefined && h.credential === credential && h.state !== 'retired');
      if (entry === undefined) {
        ref.self!.#record({ kind: 'refused-credential' });
        throw refusal('APL_HOSTS_UNKNOWN_CREDENTIAL', 401, 'The bus credential is unknown or was revoked (a retired host); the host must enrol again');
      }
      return entry[0];
    };
    const bus = await BusServer.open(
      {
        [HOST_METHODS.heartbeat]: defineMethod({
          description: 'double',
          params: HeartbeatParams,
          result: HeartbeatResult,
          handler: (params, ctx) => {
            const hostId = hostOf(ctx.credential);
            if (ref.self!.failHeartbeats !== undefined) {
              ref.self!.#record({ kind: 'failed-heartbeat', hostId });
              throw refusal(ref.self!.failHeartbeats, 503, 'the store is busy');
            }
            ref.self!.#record({ kind: 'heartbeat', hostId, params });
            const sent = ref.self!.events.some((e) => e.kind === 'inventory' && e.hostId === hostId);
            return { state: ref.self!.hosts.get(hostId)!.state, sendInventory: !sent, intervalSeconds: ref.self!.intervalSeconds };
          },
        }),
        [HOST_METHODS.inventory]: defineMethod({
          description: 'double',
          params: InventoryParams,
          result: InventoryResult,
          handler: (params, ctx) => {
            ref.self!.#record({ kind: 'inventory', hostId: hostOf(ctx.credential), inventory: params.inventory });
            return { traits: [] };
          },
        }),
        [HOST_METHODS.desired]: defineMethod({
          description: 'double',
          params: DesiredParams,
          result: DesiredResult,
          handler: (_params, ctx) => {
            const hostId = hostOf(ctx.credential);
            ref.self!.#record({ kind: 'desired', hostId });
            return { generation: 1, state: ref.self!.hosts.get(hostId)!.state, labels: {}, instances: ref.self!.desiredInstances };
          },
        }),
        [HOST_METHODS.instances]: defineMethod({
          description: 'double',
          params: InstancesReportParams,
          result: InstancesReportResult,
          handler: (params, ctx) => {
            ref.self!.#record({ kind: 'instances', hostId: hostOf(ctx.credential), report: params });
            return { accepted: params.instances.length };
          },
        }),
        [HOST_METHODS.imageChunk]: defineMethod({
          description: 'double',
          params: ImageChunkParams,
          result: ImageChunkResult,
          handler: (params, ctx) => {
            hostOf(ctx.credential);
            const file = ref.self!.images.get(params.imageId);
            if (file === undefined) throw refusal('APL_COMPUTE_IMAGE_NOT_FOUND', 404, `no image ${params.imageId}`);
            return { data: new Uint8Array(file.subarray(params.offset, params.offset + IMAGE_CHUNK_BYTES)), sizeBytes: file.length };
          },
        }),
      },
      { log, workers: 4 },
    );
    const self = new ControllerDouble(dir, ca, bus);
    ref.self = self;
    const busKey = generateP256();
    const busCert = await issueCertificate(ca, { publicKeyPem: busKey.publicPem, commonName: 'controller', dnsNames: [BUS_SERVER_NAME], usages: ['serverAuth', 'clientAuth'], days: 1, now });
    const endpoint = bus.listen('tls+tcp://127.0.0.1:0', { tls: { cert: busCert, key: busKey.privatePem, ca: ca.certificatePem, authMode: 'required' } });
    self.busPort = endpoint.port;
    await self.startHttps();
    return self;
  }

  /** (Re)starts the HTTPS enrolment API, on the same port when it ran before. */
  async startHttps(): Promise<void> {
    const certPath = join(this.#dir, 'https.crt');
    const keyPath = join(this.#dir, 'https.key');
    if (this.fingerprint === '') {
      this.fingerprint = (await makeSelfSignedCertificate(certPath, keyPath, { commonName: 'double', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], now: new Date(), days: 1 })).fingerprint;
    }
    const app = createApiServer({ log: createLogger('warn'), bodyLimit: 1024 * 1024, https: { key: readFileSync(keyPath), cert: readFileSync(certPath) } });
    // Fastify's validation (createApiServer: ajv with coerceTypes) rewrites null to 0 inside
    // Union([Integer, Null]), e.g. a NIC's unknown speed, which would break the signature:
    // the double checks the body as it was sent, as the real controller must too.
    const sent = new WeakMap<object, unknown>();
    app.addHook('preValidation', async (request) => {
      sent.set(request, structuredClone(request.body));
    });
    app.post(ENROLMENT_PATH, { schema: { body: EnrolmentRequest } }, async (request, reply) => {
      const body = sent.get(request) as EnrolmentRequest;
      const answer = await this.#enrol(body);
      if (answer instanceof AllianceError) {
        void reply.code(answer.status).send({ error: { code: answer.code, message: answer.message } });
        return;
      }
      void reply.code(answer.state === 'pending' ? 202 : 200).send(answer);
    });
    await app.listen({ host: '127.0.0.1', port: this.httpsPort });
    this.httpsPort = (app.server.address() as { port: number }).port;
    this.#https = app;
  }

  async stopHttps(): Promise<void> {
    await this.#https?.close();
    this.#https = undefined;
  }

  get controller(): string {
    return `127.0.0.1:${this.httpsPort}`;
  }

  /** A join code the double accepts. */
  addToken(): string {
    const id = randomBytes(5).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!).slice(0, 8).padEnd(8, 'a');
    const secret = 'abcdefghijklmnopqrstuvwxyz234567';
    this.tokens.set(id, secret);
    return `${id}.${secret}`;
  }

  approve(hostId: string): void {
    const host = this.hosts.get(hostId);
    if (host === undefined) throw new Error(`no host ${hostId} to approve`);
    host.approved = true;
  }

  /** Retires the host: its credential stops working, and it must be approved again. */
  retire(hostId: string): void {
    const host = this.hosts.get(hostId)!;
    host.state = 'retired';
    host.approved = false;
    host.credential = undefined;
  }

  /** Resolves once `check` holds for the events seen so far or to come. */
  until(check: (events: readonly DoubleEvent[]) => boolean): Promise<void> {
    if (check(this.events)) return Promise.resolve();
    return new Promise((done) => this.#waiters.push({ check: () => check(this.events), done }));
  }

  count(kind: DoubleEvent['kind'], hostId?: string): number {
    return this.events.filter((e) => e.kind === kind && (hostId === undefined || ('hostId' in e && e.hostId === hostId))).length;
  }

  async close(): Promise<void> {
    await this.stopHttps();
    await this.#bus.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #record(event: DoubleEvent): void {
    this.events.push(event);
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const w of waiting) {
      if (w.check()) w.done();
      else this.#waiters.push(w);
    }
  }

  async #enrol(body: EnrolmentRequest): Promise<AllianceError | EnrolmentAnswer> {
    // The checks the real controller makes, in short: schema (Fastify did it), signature, clock, token proof.
    const valid = Value.Check(EnrolmentRequest, body);
    let hostId: string;
    try {
      hostId = nodeIdOf(createPublicKey(body.hostKey));
    } catch {
      return refusal('APL_HOSTS_BAD_HOST_KEY', 400, 'not an Ed25519 key');
    }
    const payload = enrolmentPayload(body);
    const refuse = (code: string, message: string): AllianceError => {
      this.#record({ kind: 'enrolment', hostId, answer: 'refused', code, valid });
      return refusal(code, 401, message);
    };
    if (!verifySignature(createPublicKey(body.hostKey), payload, Buffer.from(body.signature, 'base64'))) return refuse('APL_HOSTS_BAD_SIGNATURE', 'bad signature');
    if (Math.abs(Date.parse(body.timestamp) - Date.now()) > ENROLMENT_CLOCK_SKEW_MS) return refuse('APL_HOSTS_STALE_REQUEST', 'stale');
    let secret: string | undefined;
    if (body.joinTokenId !== undefined) {
      secret = this.tokens.get(body.joinTokenId);
      if (secret === undefined) return refuse('APL_HOSTS_UNKNOWN_JOIN_TOKEN', 'unknown token');
      if (body.joinProof !== joinHmac(joinSecretKey(secret), payload)) return refuse('APL_HOSTS_BAD_JOIN_PROOF', 'bad proof');
    }
    const host = this.hosts.get(hostId) ?? { state: 'pending' as HostState, approved: false, credential: undefined };
    this.hosts.set(hostId, host);
    if (host.state === 'retired' && !host.approved) {
      this.#record({ kind: 'enrolment', hostId, answer: 'pending', valid });
      return { state: 'pending', hostId, message: 'retired: waiting for approval again' };
    }
    if (!host.approved && secret === undefined) {
      this.#record({ kind: 'enrolment', hostId, answer: 'pending', valid });
      return { state: 'pending', hostId, message: 'waiting for an operator to approve this host' };
    }
    host.state = 'active';
    host.approved = true;
    host.credential = randomBytes(24).toString('base64url');
    const certificate = await issueCertificate(this.#ca, { publicKeyPem: body.tlsKey, commonName: hostId, usages: ['clientAuth', 'serverAuth'], days: 1, now: new Date() });
    const proofSecret = this.lie ? 'not-the-secret' : secret;
    this.#record({ kind: 'enrolment', hostId, answer: 'admitted', valid });
    return {
      state: 'admitted',
      hostId,
      certificate,
      clusterCa: this.#ca.certificatePem,
      credential: host.credential,
      busPort: this.busPort,
      controllerProof: proofSecret === undefined ? null : joinHmac(joinSecretKey(proofSecret), controllerProofPayload(hostId, this.#ca.fingerprint)),
      busServerName: BUS_SERVER_NAME,
    };
  }
}

function generateP256(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(), privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}
