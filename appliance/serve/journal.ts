import { Type, type Static } from '@sinclair/typebox';
import type { ListEventsQuery, Store, StoredEvent } from '../store/index.ts';

const Kind = Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$', description: 'dotted lower-case name, e.g. operator.note' });

export const NewEventBody = Type.Object(
  {
    kind: Kind,
    message: Type.String({ minLength: 1, maxLength: 1024 }),
    severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('error')])),
    source: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$' })),
    data: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 32 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type NewEventInput = Static<typeof NewEventBody>;

export const EventSchema = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  source: Type.String(),
  kind: Type.String(),
  severity: Type.String(),
  message: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  idempotencyKey: Type.Union([Type.String(), Type.Null()]),
});

export const EventsQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    kind: Type.Optional(Kind),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  },
  { additionalProperties: false },
);

export interface Journal {
  /** Records (or, for a repeated idempotency key, finds) an event; it is on disk when this returns. */
  record(input: NewEventInput): { event: StoredEvent; created: boolean };
  list(query: ListEventsQuery): StoredEvent[];
}

/** The appliance's journal as every entry point uses it: defaults filled the same way, new events announced once. */
export function createJournal(store: Store, options: { now: () => Date; onRecorded: (event: StoredEvent) => void }): Journal {
  return {
    record(input) {
      const result = store.events.record(
        { source: input.source ?? 'operator', kind: input.kind, severity: input.severity ?? 'info', message: input.message, data: input.data, idempotencyKey: input.idempotencyKey },
        options.now(),
      );
      if (result.created) options.onRecorded(result.event);
      return result;
    },
    list: (query) => store.events.list(query),
  };
}
