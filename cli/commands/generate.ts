import type { Command } from 'commander'
import { SingleBar, Presets } from 'cli-progress'
import { ensureCatalog } from '../../shared/catalog/default.ts'
import { parseDuration, parseFraction, parseStart } from '../../tools/simulator/options.ts'
import { runSimulation, type Speed } from '../../tools/simulator/run.ts'
import { describeRun } from '../../tools/simulator/summary.ts'
import { fileSink, httpSink, kafkaSink, type Sink } from '../../tools/simulator/sinks.ts'
import { loadConfig } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { MAX_FUTURE_MS } from '../../shared/event.ts'
import { openLake } from '../../shared/lake.ts'
import { DAY_MS } from '../../shared/layout.ts'
import { createLogger } from '../../shared/logger.ts'

interface GenerateFlags {
  listeners: string
  duration?: string
  start?: string
  daysBack?: string
  speed?: string
  rate?: string
  seed: string
  out?: string
  kafka?: boolean
  http?: string
  duplicates: string
  late: string
  malformed: string
  progress: boolean
}

function count(name: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 0)
    throw new Errors.BAD_REQUEST(`--${name} must be a non-negative integer, got ${text}`)
  return n
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('simulate listeners and send their events to Kafka (default), a file or the HTTP collector')
    .option('--listeners <n>', 'number of listeners', '1000')
    .option(
      '--duration <d>',
      'event-time span, e.g. 90s, 2h, 3d, or forever (until stopped; default 1h, or the --days-back span)',
    )
    .option('--start <iso|now>', 'event time of the start (default now)')
    .option(
      '--days-back <d>',
      'start this many days ago (e.g. 7); the span then runs up to now unless --duration says otherwise',
    )
    .option(
      '--speed <realtime|max>',
      'realtime paces at wall-clock speed; max emits history at once (default: realtime from now, max for the past)',
    )
    .option('--rate <r>', 'at most this many events per second')
    .option('--seed <s>', 'seed: same seed and start give byte-identical output', '1')
    .option('--out <file>', 'write NDJSON to this file (- for stdout)')
    .option('--kafka', 'produce to the Kafka topic (the default)')
    .option('--http <url>', 'POST NDJSON batches to the collector at this URL')
    .option('--duplicates <f>', 'fraction of events resent with the same eventId', '0')
    .option('--late <f>', 'fraction of events sent with ts hours or days in the past', '0')
    .option(
      '--malformed <f>',
      'fraction of extra invalid lines (bad JSON, missing field, unknown song, far-future ts)',
      '0',
    )
    .option('--no-progress', 'no progress bar')
    .action(async (flags: GenerateFlags) => {
      const config = loadConfig()
      const log = createLogger({ level: config.logLevel, name: 'generate', format: config.logFormat })
      const sinks = [flags.out !== undefined, flags.kafka === true, flags.http !== undefined].filter(Boolean).length
      if (sinks > 1) throw new Errors.BAD_REQUEST('choose one of --out, --kafka, --http')
      const now = Date.now()
      const daysBack = flags.daysBack === undefined ? undefined : Number(flags.daysBack)
      if (daysBack !== undefined && !(daysBack > 0))
        throw new Errors.BAD_REQUEST(`--days-back must be a positive number, got ${flags.daysBack}`)
      if (daysBack !== undefined && flags.start !== undefined)
        throw new Errors.BAD_REQUEST('use --start or --days-back, not both')
      const start = daysBack !== undefined ? now - Math.round(daysBack * DAY_MS) : parseStart(flags.start ?? 'now', now)
      // `forever` runs until Ctrl-C (the demo's audience); ten years of event time is as good as forever.
      const untilStopped = flags.duration === 'forever'
      const durationMs = untilStopped
        ? 3650 * DAY_MS
        : flags.duration !== undefined
          ? parseDuration(flags.duration)
          : daysBack !== undefined
            ? now - start
            : 3_600_000
      const speed = (flags.speed ?? (start >= now - 60_000 ? 'realtime' : 'max')) as Speed
      if (speed !== 'realtime' && speed !== 'max')
        throw new Errors.BAD_REQUEST(`--speed must be realtime or max, got ${flags.speed}`)
      const rate = flags.rate === undefined ? undefined : Number(flags.rate)
      if (rate !== undefined && !(rate > 0))
        throw new Errors.BAD_REQUEST(`--rate must be a positive number, got ${flags.rate}`)

      const lake = openLake(config, log)
      const catalog = await ensureCatalog(config, lake, log).finally(() => lake.close())
      let sink: Sink
      if (flags.out !== undefined) sink = fileSink(flags.out)
      else if (flags.http !== undefined) sink = httpSink(flags.http, log, { apiToken: config.http.apiToken })
      else sink = await kafkaSink(config, log)
      if (flags.out === undefined && start + durationMs > now + MAX_FUTURE_MS && speed === 'max') {
        console.error(
          'warning: with --speed max, events more than 1 hour ahead of the clock will be refused as future_ts',
        )
      }

      const sim = {
        catalog,
        listeners: count('listeners', flags.listeners),
        start,
        durationMs,
        seed: count('seed', flags.seed),
        duplicates: parseFraction('duplicates', flags.duplicates),
        late: parseFraction('late', flags.late),
        malformed: parseFraction('malformed', flags.malformed),
      }
      console.error(
        describeRun({
          listeners: sim.listeners,
          start,
          durationMs: untilStopped ? 'until stopped' : durationMs,
          speed,
          rate,
          into: sink.name,
        }),
      )
      const bar =
        flags.progress && process.stderr.isTTY && flags.out !== '-'
          ? new SingleBar(
              {
                format: ' {bar} {percentage}% of event time | {lines} lines | {rate}/s | {eta_formatted}',
                stream: process.stderr,
              },
              Presets.shades_classic,
            )
          : undefined
      bar?.start(100, 0, { lines: 0, rate: 0 })
      const abort = new AbortController()
      const stop = (): void => abort.abort()
      process.once('SIGINT', stop)
      try {
        const { summary, seconds } = await runSimulation(sim, sink, {
          speed,
          ...(rate === undefined ? {} : { rate }),
          signal: abort.signal,
          threaded: flags.kafka === true || sinks === 0,
          onProgress: ({ fraction, emitted, seconds: secs }) =>
            bar?.update(Math.round(fraction * 1000) / 10, {
              lines: emitted,
              rate: secs > 0 ? Math.round(emitted / secs) : 0,
            }),
        })
        bar?.stop()
        console.error(summary.format(seconds))
        if ('tally' in sink) {
          const t = (sink as ReturnType<typeof httpSink>).tally
          console.error(`collector accepted ${t.accepted}, refused ${t.rejected}`)
        }
      } finally {
        bar?.stop()
        process.off('SIGINT', stop)
        await sink.close()
      }
    })
}
