/**
 * JSON schemas of the report routes: they validate requests (a 400 names the parameter and the rule), serialize
 * responses fast, and are the OpenAPI document at /docs.
 */
import { Type } from '@sinclair/typebox'
import { DIMENSIONS, DIMENSION_NAMES, UNKNOWN, dimensionByName, valuePattern } from '../shared/dimensions.ts'
import { ADDITIVE_METRICS, METRICS } from '../shared/metrics.ts'
import { TRENDING_WINDOWS } from '../shared/realtime.ts'
import { DEFAULT_RANGE_DAYS, MAX_RANGE_DAYS } from '../shared/day.ts'

const ErrorRef = Type.Ref('ErrorBody')
const COUNTRY = dimensionByName('country')!

/** A string out of a fixed list as `enum` (not anyOf): fast to serialize, and a 400 lists the allowed values. */
const StringEnum = <T extends string>(values: readonly T[], opts: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts })
// 401 is added to the document by shared/http-app.ts where a token is set.
const errors = { 400: ErrorRef, 404: ErrorRef }

const Metrics = Object.fromEntries(METRICS.map((m) => [m.name, Type.Number({ description: m.description })]))
const MetricsObject = Type.Object(Metrics)
const AdditiveMetrics = Object.fromEntries(
  ADDITIVE_METRICS.map((m) => [m.name, Type.Number({ description: m.description })]),
)

const Missing = Type.Object(
  {
    instances: Type.Array(Type.Object({ instance: Type.String(), reason: Type.String() })),
    partitions: Type.Array(Type.Integer(), { description: 'Kafka partitions no realtime answer covered' }),
  },
  { description: 'what the realtime part lacks when complete is false' },
)

const Complete = Type.Boolean({
  description:
    'false when a speed instance is down, slow or not ready, or a partition is not covered: the numbers may then be too low',
})

const dateParam = (description: string) =>
  Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}$',
    format: 'date',
    description: `a UTC calendar date YYYY-MM-DD: ${description}`,
  })

/**
 * A query string: an unknown parameter is a 400 naming it (shared/http-app.ts keeps them), and a parameter with a
 * default is optional — Type.Optional, or the document would call it required.
 */
const Query = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { additionalProperties: false })

export const DailyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

export const DailyQuery = Query({
  from: Type.Optional(dateParam(`first day (inclusive); default ${DEFAULT_RANGE_DAYS - 1} days before to`)),
  to: Type.Optional(dateParam('last day (inclusive); default today (UTC)')),
  format: Type.Optional(StringEnum(['json', 'csv'], { default: 'json' })),
  parts: Type.Optional(
    Type.Boolean({ default: false, description: "also return each day's batch and realtime parts (JSON only)" }),
  ),
})

const Day = Type.Object({
  date: Type.String(),
  ...Metrics,
  listenersExact: Type.Boolean({
    description:
      'false when the day has both a batch and a realtime part with listeners: listeners is then their sum, an upper bound (one person may be in both)',
  }),
  source: StringEnum(['batch', 'realtime', 'batch+realtime'], {
    description:
      'the parts with data that day; a day with none is batch if it ended before the watermark, else realtime',
  }),
  parts: Type.Optional(
    Type.Object(
      { batch: MetricsObject, realtime: MetricsObject },
      { description: 'with ?parts=true: the batch part (arrivals before W) and the realtime part (at or after W)' },
    ),
  ),
})

export const DailyReport = Type.Object({
  kind: StringEnum(['song', 'artist']),
  id: Type.String(),
  name: Type.String(),
  artistId: Type.Optional(Type.String()),
  from: Type.String(),
  to: Type.String(),
  watermark: Type.Number({
    description:
      'W (epoch ms): batch views hold arrivals before it, the speed layer those at or after it; 0 before the first batch run',
  }),
  complete: Complete,
  missing: Missing,
  days: Type.Array(Day),
  totals: Type.Object({
    ...Metrics,
    listenersExact: Type.Boolean({
      description: 'listeners summed over days is an upper bound when more than one day has listeners',
    }),
  }),
})

