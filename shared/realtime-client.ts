/**
 * The realtime view of one speed instance over HTTP (SPEED_ROUTES), for a serving layer that fans out to several.
 * Every call has a deadline; a refused connection, a timeout, a non-2xx status or a malformed body is a
 * PLAYCOUNT_SPEED_NOT_READY error, so the caller reports the instance as missing instead of undercounting.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { Errors } from './errors.ts'
import {
  SPEED_ROUTES, type RealtimeDailyAnswer, type RealtimeDailyQuery, type RealtimeView, type SpeedStatus, type TrendingAnswer,
  type TrendingQuery,
} from './realtime.ts'

const Partitions = Type.Array(Type.Integer({ minimum: 0 }))
const DailyAnswer = TypeCompiler.Compile(Type.Object({
  ready: Type.Boolean(), reason: Type.Optional(Type.String()), watermark: Type.Number(), partitions: Partitions,
  days: Type.Record(Type.String(), Type.Record(Type.String(), Type.Number())),
}))
const Trending = TypeCompiler.Compile(Type.Object({
  ready: Type.Boolean(), partitions: Partitions, items: Type.Array(Type.Object({ id: Type.String(), plays: Type.Number() })),
}))
const Status = TypeCompiler.Compile(Type.Object({
  instance: Type.String(), ready: Type.Boolean(), eventsPerSecond: Type.Number(), oldestWatermark: Type.Number(),
  partitions: Type.Array(Type.Object({ partition: Type.Integer(), ready: Type.Boolean(), lag: Type.Number() })),
}))

export class RemoteRealtimeView implements RealtimeView {
  readonly name: string
  private readonly base: string

  constructor(url: string, private readonly timeoutMs: number) {
    this.base = url.replace(/\/+$/, '')
    this.name = this.base
  }

  async daily(q: RealtimeDailyQuery): Promise<RealtimeDailyAnswer> {
    const qs = new URLSearchParams({ kind: q.kind, id: q.id, from: q.from, to: q.to, watermark: String(q.watermark) })
    return this.get(`${SPEED_ROUTES.daily}?${qs.toString()}`, DailyAnswer) as Promise<RealtimeDailyAnswer>
  }

  async trending(q: TrendingQuery): Promise<TrendingAnswer> {
    const qs = new URLSearchParams({ kind: q.kind, window: q.window, limit: String(q.limit) })
    return this.get(`${SPEED_ROUTES.trending}?${qs.toString()}`, Trending)
  }

  async status(): Promise<SpeedStatus> {
    return this.get(SPEED_ROUTES.status, Status)
  }

  private async get<T extends TSchema>(pathAndQuery: string, check: TypeCheck<T>): Promise<T['static']> {
    const url = `${this.base}${pathAndQuery}`
    let body: unknown
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } })
      body = await res.json().catch(() => undefined)
      if (!res.ok) {
        const detail = (body as { message?: unknown } | undefined)?.message
        throw new Errors.SPEED_NOT_READY(`${url} answered HTTP ${res.status}${typeof detail === 'string' ? `: ${detail}` : ''}`)
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'PLAYCOUNT_SPEED_NOT_READY') throw err
      const name = (err as Error).name
      const why = name === 'TimeoutError' || name === 'AbortError' ? `timed out after ${this.timeoutMs} ms` : describeFetchError(err)
      throw new Errors.SPEED_NOT_READY(`${this.base}: ${why}`, { cause: err })
    }
    if (!check.Check(body)) {
      const first = check.Errors(body).First()
      throw new Errors.SPEED_NOT_READY(`${url} answered a malformed body (${first ? `${first.path} ${first.message}` : 'unknown'})`)
    }
    return body
  }
}

/** fetch hides the socket error (ECONNREFUSED, ...) in `cause`. */
function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (err as Error).message
}
