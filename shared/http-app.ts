/**
 * The one HTTP application builder: every role's routes (collector, speed internal routes, report API, dashboard)
 * are plugins registered here by the process wiring, so they share the OpenAPI document, /metrics, /healthz,
 * /readyz, CORS and one error format `{ error: code, message }`. The app is returned unstarted: tests call
 * `inject()`, the process calls `listen()`.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Histogram, type Registry } from 'prom-client'
import type { Config } from './config.ts'
import { Errors, isPlaycountError, type PlaycountError } from './errors.ts'
import { EventSchema } from './event.ts'
import type { Logger } from './logger.ts'

export interface Readiness { ready: boolean; details: Record<string, unknown> }

export interface HttpAppDeps {
  log: Logger
  registry: Registry
  readiness: () => Readiness
  plugins: FastifyPluginAsync[]
}

export interface ErrorBody { error: string; message: string }

export const ErrorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  properties: { error: { type: 'string', description: 'a stable PLAYCOUNT_* code (docs/ERRORS.md)' }, message: { type: 'string' } },
  required: ['error', 'message'],
} as const

export async function buildHttpApp(config: Readonly<Config>, deps: HttpAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    // Per-request logs would cost more than the report queries themselves; errors are logged by the handler.
    logController: new LogController({ disableRequestLogging: true }),
    // Nor a child logger per request (pino's child() was a visible part of a report request's CPU): req.log is
    // the app's logger, and the error handler names the request id itself.
    childLoggerFactory: (logger) => logger,
    ajv: { customOptions: { allErrors: false } },
  })
  app.addSchema(EventSchema)
  app.addSchema(ErrorBodySchema)
  await app.register(swagger, {
    openapi: {
      info: { title: 'playcount', version: '0.1.0', description: 'Listening analytics: report API, ingest and speed-layer routes.' },
      components: config.http.apiToken ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  if (config.http.corsOrigin) {
    const origins = config.http.corsOrigin.split(',').map((o) => o.trim())
    await app.register(cors, { origin: origins.length === 1 && origins[0] === '*' ? true : origins, methods: ['GET', 'POST'] })
  }
  observeRequests(app, deps.registry)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: Errors.NOT_FOUND.code, message: `Route not found: ${req.method} ${req.url.split('?')[0] ?? ''}` })
  })

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }))
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const r = deps.readiness()
    return reply.code(r.ready ? 200 : 503).send(r)
  })
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics())
  })
  for (const plugin of deps.plugins) await app.register(plugin)
  return app
}

function observeRequests(app: FastifyInstance, registry: Registry): void {
  const name = 'playcount_http_request_duration_seconds'
  const histogram = (registry.getSingleMetric(name) as Histogram<'method' | 'route' | 'status'> | undefined) ?? new Histogram({
    name, help: 'HTTP request duration by route and status', labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2], registers: [registry],
  })
  // A callback hook: an async one costs a promise per request.
  app.addHook('onResponse', (req, reply, done) => {
    histogram.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    done()
  })
}

/** Registry errors keep their code and status; validation errors become PLAYCOUNT_BAD_REQUEST naming parameter and rule. */
function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toRegistryError(err)
  if (e.statusCode >= 500) req.log.error({ err, reqId: req.id }, 'request failed')
  return reply.code(e.statusCode).send({ error: e.code, message: e.message } satisfies ErrorBody)
}

function toRegistryError(err: FastifyError): PlaycountError {
  if (err.validation) return new Errors.BAD_REQUEST(describeValidation(err))
  if (isPlaycountError(err)) return err
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500
  // A framework's 4xx keeps its status: 413 and 415 have codes of their own, not the 400 of BAD_REQUEST.
  if (status === 413) return new Errors.PAYLOAD_TOO_LARGE(err.message)
  if (status === 415) return new Errors.UNSUPPORTED_MEDIA_TYPE(err.message)
  if (status >= 400 && status < 500) return new Errors.BAD_REQUEST(err.message)
  return new Errors.INTERNAL(err.code ?? err.name)
}

interface AjvIssue { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }

/** "from (querystring) must match pattern ^\d{4}-\d{2}-\d{2}$": the parameter, where it was, and the rule. */
export function describeValidation(err: FastifyError): string {
  const issue = (err.validation?.[0] ?? { instancePath: '', keyword: '', params: {} }) as AjvIssue
  const where = err.validationContext ?? 'request'
  const missing = issue.params.missingProperty
  const param = typeof missing === 'string' ? missing : issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || where
  if (issue.keyword === 'required') return `${param} (${where}) is required`
  if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues)) {
    return `${param} (${where}) must be one of ${issue.params.allowedValues.join(', ')}`
  }
  if (issue.keyword === 'additionalProperties') return `${String(issue.params.additionalProperty)} (${where}) is not a known parameter`
  return `${param} (${where}) ${issue.message ?? 'is invalid'}`
}
