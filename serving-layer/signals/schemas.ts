/** JSON schemas of GET /v1/signals (validation, serialization, the OpenAPI document at /docs). */
import { Type } from '@sinclair/typebox'
import { SignalSchema } from '../../shared/signals.ts'

const ErrorRef = Type.Ref('ErrorBody')

export const SignalItem = Type.Composite([
  SignalSchema,
  Type.Object({
    songTitle: Type.String({ description: 'from the catalog (the song id when unknown)' }),
    artistName: Type.String(),
  }),
])

export const SignalsQuery = Type.Object(
  {
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'only this rule' })),
    listener: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'only this listener' })),
    since: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 40,
        description:
          'only signals whose last event time is at or after this instant: ISO-8601 with a zone, or epoch ms',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  },
  { additionalProperties: false },
)

export const SignalsAnswer = Type.Object({
  signals: Type.Array(SignalItem, { description: 'newest last event time first' }),
  held: Type.Integer({ description: 'signals this server holds (the most recent it read, at most capacity)' }),
  capacity: Type.Integer(),
  live: Type.Boolean({
    description: 'false until the reader of the signals topic has joined; the list may then be empty or short',
  }),
  perMinute: Type.Integer({ description: 'signals read over the last minute' }),
})

export const signalsSchema = {
  summary: 'Interest-list signals: listeners who crossed an interest rule (newest first)',
  tags: ['signals'],
  description:
    "Read from the `<topic>.signals` Kafka topic; each id once. A listener's older signals than the server holds are not listed.",
  querystring: SignalsQuery,
  response: { 200: SignalsAnswer, 400: ErrorRef },
}
