import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { testConfig } from '../../helpers.ts'

const run = promisify(execFile)
const bin = new URL('../../../bin/playcount.js', import.meta.url).pathname

describe('playcount generate', () => {
  it('writes byte-identical NDJSON for the same seed and start, creating the default catalog first', async () => {
    const config = testConfig()
    const env = { ...process.env, LAKE_URI: config.lakeUri, PLAYCOUNT_HOME: config.home, LOG_LEVEL: 'silent' }
    const args = (out: string) => [
      'generate',
      '--listeners',
      '300',
      '--start',
      '2024-06-01T00:00:00Z',
      '--duration',
      '2h',
      '--seed',
      '9',
      '--duplicates',
      '0.02',
      '--late',
      '0.02',
      '--malformed',
      '0.02',
      '--out',
      out,
      '--no-progress',
    ]
    const a = path.join(config.home, 'a.ndjson')
    const b = path.join(config.home, 'b.ndjson')
    const first = await run('node', [bin, ...args(a)], { env })
    await run('node', [bin, ...args(b)], { env })
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true)
    expect(fs.readFileSync(a, 'utf8').split('\n').length).toBeGreaterThan(500)
    expect(first.stderr).toMatch(/events by type: play \d+/)
    expect(first.stderr).toMatch(/duplicates \d+, malformed \d+ \(/)
    expect(fs.existsSync(path.join(config.lakeUri, 'catalog', 'songs.parquet'))).toBe(true)
  })

  it('refuses a bad duration naming the rule', async () => {
    const config = testConfig()
    const env = { ...process.env, LAKE_URI: config.lakeUri, LOG_LEVEL: 'silent' }
    const err = await run('node', [bin, 'generate', '--duration', 'soon', '--out', '-'], { env }).catch(
      (e: { stderr: string; code: number }) => e,
    )
    expect((err as { code: number }).code).toBe(1)
    expect((err as { stderr: string }).stderr).toMatch(/PLAYCOUNT_BAD_REQUEST: .*must look like 90s/)
  })
})
