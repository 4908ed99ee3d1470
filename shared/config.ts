/**
 * Configuration: read from the environment in this one place, validated against a schema, frozen, passed in.
 * A wrong value stops start-up with a message naming the variable and the rule.
 */
import os from 'node:os'
import path from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Errors } from './errors.ts'

/** Where the archiver may kill itself for the crash tests (ARCHIVE_FAILPOINT); '' means never. */
export const ARCHIVE_FAILPOINTS = ['before-write', 'mid-upload', 'after-upload', 'after-progress'] as const
export type ArchiveFailpoint = (typeof ARCHIVE_FAILPOINTS)[number]

/** How logs are written: `auto` is pino-pretty on a terminal and JSON lines otherwise. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

const HostPort = '^[A-Za-z0-9.\\-]+:[0-9]{1,5}$'
const Port = (def: number) => Type.Integer({ minimum: 1, maximum: 65535, default: def })

export const EnvSchema = Type.Object({
  // Empty: the local broker on KAFKA_PORT, so moving the local services to other ports needs no second variable.
  KAFKA_BROKERS: Type.String({
    pattern: `^$|^${HostPort.slice(1, -1)}(,${HostPort.slice(1, -1)})*$`,
    default: '',
    description: 'comma-separated host:port list',
  }),
  KAFKA_TOPIC: Type.String({ pattern: '^[A-Za-z0-9._-]{1,200}$', default: 'listen-events' }),
  KAFKA_PARTITIONS: Type.Integer({ minimum: 1, maximum: 1000, default: 6 }),
  KAFKA_CLIENT_ID: Type.String({ minLength: 1, default: 'playcount' }),
  KAFKA_GROUP_PREFIX: Type.String({ pattern: '^[A-Za-z0-9._-]+$', default: 'playcount' }),
  LAKE_URI: Type.String({ minLength: 1, default: 'data/lake' }),
  S3_ENDPOINT: Type.String({ pattern: '^$|^https?://', default: '' }),
  S3_REGION: Type.String({ minLength: 1, default: 'us-east-1' }),
  S3_ACCESS_KEY_ID: Type.String({ default: 'minioadmin' }),
  S3_SECRET_ACCESS_KEY: Type.String({ default: 'minioadmin' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: '0 picks a free port' }),
  SPEED_URLS: Type.String({ pattern: '^$|^https?://[^,]+(,https?://[^,]+)*$', default: '' }),
  SPEED_TIMEOUT_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 2000 }),
  API_TOKEN: Type.String({ default: '' }),
  INTERNAL_TOKEN: Type.String({ default: '' }),
  CORS_ORIGIN: Type.String({ default: '' }),
  KEYS_FILE: Type.String({ default: '', description: 'the API keys document; empty means keys/keys.json in the lake' }),
  KEYS_RELOAD_MS: Type.Integer({ minimum: 100, maximum: 3_600_000, default: 5000 }),
  AUTH_FAILURES_MAX: Type.Integer({
    minimum: 1,
    default: 20,
    description: 'wrong keys per client address and window before 429',
  }),
  AUTH_FAILURES_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  BATCH_SCHEDULE: Type.String({
    pattern: '^\\S+( \\S+){4,5}$',
    default: '30 0 * * *',
    description: 'a cron expression',
  }),
  BATCH_FAILPOINT: Type.String({
    pattern: '^$|^[a-z-]+$',
    default: '',
    description: 'a batch stage where a run stops and waits to be killed (fault tests)',
  }),
  BATCH_ENGINE: Type.Union([Type.Literal('duckdb'), Type.Literal('spark')], { default: 'duckdb' }),
  BATCH_SHARDS: Type.Integer({
    minimum: 1,
    maximum: 256,
    default: 1,
    description: 'DuckDB shard processes per run (a divisor of KAFKA_PARTITIONS)',
  }),
  SPARK_MASTER: Type.String({ minLength: 1, default: 'local[*]', description: 'a Spark master URL' }),
  SPARK_HOME: Type.String({
    default: '',
    description: 'a Spark install; empty: the pyspark virtualenv in PLAYCOUNT_CACHE',
  }),
  ARCHIVE_GRACE_MS: Type.Integer({ minimum: 0, default: 300_000 }),
  ARCHIVE_MAX_ROWS_PER_FILE: Type.Integer({ minimum: 1000, default: 2_000_000 }),
  ARCHIVE_FAILPOINT: Type.Union(
    ['', ...ARCHIVE_FAILPOINTS].map((l) => Type.Literal(l)),
    {
      default: '',
      description: 'fault injection: the archiver kills itself (SIGKILL) at this point of its first file write',
    },
  ),
  SIGNAL_RULES_FILE: Type.String({
    default: '',
    description: 'a JSON or YAML file of interest rules; empty means the default repeat-play rule',
  }),
  SIGNAL_MAX_WINDOWS: Type.Integer({
    minimum: 1000,
    default: 200_000,
    description: 'open (listener, key, window) entries per partition and rule',
  }),
  DEDUP_WINDOW: Type.Integer({ minimum: 1000, default: 500_000, description: 'eventIds remembered per partition' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  LOG_FORMAT: Type.Union(
    LOG_FORMATS.map((l) => Type.Literal(l)),
    { default: 'auto', description: 'auto is readable lines on a terminal and JSON otherwise' },
  ),
  PLAYCOUNT_HOME: Type.String({
    minLength: 1,
    default: 'data',
    description: "local state: the embedded lake and the local services' data",
  }),
  PLAYCOUNT_CACHE: Type.String({ minLength: 1, default: path.join(os.homedir(), '.cache', 'playcount') }),
  DUCKDB_HTTPFS_PATH: Type.String({ default: '' }),
  DUCKDB_MEMORY_LIMIT: Type.String({ pattern: '^$|^[0-9]+(\\.[0-9]+)?\\s*[KMGT]i?B$', default: '' }),
  KAFKA_PORT: Port(9092),
  KAFKA_CONTROLLER_PORT: Port(9093),
  MINIO_PORT: Port(9000),
  MINIO_CONSOLE_PORT: Port(9001),
  SERVICES_DIR: Type.String({ default: '' }),
})

export type Env = Static<typeof EnvSchema>

/** The batch views' engines (batch-layer/nightly/engines.ts). */
export type BatchEngine = 'duckdb' | 'spark'

