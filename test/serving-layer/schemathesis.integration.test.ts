/**
 * The API against its own OpenAPI document, by schemathesis (PyPI, pinned in scripts/install-schemathesis.sh): a
 * real process (serve and ingest wired by cli/pipeline.ts, listening on a port) with API_TOKEN set, fuzzed from
 * /docs/json with the token. It must find no server error, no response outside the documented statuses, content
 * types and schemas, no undeclared method answered other than 405, and no secured operation answering without the
 * token. schemathesis.toml beside this file lists the statuses two checks accept beyond their defaults, and why.
 */
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline } from '../../cli/pipeline.ts'
import { createLogger } from '../../shared/logger.ts'
import { cleanupTopics, testConfig } from '../helpers.ts'
import { writeDefaultCatalog } from './support/catalog.ts'

const run = promisify(execFile)
const TOKEN = 'schemathesis-secret'
const CONFIG = path.join(path.dirname(fileURLToPath(import.meta.url)), 'schemathesis.toml')

describe('the OpenAPI contract', () => {
  it('schemathesis finds no failure against a real process with API_TOKEN set', { timeout: 600_000 }, async () => {
    // Schemathesis also sends wrong keys; past the failure limit every answer would be a 429 and test nothing else.
    const config = testConfig({ PORT: '0', KAFKA_PARTITIONS: '1', API_TOKEN: TOKEN, AUTH_FAILURES_MAX: '100000' })
    cleanupTopics(config)
    // Cached after the first run (npm test provisions it); made here when absent.
    const schemathesis = execFileSync('bash', ['scripts/install-schemathesis.sh'], {
      encoding: 'utf8',
      env: { ...process.env, PLAYCOUNT_CACHE: config.cacheDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim()
    await writeDefaultCatalog(config)
    const pipeline = await buildPipeline(config, ['serve', 'ingest'], createLogger({ level: 'silent' }))
    const base = await pipeline.start()
    onTestFinished(() => pipeline.stop())

    const reports = path.join(config.home, 'schemathesis')
    const { stdout, code } = await run(
      schemathesis,
      [
        '--config-file',
        CONFIG,
        'run',
        `${base}/docs/json`,
        '--header',
        `Authorization: Bearer ${TOKEN}`,
        '--checks',
        'all',
        // Bounded: a few cases per operation and phase, one worker (the machine is shared), a deadline per request.
        '--max-examples',
        '15',
        '--workers',
        '1',
        '--request-timeout',
        '10',
        '--no-color',
        '--report',
        'junit',
        '--report-junit-path',
        path.join(reports, 'junit.xml'),
      ],
      { cwd: config.home, maxBuffer: 64 * 1024 * 1024 },
    ).then(
      (r) => ({ ...r, code: 0 }),
      (err: { stdout?: string; stderr?: string; code?: number }) => ({
        stdout: `${err.stdout ?? ''}${err.stderr ?? String(err)}`,
        code: err.code ?? -1,
      }),
    )
    expect(code, stdout).toBe(0)
    // Warnings (ids that 404, events refused for an unknown song) are not failures; a failure has this section.
    expect(stdout).not.toMatch(/^Failures:/m)
    // It did test every operation the document lists, however many routes exist.
    const document = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, object> }
    const operations = Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0)
    expect(operations).toBeGreaterThan(10)
    expect(stdout).toMatch(new RegExp(`Tested: ${operations}\\b`))
    expect(fs.readFileSync(path.join(reports, 'junit.xml'), 'utf8')).toMatch(/<testsuite [^>]*failures="0"/)
  })
})
