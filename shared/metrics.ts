/**
 * The metric definitions, ONCE. They drive the speed layer's counters (`contribution`) and the batch SQL
 * (`metricSql`); a test runs both over the same events and asserts equal results. Adding a metric is one entry.
 */
import type { EventType, ListenEvent } from './event.ts'

export type MetricKind = 'count' | 'sum' | 'distinct'

export interface MetricDef {
  /** Name in the API and in TypeScript (camelCase). */
  readonly name: string
  /** Column in the batch views (snake_case). */
  readonly column: string
  readonly description: string
  readonly kind: MetricKind
  /** Event types that count; 'all' for every type. */
  readonly types: readonly EventType[] | 'all'
  /** sum: the numeric field summed; distinct: the field whose distinct values are counted. */
  readonly field?: { readonly event: 'msPlayed' | 'userId'; readonly column: 'ms_played' | 'user_id' }
}

export const METRICS = [
  { name: 'plays', column: 'plays', kind: 'count', types: ['play'], description: 'play events' },
  {
    name: 'completes',
    column: 'completes',
    kind: 'count',
    types: ['complete'],
    description: 'songs played to the end',
  },
  { name: 'skips', column: 'skips', kind: 'count', types: ['skip'], description: 'songs skipped' },
  { name: 'likes', column: 'likes', kind: 'count', types: ['like'], description: 'likes' },
  { name: 'dislikes', column: 'dislikes', kind: 'count', types: ['dislike'], description: 'dislikes' },
  {
    name: 'msPlayed',
    column: 'ms_played',
    kind: 'sum',
    types: 'all',
    field: { event: 'msPlayed', column: 'ms_played' },
    description: 'milliseconds listened, summed over every event that carries msPlayed',
  },
  {
    name: 'listeners',
    column: 'listeners',
    kind: 'distinct',
    types: ['play'],
    field: { event: 'userId', column: 'user_id' },
    description: 'distinct userIds with a play',
  },
] as const satisfies readonly MetricDef[]

export type MetricName = (typeof METRICS)[number]['name']
export type MetricValues = Record<MetricName, number>

/** The metrics merged by addition (every kind but distinct). */
export const ADDITIVE_METRICS = METRICS.filter((m) => m.kind !== 'distinct')

export function zeroValues(): MetricValues {
  const v = {} as MetricValues
  for (const m of METRICS) v[m.name] = 0
  return v
}

export function counts(m: MetricDef, type: EventType): boolean {
  return m.types === 'all' || m.types.includes(type)
}

/** What one event adds to an additive metric (0 when it does not count). */
export function contribution(m: MetricDef, e: ListenEvent): number {
  if (!counts(m, e.type)) return 0
  if (m.kind === 'count') return 1
  if (m.kind === 'sum' && m.field?.event === 'msPlayed') return e.msPlayed ?? 0
  return 0
}

/** For a distinct metric: the value this event contributes to the set, or undefined. */
export function distinctValue(m: MetricDef, e: ListenEvent): string | undefined {
  if (m.kind !== 'distinct' || !counts(m, e.type)) return undefined
  return m.field?.event === 'userId' ? e.userId : undefined
}

function typeFilter(m: MetricDef): string {
  if (m.types === 'all') return 'TRUE'
  return `type IN (${m.types.map((t) => `'${t}'`).join(', ')})`
}

/** The SQL aggregate expression of one metric over the lake's `events` columns. */
export function metricSql(m: MetricDef): string {
  const where = typeFilter(m)
  switch (m.kind) {
    case 'count':
      return `count(*) FILTER (WHERE ${where})`
    case 'sum':
      return `coalesce(sum(${m.field?.column ?? 'NULL'}) FILTER (WHERE ${where}), 0)`
    case 'distinct':
      return `count(DISTINCT ${m.field?.column ?? 'NULL'}) FILTER (WHERE ${where})`
  }
}

/** `expr AS column` for every metric: the select list of every batch view. */
export function metricsSelectList(): string {
  return METRICS.map((m) => `CAST(${metricSql(m)} AS BIGINT) AS ${m.column}`).join(',\n  ')
}
