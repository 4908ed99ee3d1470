/**
 * `playcount keys` as a real child process against an S3 lake, and a running serving process that reads the same
 * store: create prints a key once (the store and `keys list` never hold it) that the server takes; an unknown
 * artist is refused; revoke makes the server answer 401 within KEYS_RELOAD_MS.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline } from '../../cli/pipeline.ts'
import { openKeyStore } from '../../shared/access/key-ring.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'
import { cleanupTopics, eventually, testS3Config } from '../helpers.ts'
import { writeDefaultCatalog } from '../serving-layer/support/catalog.ts'
import { call } from '../serving-layer/support/keys.ts'
import { childEnv, CliProcess } from './cli-process.ts'

async function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new CliProcess(args, env)
  const code = await p.exited
  return { code, stdout: p.stdout, stderr: p.stderr }
}

describe('playcount keys', () => {
  it(
    'creates a key printed once, lists it without the secret, and revokes it for a running server',
    { timeout: 90_000 },
    async () => {
      const config = await testS3Config({ PORT: '0', KAFKA_PARTITIONS: '1', KEYS_RELOAD_MS: '200' })
      cleanupTopics(config)
      await writeDefaultCatalog(config)
      const pipeline = await buildPipeline(config, ['serve'], createLogger({ level: 'silent' }))
      onTestFinished(() => pipeline.stop())
      const url = await pipeline.start()
      const artist = [...pipeline.catalog.artists.keys()][0]!
      const env = childEnv(config)

      const refused = await run(['keys', 'create', '--name', 'typo', '--artist', 'ar-nope'], env)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain('--artist ar-nope: no such artist in the catalog')

      const created = await run(
        ['keys', 'create', '--name', 'Label A', '--label', 'Label A', '--artist', artist, '--expires', '30d'],
        env,
      )
      expect(created.code).toBe(0)
      const key = created.stdout.trim()
      expect(key).toMatch(/^pc_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
      const secret = key.slice(16)
      const lake = openLake(config)
      onTestFinished(() => lake.close())
      expect((await openKeyStore(config, lake).read())!.toString()).not.toContain(secret)
      const listed = await run(['keys', 'list', '--json'], env)
      expect(listed.stdout).not.toContain(secret)
      expect(JSON.parse(listed.stdout)).toEqual([
        expect.objectContaining({
          name: 'Label A',
          role: 'reader',
          artists: [artist],
          label: 'Label A',
          state: 'live',
        }),
      ])

      await eventually(
        async () => ((await call(`${url}/v1/artists/${artist}/daily`, key)).status === 200 ? true : undefined),
        10_000,
        'the new key accepted',
      )
      const revoked = await run(['keys', 'revoke', 'Label A'], env)
      expect(revoked.code).toBe(0)
      await eventually(
        async () => ((await call(`${url}/v1/artists/${artist}/daily`, key)).status === 401 ? true : undefined),
        10_000,
        'the revoked key refused',
      )
      expect(JSON.parse((await run(['keys', 'list', '--json'], env)).stdout)).toEqual([
        expect.objectContaining({ state: 'revoked' }),
      ])
    },
  )
})
