/**
 * `playcount archive --drain` as operators run it: beside a running archiver of the same group (it drains what it
 * holds and names the rest, within a bounded time), and stopped by SIGTERM (it exits and removes its temp folder).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { AssignerProtocol } from 'kafkajs'
import { afterEach, describe, expect, it } from 'vitest'
import { buildArchiver, type Archiver } from '../../../batch-layer/archiver/index.ts'
import { loadConfig, type Config } from '../../../shared/config.ts'
import { createKafka, groupId } from '../../../shared/kafka.ts'
import { openLake } from '../../../shared/lake.ts'
import { hourStart, HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { createRegistry } from '../../../shared/telemetry.ts'
import { eventually } from '../../helpers.ts'
import { archiverEnv, createTopic, eventsInHour, produce, testCatalog, writeTestCatalog } from './support.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

const running: Archiver[] = []
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop()
})

interface Drain {
  pid: number
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
  kill(signal: NodeJS.Signals): void
}

/** Spawns `playcount archive --drain`; the child is killed (and the wait fails) after `timeoutMs`. */
function drain(env: Record<string, string>, timeoutMs: number): Drain {
  const child = spawn(process.execPath, [path.join(root, 'bin/playcount.js'), 'archive', '--drain'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`archive --drain did not exit within ${timeoutMs} ms; stderr: ${stderr}`))
      }, timeoutMs)
      child.on('error', reject)
      child.on('exit', (code, signal) => {
        clearTimeout(timer)
        resolve({ code, signal, stdout, stderr })
      })
    },
  )
  return { pid: child.pid!, exited, kill: (signal) => child.kill(signal) }
}

async function prepare(count: number): Promise<{ env: Record<string, string>; config: Readonly<Config> }> {
  const env = await archiverEnv({ s3: false, extra: { ARCHIVE_GRACE_MS: '0' } })
  const config = loadConfig(env)
  await createTopic(config)
  const lake = openLake(config)
  try {
    await writeTestCatalog(config, lake)
  } finally {
    lake.close()
  }
  const h0 = hourStart(Date.now()) - 2 * HOUR_MS
  const messages = eventsInHour('v', count, 3, h0)
  // Requests of a few thousand events: a partition's record batch stays under the broker's 1 MiB.
  for (let i = 0; i < messages.length; i += 3000) await produce(config, messages.slice(i, i + 3000))
  return { env, config }
}

/** Partitions each member of the archiver group holds, by member. */
async function assignment(config: Readonly<Config>): Promise<number[][]> {
  const admin = createKafka(config).admin()
  await admin.connect()
  try {
    const { groups } = await admin.describeGroups([groupId(config, 'archiver')])
    return (groups[0]?.members ?? []).map(
      (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[config.kafka.topic] ?? [],
    )
  } finally {
    await admin.disconnect()
  }
}

describe('archive --drain', () => {
  it(
    'drains the partitions it is assigned and names those another archiver of the group holds, within a bounded time',
    { timeout: 150_000 },
    async () => {
      const { env, config } = await prepare(300)
      const other = buildArchiver(config, {
        catalog: testCatalog(),
        lake: openLake(config),
        log: createLogger({ level: 'silent' }),
        registry: createRegistry(),
      })
      running.push(other)
      await other.start()
      await eventually(
        async () => ((await assignment(config)).flat().length === 3 ? true : undefined),
        30_000,
        'the running archiver to hold every partition',
      )

      const { code, stdout, stderr } = await drain(env, 120_000).exited
      expect(code).toBe(3)
      const drained = [...stdout.matchAll(/partition (\d+): next offset/g)].map((m) => Number(m[1]))
      const named = /partitions ([\d,]+) not drained: another archiver of the group holds them \((.+)\)/.exec(stderr)
      expect(named, stderr).not.toBeNull()
      const elsewhere = named![1]!.split(',').map(Number)
      expect(drained.length).toBeGreaterThan(0)
      expect(elsewhere.length).toBeGreaterThan(0)
      expect([...drained, ...elsewhere].sort()).toEqual([0, 1, 2])
      expect(named![2]).toMatch(new RegExp(`holds ${elsewhere.join(',')}`))
    },
  )

  it('stops on SIGTERM and removes its temp folder', { timeout: 120_000 }, async () => {
    const { env } = await prepare(30_000)
    const child = drain(env, 90_000)
    const tmp = path.join(env.PLAYCOUNT_HOME!, 'tmp', `archiver-${child.pid}`)
    await eventually(async () => (fs.existsSync(tmp) ? true : undefined), 60_000, 'the drain to start')
    child.kill('SIGTERM')
    const { code, signal, stderr } = await child.exited
    expect({ code, signal }).toEqual({ code: 1, signal: null })
    expect(stderr).toContain('PLAYCOUNT_DRAIN_INCOMPLETE')
    expect(fs.existsSync(tmp)).toBe(false)
  })
})