export interface Config {
  kafka: {
    brokers: string[]
    topic: string
    dlqTopic: string
    signalsTopic: string
    partitions: number
    clientId: string
    groupPrefix: string
  }
  lakeUri: string
  s3: { endpoint: string | undefined; region: string; accessKeyId: string; secretAccessKey: string }
  http: {
    host: string
    port: number
    apiToken: string | undefined
    internalToken: string | undefined
    corsOrigin: string | undefined
  }
  access: { keysFile: string | undefined; reloadMs: number; failuresMax: number; failuresWindowMs: number }
  speed: { urls: string[]; timeoutMs: number; dedupWindow: number }
  signals: { rulesFile: string | undefined; maxWindows: number }
  batch: { schedule: string; failpoint: string | undefined; engine: BatchEngine; shards: number }
  spark: { master: string; home: string | undefined }
  archive: { graceMs: number; maxRowsPerFile: number; failpoint: ArchiveFailpoint | undefined }
  duckdb: { httpfsPath: string | undefined; memoryLimit: string | undefined }
  logLevel: string
  logFormat: LogFormat
  home: string
  cacheDir: string
  services: { dir: string; kafkaPort: number; kafkaControllerPort: number; minioPort: number; minioConsolePort: number }
}

function describeRule(schema: Record<string, unknown>): string {
  const rules: string[] = []
  if (schema.type === 'integer') rules.push('an integer')
  if (typeof schema.minimum === 'number') rules.push(`>= ${schema.minimum}`)
  if (typeof schema.maximum === 'number') rules.push(`<= ${schema.maximum}`)
  if (typeof schema.description === 'string') rules.push(schema.description)
  if (typeof schema.pattern === 'string') rules.push(`matching /${schema.pattern}/`)
  if (Array.isArray(schema.anyOf))
    rules.push(`one of ${schema.anyOf.map((s: { const: string }) => s.const).join(', ')}`)
  if (typeof schema.minLength === 'number') rules.push('not empty')
  return rules.join(', ')
}

