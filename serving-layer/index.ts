/**
 * The serve role: the report API over the batch views (loaded from the lake, swapped when the manifest changes)
 * and the realtime views (in-process, or one RemoteRealtimeView per speed instance — the process wiring decides).
 * `routes` is a plugin for shared/http-app.ts; `start` loads the views once and polls the manifest.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import type { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import type { Readiness } from '../shared/http-app.ts'
import type { Lake } from '../shared/lake.ts'
import type { Logger } from '../shared/logger.ts'
import type { DeadLetterStatus } from '../shared/dlq.ts'
import type { RealtimeView } from '../shared/realtime.ts'
import { BatchViews } from './batch/batch-views.ts'
import type { ServingContext } from './context.ts'
import { nameViews } from './realtime/fan-out.ts'
import { breakdownRoutes } from './routes/breakdown.ts'
import { chartRoutes } from './routes/charts.ts'
import { dailyRoutes } from './routes/daily.ts'
import { searchRoutes } from './routes/search.ts'
import { statusRoutes } from './routes/status.ts'
import { trendingRoutes } from './routes/trending.ts'
import { signalsRoutes } from './routes/signals.ts'
import { SignalReader } from './signals/signal-reader.ts'
import { SignalStore } from './signals/signal-store.ts'
import { ListenerSegments } from './segments/listener-segments.ts'
import { listenerRoutes } from './routes/listeners.ts'

export interface ServingDeps {
  catalog: Catalog
  lake: Lake
  log: Logger
  registry: Registry
  realtime: RealtimeView[]
  /** The archiver's dead letters when it runs in this process (GET /v1/status `deadLetters`; null otherwise). */
  deadLetters?: () => DeadLetterStatus
  /** How often the views manifest is read (ms); default 5000. */
  pollMs?: number
  now?: () => number
}

export interface Serving {
  routes: FastifyPluginAsync
  start(): Promise<void>
  stop(): Promise<void>
  /** Reads the manifest now and loads new views if it changed; true when a new snapshot is served. */
  refresh(): Promise<boolean>
  readiness(): Readiness
}

export function buildServing(config: Readonly<Config>, deps: ServingDeps): Serving {
  const batch = new BatchViews(config, deps.lake, deps.log, deps.registry, { pollMs: deps.pollMs ?? 5000 })
  const store = new SignalStore()
  const segments = new ListenerSegments(config, deps.lake, deps.log, deps.pollMs ?? 5000)
  const reader = new SignalReader(config, store, deps.log, Math.ceil(store.capacity / config.kafka.partitions))
  const ctx: ServingContext = {
    config,
    catalog: deps.catalog,
    batch,
    realtime: nameViews(deps.realtime),
    now: deps.now ?? Date.now,
    signals: { store, live: () => reader.live },
    segments,
    ...(deps.deadLetters === undefined ? {} : { deadLetters: deps.deadLetters }),
  }

  const routes: FastifyPluginAsync = async (app) => {
    dailyRoutes(app, ctx)
    breakdownRoutes(app, ctx)
    chartRoutes(app, ctx)
    searchRoutes(app, ctx)
    trendingRoutes(app, ctx)
    statusRoutes(app, ctx)
    signalsRoutes(app, ctx)
    listenerRoutes(app, ctx)
  }

  return {
    routes,
    refresh: () => batch.refresh(),
    async start() {
      // A lake that cannot be read yet is not fatal: readiness stays false and the poll keeps trying.
      await batch.refresh().catch(() => undefined)
      batch.start()
      await segments.refresh().catch((err: unknown) => deps.log.warn({ err }, 'listener segments not loaded yet'))
      segments.start()
      // Signals are a side list: a broker that cannot be read yet leaves it empty (live: false), never the reports down.
      reader
        .start()
        .catch((err: unknown) =>
          deps.log.warn({ err }, 'the signals reader did not start; GET /v1/signals answers live: false'),
        )
    },
    async stop() {
      batch.stop()
      segments.stop()
      await reader.stop()
    },
    readiness: () => ({
      ready: batch.loaded,
      details: {
        serve: { viewsLoaded: batch.loaded, watermark: batch.current.watermark, error: batch.lastError ?? null },
      },
    }),
  }
}
