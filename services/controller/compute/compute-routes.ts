import type { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Access } from '../access/access.ts';
import { GUARDED, NoQuery, ProjectParams, replies } from '../api/schemas.ts';
import { auditedActor as actorOf } from '../audit/request-audit.ts';
import { controllerErrors } from '../errors.ts';
import type { ProjectRepository } from '../identity/project-repository.ts';
import type { ComputeAdmin, PowerAction, StoredPlacement } from './compute-admin.ts';
import type { ComputeRepository, FlavorRecord, ImageRecord, InstanceRecord, KeyPairRecord, ServerGroupRecord } from './compute-repository.ts';
import {
  ConsoleLogAnswer,
  FlavorParams,
  FlavorSchema,
  ImageParams,
  ImageSchema,
  ImageUploadHeaders,
  ImageUploadQuery,
  InstanceEventSchema,
  InstanceParams,
  InstanceSchema,
  KeyPairParams,
  KeyPairSchema,
  NewFlavorBody,
  NewInstanceBody,
  NewKeyPairBody,
  NewServerGroupBody,
  ProjectImageParams,
  QuotaAnswer,
  QuotaBody,
  ServerGroupParams,
  ServerGroupSchema,
  WhyAnswer,
} from './compute-schemas.ts';
import { computeErrors } from './errors.ts';
import { formatRejections } from './placement/index.ts';

export interface ComputeRoutesDeps {
  readonly admin: ComputeAdmin;
  readonly repo: ComputeRepository;
  readonly projects: ProjectRepository;
}

const CLOUD_ADMIN: Access = { kind: 'cloud-admin' };
const ANY_TOKEN: Access = { kind: 'token' };
const READER: Access = { kind: 'project', role: 'reader' };
const MEMBER: Access = { kind: 'project', role: 'member' };
const TAGS = ['compute'];
/** A create body: 64 KiB of user data (JSON-escaped, it may grow) and the rest. */
const INSTANCE_BODY_LIMIT = 512 * 1024;

type P = Static<typeof ProjectParams>;

/**
 * The compute API under /api/v1: flavors and public images (cloud admins
 * manage, anyone reads), and per project images, key pairs, server groups,
 * instances (readers read, members change) and quotas (cloud admins set).
 */
