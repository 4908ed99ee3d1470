/**
 * HTTP load for the benches: autocannon (50 connections) in its own process against a server of this process, and
 * the server's CPU per request it received, measured until the server is idle again.
 */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/**
 * `cpuUs`: this process's CPU time per request the server received (autocannon and speed instances run elsewhere),
 * counted until the server is idle again: a slow route is still answering its last connections' requests when
 * autocannon stops, and that work belongs to its slice, not to the next URL's.
 */
export interface Load {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  total: number
  cpuUs: number
}

/** Requests received by the servers of this process: a server's onRequest hook adds one. */
export const requestCounter = { received: 0 }

/** Resolves once this process has used under 10% of a core over 50 ms. */
async function idle(): Promise<void> {
  for (;;) {
    const cpu0 = process.cpuUsage()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const cpu = process.cpuUsage(cpu0)
    if (cpu.user + cpu.system < 5_000) return
  }
}

export async function autocannon(url: string, seconds: number): Promise<Load> {
  const bin = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    '..',
    'node_modules',
    'autocannon',
    'autocannon.js',
  )
  const cpu0 = process.cpuUsage()
  const received0 = requestCounter.received
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '-c', '50', '-d', String(seconds), '-j', url], {
    maxBuffer: 16 << 20,
  })
  await idle()
  const cpu = process.cpuUsage(cpu0)
  const r = JSON.parse(stdout) as {
    requests: { average: number; total: number }
    latency: { p50: number; p99: number }
    non2xx: number
    errors: number
  }
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    total: r.requests.total,
    cpuUs: (cpu.user + cpu.system) / Math.max(1, requestCounter.received - received0),
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * The machine is shared, so its load drifts within seconds: the URLs are measured in alternating 2-second slices
 * and each figure is the median over its slices, so a ratio compares like with like.
 */
export async function interleaved(urls: string[], seconds: number): Promise<Load[]> {
  const slices = Math.max(1, Math.round(seconds / 2))
  const runs: Load[][] = urls.map(() => [])
  for (const url of urls) await autocannon(url, 1)
  for (let i = 0; i < slices; i++) for (const [j, url] of urls.entries()) runs[j]!.push(await autocannon(url, 2))
  return runs.map((r) => ({
    rps: median(r.map((x) => x.rps)),
    p50: median(r.map((x) => x.p50)),
    p99: median(r.map((x) => x.p99)),
    non2xx: r.reduce((n, x) => n + x.non2xx, 0),
    errors: r.reduce((n, x) => n + x.errors, 0),
    total: r.reduce((n, x) => n + x.total, 0),
    cpuUs: median(r.map((x) => x.cpuUs)),
  }))
}
