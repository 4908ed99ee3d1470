/**
 * End to end (issue 8): the pipeline as a separate process (`playcount start speed,archiver,serve,ingest`), driven
 * over HTTP from this one.
 * - freshness: at a steady background load, the time from a probe event's 202 to its play being visible in the
 *   report API (p50/p99);
 * - throughput: offered load stepped up; the highest rate the collector accepts in full while the speed layer's
 *   lag stays under one second of events, with the archiver consuming in the same process.
 */
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { createKafka } from '../shared/kafka.ts'
import type { BenchContext, BenchRow } from './types.ts'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'playcount.js')
const STEPS = (process.env.E2E_BENCH_STEPS ?? '2000,5000,10000,20000,30000,40000').split(',').map(Number)
const STEP_SECONDS = Number(process.env.E2E_BENCH_STEP_SECONDS ?? 10)
const PROBES = Number(process.env.E2E_BENCH_PROBES ?? 100)
const BATCH = 200

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

export default async function e2e(ctx: BenchContext): Promise<BenchRow[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-e2e-bench-'))
  const port = 28380
  const base = `http://127.0.0.1:${port}`
  const topic = `e2e-bench-${Date.now()}`
  const env = {
    ...process.env,
    PORT: String(port),
    PLAYCOUNT_HOME: home,
    LAKE_URI: path.join(home, 'lake'),
    KAFKA_TOPIC: topic,
    KAFKA_BROKERS: ctx.config.kafka.brokers.join(','),
    LOG_LEVEL: 'warn',
  }
  // `playcount start` runs on a lake that holds a catalog; this one is new, so it gets the default one first.
  execFileSync(process.execPath, [bin, 'catalog', 'generate'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
  const child = spawn(process.execPath, [bin, 'start', 'speed,archiver,serve,ingest'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break
      if (i > 600) throw new Error('the pipeline did not become ready in 60 s')
      await sleep(100)
    }
    const songs = (
      (await (await fetch(`${base}/v1/search?q=a&limit=100`)).json()) as {
        results: Array<{ kind: string; id: string }>
      }
    ).results
      .filter((r) => r.kind === 'song')
      .map((r) => r.id)
    const probeSong = songs[0] ?? ''
    let seq = 0
    const event = (songId: string) => ({
      eventId: `e2e-${process.pid}-${seq++}`,
      ts: Date.now(),
      userId: `u${seq % 5000}`,
      songId,
      type: 'play',
      msPlayed: 1000,
    })
    const body = () =>
      JSON.stringify(Array.from({ length: BATCH }, (_, i) => event(songs[(seq + i) % songs.length] ?? probeSong)))

    // Offered load: batches of BATCH events at `rate` events/s for `seconds`, several requests in flight.
    const offer = async (rate: number, seconds: number, stop?: () => boolean) => {
      const t0 = Date.now()
      let offered = 0
      let accepted = 0
      const inflight = new Set<Promise<void>>()
      while (Date.now() - t0 < seconds * 1000 && !(stop?.() ?? false)) {
        const due = t0 + (offered / rate) * 1000
        if (due > Date.now()) await sleep(due - Date.now())
        if (inflight.size >= 16) await Promise.race(inflight)
        offered += BATCH
        const p = fetch(`${base}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(),
        })
          .then(
            async (r) => {
              if (r.status === 202) accepted += ((await r.json()) as { accepted: number }).accepted
              else await r.text()
            },
            () => undefined,
          )
          .then(() => {
            inflight.delete(p)
          })
        inflight.add(p)
      }
      await Promise.all(inflight)
      return { offered, accepted, seconds: (Date.now() - t0) / 1000 }
    }

    // Freshness: probes on one song while a background load of 1000 events/s runs.
    const day = new Date().toISOString().slice(0, 10)
    const plays = async () =>
      (
        (await (await fetch(`${base}/v1/songs/${probeSong}/daily?from=${day}&to=${day}`)).json()) as {
          totals: { plays: number }
        }
      ).totals.plays
    let probing = true
    const background = offer(1000, 3600, () => !probing)
    const latencies: number[] = []
    for (let i = 0; i < PROBES; i++) {
      const before = await plays()
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event(probeSong)),
      })
      await res.text()
      const t = performance.now()
      while ((await plays()) <= before) await sleep(2)
      latencies.push(performance.now() - t)
    }
    probing = false
    await background
    latencies.sort((a, b) => a - b)
    ctx.log(
      `freshness over ${PROBES} probes: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    )

    // Throughput: step the offered load up; sustained = all accepted and the speed layer's lag under a second of events.
    const speedLag = async () => {
      const s = (await (await fetch(`${base}/v1/status`)).json()) as { lag?: number }
      return s.lag ?? 0
    }
    let sustained = 0
    const rows: BenchRow[] = []
    for (const rate of STEPS) {
      const r = await offer(rate, STEP_SECONDS)
      await sleep(1000)
      const lag = await speedLag()
      const achieved = r.accepted / r.seconds
      const ok = r.accepted === r.offered && lag < achieved && achieved >= 0.9 * rate
      ctx.log(
        `offered ${rate}/s: accepted ${r.accepted}/${r.offered} (${Math.round(achieved)}/s), speed lag ${lag}${ok ? '' : ' — not sustained'}`,
      )
      rows.push({
        bench: 'e2e',
        measure: `offered ${rate} events/s: accepted`,
        value: achieved,
        unit: 'events/s',
        baseline: rate,
        ratio: achieved / rate,
      })
      if (!ok) break
      sustained = achieved
      // Let the consumers drain before the next step.
      for (let i = 0; i < 60 && (await speedLag()) > 0; i++) await sleep(500)
    }
    return [
      {
        bench: 'e2e',
        measure: 'freshness p50 (202 → visible in the API)',
        value: percentile(latencies, 50),
        unit: 'ms',
      },
      { bench: 'e2e', measure: 'freshness p99', value: percentile(latencies, 99), unit: 'ms' },
      ...rows,
      {
        bench: 'e2e',
        measure: 'highest sustained rate (collector+Kafka+speed+archiver)',
        value: sustained,
        unit: 'events/s',
      },
    ]
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    fs.rmSync(home, { recursive: true, force: true })
    const admin = createKafka(ctx.config).admin()
    await admin.connect()
    await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined)
    await admin.disconnect()
  }
}
