/** The internal HTTP routes (SPEED_ROUTES) through which a serving layer elsewhere fans out to this instance. */
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import { DIMENSION_NAMES } from '../shared/dimensions.ts'
import { markRoutes } from '../shared/http-auth.ts'
import { SPEED_ROUTES, TRENDING_WINDOWS, type RealtimeView, type TrendingQuery } from '../shared/realtime.ts'
import {
  breakdownAnswerToWire,
  breakdownQueryFromWire,
  dailyAnswerToWire,
  dailyQueryFromWire,
  dayQueryFromWire,
  type WireBreakdownQuery,
  type WireDailyQuery,
  type WireDayQuery,
} from '../shared/realtime-wire.ts'

const Kind = Type.Union([Type.Literal('song'), Type.Literal('artist')])
// The calendar check is the *FromWire functions' (shared/day.ts): a pattern alone passes 2024-02-30.
const Date = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
const Watermark = Type.Integer({ minimum: 0, description: 'epoch ms: count arrivals at or after it' })
const Dimension = Type.Unsafe<string>({ type: 'string', enum: [...DIMENSION_NAMES] })

const DailyFields = {
  kind: Kind,
  id: Type.String({ minLength: 1, maxLength: 64 }),
  from: Date,
  to: Date,
  watermark: Watermark,
}
const DailyQuery = Type.Object(DailyFields, { additionalProperties: false })
const BreakdownQuery = Type.Object({ ...DailyFields, dimension: Dimension }, { additionalProperties: false })
// `value` is checked against the dimension's values by dayQueryFromWire (shared/dimensions.ts).
const DayQuery = Type.Object(
  {
    kind: Kind,
    day: Date,
    watermark: Watermark,
    dimension: Type.Optional(Dimension),
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
)

const TrendingQuerySchema = Type.Object(
  {
    kind: Kind,
    window: Type.Union(TRENDING_WINDOWS.map((w) => Type.Literal(w))),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  },
  { additionalProperties: false },
)

export function speedRoutes(view: RealtimeView): FastifyPluginAsync {
  return async (app) => {
    markRoutes(app, 'internal')
    app.get(SPEED_ROUTES.daily, { schema: { querystring: DailyQuery, hide: true } }, async (req) =>
      dailyAnswerToWire(await view.daily(dailyQueryFromWire(req.query as WireDailyQuery))),
    )
    app.get(SPEED_ROUTES.breakdown, { schema: { querystring: BreakdownQuery, hide: true } }, async (req) =>
      breakdownAnswerToWire(await view.breakdown(breakdownQueryFromWire(req.query as WireBreakdownQuery))),
    )
    app.get(SPEED_ROUTES.dayAll, { schema: { querystring: DayQuery, hide: true } }, async (req) =>
      view.dayAll(dayQueryFromWire(req.query as WireDayQuery)),
    )
    app.get(SPEED_ROUTES.trending, { schema: { querystring: TrendingQuerySchema, hide: true } }, async (req) =>
      view.trending(req.query as TrendingQuery),
    )
    app.get(SPEED_ROUTES.status, { schema: { hide: true } }, async () => view.status())
  }
}
