/**
 * GET /v1/status: the watermark and last batch run, each speed instance's readiness and lag, and the dead letters of
 * the archiver when it runs in this process (null otherwise: its /metrics tell the same).
 */
import type { FastifyInstance } from 'fastify'
import type { SpeedStatus } from '../../shared/realtime.ts'
import type { ServingContext } from '../context.ts'
import { collect } from '../realtime/fan-out.ts'
import { statusSchema } from '../schemas.ts'

export function statusRoutes(app: FastifyInstance, ctx: ServingContext): void {
  app.get('/v1/status', { schema: statusSchema }, async () => {
    const snapshot = ctx.batch.current
    const manifest = snapshot.manifest
    // Coverage counts only the partitions an instance reports caught up.
    const rt = await collect(
      ctx.realtime,
      async (v) => {
        const s = await v.status()
        return { ...s, status: s, partitions: s.partitions.filter((p) => p.ready).map((p) => p.partition) }
      },
      ctx.config.kafka.partitions,
    )
    const speed = rt.outcomes.map((o) => instanceStatus(o.instance, o.value?.status, o.error))
    const answered = speed.filter((s) => s.ok)
    return {
      watermark: snapshot.watermark,
      lastBatchRun: manifest
        ? { runId: manifest.runId, endedAt: manifest.createdAt, days: manifest.days ?? null }
        : null,
      views: {
        loaded: ctx.batch.loaded,
        loadedAt: snapshot.loadedAt ? new Date(snapshot.loadedAt).toISOString() : null,
        songRows: snapshot.indexes.song.rows,
        artistRows: snapshot.indexes.artist.rows,
        ...(ctx.batch.lastError ? { error: ctx.batch.lastError } : {}),
      },
      speed,
      lag: answered.length > 0 ? answered.reduce((n, s) => n + s.lag, 0) : null,
      eventsPerSecond: answered.reduce((n, s) => n + s.eventsPerSecond, 0),
      complete: rt.complete,
      missing: rt.missing,
      deadLetters: ctx.deadLetters?.() ?? null,
    }
  })
}

function instanceStatus(instance: string, s: SpeedStatus | undefined, error: string | undefined) {
  if (!s)
    return {
      instance,
      ok: false,
      ready: false,
      error: error ?? 'no answer',
      lag: 0,
      eventsPerSecond: 0,
      partitions: [],
    }
  return {
    instance: s.instance || instance,
    ok: true,
    ready: s.ready,
    lag: s.partitions.reduce((n, p) => n + p.lag, 0),
    eventsPerSecond: s.eventsPerSecond,
    oldestWatermark: s.oldestWatermark,
    partitions: s.partitions,
  }
}
