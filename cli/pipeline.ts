/**
 * One playcount process: the roles asked for, wired together. Layers never import each other; this is the one
 * place that knows them all. `buildPipeline` returns something startable; `playcount start` and the end-to-end
 * tests both use it.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import { buildArchiver } from '../batch-layer/archiver/index.ts'
import { buildBatchScheduler } from '../batch-layer/scheduler/index.ts'
import { ensureCatalog } from '../shared/catalog/default.ts'
import { loadCatalog } from '../shared/catalog/store.ts'
import { buildCollector } from '../ingest/collector/index.ts'
import { buildServing } from '../serving-layer/index.ts'
import { dashboardPlugin } from '../serving-layer/dashboard/plugin.ts'
import type { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import type { DeadLetterStatus } from '../shared/dlq.ts'
import { Errors } from '../shared/errors.ts'
import { buildHttpApp } from '../shared/http-app.ts'
import { tokenFor } from '../shared/http-auth.ts'
import { KeyRing, openKeyStore } from '../shared/access/key-ring.ts'
import { createKafka, prepareTopics } from '../shared/kafka.ts'
import { openLake, type Lake } from '../shared/lake.ts'
import type { Logger } from '../shared/logger.ts'
import type { RealtimeView } from '../shared/realtime.ts'
import { RemoteRealtimeView } from '../shared/realtime-client.ts'
import { withRetry } from '../shared/retry.ts'
import { createRegistry } from '../shared/telemetry.ts'
import { buildSpeedLayer } from '../speed-layer/index.ts'

export const ROLES = ['speed', 'archiver', 'batch-scheduler', 'serve', 'ingest'] as const
export type Role = (typeof ROLES)[number]

interface Startable {
  start(): Promise<void>
  stop(): Promise<void>
}

export interface Pipeline {
  app: FastifyInstance
  lake: Lake
  catalog: Catalog
  registry: Registry
  /** Starts the roles and listens on config.http; resolves to the base URL. */
  start(): Promise<string>
  /** Stops listening, then every role in reverse order. */
  stop(): Promise<void>
}

export interface PipelineOptions {
  /**
   * Write the small default catalog when the lake has none (the demo). Off by default: a production process
   * pointed at a lake without a catalog fails with PLAYCOUNT_CATALOG_MISSING instead of inventing songs.
   */
  createDefaultCatalog?: boolean
}

export async function buildPipeline(
  config: Readonly<Config>,
  roles: readonly Role[],
  log: Logger,
  options: PipelineOptions = {},
): Promise<Pipeline> {
  const lake = openLake(config, log)
  // A role restarted while Kafka or the lake is briefly down waits for them instead of dying.
  await withRetry(() => prepareTopics(createKafka(config, log), config), {
    what: 'creating the topics',
    log,
    retries: 30,
    maxTimeoutMs: 5000,
  })
  const load =
    options.createDefaultCatalog === true ? () => ensureCatalog(config, lake, log) : () => loadCatalog(config, lake)
  const catalog = await withRetry(load, { what: 'loading the catalog', log, retries: 30, maxTimeoutMs: 5000 }).catch(
    (err: unknown) => {
      lake.close()
      throw err
    },
  )
  // Every role's routes take the same keys; a keys document that does not parse stops start-up (fail closed).
  const keys = new KeyRing(openKeyStore(config, lake), {
    reloadMs: config.access.reloadMs,
    log: log.child({ role: 'access' }),
  })
  await withRetry(() => keys.load(), { what: 'loading the API keys', log, retries: 30, maxTimeoutMs: 5000 }).catch(
    (err: unknown) => {
      lake.close()
      throw err
    },
  )
  const registry = createRegistry()
  const deps = { catalog, lake, registry }
  const startables: Array<{ name: string; role: Startable }> = []
  const plugins: FastifyPluginAsync[] = []
  const readiness: Array<() => boolean> = []

  let inProcess: RealtimeView[] = []
  let deadLetters: (() => DeadLetterStatus) | undefined
  if (roles.includes('speed')) {
    const speed = buildSpeedLayer(config, { ...deps, log: log.child({ role: 'speed' }) })
    startables.push({ name: 'speed', role: speed })
    plugins.push(speed.routes)
    readiness.push(() => speed.isReady())
    inProcess = [speed.view]
  }
  if (roles.includes('archiver')) {
    const archiver = buildArchiver(config, { ...deps, log: log.child({ role: 'archiver' }) })
    startables.push({ name: 'archiver', role: archiver })
    deadLetters = () => archiver.deadLetterStatus()
  }
  if (roles.includes('batch-scheduler')) {
    startables.push({
      name: 'batch-scheduler',
      role: buildBatchScheduler(config, { ...deps, log: log.child({ role: 'batch' }) }),
    })
  }
  if (roles.includes('ingest')) {
    const collector = buildCollector(config, { ...deps, log: log.child({ role: 'ingest' }) })
    startables.push({ name: 'ingest', role: collector })
    plugins.push(collector.routes)
  }
  if (roles.includes('serve')) {
    const remote = config.speed.urls.map(
      (url) => new RemoteRealtimeView(url, config.speed.timeoutMs, tokenFor(config, 'internal')),
    )
    const serving = buildServing(config, {
      ...deps,
      log: log.child({ role: 'serve' }),
      realtime: remote.length > 0 ? remote : inProcess,
      ...(deadLetters ? { deadLetters } : {}),
    })
    startables.push({
      name: 'serve',
      role: {
        start: () => serving.start(),
        stop: async () => {
          await serving.stop()
          for (const r of remote) r.close()
        },
      },
    })
    plugins.push(serving.routes, dashboardPlugin)
    readiness.push(() => serving.readiness().ready)
  }

  const app = await buildHttpApp(config, {
    log,
    registry,
    plugins,
    keys,
    readiness: () => ({ ready: readiness.every((r) => r()), details: { roles } }),
  })

  return {
    app,
    lake,
    catalog,
    registry,
    async start() {
      // Keys written since the build count from the first request; a failed read keeps the ones loaded at build.
      await keys
        .load()
        .catch((err: unknown) => log.warn({ err }, 'reloading the API keys failed; keeping the ones loaded at build'))
      keys.start()
      if (keys.enabled && config.speed.urls.length > 0 && tokenFor(config, 'internal') === undefined) {
        // API keys are for people; the fan-out has no key of its own to send, and the speed processes want one.
        log.warn(
          'API keys exist but neither INTERNAL_TOKEN nor API_TOKEN is set: the fan-out to SPEED_URLS sends no credential and will be refused',
        )
      }
      for (const { name, role } of startables) {
        log.info({ role: name }, 'starting')
        await role.start()
      }
      return app.listen({ host: config.http.host, port: config.http.port })
    },
    async stop() {
      await app.close()
      keys.stop()
      for (const { name, role } of [...startables].reverse()) {
        log.info({ role: name }, 'stopping')
        await role.stop()
      }
      lake.close()
    },
  }
}

export function parseRoles(spec: string | undefined): Role[] {
  if (spec === undefined || spec === '' || spec === 'all') return [...ROLES]
  const roles = spec.split(',').map((r) => r.trim())
  for (const r of roles) {
    if (!(ROLES as readonly string[]).includes(r))
      throw new Errors.BAD_REQUEST(`unknown role "${r}": ROLES must be a comma-separated list of ${ROLES.join(', ')}`)
  }
  return roles as Role[]
}
