/** The S3 client, configured once from Config (path-style, for MinIO and other S3 servers). */
import { S3Client } from '@aws-sdk/client-s3'
import type { Config } from './config.ts'

export function createS3Client(config: Readonly<Config>, opts: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    region: config.s3.region,
    forcePathStyle: true,
    maxAttempts: opts.maxAttempts ?? 3,
    ...(config.s3.endpoint === undefined ? {} : { endpoint: config.s3.endpoint }),
    credentials: { accessKeyId: config.s3.accessKeyId, secretAccessKey: config.s3.secretAccessKey },
  })
}

/** Splits `s3://bucket/some/prefix` into bucket and prefix (no leading or trailing slash). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)
  if (!m || !m[1]) throw new TypeError(`not an s3:// URI: ${uri}`)
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/\/+$/, '') }
}
