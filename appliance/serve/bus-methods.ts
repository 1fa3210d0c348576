import { Type } from '@sinclair/typebox';
import { defineMethod, type Method } from '../bus/index.ts';
import { VisibleNodesSchema, type VisibleNodes } from './discovery-service.ts';
import { EventSchema, EventsQuery, NewEventBody, type Journal } from './journal.ts';
import { ApplianceStatusSchema, type ApplianceStatus } from './status-schema.ts';

const Empty = Type.Object({}, { additionalProperties: false });

/** The appliance's own methods on the local bus (the control socket serves the same operations over HTTP). */
export function applianceMethods(deps: { status: () => ApplianceStatus; journal: Journal; visible: () => VisibleNodes; describe: () => unknown[] }): Record<string, Method> {
  return {
    'appliance.status': defineMethod({
      description: 'How the appliance is: node, build, HTTPS, store, services',
      params: Empty,
      result: ApplianceStatusSchema,
      handler: () => deps.status(),
    }),
    'events.list': defineMethod({
      description: 'Recent journal events, newest first',
      params: EventsQuery,
      result: Type.Object({ events: Type.Array(EventSchema) }),
      handler: (params) => ({ events: deps.journal.list(params) }),
    }),
    'events.record': defineMethod({
      description: 'Record an event in the journal (idempotencyKey makes a retry record it once)',
      params: NewEventBody,
      result: Type.Object({ event: EventSchema, created: Type.Boolean() }),
      handler: (params) => deps.journal.record(params),
    }),
    'discovery.list': defineMethod({
      description: 'Appliances and hosts visible from here (mDNS, configured peers, DNS SRV); their TXT claims are untrusted',
      params: Empty,
      result: VisibleNodesSchema,
      handler: () => deps.visible(),
    }),
    'bus.methods': defineMethod({
      description: 'The methods served here, with their parameter and result schemas',
      params: Empty,
      result: Type.Object({ methods: Type.Array(Type.Unknown()) }),
      handler: () => ({ methods: deps.describe() }),
    }),
  };
}
