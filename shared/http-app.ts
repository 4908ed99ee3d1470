/**
 * The one HTTP application builder: every role's routes (collector, speed internal routes, report API, dashboard)
 * are plugins registered here by the process wiring, so they share the OpenAPI document, /metrics, /healthz,
 * /readyz, CORS, the bearer tokens (shared/http-auth.ts) and one error format `{ error: code, message }`. The app is
 * returned unstarted: tests call
 * `inject()`, the process calls `listen()`.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
  type FastifySchema,
} from 'fastify'
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Histogram, type Registry } from 'prom-client'
import type { Config } from './config.ts'
import { Errors, isPlaycountError, type PlaycountError } from './errors.ts'
import { EventSchema } from './event.ts'
import type { KeyRing } from './access/key-ring.ts'
import { auditRequests } from './http-audit.ts'
import { accessOf, markRoutes, meRoute, requireKeys, tokenFor, type Access, type Scope } from './http-auth.ts'
import type { Logger } from './logger.ts'

export interface Readiness {
  ready: boolean
  details: Record<string, unknown>
}

export interface HttpAppDeps {
  log: Logger
  registry: Registry
  readiness: () => Readiness
  plugins: FastifyPluginAsync[]
  /** The API keys (shared/access/key-ring.ts); without it only API_TOKEN and INTERNAL_TOKEN exist. */
  keys?: KeyRing
}

export interface ErrorBody {
  error: string
  message: string
}

export const ErrorBodySchema = {
  $id: 'ErrorBody',
  type: 'object',
  properties: {
    error: { type: 'string', description: 'a stable PLAYCOUNT_* code (docs/ERRORS.md)' },
    message: { type: 'string' },
  },
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
    // An unknown parameter is refused (400 naming it), not silently dropped: the document says what a route takes.
    ajv: { customOptions: { allErrors: false, removeAdditional: false } },
    // Well above any path parameter's maxLength (an id: 64), so the schema, not the router, refuses a long id, with
    // a 400 naming it; past this limit frameworkErrors still answers a 400 in the one format.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
  })
  app.addSchema(EventSchema)
  app.addSchema(ErrorBodySchema)
  // Keys can appear while the process runs (`playcount keys create`): with a key ring every route is documented secured.
  const anyToken =
    tokenFor(config, 'api') !== undefined || tokenFor(config, 'internal') !== undefined || deps.keys !== undefined
  const isSecured = (access: Access): boolean =>
    access !== 'public' && (tokenFor(config, access) !== undefined || deps.keys !== undefined)
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'playcount',
        version: '0.1.0',
        description: 'Listening analytics: report API, ingest and speed-layer routes.',
      },
      components: anyToken ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transform: ({ schema, url, route }) => ({
      url,
      schema: isSecured(accessOf(route.config)) ? secured(schema, route.config?.scope) : schema,
    }),
  })
  // The document holds no data, and Swagger UI must load before its Authorize button can take the token.
  await app.register(async (docs) => {
    markRoutes(docs, 'public')
    await docs.register(swaggerUi, { routePrefix: '/docs' })
  })
  if (config.http.corsOrigin) {
    const origins = config.http.corsOrigin.split(',').map((o) => o.trim())
    await app.register(cors, {
      origin: origins.length === 1 && origins[0] === '*' ? true : origins,
      methods: ['GET', 'POST'],
    })
  }
  // Counts failed key attempts only: no route is limited as such (`global: false`); http-auth.ts asks it.
  await app.register(rateLimit, { global: false })
  // On the root, after CORS (so a 401 still carries its headers): every route of every plugin passes the check.
  requireKeys(app, config, deps.keys)
  auditRequests(app, deps.log, deps.registry)
  observeRequests(app, deps.registry)
  app.setErrorHandler(errorHandler)
  methodNotAllowed(app)
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: Errors.NOT_FOUND.code, message: `Route not found: ${req.method} ${req.url.split('?')[0] ?? ''}` })
  })

  app.get('/healthz', { schema: { hide: true }, config: { access: 'public' } }, async () => ({ ok: true }))
  app.get('/readyz', { schema: { hide: true }, config: { access: 'public' } }, async (_req, reply) => {
    const r = deps.readiness()
    return reply.code(r.ready ? 200 : 503).send(r)
  })
  // Operators' view (rates, lag, partitions): the internal token, which Prometheus sends as `authorization`.
  app.get('/metrics', { schema: { hide: true }, config: { access: 'internal' } }, async (_req, reply) => {
    return reply.type(deps.registry.contentType).send(await deps.registry.metrics())
  })
  meRoute(app)
  for (const plugin of deps.plugins) await app.register(plugin)
  return app
}

