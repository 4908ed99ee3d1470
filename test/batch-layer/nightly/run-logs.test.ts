import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { newRunId } from '../../../batch-layer/nightly/history.ts'
import { batchLogFile, removeOldBatchLogs } from '../../../batch-layer/nightly/run-logs.ts'
import { loadConfig } from '../../../shared/config.ts'

const homes: string[] = []
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true })
})

describe('batch engine logs', () => {
  it('keeps the logs of the newest runs only, every part of them, and files that are not run logs', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-run-logs-'))
    homes.push(home)
    const config = loadConfig({ PLAYCOUNT_HOME: home })
    const t0 = Date.UTC(2026, 10, 1)
    // Run ids made out of order in time, as a clock would not; two parts per run.
    const runs = [5, 0, 3, 1, 4, 2].map((i) => newRunId(new Date(t0 + i * 86_400_000), `a${i}b${i}c${i}`))
    fs.mkdirSync(path.join(home, 'logs'), { recursive: true })
    for (const runId of runs)
      for (const part of ['shard-0', 'shard-1']) fs.writeFileSync(batchLogFile(config, runId, part), 'log\n')
    fs.writeFileSync(path.join(home, 'logs', 'demo.log'), 'not a run log\n')

    expect(await removeOldBatchLogs(config, 2)).toBe(8)
    const newest = [...runs].sort().slice(-2)
    expect(fs.readdirSync(path.join(home, 'logs')).sort()).toEqual(
      [
        'demo.log',
        ...newest.flatMap((r) => [
          path.basename(batchLogFile(config, r, 'shard-0')),
          path.basename(batchLogFile(config, r, 'shard-1')),
        ]),
      ].sort(),
    )
    expect(newest.map((r) => r.slice(0, 8))).toEqual(['20261105', '20261106'])
  })

  it('is quiet when there is no logs folder yet', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-run-logs-'))
    homes.push(home)
    expect(await removeOldBatchLogs(loadConfig({ PLAYCOUNT_HOME: home }))).toBe(0)
  })
})
