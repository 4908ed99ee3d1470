/**
 * Bearer tokens for every route of the shared HTTP app, decided per route by `config.access`, so a route added later
 * is secured unless it says otherwise:
 * - `public`: /healthz, /readyz, the OpenAPI document and the dashboard's static files (no data in them);
 * - `internal`: the speed instances' /internal/speed/* and /metrics, for operators and the serving layer's fan-out:
 *   INTERNAL_TOKEN, or API_TOKEN when INTERNAL_TOKEN is unset;
 * - `api` (the default): the report API and the collector: API_TOKEN.
 * A route whose token is unset is open. The scheme is case-insensitive (RFC 7235); tokens are compared as SHA-256
 * digests in constant time, so neither their content nor their length leaks through timing.
 */
import crypto from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import type { Config } from './config.ts'
import { Errors } from './errors.ts'

export type Access = 'public' | 'api' | 'internal'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which token the route requires; absent means `api`. */
    access?: Access
  }
}

export const BEARER_SCHEME = 'bearer'

/** The token a route of this access level requires, or undefined when it is open. */
export function tokenFor(config: Readonly<Config>, access: Access): string | undefined {
  if (access === 'public') return undefined
  if (access === 'internal') return config.http.internalToken ?? config.http.apiToken
  return config.http.apiToken
}

export function accessOf(routeConfig: unknown): Access {
  return (routeConfig as { access?: Access } | undefined)?.access ?? 'api'
}

/** Marks every route registered in this plugin's scope (and its children) with one access level. */
export function markRoutes(app: FastifyInstance, access: Access): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    route.config = { ...route.config, access }
  })
}

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest()

/** The token of an `Authorization: Bearer <token>` header, any case of the scheme; undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  if (space < 0 || header.slice(0, space).toLowerCase() !== BEARER_SCHEME) return undefined
  return header.slice(space + 1).trim()
}

/** The onRequest hook of the whole app: 401 PLAYCOUNT_UNAUTHORIZED with `WWW-Authenticate: Bearer`. */
export function requireTokens(app: FastifyInstance, config: Readonly<Config>): void {
  const digests = new Map<Access, Buffer | undefined>((['public', 'api', 'internal'] as const).map((a) => {
    const token = tokenFor(config, a)
    return [a, token === undefined ? undefined : digest(token)]
  }))
  if ([...digests.values()].every((d) => d === undefined)) return
  // A callback hook: an async one costs a promise on every request.
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const expected = digests.get(accessOf(req.routeOptions.config))
    // A CORS preflight never carries credentials (Fetch standard); @fastify/cors answers it without data.
    if (expected === undefined || (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined)) return done()
    const given = bearerToken(req.headers.authorization)
    if (given !== undefined && crypto.timingSafeEqual(digest(given), expected)) return done()
    // RFC 6750 section 3: a request without credentials gets the bare challenge, a wrong token error="invalid_token".
    reply.header('www-authenticate', given === undefined ? 'Bearer realm="playcount"' : 'Bearer realm="playcount", error="invalid_token"')
    done(new Errors.UNAUTHORIZED())
  })
}