const MAX_PARAM_LENGTH = 1024
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

/**
 * 405 with `Allow` when the path exists for other methods (RFC 9110 15.5.6), else on to the 404 handler. An
 * onRequest hook, after the token check, so that it answers before a body is parsed (a QUERY or PUT without a
 * content type would otherwise be a 400). OPTIONS does not count: CORS answers it on every path.
 */
function methodNotAllowed(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (!req.is404) return done()
    const path = req.url.split('?')[0] ?? ''
    const allowed = METHODS.filter((method) => method !== req.method && app.findRoute({ method, url: path }) !== null)
    if (allowed.length === 0) return done()
    reply.header('allow', allowed.join(', '))
    done(new Errors.METHOD_NOT_ALLOWED(req.method, path, allowed.join(', ')))
  })
}

/** Errors the router raises before any route: in the one error format, as a 400 naming what is wrong. */
function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const message =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? `a path parameter is over ${MAX_PARAM_LENGTH} characters (URL-encoded)`
      : err.code === 'FST_ERR_BAD_URL'
        ? 'the path is not valid percent-encoded UTF-8'
        : err.message
  const e = new Errors.BAD_REQUEST(message)
  reply.code(e.statusCode).send({ error: e.code, message: e.message } satisfies ErrorBody)
}

/** A route that requires a key, in the OpenAPI document: the bearer scheme, its 401, 403 and 429, and what 404 means. */
function secured(schema: FastifySchema | undefined, scope: Scope | undefined): FastifySchema {
  const response = (schema?.response ?? {}) as Record<string, unknown>
  const error = (description: string) => ({ description, $ref: 'ErrorBody#' })
  const scoped =
    typeof scope === 'object'
      ? { 404: error("unknown id, or an id outside the key's artists: the same answer, so a key cannot tell which") }
      : {}
  return {
    ...schema,
    security: [{ bearer: [] }],
    response: {
      ...response,
      401: response[401] ?? error('missing, wrong, revoked or expired bearer key'),
      403:
        response[403] ??
        error(
          scope === undefined
            ? "the key's role does not take this route (admin keys only)"
            : "the key's role does not take this route",
        ),
      429: response[429] ?? error('too many failed key attempts from this address; see Retry-After'),
      ...scoped,
    },
  } as FastifySchema
}

function observeRequests(app: FastifyInstance, registry: Registry): void {
  const name = 'playcount_http_request_duration_seconds'
  const histogram =
    (registry.getSingleMetric(name) as Histogram<'method' | 'route' | 'status'> | undefined) ??
    new Histogram({
      name,
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2],
      registers: [registry],
    })
  // A callback hook: an async one costs a promise per request.
  app.addHook('onResponse', (req, reply, done) => {
    histogram.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    )
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

interface AjvIssue {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

/** "from (querystring) must match pattern ^\d{4}-\d{2}-\d{2}$": the parameter, where it was, and the rule. */
export function describeValidation(err: FastifyError): string {
  const issue = (err.validation?.[0] ?? { instancePath: '', keyword: '', params: {} }) as AjvIssue
  const where = err.validationContext ?? 'request'
  const missing = issue.params.missingProperty
  const param =
    typeof missing === 'string' ? missing : issue.instancePath.replace(/^\//, '').replaceAll('/', '.') || where
  if (issue.keyword === 'required') return `${param} (${where}) is required`
  if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues)) {
    return `${param} (${where}) must be one of ${issue.params.allowedValues.join(', ')}`
  }
  if (issue.keyword === 'format' && issue.params.format === 'date')
    return `${param} (${where}) must be a calendar date YYYY-MM-DD`
  if (issue.keyword === 'additionalProperties')
    return `${String(issue.params.additionalProperty)} (${where}) is not a known parameter`
  return `${param} (${where}) ${issue.message ?? 'is invalid'}`
}
