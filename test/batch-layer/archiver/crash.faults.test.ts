/**
 * kill -9 of the archiver (a child process running `playcount archive --drain`) at each crash point of a file
 * write, then restarts: every message ends up archived exactly once, and no key ever changes its content.
 */
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ARCHIVE_FAILPOINTS, loadConfig, type Config } from '../../../shared/config.ts'
import { openLake } from '../../../shared/lake.ts'
import { hourStart, HOUR_MS } from '../../../shared/layout.ts'
import {
  archiverEnv,
  createTopic,
  duplicatesAndMissing,
  event,
  produce,
  readArchive,
  writeTestCatalog,
  type TestMessage,
} from './support.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

function runArchiver(
  env: Record<string, string>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/playcount.js'), 'archive', '--drain'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }))
  })
}

async function snapshot(config: Readonly<Config>): Promise<Map<string, string>> {
  const lake = openLake(config)
  try {
    const out = new Map<string, string>()
    for (const key of await lake.list('events/')) {
      out.set(
        key,
        crypto
          .createHash('sha256')
          .update((await lake.get(key))!)
          .digest('hex'),
      )
    }
    return out
  } finally {
    lake.close()
  }
}

/** Messages over three arrival hours (two closed, the current one open), with a few invalid ones. */
function workload(prefix: string, hours: number[], perHour: number): TestMessage[] {
  const out: TestMessage[] = []
  for (const h of hours) {
    for (let i = 0; i < perHour; i++) {
      const at = h + 1000 + i
      out.push({
        partition: i % 3,
        at,
        value: i % 97 === 13 ? event(`${prefix}-bad-${h}-${i}`, at, { type: 'bad' }) : event(`${prefix}-${h}-${i}`, at),
      })
    }
  }
  return out
}

describe.each([false, true])('archiver crash recovery (s3: %s)', (s3) => {
  it('kill -9 at every crash point, restart: every message exactly once, no key with two contents', async () => {
    const env = await archiverEnv({ s3, extra: { ARCHIVE_MAX_ROWS_PER_FILE: '1000', LOG_LEVEL: 'warn' } })
    const config = loadConfig(env)
    await createTopic(config)
    const lake = openLake(config)
    await writeTestCatalog(config, lake)
    lake.close()
    const now = hourStart(Date.now())
    // 1100 messages per partition in the oldest hour: a size split at 1000 rows.
    const produced: TestMessage[] = [
      ...workload('a', [now - 2 * HOUR_MS], 3300),
      ...workload('a', [now - HOUR_MS, now], 1200),
    ]
    await produce(config, produced)

    const seen = new Map<string, string>()
    const remember = async (): Promise<void> => {
      for (const [key, hash] of await snapshot(config)) {
        expect(seen.get(key) ?? hash, `${key} changed its content`).toBe(hash)
        seen.set(key, hash)
      }
    }
    for (const fp of ARCHIVE_FAILPOINTS) {
      const run = await runArchiver({ ...env, ARCHIVE_FAILPOINT: fp })
      expect(run.signal, `${fp}: ${run.stderr}`).toBe('SIGKILL')
      await remember()
    }
    const full = await runArchiver(env)
    expect(full.code, full.stderr).toBe(0)
    await remember()
    // More of the still open hour after a drain: a further part, then one more crash on it.
    const more = workload('b', [now], 600).map((m) => ({ ...m, at: m.at + 5000 }))
    await produce(config, more)
    produced.push(...more)
    expect((await runArchiver({ ...env, ARCHIVE_FAILPOINT: 'after-upload' })).signal).toBe('SIGKILL')
    await remember()
    expect((await runArchiver(env)).code).toBe(0)
    await remember()

    const contents = await readArchive(config)
    const next = new Map<number, number>()
    const expected = produced
      .map((m) => {
        const offset = next.get(m.partition) ?? 0
        next.set(m.partition, offset + 1)
        return { partition: m.partition, offset, valid: !m.value.includes('"bad"') }
      })
      .filter((m) => m.valid)
    expect(contents.rows.length).toBe(expected.length)
    expect(duplicatesAndMissing(contents, expected)).toEqual({ duplicates: [], missing: [], extra: [] })
    expect([...seen.keys()].sort()).toEqual(contents.files.map((f) => f.key).sort())
    // Size splits at 1000 rows in the closed hours, and a further part after the drain in the open one.
    const oldest = contents.files
      .filter((f) => f.hour === now - 2 * HOUR_MS && f.partition === 0)
      .sort((a, b) => a.firstOffset - b.firstOffset)
    expect(oldest.map((f) => f.rows)).toEqual([1000, 89])
    expect(contents.files.filter((f) => f.hour === now && f.partition === 0).length).toBe(2)
  })
})
