import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MEASURED, plan, planTable, SCALES } from '../../bench/scaling-model.ts'

const doc = fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/SCALING.md'), 'utf8')

describe('the scaling model', () => {
  it('is the table docs/SCALING.md quotes', () => {
    expect(doc).toContain(planTable())
  })

  it('gives every layer enough capacity for the peak, with the headroom it assumes', () => {
    for (const [name, scale] of Object.entries(SCALES)) {
      const p = plan(name, scale)
      expect(p.collectors * MEASURED.collectorEventsPerS * 0.5, name).toBeGreaterThanOrEqual(p.peakPerS)
      expect(p.speedInstances * MEASURED.speedEventsPerS * 0.5, name).toBeGreaterThanOrEqual(p.peakPerS)
      expect(p.archivers * MEASURED.archiverRowsPerS * 0.5, name).toBeGreaterThanOrEqual(p.peakPerS)
      // Speed instances and batch shards must divide the partitions, so each owns an equal share.
      expect(p.partitions % p.speedInstances, name).toBe(0)
      const shards = /--shards (\d+)/.exec(p.batchEngine)?.[1]
      if (shards !== undefined) expect(p.partitions % Number(shards), name).toBe(0)
    }
  })
})
