/**
 * GET /v1/listeners/:id (a listener's segment, its features and latest signals) and GET /v1/segments (the latest
 * segments: sizes, centroids, names, and the artists each plays most with how its share compares). Listener
 * profiles (country, age, gender, tier) do not exist in the lake yet: `profile` is null until they do.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { Errors } from '../../shared/errors.ts'
import type { ServingContext } from '../context.ts'
import { SignalItem } from '../signals/schemas.ts'
import { withNames } from './signals.ts'

const LAST_SIGNALS = 10
const ErrorRef = Type.Ref('ErrorBody')
const Numbers = Type.Record(Type.String(), Type.Number())

const listenerSchema = {
  summary: 'A listener: segment, features and latest interest signals',
  tags: ['signals'],
  params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }) }),
  response: {
    200: Type.Object({
      id: Type.String(),
      profile: Type.Null({ description: 'listener profiles are not in the lake yet' }),
      segment: Type.Union([
        Type.Object({ segment: Type.Integer(), name: Type.String(), asOf: Type.String(), features: Numbers }),
        Type.Null(),
      ]),
      signals: Type.Array(SignalItem, {
        description: `the latest ${LAST_SIGNALS} signals this server holds, newest first`,
      }),
    }),
    400: ErrorRef,
    404: ErrorRef,
  },
}

const segmentsSchema = {
  summary: 'The latest listener segments',
  tags: ['signals'],
  response: {
    200: Type.Object({
      asOf: Type.Union([Type.String(), Type.Null()]),
      listeners: Type.Integer(),
      segments: Type.Array(
        Type.Object({
          segment: Type.Integer(),
          name: Type.String(),
          size: Type.Integer(),
          centroid: Numbers,
          topArtists: Type.Array(
            Type.Object({
              artistId: Type.String(),
              name: Type.String(),
              plays: Type.Number(),
              share: Type.Number(),
              lift: Type.Number(),
            }),
          ),
        }),
      ),
    }),
  },
}

export function listenerRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get<{ Params: { id: string } }>('/v1/listeners/:id', { schema: listenerSchema }, async (req) => {
    const { id } = req.params
    const { run, byUser } = ctx.segments.current
    const seg = byUser.get(id)
    const signals = ctx.signals.store.query({ listener: id, limit: LAST_SIGNALS }).map((s) => withNames(ctx, s))
    if (seg === undefined && signals.length === 0) throw new Errors.NOT_FOUND('listener', id)
    return {
      id,
      profile: null,
      signals,
      segment:
        seg === undefined || run === undefined
          ? null
          : {
              segment: seg.segment,
              name: run.segments[seg.segment]?.name ?? String(seg.segment),
              asOf: run.asOf,
              features: seg.features,
            },
    }
  })

  app.get('/v1/segments', { schema: segmentsSchema }, async () => {
    const run = ctx.segments.current.run
    if (run === undefined) return { asOf: null, listeners: 0, segments: [] }
    return {
      asOf: run.asOf,
      listeners: run.listeners,
      segments: run.segments.map((s) => ({
        ...s,
        topArtists: s.topArtists.map((a) => ({ ...a, name: ctx.catalog.artists.get(a.artistId)?.name ?? a.artistId })),
      })),
    }
  })
}
