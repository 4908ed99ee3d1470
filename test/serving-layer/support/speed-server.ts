/** A speed instance's HTTP face for tests: the speed layer's own SPEED_ROUTES plugin over any RealtimeView. */
import Fastify from 'fastify'
import type { RealtimeView } from '../../../shared/realtime.ts'
import { speedRoutes } from '../../../speed-layer/routes.ts'

export interface SpeedServer {
  url: string
  close(): Promise<void>
}

export async function startSpeedServer(view: RealtimeView): Promise<SpeedServer> {
  const app = Fastify()
  await app.register(speedRoutes(view))
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: () => app.close() }
}
