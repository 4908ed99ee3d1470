/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line), prints one table and writes
 * bench/results/<name>.json and bench/results/SUMMARY.md. Each bench measures against its own baseline in the
 * same run (a bare consumer, a plain query), since the machine is shared and noisy.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Table from 'cli-table3'
import { loadConfig } from '../shared/config.ts'
import { servicesDown, servicesUp, type ServiceName } from '../services/services.ts'
import type { BenchModule, BenchRow } from './types.ts'

// The AWS SDK warns on every start that its 2027 releases need Node 22 (read when the first client is made).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

const here = path.dirname(fileURLToPath(import.meta.url))
const resultsDir = path.join(here, 'results')

async function main(): Promise<void> {
  const only = process.argv.slice(2)
  const files = fs
    .readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort()
  const config = loadConfig()
  const external = process.env.KAFKA_BROKERS !== undefined
  let started: ServiceName[] = []
  if (!external) started = (await servicesUp(config)).services.filter((r) => r.state === 'started').map((r) => r.name)
  fs.mkdirSync(resultsDir, { recursive: true })
  try {
    for (const file of files) {
      const name = file.replace(/\.bench\.ts$/, '')
      console.log(`\n== ${name} ==`)
      const mod = (await import(path.join(here, file))) as BenchModule
      let rows: BenchRow[]
      try {
        rows = await mod.default({ config, log: (msg) => console.log(`  ${msg}`) })
      } catch (err) {
        // One broken bench must not hide the others' results.
        console.error(`  ${name} failed:`, err)
        process.exitCode = 1
        rows = [
          { bench: name, measure: `FAILED: ${(err as Error).message}`.slice(0, 120), value: Number.NaN, unit: '' },
        ]
      }
      fs.writeFileSync(
        path.join(resultsDir, `${name}.json`),
        JSON.stringify({ at: new Date().toISOString(), rows }, null, 2),
      )
      printTable(rows)
    }
  } finally {
    if (started.length > 0) await servicesDown(config, started)
  }
  writeSummary()
}

function fmt(v: number | null | undefined): string {
  // A failed bench's NaN is null once read back from its JSON file.
  if (v === undefined || v === null || Number.isNaN(v)) return ''
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US')
  return Number(v.toPrecision(3)).toString()
}

function printTable(rows: BenchRow[]): void {
  const t = new Table({ head: ['bench', 'measure', 'value', 'unit', 'baseline', 'ratio', 'target', 'met'] })
  for (const r of rows) {
    t.push([
      r.bench,
      r.measure,
      fmt(r.value),
      r.unit,
      fmt(r.baseline),
      fmt(r.ratio),
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'yes' : 'NO',
    ])
  }
  console.log(t.toString())
}

/** SUMMARY.md: the latest result of every bench (a run of some benches keeps the others' last results). */
function writeSummary(): void {
  const results = fs
    .readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8')) as { at: string; rows: BenchRow[] })
  const lines = [
    '# Benchmark results',
    '',
    `On ${process.platform} ${process.arch}, Node ${process.version}; each bench's last run:`,
    '',
    ...results.map((r) => `- ${r.rows[0]?.bench ?? '?'}: ${r.at}`),
    '',
    '| bench | measure | value | unit | baseline | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|',
    ...results
      .flatMap((r) => r.rows)
      .map(
        (r) =>
          `| ${r.bench} | ${r.measure} | ${fmt(r.value)} | ${r.unit} | ${fmt(r.baseline)} | ${fmt(r.ratio)} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`,
      ),
  ]
  fs.writeFileSync(path.join(resultsDir, 'SUMMARY.md'), `${lines.join('\n')}\n`)
}

await main()
