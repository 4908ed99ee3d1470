/**
 * The realtime view of one speed instance over HTTP (SPEED_ROUTES), for a serving layer that fans out to several.
 * undici's Pool (what Node's own fetch runs on) keeps the connections alive; its request API costs less per call
 * than fetch's WHATWG objects. Every call has a deadline; a refused connection, a timeout, a non-2xx status or a malformed body is a
 * PLAYCOUNT_SPEED_NOT_READY error, so the caller reports the instance as missing instead of undercounting.
 * With a token (INTERNAL_TOKEN, else API_TOKEN: shared/http-auth.ts) every call carries it as a bearer token.
 */
import { Pool, errors as undiciErrors } from 'undici'
import { Type, type TNumber, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { formatDay } from './day.ts'
import { Errors } from './errors.ts'
import { METRICS, type MetricName } from './metrics.ts'
import {
  SPEED_ROUTES,
  type RealtimeBreakdownAnswer,
  type RealtimeBreakdownQuery,
  type RealtimeDailyAnswer,
  type RealtimeDailyQuery,
  type RealtimeDayAnswer,
  type RealtimeDayQuery,
  type RealtimeView,
  type SpeedStatus,
  type TrendingAnswer,
  type TrendingQuery,
} from './realtime.ts'
import {
  breakdownRowsFromWire,
  dayQueryToWire,
  daysFromWire,
  type WireBreakdownAnswer,
  type WireDailyAnswer,
} from './realtime-wire.ts'

const Partitions = Type.Array(Type.Integer({ minimum: 0 }))
// Every metric present: an answer short of one would add NaN to a report.
const Values = Type.Object(
  Object.fromEntries(METRICS.map((m) => [m.name, Type.Number()])) as Record<MetricName, TNumber>,
)
const Envelope = {
  ready: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  watermark: Type.Number(),
  partitions: Partitions,
}
const DailyAnswer = TypeCompiler.Compile(
  Type.Object({ ...Envelope, days: Type.Record(Type.String(), Type.Record(Type.String(), Type.Number())) }),
)
const BreakdownAnswer = TypeCompiler.Compile(
  Type.Object({ ...Envelope, rows: Type.Array(Type.Tuple([Type.String(), Type.String(), Values])) }),
)
const DayAnswer = TypeCompiler.Compile(
  Type.Object({ ...Envelope, rows: Type.Array(Type.Tuple([Type.String(), Values])) }),
)
const Trending = TypeCompiler.Compile(
  Type.Object({
    ready: Type.Boolean(),
    partitions: Partitions,
    items: Type.Array(Type.Object({ id: Type.String(), plays: Type.Number() })),
  }),
)
const Status = TypeCompiler.Compile(
  Type.Object({
    instance: Type.String(),
    ready: Type.Boolean(),
    eventsPerSecond: Type.Number(),
    oldestWatermark: Type.Number(),
    partitions: Type.Array(Type.Object({ partition: Type.Integer(), ready: Type.Boolean(), lag: Type.Number() })),
  }),
)

export class RemoteRealtimeView implements RealtimeView {
  readonly name: string
  private readonly base: string
  private readonly pool: Pool
  private readonly headers: Record<string, string>
  private readonly prefix: string

  constructor(
    url: string,
    private readonly timeoutMs: number,
    token?: string,
  ) {
    this.base = url.replace(/\/+$/, '')
    this.name = this.base
    const u = URL.canParse(this.base) ? new URL(this.base) : undefined
    if (!u) throw new Errors.CONFIG_INVALID(`SPEED_URLS: ${JSON.stringify(url)} is not a URL`)
    this.pool = new Pool(u.origin, { connections: 128 })
    const auth = token
      ? `Bearer ${token}`
      : u.username
        ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
        : undefined
    this.headers = { accept: 'application/json', ...(auth === undefined ? {} : { authorization: auth }) }
    this.prefix = u.pathname.replace(/\/+$/, '')
  }

  async daily(q: RealtimeDailyQuery): Promise<RealtimeDailyAnswer> {
    // By hand rather than URLSearchParams (cheaper per call); only the id can hold characters that need escaping.
    const qs = `kind=${q.kind}&id=${encodeURIComponent(q.id)}&from=${formatDay(q.from)}&to=${formatDay(q.to)}&watermark=${q.watermark}`
    return this.getWithDays(
      `${SPEED_ROUTES.daily}?${qs}`,
      DailyAnswer,
      (wire) => {
        const days = daysFromWire((wire as WireDailyAnswer).days)
        return days && { ...wire, days }
      },
      'days: a key is not a date YYYY-MM-DD',
    )
  }

  async breakdown(q: RealtimeBreakdownQuery): Promise<RealtimeBreakdownAnswer> {
    const qs = `kind=${q.kind}&id=${encodeURIComponent(q.id)}&dimension=${encodeURIComponent(q.dimension)}&from=${formatDay(q.from)}&to=${formatDay(q.to)}&watermark=${q.watermark}`
    return this.getWithDays(
      `${SPEED_ROUTES.breakdown}?${qs}`,
      BreakdownAnswer,
      (wire) => {
        const rows = breakdownRowsFromWire((wire as WireBreakdownAnswer).rows)
        return rows && { ...wire, rows }
      },
      'rows: a day is not a date YYYY-MM-DD',
    )
  }

  async dayAll(q: RealtimeDayQuery): Promise<RealtimeDayAnswer> {
    return this.get(`${SPEED_ROUTES.dayAll}?${dayQueryToWire(q)}`, DayAnswer)
  }

  async trending(q: TrendingQuery): Promise<TrendingAnswer> {
    const qs = new URLSearchParams({ kind: q.kind, window: q.window, limit: String(q.limit) })
    return this.get(`${SPEED_ROUTES.trending}?${qs.toString()}`, Trending)
  }

  async status(): Promise<SpeedStatus> {
    return this.get(SPEED_ROUTES.status, Status)
  }

  /** Frees the kept-alive connections. */
  close(): void {
    void this.pool.destroy().catch(() => undefined)
  }

  /** A GET whose answer carries days as text: `fromWire` turns them into day numbers (undefined: not a date). */
  private async getWithDays<T extends TSchema, A>(
    pathAndQuery: string,
    check: TypeCheck<T>,
    fromWire: (wire: T['static']) => A | undefined,
    malformed: string,
  ): Promise<A> {
    const answer = fromWire(await this.get(pathAndQuery, check))
    if (answer === undefined)
      throw new Errors.SPEED_NOT_READY(`${this.base}${pathAndQuery} answered a malformed body (${malformed})`)
    return answer
  }

  private async get<T extends TSchema>(pathAndQuery: string, check: TypeCheck<T>): Promise<T['static']> {
    const url = `${this.base}${pathAndQuery}`
    let res: { status: number; body: string }
    try {
      res = await this.request(pathAndQuery)
    } catch (err) {
      const why = err instanceof TimeoutError ? err.message : describeError(err)
      throw new Errors.SPEED_NOT_READY(`${this.base}: ${why}`, { cause: err })
    }
    let body: unknown
    try {
      body = JSON.parse(res.body)
    } catch {
      body = undefined
    }
    if (res.status < 200 || res.status > 299) {
      const detail = (body as { message?: unknown } | undefined)?.message
      throw new Errors.SPEED_NOT_READY(
        `${url} answered HTTP ${res.status}${typeof detail === 'string' ? `: ${detail}` : ''}`,
      )
    }
    if (!check.Check(body)) {
      const first = check.Errors(body).First()
      throw new Errors.SPEED_NOT_READY(
        `${url} answered a malformed body (${first ? `${first.path} ${first.message}` : 'not JSON'})`,
      )
    }
    return body
  }

  /** One GET on a kept-alive connection: the answer's headers and its body each within the deadline. */
  private async request(pathAndQuery: string): Promise<{ status: number; body: string }> {
    try {
      const res = await this.pool.request({
        method: 'GET',
        path: `${this.prefix}${pathAndQuery}`,
        headers: this.headers,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      })
      return { status: res.statusCode, body: await res.body.text() }
    } catch (err) {
      if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
        throw new TimeoutError(`timed out after ${this.timeoutMs} ms`, { cause: err })
      }
      throw err
    }
  }
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError'
}

function describeError(err: unknown): string {
  const e = err as { code?: string; message?: string }
  return e.code && !e.message?.includes(e.code) ? `${e.code} ${e.message ?? ''}`.trim() : (e.message ?? String(err))
}
