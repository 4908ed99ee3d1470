/**
 * MinIO, a real S3 server, built once with `go install` from its Go module into the cache folder.
 * The Go module proxy does not serve MinIO's RELEASE.* tags (403), so the build is pinned to the pseudo-version of
 * the newest commit the proxy serves.
 */
import fs from 'node:fs'
import path from 'node:path'
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3'
import { Errors } from '../shared/errors.ts'
import { startDetached, waitFor, tailFile, type Spawned } from './process.ts'
import { runTool, type ProvisionReporter } from './tool.ts'

export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c'
export const MINIO_MARKER = 'minio-'
export const S3_USER = 'minioadmin'
export const S3_PASSWORD = 'minioadmin'

export interface MinioOptions {
  cacheDir: string
  dir: string
  port: number
  consolePort: number
}

export function minioBinary(cacheDir: string): string {
  return path.join(cacheDir, 'bin', `minio-${MINIO_VERSION}`)
}

/** Builds MinIO with `go install` into the cache, once; a no-op when the binary is there. */
export async function ensureMinioBinary(cacheDir: string, reporter: ProvisionReporter): Promise<string> {
  const bin = minioBinary(cacheDir)
  if (fs.existsSync(bin)) return bin
  const gobin = path.join(cacheDir, 'go-build', MINIO_VERSION)
  await runTool(
    {
      what: 'MinIO',
      doing: 'building MinIO once with go install (4 to 9 min on 2 cores, once)',
      cachedIn: path.dirname(bin),
      logFile: path.join(cacheDir, 'logs', 'minio-build.log'),
      hint: 'MinIO is built from its Go module: install Go 1.24 or newer and let it reach proxy.golang.org (or set GOPROXY)',
    },
    [
      {
        cmd: 'go',
        args: ['install', `github.com/minio/minio@${MINIO_VERSION}`],
        env: { GOBIN: gobin, CGO_ENABLED: '0' },
      },
    ],
    reporter,
  )
  fs.mkdirSync(path.dirname(bin), { recursive: true })
  fs.renameSync(path.join(gobin, 'minio'), bin)
  return bin
}

export function startMinio(o: MinioOptions): Spawned {
  const bin = minioBinary(o.cacheDir)
  if (!fs.existsSync(bin))
    throw new Errors.SERVICE_START_FAILED('minio', `${bin} is missing: run playcount services provision`)
  const data = path.join(o.dir, 'data')
  fs.mkdirSync(data, { recursive: true })
  return startDetached({
    cmd: bin,
    args: [
      'server',
      data,
      '--address',
      `127.0.0.1:${o.port}`,
      '--console-address',
      `127.0.0.1:${o.consolePort}`,
      '--quiet',
    ],
    env: { MINIO_ROOT_USER: S3_USER, MINIO_ROOT_PASSWORD: S3_PASSWORD, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
    pidFile: path.join(o.dir, 'minio.pid'),
    logFile: path.join(o.dir, 'minio.log'),
  })
}

function probeClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: S3_USER, secretAccessKey: S3_PASSWORD },
  })
}

export async function s3Answers(endpoint: string): Promise<boolean> {
  const s3 = probeClient(endpoint)
  try {
    await s3.send(new ListBucketsCommand({}))
    return true
  } catch {
    return false
  } finally {
    s3.destroy()
  }
}

export async function waitForS3(endpoint: string, logFile: string, timeoutMs = 60_000): Promise<void> {
  if (!(await waitFor(() => s3Answers(endpoint), timeoutMs, 250))) {
    throw new Errors.SERVICE_START_FAILED(
      'minio',
      `no ListBuckets answer from ${endpoint} in ${timeoutMs} ms; log:\n${tailFile(logFile)}`,
    )
  }
  const s3 = probeClient(endpoint)
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'playcount' })).catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err
    })
  } finally {
    s3.destroy()
  }
}
