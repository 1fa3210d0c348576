import { Type, type Static } from '@sinclair/typebox';

// The control socket's answer to "how are you"; the CLI, the console and tests read it.
export const ServiceStatusSchema = Type.Object({
  name: Type.String(),
  state: Type.String(),
  reason: Type.Optional(Type.String()),
  since: Type.String(),
  restarts: Type.Integer(),
});

export const ApplianceStatusSchema = Type.Object(
  {
    name: Type.String(),
    nodeId: Type.String(),
    health: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('stopping')]),
    build: Type.Object({ version: Type.String(), commit: Type.String(), builtAt: Type.String(), node: Type.String() }),
    pid: Type.Integer(),
    startedAt: Type.String(),
    uptimeSeconds: Type.Number(),
    dataDir: Type.String(),
    configFile: Type.Union([Type.String(), Type.Null()]),
    https: Type.Object({
      listen: Type.String(),
      port: Type.Integer(),
      urls: Type.Array(Type.String()),
      fingerprint: Type.String(),
      notAfter: Type.String(),
    }),
    bus: Type.Object({
      socket: Type.String(),
      events: Type.String(),
      /** The tls+tcp address other machines use, or null when the bus is local only. */
      listen: Type.Union([Type.String(), Type.Null()]),
      fingerprint: Type.String(),
    }),
    store: Type.Object({ path: Type.String(), schemaVersion: Type.Integer(), events: Type.Integer() }),
    services: Type.Array(ServiceStatusSchema),
  },
  { $id: 'ApplianceStatus' },
);

export type ApplianceStatus = Static<typeof ApplianceStatusSchema>;
