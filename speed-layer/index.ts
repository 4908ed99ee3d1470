/**
 * The speed layer: rolling in-memory counters of every event that arrived at or after the watermark, rebuilt from
 * the log, served as a RealtimeView in-process and over SPEED_ROUTES. `buildSpeedLayer` returns something
 * startable; the process wiring registers `routes` on its Fastify app and serves the registry on /metrics.
 */
import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import type { Catalog } from '../shared/catalog/catalog.ts'
import type { Config } from '../shared/config.ts'
import type { Lake } from '../shared/lake.ts'
import type { Logger } from '../shared/logger.ts'
import type { RealtimeView } from '../shared/realtime.ts'
import { withRetry } from '../shared/retry.ts'
import { SpeedConsumer } from './consumer.ts'
import { InlineEngine, WorkerEngine, type EngineClient } from './engine-client.ts'
import type { EngineSetup, EngineStats } from './engine.ts'
import { resolveOptions, type SpeedOptions } from './options.ts'
import type { PartitionState } from './partition-state.ts'
import { speedRoutes } from './routes.ts'
import { SignalEmitter } from './signals/emitter.ts'
import { loadRules, rulesWarmupMs } from './signals/rules.ts'
import { createKafka } from '../shared/kafka.ts'
import { SpeedTelemetry } from './telemetry.ts'
import { LocalRealtimeView } from './view.ts'
import { WatermarkTracker } from './watermark.ts'

export type { SpeedOptions } from './options.ts'

export interface SpeedDeps {
  catalog: Catalog
  lake: Lake
  log: Logger
  registry: Registry
}

export interface SpeedLayer {
  view: RealtimeView
  routes: FastifyPluginAsync
  start(): Promise<void>
  stop(): Promise<void>
  /** Joined the group and every assigned partition is rebuilt and caught up. */
  isReady(): boolean
}

export function buildSpeedLayer(config: Readonly<Config>, deps: SpeedDeps, options: SpeedOptions = {}): SpeedLayer {
  // Checked before anything starts: a bad rules file stops the role with the rule and the field named.
  const rules = loadRules(config.signals.rulesFile)
  const resolved = resolveOptions(options)
  // A rebuild reads far enough before the held range to refill every open window of the rules (README#signals).
  const opts = { ...resolved, dedupWarmupMs: Math.max(resolved.dedupWarmupMs, rulesWarmupMs(rules)) }
  const log = deps.log
  const states = new Map<number, PartitionState>()
  const tracker = new WatermarkTracker(deps.lake, opts.dropGraceMs, log)
  const rate = { value: 0, lastRead: 0, lastAt: Date.now() }
  let consumer: SpeedConsumer | undefined
  const setup = {
    songs: [...deps.catalog.songs.values()].map((s) => [s.songId, s.artistId] as const),
    dedupWindow: config.speed.dedupWindow,
    bucketMs: opts.bucketMs,
    rules,
    signalCap: config.signals.maxWindows,
    profiles: deps.catalog.listeners,
    breakdowns: opts.breakdowns,
  }
  const newEngine = (faults: Partial<EngineSetup> = {}): EngineClient =>
    opts.engine === 'worker' ? new WorkerEngine({ ...setup, ...faults }, () => void recover()) : new InlineEngine(setup)
  let engine = newEngine(opts.engineExitAfter === undefined ? {} : { exitAfterMessages: opts.engineExitAfter })
  let stopping = false
  let recovering = false
  let stats: EngineStats = {
    songKeys: 0,
    artistKeys: 0,
    breakdownRecords: 0,
    listenerIds: 0,
    heapBytes: 0,
    tableBytes: 0,
    signals: { windows: 0, tooLate: 0, evicted: 0 },
  }
  const telemetry = new SpeedTelemetry(deps.registry, {
    partitions: () => states.values(),
    eventsPerSecond: () => rate.value,
    engine: () => stats,
  })
  const view = new LocalRealtimeView({
    instance: opts.instance,
    states,
    engine: () => engine,
    joined: () => consumer?.isJoined() ?? false,
    holdFrom: () => tracker.holdFrom(),
    eventsPerSecond: () => rate.value,
    bucketMs: opts.bucketMs,
  })
  const timers: NodeJS.Timeout[] = []
  const emitter =
    rules.length === 0
      ? undefined
      : new SignalEmitter(config, createKafka(config, log, 'speed-signals'), log, deps.registry, rulesWarmupMs(rules))

  const sampleRate = (): void => {
    const now = Date.now()
    const read = consumer?.read ?? 0
    if (now > rate.lastAt) rate.value = ((read - rate.lastRead) * 1000) / (now - rate.lastAt)
    rate.lastRead = read
    rate.lastAt = now
  }

  let maintaining = false
  const maintain = async (): Promise<void> => {
    if (maintaining) return
    maintaining = true
    try {
      await tracker.poll()
      const now = Date.now()
      const holdFrom = tracker.holdFrom(now)
      const drops: Array<Promise<void>> = []
      for (const st of states.values()) {
        if (holdFrom <= st.heldFrom) continue
        // Set here at once, so a query from now on is refused for an older watermark; the engine drops in order.
        st.heldFrom = holdFrom
        drops.push(
          engine.dropBefore(st.partition, holdFrom).then((dropped) => {
            if (dropped > 0)
              log.info(
                { partition: st.partition, buckets: dropped, heldFrom: holdFrom },
                'dropped buckets before the watermark',
              )
          }),
        )
      }
      await Promise.all(drops)
      await engine.prune(now)
      stats = await engine.stats()
      await consumer?.refreshEnds()
    } catch (err) {
      log.warn({ err }, 'speed maintenance failed; retrying at the next tick')
    } finally {
      maintaining = false
    }
  }

  const startConsumer = async (): Promise<void> => {
    consumer = new SpeedConsumer(config, {
      engine,
      log,
      registry: deps.registry,
      tracker,
      telemetry,
      states,
      opts,
      signals: emitter,
    })
    await consumer.start()
  }

  // The engine thread died (a bug, out of memory): its counts are gone, and the log still has every event. A new
  // engine starts, and leaving and rejoining the group rebuilds every assigned partition from the log; until then
  // the partitions answer not ready, never a partial count.
  async function recover(): Promise<void> {
    if (stopping || recovering) return
    recovering = true
    log.error('the speed engine thread stopped: rebuilding every partition from the log on a new one')
    telemetry.engineRestarts.inc()
    try {
      await consumer?.stop()
      states.clear()
      engine = newEngine()
      await withRetry(startConsumer, { what: 'restarting the speed consumer', log, retries: 10 })
    } catch (err) {
      log.error({ err }, 'the speed layer could not recover from the engine failure')
    } finally {
      recovering = false
    }
  }

  return {
    view,
    routes: speedRoutes(view),
    isReady: () => (consumer?.isJoined() ?? false) && [...states.values()].every((s) => s.ready),
    async start() {
      // The first seek needs the watermark, so the manifest is read before joining the group.
      await tracker.poll()
      await emitter?.start()
      await startConsumer()
      timers.push(setInterval(sampleRate, 1000).unref())
      timers.push(setInterval(() => void maintain(), opts.manifestPollMs).unref())
    },
    async stop() {
      stopping = true
      for (const t of timers) clearInterval(t)
      timers.length = 0
      await consumer?.stop()
      await consumer?.settled()
      states.clear()
      await emitter?.stop()
      await engine.close()
    },
  }
}
