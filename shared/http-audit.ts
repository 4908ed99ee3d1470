/**
 * The access audit (docs/ARCHITECTURE.md, Access): one structured log line per request that needed a key, naming the
 * key (never the secret: the Authorization header is not logged, and the logger redacts it wherever it appears), the
 * route and the status; and `playcount_http_denied_total{key}` counting the refusals (401, 403, 429, and the 404 of
 * an id outside a key's scope) per key name, `none` for no key and `invalid` for a wrong one.
 */
import type { FastifyInstance } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { Logger } from './logger.ts'

export function auditRequests(app: FastifyInstance, log: Logger, registry: Registry): void {
  const name = 'playcount_http_denied_total'
  const denied =
    (registry.getSingleMetric(name) as Counter<'key'> | undefined) ??
    new Counter({
      name,
      help: "Requests refused by the access check (401, 403, 429, or 404 outside the key's scope), by key name",
      labelNames: ['key'] as const,
      registers: [registry],
    })
  // A callback hook: an async one costs a promise per request.
  app.addHook('onResponse', (req, reply, done) => {
    const key = req.keyName
    if (key === undefined) return done()
    if (req.denied) denied.inc({ key })
    log.info(
      {
        audit: {
          key,
          method: req.method,
          route: req.routeOptions.url ?? 'unmatched',
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
      },
      'request',
    )
    done()
  })
}
