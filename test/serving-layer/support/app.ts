/**
 * Builds the serve role (with the dashboard when asked) inside the shared HTTP app, the way the process wiring does,
 * and closes it after the test.
 */
import type { FastifyInstance } from 'fastify'
import { onTestFinished } from 'vitest'
import type { Catalog } from '../../../shared/catalog/catalog.ts'
import type { Config } from '../../../shared/config.ts'
import { buildHttpApp } from '../../../shared/http-app.ts'
import { openLake, type Lake } from '../../../shared/lake.ts'
import { createLogger } from '../../../shared/logger.ts'
import type { RealtimeView } from '../../../shared/realtime.ts'
import { createRegistry } from '../../../shared/telemetry.ts'
import { dashboardPlugin } from '../../../serving-layer/dashboard/plugin.ts'
import { buildServing, type Serving } from '../../../serving-layer/index.ts'

export interface TestServing {
  app: FastifyInstance
  serving: Serving
  lake: Lake
}

export async function startTestServing(
  config: Readonly<Config>,
  deps: { catalog: Catalog; realtime: RealtimeView[]; now?: () => number },
  opts: { dashboard?: boolean } = {},
): Promise<TestServing> {
  const log = createLogger({ level: config.logLevel })
  const registry = createRegistry()
  const lake = openLake(config, log)
  const serving = buildServing(config, { ...deps, lake, log, registry, pollMs: 60_000 })
  const app = await buildHttpApp(config, {
    log,
    registry,
    readiness: serving.readiness,
    plugins: opts.dashboard === true ? [serving.routes, dashboardPlugin] : [serving.routes],
  })
  await serving.start()
  onTestFinished(async () => {
    await app.close()
    await serving.stop()
    lake.close()
  })
  return { app, serving, lake }
}