export function computeRoutes(deps: ComputeRoutesDeps) {
  const { admin, repo } = deps;
  const projectId = (ref: string): string => {
    const project = deps.projects.find(ref);
    if (project === undefined) throw controllerErrors.PROJECT_NOT_FOUND({ project: ref });
    return project.id;
  };
  const instanceOf = (params: Static<typeof InstanceParams>): InstanceRecord => {
    const id = projectId(params.project);
    const instance = repo.projectInstance(id, params.instance);
    if (instance === undefined) throw computeErrors.INSTANCE_NOT_FOUND({ project: params.project, instance: params.instance });
    return instance;
  };

  return async (app: FastifyInstance): Promise<void> => {
    // Image uploads arrive as a stream that the route hashes and writes; no body is buffered.
    app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

    // Flavors

    app.get(
      '/flavors',
      { config: { access: ANY_TOKEN }, schema: { summary: 'Flavors: public ones, and for cloud admins the private ones too', tags: TAGS, querystring: NoQuery, response: replies({ 200: Type.Object({ flavors: Type.Array(FlavorSchema) }) }, GUARDED) } },
      async (request) => ({ flavors: repo.flavors({ includePrivate: isCloudAdmin(request) }) }),
    );
    app.post<{ Body: NewFlavorBody }>(
      '/flavors',
      { config: { access: CLOUD_ADMIN }, schema: { summary: 'Create a flavor', tags: TAGS, body: NewFlavorBody, response: replies({ 201: FlavorSchema }, [...GUARDED, 409]) } },
      async (request, reply) => {
        const { extraSpecs = {}, public: isPublic = true, ...sizes } = request.body;
        return reply.code(201).send(admin.createFlavor({ ...sizes, extraSpecs, public: isPublic }, actorOf(request)) satisfies FlavorRecord);
      },
    );
    app.delete<{ Params: Static<typeof FlavorParams> }>(
      '/flavors/:flavor',
      { config: { access: CLOUD_ADMIN }, schema: { summary: 'Delete a flavor no instance uses', tags: TAGS, params: FlavorParams, response: replies({ 200: FlavorSchema }, [...GUARDED, 404, 409]) } },
      async (request) => admin.deleteFlavor(request.params.flavor, actorOf(request)),
    );

    // Images: public (cloud admins) and per project

    const uploadSchema = (summary: string, params: typeof ProjectParams | undefined) => ({
      summary,
      tags: TAGS,
      ...(params === undefined ? {} : { params }),
      querystring: ImageUploadQuery,
      headers: ImageUploadHeaders,
      response: replies({ 201: ImageSchema }, [...GUARDED, 413, 500]),
    });
    const upload = async (request: FastifyRequest<{ Querystring: Static<typeof ImageUploadQuery> }>, project: string | null): Promise<ImageRecord> => {
      const body = request.body as Readable | undefined;
      if (body === undefined || typeof (body as Partial<Readable>).pipe !== 'function') throw computeErrors.IMAGE_EMPTY({ image: request.query.name });
      const expected = request.headers['x-image-sha256'];
      return admin.uploadImage({ projectId: project, name: request.query.name, format: request.query.format, expectedSha256: typeof expected === 'string' ? expected : undefined, body }, actorOf(request));
    };
    app.post<{ Querystring: Static<typeof ImageUploadQuery> }>(
      '/images',
      { config: { access: CLOUD_ADMIN }, schema: uploadSchema('Upload a public image: the file as an application/octet-stream body', undefined) },
      async (request, reply) => reply.code(201).send(await upload(request, null)),
    );
    app.get(
      '/images',
      { config: { access: ANY_TOKEN }, schema: { summary: 'Public images', tags: TAGS, querystring: NoQuery, response: replies({ 200: Type.Object({ images: Type.Array(ImageSchema) }) }, GUARDED) } },
      async () => ({ images: repo.images(null) }),
    );
    app.delete<{ Params: Static<typeof ImageParams> }>(
      '/images/:image',
      { config: { access: CLOUD_ADMIN }, schema: { summary: 'Delete a public image no instance uses', tags: TAGS, params: ImageParams, response: replies({ 200: ImageSchema }, [...GUARDED, 404, 409]) } },
      async (request) => admin.deleteImage(null, request.params.image, actorOf(request)),
    );
    app.post<{ Params: P; Querystring: Static<typeof ImageUploadQuery> }>(
      '/projects/:project/images',
      { config: { access: MEMBER }, schema: uploadSchema("Upload one of the project's images: the file as an application/octet-stream body", ProjectParams) },
      async (request, reply) => reply.code(201).send(await upload(request, projectId(request.params.project))),
    );
    app.get<{ Params: P }>(
      '/projects/:project/images',
      { config: { access: READER }, schema: { summary: "The project's images and the public ones", tags: TAGS, params: ProjectParams, querystring: NoQuery, response: replies({ 200: Type.Object({ images: Type.Array(ImageSchema) }) }, [...GUARDED, 404]) } },
      async (request) => ({ images: repo.images(projectId(request.params.project)) }),
    );
    app.delete<{ Params: Static<typeof ProjectImageParams> }>(
      '/projects/:project/images/:image',
      { config: { access: MEMBER }, schema: { summary: "Delete one of the project's images that no instance uses", tags: TAGS, params: ProjectImageParams, response: replies({ 200: ImageSchema }, [...GUARDED, 404, 409]) } },
      async (request) => admin.deleteImage(projectId(request.params.project), request.params.image, actorOf(request)),
    );

    // Key pairs

    app.post<{ Params: P; Body: Static<typeof NewKeyPairBody> }>(
      '/projects/:project/key-pairs',
      { config: { access: MEMBER }, schema: { summary: 'Add a key pair from an OpenSSH public key', tags: TAGS, params: ProjectParams, body: NewKeyPairBody, response: replies({ 201: KeyPairSchema }, [...GUARDED, 404, 409]) } },
      async (request, reply) => reply.code(201).send(admin.createKeyPair(projectId(request.params.project), request.body, actorOf(request)) satisfies KeyPairRecord),
    );
    app.get<{ Params: P }>(
      '/projects/:project/key-pairs',
      { config: { access: READER }, schema: { summary: "The project's key pairs", tags: TAGS, params: ProjectParams, querystring: NoQuery, response: replies({ 200: Type.Object({ keyPairs: Type.Array(KeyPairSchema) }) }, [...GUARDED, 404]) } },
      async (request) => ({ keyPairs: repo.keyPairs(projectId(request.params.project)) }),
    );
    app.delete<{ Params: Static<typeof KeyPairParams> }>(
      '/projects/:project/key-pairs/:name',
      { config: { access: MEMBER }, schema: { summary: 'Delete a key pair (instances made with it keep the key)', tags: TAGS, params: KeyPairParams, response: replies({ 200: KeyPairSchema }, [...GUARDED, 404]) } },
      async (request) => admin.deleteKeyPair(projectId(request.params.project), request.params.name, actorOf(request)),
    );

    // Server groups

    app.post<{ Params: P; Body: Static<typeof NewServerGroupBody> }>(
      '/projects/:project/server-groups',
      { config: { access: MEMBER }, schema: { summary: 'Create a server group (affinity: one host; anti-affinity: all different hosts)', tags: TAGS, params: ProjectParams, body: NewServerGroupBody, response: replies({ 201: ServerGroupSchema }, [...GUARDED, 404, 409]) } },
      async (request, reply) => reply.code(201).send(admin.createServerGroup(projectId(request.params.project), request.body, actorOf(request)) satisfies ServerGroupRecord),
    );
    app.get<{ Params: P }>(
      '/projects/:project/server-groups',
      { config: { access: READER }, schema: { summary: "The project's server groups", tags: TAGS, params: ProjectParams, querystring: NoQuery, response: replies({ 200: Type.Object({ serverGroups: Type.Array(ServerGroupSchema) }) }, [...GUARDED, 404]) } },
      async (request) => ({ serverGroups: repo.serverGroups(projectId(request.params.project)) }),
    );
    app.delete<{ Params: Static<typeof ServerGroupParams> }>(
      '/projects/:project/server-groups/:group',
      { config: { access: MEMBER }, schema: { summary: 'Delete a server group with no instances', tags: TAGS, params: ServerGroupParams, response: replies({ 200: ServerGroupSchema }, [...GUARDED, 404, 409]) } },
      async (request) => admin.deleteServerGroup(projectId(request.params.project), request.params.group, actorOf(request)),
    );

    // Instances

    app.post<{ Params: P; Body: Static<typeof NewInstanceBody> }>(
      '/projects/:project/instances',
      {
        config: { access: MEMBER },
        // Room for 64 KiB of user data, whatever the server's general limit.
        bodyLimit: INSTANCE_BODY_LIMIT,
        schema: {
          summary: 'Create an instance: checked against the quota and placed in one step; when no host can take it, it is kept in state error and the answer is 409 APL_COMPUTE_NO_VALID_HOST',
          tags: TAGS,
          params: ProjectParams,
          body: NewInstanceBody,
          response: replies({ 201: InstanceSchema }, [...GUARDED, 404, 409]),
        },
      },
      async (request, reply) => {
        const actor = { ...actorOf(request), mayUsePrivateFlavors: isCloudAdmin(request) };
        return reply.code(201).send(instanceView(admin.createInstance(projectId(request.params.project), request.body, actor)));
      },
    );
    app.get<{ Params: P }>(
      '/projects/:project/instances',
      { config: { access: READER }, schema: { summary: "The project's instances", tags: TAGS, params: ProjectParams, querystring: NoQuery, response: replies({ 200: Type.Object({ instances: Type.Array(InstanceSchema) }) }, [...GUARDED, 404]) } },
      async (request) => ({ instances: repo.instances(projectId(request.params.project)).map(instanceView) }),
    );
    app.get<{ Params: Static<typeof InstanceParams> }>(
      '/projects/:project/instances/:instance',
      { config: { access: READER }, schema: { summary: 'One instance (by id or name) with its events', tags: TAGS, params: InstanceParams, querystring: NoQuery, response: replies({ 200: Type.Object({ instance: InstanceSchema, events: Type.Array(InstanceEventSchema) }) }, [...GUARDED, 404]) } },
      async (request) => {
        const instance = instanceOf(request.params);
        return { instance: instanceView(instance), events: repo.events(instance.id) };
      },
    );
    const powerSummaries: Record<PowerAction, string> = {
      start: 'Want the instance running',
      stop: 'Want the instance stopped (shut down)',
      reboot: 'Reboot the instance (it must be wanted running)',
    };
    for (const action of ['start', 'stop', 'reboot'] as const) {
      app.post<{ Params: Static<typeof InstanceParams> }>(
        `/projects/:project/instances/:instance/${action}`,
        { config: { access: MEMBER }, schema: { summary: powerSummaries[action], tags: TAGS, params: InstanceParams, response: replies({ 200: InstanceSchema }, [...GUARDED, 404, 409]) } },
        async (request) => instanceView(admin.power(projectId(request.params.project), request.params.instance, action, actorOf(request))),
      );
    }
    app.delete<{ Params: Static<typeof InstanceParams> }>(
      '/projects/:project/instances/:instance',
      { config: { access: MEMBER }, schema: { summary: 'Delete an instance: at once if it has no host, else once its host removed it (state deleting until then)', tags: TAGS, params: InstanceParams, response: replies({ 200: InstanceSchema }, [...GUARDED, 404]) } },
      async (request) => instanceView(admin.deleteInstance(projectId(request.params.project), request.params.instance, actorOf(request))),
    );
    app.get<{ Params: Static<typeof InstanceParams> }>(
      '/projects/:project/instances/:instance/console-log',
      { config: { access: MEMBER }, schema: { summary: 'The tail of the serial console as the host last reported it', tags: TAGS, params: InstanceParams, querystring: NoQuery, response: replies({ 200: ConsoleLogAnswer }, [...GUARDED, 404]) } },
      async (request) => {
        const instance = instanceOf(request.params);
        return { instanceId: instance.id, consoleTail: instance.consoleTail, observedAt: instance.observedAt };
      },
    );
    app.get<{ Params: Static<typeof InstanceParams> }>(
      '/projects/:project/instances/:instance/why',
      { config: { access: READER }, schema: { summary: 'Why the instance is where it is (or nowhere): the placement decision made at create', tags: TAGS, params: InstanceParams, querystring: NoQuery, response: replies({ 200: WhyAnswer }, [...GUARDED, 404]) } },
      async (request) => {
        const instance = instanceOf(request.params);
        const placement = instance.placement as StoredPlacement;
        return { instanceId: instance.id, decidedAt: placement.decidedAt, explanation: formatRejections(placement.decision, { everyHost: true }), decision: placement.decision };
      },
    );

    // Quotas

    app.get<{ Params: P }>(
      '/projects/:project/quotas',
      { config: { access: READER }, schema: { summary: "The project's limits and what it uses of them", tags: TAGS, params: ProjectParams, querystring: NoQuery, response: replies({ 200: QuotaAnswer }, [...GUARDED, 404]) } },
      async (request) => {
        const id = projectId(request.params.project);
        return { projectId: id, ...admin.quota(id) };
      },
    );
    app.put<{ Params: P; Body: QuotaBody }>(
      '/projects/:project/quotas',
      { config: { access: CLOUD_ADMIN }, schema: { summary: "Set the project's limits (instances already over them stay)", tags: TAGS, params: ProjectParams, body: QuotaBody, response: replies({ 200: QuotaAnswer }, [...GUARDED, 404]) } },
      async (request) => {
        const id = projectId(request.params.project);
        admin.setQuota(id, request.body, actorOf(request));
        return { projectId: id, ...admin.quota(id) };
      },
    );
  };
}

function instanceView(i: InstanceRecord): Static<typeof InstanceSchema> {
  return {
    id: i.id,
    projectId: i.projectId,
    name: i.name,
    flavorId: i.flavorId,
    imageId: i.imageId,
    hostId: i.hostId,
    power: i.power,
    rebootGeneration: i.rebootGeneration,
    state: i.state,
    observedState: i.observedState,
    error: i.error,
    observedAt: i.observedAt,
    serverGroupId: i.serverGroupId,
    keyName: i.keyName,
    hasUserData: i.userData !== null,
    priority: i.priority,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

function isCloudAdmin(request: FastifyRequest): boolean {
  return request.principal?.roles.includes('cloud-admin') ?? false;
}

