/**
 * `playcount demo` (what `npm start` runs), on a warm machine: seconds from the command to a ready dashboard
 * (`/readyz` answers), with the default 30 days of history laid down and batched first, and each step's own
 * duration as the demo prints it. Baseline in the same run: the demo with `--history 0` (roles and simulator only).
 * Target (issue "the first five minutes"): under 60 s to a ready dashboard with the history.
 *
 * It uses the running services (the demo finds them and leaves them running) and its own topic and PLAYCOUNT_HOME,
 * removed afterwards. Size: DEMO_BENCH_HISTORY_DAYS (default 30, the demo's default).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { Config } from '../shared/config.ts'
import { createKafka } from '../shared/kafka.ts'
import type { BenchContext, BenchRow } from './types.ts'

const HISTORY_DAYS = Number(process.env.DEMO_BENCH_HISTORY_DAYS ?? 30)
const TIMEOUT_MS = 300_000
const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'playcount.js')

interface DemoRun {
  readyMs: number
  /** CPU seconds the demo process used up to then (all its threads, and its children that have ended). */
  cpuSeconds: number
  /** The demo's own step lines: `  ✓ <step>: … (12.3 s)`. */
  steps: Array<{ step: string; seconds: number }>
}

/** utime + stime + cutime + cstime of a process, in seconds (Linux /proc, clock ticks of 1/100 s). */
function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100
}

/** Starts the demo, waits for /readyz, stops it with Ctrl-C (SIGINT) and returns the times. */
async function runDemo(config: Readonly<Config>, historyDays: number, topic: string): Promise<DemoRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-demo-bench-'))
  const t0 = Date.now()
  const child = spawn(process.execPath, [bin, 'demo', '--history', String(historyDays)], {
    env: {
      ...process.env,
      KAFKA_BROKERS: config.kafka.brokers.join(','),
      KAFKA_PORT: String(config.services.kafkaPort),
      MINIO_PORT: String(config.services.minioPort),
      KAFKA_TOPIC: topic,
      PLAYCOUNT_HOME: home,
      LAKE_URI: path.join(home, 'lake'),
      PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  const exited = once(child, 'exit')
  try {
    let readyMs: number | undefined
    let cpuSeconds = 0
    while (readyMs === undefined) {
      if (Date.now() - t0 > TIMEOUT_MS || child.exitCode !== null)
        throw new Error(`demo not ready after ${Date.now() - t0} ms: ${stderr.slice(-500)}`)
      const url = /^dashboard: (http:\/\/\S+?)\/\s/m.exec(stdout)?.[1]
      if (url !== undefined && (await fetch(`${url}/readyz`).catch(() => undefined))?.ok === true) {
        readyMs = Date.now() - t0
        cpuSeconds = processCpuSeconds(child.pid!)
      } else await sleep(200)
    }
    const steps = [...stdout.matchAll(/^ {2}✓ ([^:]+): .*\((\d+\.\d) s\)$/gm)].map((m) => ({
      step: m[1]!,
      seconds: Number(m[2]),
    }))
    return { readyMs, cpuSeconds, steps }
  } finally {
    if (child.exitCode === null) child.kill('SIGINT')
    await exited
    fs.rmSync(home, { recursive: true, force: true })
  }
}

async function deleteTopics(config: Readonly<Config>, prefix: string): Promise<void> {
  const admin = createKafka(config).admin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  } finally {
    await admin.disconnect()
  }
}

export default async function bench({ config, log }: BenchContext): Promise<BenchRow[]> {
  const prefix = `bench-demo-${Date.now()}`
  try {
    log('demo --history 0 (baseline: services found, roles and simulator started)')
    const bare = await runDemo(config, 0, `${prefix}-bare`)
    log(`demo --history ${HISTORY_DAYS}`)
    const full = await runDemo(config, HISTORY_DAYS, `${prefix}-history`)
    const rows: BenchRow[] = [
      {
        bench: 'demo',
        measure: `npm start to a ready dashboard, ${HISTORY_DAYS} days of history (warm machine)`,
        value: full.readyMs / 1000,
        unit: 's',
        baseline: bare.readyMs / 1000,
        ratio: full.readyMs / bare.readyMs,
        target: '< 60 s',
        met: full.readyMs < 60_000,
      },
    ]
    rows.push({
      bench: 'demo',
      measure: `CPU of the demo process to ready (load average ${os.loadavg()[0]!.toFixed(1)} during the run)`,
      value: full.cpuSeconds,
      unit: 's',
      baseline: bare.cpuSeconds,
      ratio: full.cpuSeconds / bare.cpuSeconds,
    })
    for (const s of full.steps) rows.push({ bench: 'demo', measure: `step: ${s.step}`, value: s.seconds, unit: 's' })
    return rows
  } finally {
    await deleteTopics(config, prefix)
  }
}