/** Reads and validates the environment; throws PLAYCOUNT_CONFIG_INVALID naming the variable and the rule. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') raw[key] = value
  }
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw))
  const first = Value.Errors(EnvSchema, converted).First()
  if (first) {
    const name = first.path.replace(/^\//, '')
    const schema = (EnvSchema.properties as Record<string, Record<string, unknown>>)[name] ?? {}
    throw new Errors.CONFIG_INVALID(`${name}=${JSON.stringify(env[name] ?? '')} must be ${describeRule(schema)}`)
  }
  const e = converted as Env
  const home = path.resolve(e.PLAYCOUNT_HOME)
  const isS3 = e.LAKE_URI.startsWith('s3://')
  return deepFreeze({
    kafka: {
      brokers: (e.KAFKA_BROKERS || `127.0.0.1:${e.KAFKA_PORT}`).split(','),
      topic: e.KAFKA_TOPIC,
      dlqTopic: `${e.KAFKA_TOPIC}.dlq`,
      signalsTopic: `${e.KAFKA_TOPIC}.signals`,
      partitions: e.KAFKA_PARTITIONS,
      clientId: e.KAFKA_CLIENT_ID,
      groupPrefix: e.KAFKA_GROUP_PREFIX,
    },
    lakeUri: isS3 ? e.LAKE_URI.replace(/\/+$/, '') : path.resolve(e.LAKE_URI),
    s3: {
      endpoint: e.S3_ENDPOINT || (isS3 ? `http://127.0.0.1:${e.MINIO_PORT}` : undefined),
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    },
    http: {
      host: e.HOST,
      port: e.PORT,
      apiToken: e.API_TOKEN || undefined,
      internalToken: e.INTERNAL_TOKEN || undefined,
      corsOrigin: e.CORS_ORIGIN || undefined,
    },
    access: {
      keysFile: e.KEYS_FILE ? path.resolve(e.KEYS_FILE) : undefined,
      reloadMs: e.KEYS_RELOAD_MS,
      failuresMax: e.AUTH_FAILURES_MAX,
      failuresWindowMs: e.AUTH_FAILURES_WINDOW_MS,
    },
    speed: {
      urls: e.SPEED_URLS ? e.SPEED_URLS.split(',') : [],
      timeoutMs: e.SPEED_TIMEOUT_MS,
      dedupWindow: e.DEDUP_WINDOW,
    },
    signals: {
      rulesFile: e.SIGNAL_RULES_FILE ? path.resolve(e.SIGNAL_RULES_FILE) : undefined,
      maxWindows: e.SIGNAL_MAX_WINDOWS,
    },
    batch: {
      schedule: e.BATCH_SCHEDULE,
      failpoint: e.BATCH_FAILPOINT || undefined,
      engine: e.BATCH_ENGINE,
      shards: e.BATCH_SHARDS,
    },
    spark: { master: e.SPARK_MASTER, home: e.SPARK_HOME ? path.resolve(e.SPARK_HOME) : undefined },
    archive: {
      graceMs: e.ARCHIVE_GRACE_MS,
      maxRowsPerFile: e.ARCHIVE_MAX_ROWS_PER_FILE,
      failpoint: (e.ARCHIVE_FAILPOINT || undefined) as ArchiveFailpoint | undefined,
    },
    duckdb: { httpfsPath: e.DUCKDB_HTTPFS_PATH || undefined, memoryLimit: e.DUCKDB_MEMORY_LIMIT || undefined },
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT as LogFormat,
    home,
    cacheDir: path.resolve(e.PLAYCOUNT_CACHE),
    services: {
      dir: e.SERVICES_DIR ? path.resolve(e.SERVICES_DIR) : path.join(home, 'services'),
      kafkaPort: e.KAFKA_PORT,
      kafkaControllerPort: e.KAFKA_CONTROLLER_PORT,
      minioPort: e.MINIO_PORT,
      minioConsolePort: e.MINIO_CONSOLE_PORT,
    },
  })
}

/**
 * The environment that gives a child process (a batch shard) the same lake, caches and engine settings as this
 * config; the rest of the parent's environment is passed as it is.
 */
export function lakeEnv(config: Readonly<Config>): Record<string, string> {
  const env: Record<string, string> = {
    LAKE_URI: config.lakeUri,
    S3_REGION: config.s3.region,
    S3_ACCESS_KEY_ID: config.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: config.s3.secretAccessKey,
    PLAYCOUNT_HOME: config.home,
    PLAYCOUNT_CACHE: config.cacheDir,
    KAFKA_TOPIC: config.kafka.topic,
    KAFKA_PARTITIONS: String(config.kafka.partitions),
    LOG_LEVEL: config.logLevel,
  }
  if (config.s3.endpoint !== undefined) env.S3_ENDPOINT = config.s3.endpoint
  if (config.duckdb.httpfsPath !== undefined) env.DUCKDB_HTTPFS_PATH = config.duckdb.httpfsPath
  if (config.duckdb.memoryLimit !== undefined) env.DUCKDB_MEMORY_LIMIT = config.duckdb.memoryLimit
  return env
}

function deepFreeze<T>(obj: T): Readonly<T> {
  for (const v of Object.values(obj as object)) if (v !== null && typeof v === 'object') deepFreeze(v)
  return Object.freeze(obj)
}
