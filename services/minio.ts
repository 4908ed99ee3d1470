/**
 * MinIO, a real S3 server, built once with `go install` from its Go module into the cache folder.
 * The Go module proxy does not serve MinIO's RELEASE.* tags (403), so the build is pinned to the pseudo-version of
 * the newest commit the proxy serves.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3'
import { Errors } from '../shared/errors.ts'
import { startDetached, waitFor, tailFile, type Spawned } from './process.ts'

export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c'
export const MINIO_MARKER = 'minio-'
export const S3_USER = 'minioadmin'
export const S3_PASSWORD = 'minioadmin'

export interface MinioOptions { cacheDir: string; dir: string; port: number; consolePort: number }

export function ensureMinioBinary(cacheDir: string): string {
  const bin = path.join(cacheDir, 'bin', `minio-${MINIO_VERSION}`)
  if (fs.existsSync(bin)) return bin
  const gobin = path.join(cacheDir, 'go-build', MINIO_VERSION)
  try {
    execFileSync('go', ['install', `github.com/minio/minio@${MINIO_VERSION}`], {
      stdio: 'inherit', env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    })
  } catch (err) {
    throw new Errors.SERVICE_FETCH_FAILED(`MinIO ${MINIO_VERSION} via go install`, String(err))
  }
  fs.mkdirSync(path.dirname(bin), { recursive: true })
  fs.renameSync(path.join(gobin, 'minio'), bin)
  return bin
}

export function startMinio(o: MinioOptions): Spawned {
  const bin = ensureMinioBinary(o.cacheDir)
  const data = path.join(o.dir, 'data')
  fs.mkdirSync(data, { recursive: true })
  return startDetached({
    cmd: bin,
    args: ['server', data, '--address', `127.0.0.1:${o.port}`, '--console-address', `127.0.0.1:${o.consolePort}`, '--quiet'],
    env: { MINIO_ROOT_USER: S3_USER, MINIO_ROOT_PASSWORD: S3_PASSWORD, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
    pidFile: path.join(o.dir, 'minio.pid'), logFile: path.join(o.dir, 'minio.log'),
  })
}

function probeClient(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: S3_USER, secretAccessKey: S3_PASSWORD } })
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
    throw new Errors.SERVICE_START_FAILED('minio', `no ListBuckets answer from ${endpoint} in ${timeoutMs} ms; log:\n${tailFile(logFile)}`)
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
