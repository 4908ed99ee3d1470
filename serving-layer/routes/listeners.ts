/**
 * GET /v1/listeners/:id (a listener's segment, its features and latest signals) and GET /v1/segments (the latest
 * segments: sizes, centroids, names, and the artists each plays most with how its share compares). `profile` is the
 * listener's row of catalog/listeners as the catalog object holds it (no second copy), null for a listener without
 * one (docs/ARCHITECTURE.md#listener-profiles). A listener is known by a profile, a segment or a held signal.
 */
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { GENDERS, TIERS } from '../../shared/dimensions.ts'
import { Errors } from '../../shared/errors.ts'
import { SEGMENT_FEATURES } from '../../shared/segments.ts'
import type { ServingContext } from '../context.ts'
import { SignalItem } from '../signals/schemas.ts'
import { withNames } from './signals.ts'

const LAST_SIGNALS = 10
const ErrorRef = Type.Ref('ErrorBody')
/** A value per feature (shared/segments.ts SEGMENT_FEATURES); `premium` is null where the tier is not known. */
const Features = (description: string) =>
  Type.Object(
    Object.fromEntries(
      SEGMENT_FEATURES.map((f) => [f, f === 'premium' ? Type.Union([Type.Number(), Type.Null()]) : Type.Number()]),
    ),
    { description },
  )
const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)))

const Profile = Type.Object(
  {
    country: Type.Union([Type.String({ pattern: '^[A-Z]{2}$' }), Type.Null()], {
      description: 'ISO-3166-1 alpha-2 country of the account, null when not known',
    }),
    birthYear: Type.Union([Type.Integer(), Type.Null()], { description: 'null when not known' }),
    gender: literals(GENDERS),
    tier: literals(TIERS),
    signupDate: Type.Union([Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), Type.Null()], {
      description: 'YYYY-MM-DD, null when not known',
    }),
  },
  { description: "the listener's row of catalog/listeners" },
)

const listenerSchema = {
  summary: 'A listener: segment, features and latest interest signals',
  tags: ['signals'],
  params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' }) }),
  response: {
    200: Type.Object({
      id: Type.String(),
      profile: Type.Union([Profile, Type.Null()], {
        description: 'null for a listener without a profile (their events still count, under `unknown`)',
      }),
      segment: Type.Union([
        Type.Object({
          segment: Type.Integer(),
          name: Type.String(),
          asOf: Type.String(),
          features: Features(
            "the listener's features over the window; premium: 1 premium, 0 free (its profile's tier), null without a profile",
          ),
        }),
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
          centroid: Features(
            "the mean of the segment's listeners; premium: the premium share among those with a profile, null when none has one",
          ),
          profiles: Type.Integer({
            description: 'listeners of the segment with a profile: the base of centroid.premium',
          }),
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
    const p = ctx.catalog.profileOf(id)
    if (p === undefined && seg === undefined && signals.length === 0) throw new Errors.NOT_FOUND('listener', id)
    return {
      id,
      profile:
        p === undefined
          ? null
          : { country: p.country, birthYear: p.birthYear, gender: p.gender, tier: p.tier, signupDate: p.signupDate },
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
