import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { ENROLMENT_PATH, EnrolmentAnswer, EnrolmentRequest, type Host } from '../../../appliance/contracts/index.ts';
import type { Access } from '../access/access.ts';
import { auditedActor as actorOf, markAudited } from '../audit/request-audit.ts';
import type { Enrolments } from './enrolments.ts';
import type { Actor, HostAdmin } from './host-admin.ts';
import type { HostRecord } from './host-repository.ts';
import {
  CreatedJoinToken,
  CreateJoinTokenBody,
  HostAnswer,
  HostIdParams,
  HostsAnswer,
  HostsQuery,
  JoinTokenAnswer,
  JoinTokenParams,
  JoinTokensAnswer,
  LabelsPatch,
  MachinesAnswer,
  type JoinToken,
  type Machine,
} from './host-schemas.ts';
import type { JoinTokenRecord } from './join-token-repository.ts';
import { joinTokenState } from './join-token-state.ts';

export interface HostRoutesDeps {
  readonly admin: HostAdmin;
  readonly enrolments: Enrolments;
  /** The API view of a host, with what memory knows ahead of the store (latest heartbeat and health). */
  readonly view: (record: HostRecord) => Host;
  readonly list: (state: Host['state'] | undefined) => HostRecord[];
  /** The boot service's leases with their owning hosts (asked over the bus). */
  readonly machines: () => Promise<Machine[]>;
  readonly now: () => Date;
}

/** Where these routes expect to be registered: the enrolment path is relative to it. */
const HOST_ROUTES_PREFIX = '/api/v1';

const CLOUD_ADMIN: Access = { kind: 'cloud-admin' };
const ENROLMENT_ACCESS: Access = { kind: 'own', how: 'host key signature (+ join token proof)' };
const Errors = { '4xx': Type.Ref('ErrorBody'), '5xx': Type.Ref('ErrorBody') };
/** Enrolment bodies carry an inventory; its schema bounds every list in it, this bounds the whole. */
const ENROLMENT_BODY_LIMIT = 1024 * 1024;

/**
 * The hosts API, to be registered with prefix /api/v1 inside the access
 * plugin's scope (it enforces each route's config.access):
 * POST /enrolments (the host authenticates itself), and for cloud admins
 * /hosts, /hosts/:host, approve, reject, retire, labels, and /join-tokens.
 */
export function hostRoutes(deps: HostRoutesDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post<{ Body: EnrolmentRequest }>(
      ENROLMENT_PATH.slice(HOST_ROUTES_PREFIX.length),
      {
        config: { access: ENROLMENT_ACCESS },
        bodyLimit: ENROLMENT_BODY_LIMIT,
        schema: {
          summary: 'A host asks to join: admitted (certificate, credential) or pending until an operator approves it',
          tags: ['hosts'],
          body: EnrolmentRequest,
          response: { 200: EnrolmentAnswer, ...Errors },
        },
      },
      async (request) => {
        // Enrolments audits every outcome in the transaction that applies it.
        markAudited(request);
        return deps.enrolments.enrol(request.body, { source: request.ip });
      },
    );

    app.get<{ Querystring: HostsQuery }>(
      '/hosts',
      { config: { access: CLOUD_ADMIN }, schema: { summary: 'List hosts, optionally of one state', tags: ['hosts'], querystring: HostsQuery, response: { 200: HostsAnswer, ...Errors } } },
      async (request) => ({ hosts: deps.list(request.query.state).map(deps.view) }),
    );

    app.get(
      '/machines',
      {
        config: { access: CLOUD_ADMIN },
        schema: { summary: 'Machines that asked the boot service for an address, with the host owning each MAC (null: not enrolled)', tags: ['hosts'], response: { 200: MachinesAnswer, ...Errors } },
      },
      async () => ({ machines: await deps.machines() }),
    );

    app.get<{ Params: HostIdParams }>(
      '/hosts/:host',
      { config: { access: CLOUD_ADMIN }, schema: { summary: 'One host with its inventory', tags: ['hosts'], params: HostIdParams, response: { 200: HostAnswer, ...Errors } } },
      async (request) => ({ host: deps.view(deps.admin.get(request.params.host)) }),
    );

    const transitions = [
      ['approve', 'Let a pending (or rejected) host enrol; it collects its certificate on its next request', (id: string, actor: Actor) => deps.admin.approve(id, actor)],
      ['reject', 'Turn a pending host away', (id: string, actor: Actor) => deps.admin.reject(id, actor)],
      ['retire', 'Take a host out: its credential is revoked, it must enrol and be approved again', (id: string, actor: Actor) => deps.admin.retire(id, actor)],
    ] as const;
    for (const [verb, summary, act] of transitions) {
      app.post<{ Params: HostIdParams }>(
        `/hosts/:host/${verb}`,
        { config: { access: CLOUD_ADMIN }, schema: { summary, tags: ['hosts'], params: HostIdParams, response: { 200: HostAnswer, ...Errors } } },
        async (request) => ({ host: deps.view(act(request.params.host, actorOf(request))) }),
      );
    }

    app.patch<{ Params: HostIdParams; Body: LabelsPatch }>(
      '/hosts/:host',
      { config: { access: CLOUD_ADMIN }, schema: { summary: "Set or remove a host's labels", tags: ['hosts'], params: HostIdParams, body: LabelsPatch, response: { 200: HostAnswer, ...Errors } } },
      async (request) => ({ host: deps.view(deps.admin.label(request.params.host, request.body.labels, actorOf(request))) }),
    );

    app.post<{ Body: CreateJoinTokenBody }>(
      '/join-tokens',
      {
        config: { access: CLOUD_ADMIN },
        schema: { summary: 'Create a join token; its code is in this answer only', tags: ['hosts'], body: CreateJoinTokenBody, response: { 201: CreatedJoinToken, ...Errors } },
      },
      async (request, reply) => {
        const { token, code } = deps.admin.createJoinToken(
          { maxUses: request.body.uses, ttlSeconds: request.body.ttlSeconds, description: request.body.description },
          actorOf(request),
        );
        return reply.code(201).send({ joinToken: joinTokenView(token, deps.now()), code });
      },
    );

    app.get(
      '/join-tokens',
      { config: { access: CLOUD_ADMIN }, schema: { summary: 'List join tokens (never their secrets)', tags: ['hosts'], response: { 200: JoinTokensAnswer, ...Errors } } },
      async () => {
        const now = deps.now();
        return { joinTokens: deps.admin.listJoinTokens().map((t) => joinTokenView(t, now)) };
      },
    );

    app.delete<{ Params: JoinTokenParams }>(
      '/join-tokens/:token',
      { config: { access: CLOUD_ADMIN }, schema: { summary: 'Revoke a join token', tags: ['hosts'], params: JoinTokenParams, response: { 200: JoinTokenAnswer, ...Errors } } },
      async (request) => ({ joinToken: joinTokenView(deps.admin.revokeJoinToken(request.params.token, actorOf(request)), deps.now()) }),
    );
  };
}

function joinTokenView(token: JoinTokenRecord, now: Date): JoinToken {
  return {
    id: token.id,
    description: token.description,
    maxUses: token.maxUses,
    uses: token.uses,
    state: joinTokenState(token, now),
    createdBy: token.createdBy,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    revokedAt: token.revokedAt,
  };
}

