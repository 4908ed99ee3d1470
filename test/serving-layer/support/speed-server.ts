/** A speed instance's HTTP face for tests and the bench: SPEED_ROUTES served from any RealtimeView. */
import Fastify from 'fastify'
import { SPEED_ROUTES, type EntityKind, type RealtimeView, type TrendingWindow } from '../../../shared/realtime.ts'
import { dailyAnswerToWire, dailyQueryFromWire } from '../../../shared/realtime-wire.ts'

export interface SpeedServer {
  url: string
  close(): Promise<void>
}

export async function startSpeedServer(view: RealtimeView): Promise<SpeedServer> {
  const app = Fastify()
  app.get<{ Querystring: Record<string, string> }>(SPEED_ROUTES.daily, async (req) =>
    dailyAnswerToWire(
      await view.daily(
        dailyQueryFromWire({
          kind: req.query.kind as EntityKind,
          id: req.query.id ?? '',
          from: req.query.from ?? '',
          to: req.query.to ?? '',
          watermark: Number(req.query.watermark),
        }),
      ),
    ),
  )
  app.get<{ Querystring: Record<string, string> }>(SPEED_ROUTES.trending, async (req) =>
    view.trending({
      kind: req.query.kind as EntityKind,
      window: req.query.window as TrendingWindow,
      limit: Number(req.query.limit),
    }),
  )
  app.get(SPEED_ROUTES.status, async () => view.status())
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: () => app.close() }
}