export const dailySchema = (kind: 'song' | 'artist') => ({
  summary: `Daily metrics of one ${kind}`,
  description:
    `Every day of the range (at most ${MAX_RANGE_DAYS} days), zeros where nothing happened. ` +
    'value(day) = batch(day, arrivals before W) + realtime(day, arrivals at or after W): exact for every additive metric. ' +
    'listeners: exact on days with only one part; where a day has both, their sum (an upper bound) with listenersExact false. ' +
    '`?format=csv` returns the same days as CSV (headers X-Playcount-Complete and X-Playcount-Watermark).',
  tags: ['report'],
  params: DailyParams,
  querystring: DailyQuery,
  response: {
    200: {
      description: 'the days of the range',
      content: {
        'application/json': { schema: DailyReport },
        'text/csv': {
          schema: {
            type: 'string',
            description: 'with ?format=csv: a header row, then one row per day with the same columns as days[]',
          },
        },
      },
    },
    ...errors,
  },
})

export const searchSchema = {
  summary: 'Artists and songs by name',
  tags: ['report'],
  querystring: Query({
    q: Type.String({ minLength: 1, maxLength: 100 }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  }),
  response: {
    200: Type.Object({
      q: Type.String(),
      results: Type.Array(
        Type.Object({
          kind: Type.String(),
          id: Type.String(),
          name: Type.String(),
          artistName: Type.Optional(Type.String()),
        }),
      ),
    }),
    ...errors,
  },
}

export const trendingSchema = {
  summary: 'Most played songs or artists over a recent window (by arrival time)',
  tags: ['report'],
  description:
    'Summed over the speed instances; with several instances each is asked for more than limit, so a rank near the cut can be approximate.',
  querystring: Query({
    window: Type.Optional(StringEnum(TRENDING_WINDOWS, { default: '1h' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    kind: Type.Optional(StringEnum(['song', 'artist'], { default: 'song' })),
  }),
  response: {
    200: Type.Object({
      window: Type.String(),
      kind: Type.String(),
      complete: Complete,
      missing: Missing,
      items: Type.Array(
        Type.Object({
          rank: Type.Integer(),
          id: Type.String(),
          name: Type.String(),
          plays: Type.Number(),
          artistId: Type.Optional(Type.String()),
          artistName: Type.Optional(Type.String()),
        }),
      ),
    }),
    ...errors,
  },
}

const SpeedInstance = Type.Object({
  instance: Type.String(),
  ok: Type.Boolean(),
  ready: Type.Boolean(),
  error: Type.Optional(Type.String()),
  lag: Type.Number(),
  eventsPerSecond: Type.Number(),
  oldestWatermark: Type.Optional(Type.Number()),
  partitions: Type.Array(Type.Object({ partition: Type.Integer(), ready: Type.Boolean(), lag: Type.Number() })),
})

export const statusSchema = {
  summary: 'Watermark, last batch run, speed instances and their lag',
  tags: ['report'],
  response: {
    200: Type.Object({
      watermark: Type.Number(),
      lastBatchRun: Type.Union([
        Type.Object({
          runId: Type.String(),
          endedAt: Type.String(),
          days: Type.Union([Type.Object({ from: Type.String(), to: Type.String() }), Type.Null()]),
        }),
        Type.Null(),
      ]),
      views: Type.Object({
        loaded: Type.Boolean(),
        loadedAt: Type.Union([Type.String(), Type.Null()]),
        songRows: Type.Integer(),
        artistRows: Type.Integer(),
        error: Type.Optional(Type.String()),
      }),
      speed: Type.Array(SpeedInstance),
      lag: Type.Union([Type.Number(), Type.Null()], {
        description: 'consumer lag summed over the speed instances that answered',
      }),
      eventsPerSecond: Type.Number(),
      complete: Complete,
      missing: Missing,
      deadLetters: Type.Union(
        [
          Type.Object({
            pending: Type.Integer({ description: 'found, not yet acknowledged by the DLQ nor written to the lake' }),
            delivered: Type.Integer({ description: 'acknowledged by the DLQ' }),
            inLake: Type.Integer({
              description: 'kept in the lake (deadletters/) because the DLQ refused them or kept failing',
            }),
            sendFailures: Type.Integer(),
            lastError: Type.Union([Type.Object({ message: Type.String(), at: Type.String() }), Type.Null()]),
          }),
          Type.Null(),
        ],
        { description: "the in-process archiver's dead letters; null when no archiver runs in this process" },
      ),
    }),
    ...errors,
  },
}

export const BreakdownQuery = Query({
  by: StringEnum(DIMENSION_NAMES, { description: DIMENSIONS.map((d) => `${d.name}: ${d.description}`).join('; ') }),
  from: Type.Optional(dateParam(`first day (inclusive); default ${DEFAULT_RANGE_DAYS - 1} days before to`)),
  to: Type.Optional(dateParam('last day (inclusive); default today (UTC)')),
  format: Type.Optional(StringEnum(['json', 'csv'], { default: 'json' })),
})

export const BreakdownReport = Type.Object({
  kind: StringEnum(['song', 'artist']),
  id: Type.String(),
  name: Type.String(),
  by: StringEnum(DIMENSION_NAMES),
  from: Type.String(),
  to: Type.String(),
  watermark: Type.Number({ description: 'W (epoch ms), as on the daily route' }),
  complete: Complete,
  missing: Missing,
  values: Type.Array(
    Type.Object({
      value: Type.String({
        description: "a value of the dimension, or unknown (no value in the event nor the listener's profile)",
      }),
      ...Metrics,
      listenersExact: Type.Boolean({
        description:
          'listeners summed over the days of the range (and over batch and realtime parts of a day) is an upper bound when false',
      }),
      source: StringEnum(['batch', 'realtime', 'batch+realtime'], {
        description: 'the parts with data for this value over the range',
      }),
    }),
    { description: 'the values with data over the range, most plays first' },
  ),
})

export const breakdownSchema = (kind: 'song' | 'artist') => ({
  summary: `One ${kind}'s metrics per value of a dimension`,
  description:
    'The metrics over the range per value of the dimension `by` (shared/dimensions.ts), merged per day by the ' +
    'same watermark rule as the daily route. `?format=csv` returns the values as CSV.',
  tags: ['report'],
  params: DailyParams,
  querystring: BreakdownQuery,
  response: {
    200: {
      description: 'the values with data',
      content: {
        'application/json': { schema: BreakdownReport },
        'text/csv': {
          schema: {
            type: 'string',
            description: 'with ?format=csv: a header row, then one row per value with the columns of values[]',
          },
        },
      },
    },
    ...errors,
  },
})

export const ChartQuery = Query({
  date: Type.Optional(dateParam('the day of the chart; default today (UTC), live')),
  kind: Type.Optional(StringEnum(['song', 'artist'], { default: 'song' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  country: Type.Optional(
    Type.String({
      pattern: valuePattern(COUNTRY),
      description: `the chart among the plays of one country (${COUNTRY.description}), or ${UNKNOWN} for plays with none; default all plays`,
    }),
  ),
})

export const chartSchema = {
  summary: 'The top songs or artists of a day, with their rank the day before',
  description:
    'Ranked by plays (then listeners, then id) of the day, each merged batch + realtime by the watermark rule as ' +
    "on the daily route; today's chart is live. previousRank is the rank the day before (null when not ranked then), " +
    "change = previousRank - rank (positive: moved up). With ?country=, the chart of that country's plays (the " +
    "event's country, else the listener profile's), ranks the day before among the same plays.",
  tags: ['report'],
  querystring: ChartQuery,
  response: {
    200: Type.Object({
      date: Type.String(),
      kind: StringEnum(['song', 'artist']),
      country: Type.Optional(Type.String({ description: 'the country asked for, if any' })),
      watermark: Type.Number(),
      complete: Complete,
      missing: Missing,
      totals: Type.Object(
        {
          entries: Type.Integer({ description: 'songs (or artists) with data that day' }),
          ...AdditiveMetrics,
          parts: Type.Object(
            { batch: Type.Object(AdditiveMetrics), realtime: Type.Object(AdditiveMetrics) },
            { description: 'the batch part (arrivals before W) and the realtime part (at or after W)' },
          ),
        },
        {
          description:
            "the day's additive metrics over every song (or artist) the key may see, not only the top `limit`, merged " +
            'by the same rule; no listeners, since the views count distinct listeners per song and per artist only',
        },
      ),
      entries: Type.Array(
        Type.Object({
          rank: Type.Integer(),
          id: Type.String(),
          name: Type.String(),
          artistId: Type.Optional(Type.String()),
          ...Metrics,
          listenersExact: Type.Boolean(),
          source: StringEnum(['batch', 'realtime', 'batch+realtime']),
          previousRank: Type.Union([Type.Integer(), Type.Null()]),
          change: Type.Union([Type.Integer(), Type.Null()]),
        }),
      ),
    }),
    ...errors,
  },
}
