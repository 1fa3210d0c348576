import { Type, type TSchema } from '@sinclair/typebox';
import { MAX_PASSWORD_LENGTH, USER_NAME_PATTERN } from '../../../appliance/contracts/index.ts';

// Shapes shared by the controller's routes. One source yields the validators,
// the serializers (undeclared fields are dropped) and the OpenAPI document.

export const ProjectName = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  description: 'lower-case letters, digits and dashes, like a DNS label',
});

/** A project in a path: its name or its id (prj_...). */
export const ProjectRef = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]{0,63}$', description: 'project name or id' });

export const UserName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: USER_NAME_PATTERN.source,
  description: 'lower-case letters, digits and . _ @ -',
});

/** The length rule (12 or more) is checked by the controller, which names it in its answer. */
export const Password = Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH });

export const ProjectRoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('member'), Type.Literal('reader')]);
export const RoleSchema = Type.Union([Type.Literal('cloud-admin'), Type.Literal('admin'), Type.Literal('member'), Type.Literal('reader')]);

export const Timestamp = Type.String({ description: 'ISO 8601, UTC' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const ProjectSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  createdAt: Timestamp,
});

export const ProjectParams = Type.Object({ project: ProjectRef }, { additionalProperties: false });

export const NoQuery = Type.Object({}, { additionalProperties: false });

/** The shared error body (registered by createApiServer as "ErrorBody"). */
const ErrorRef = Type.Unsafe<{ error: { code: string; message: string } }>({ $ref: 'ErrorBody#' });

/**
 * A route's response map: its successes plus the error statuses it can answer
 * with, all in the shared error body.
 */
export function replies(success: Record<number, TSchema>, errors: readonly number[]): Record<number, TSchema> {
  const map: Record<number, TSchema> = { ...success };
  for (const status of errors) map[status] = ErrorRef;
  return map;
}

/** Statuses every route behind a token can answer: bad request, no or bad token, not allowed. */
export const GUARDED = [400, 401, 403] as const;
