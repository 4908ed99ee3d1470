/**
 * Who may call which route of the shared HTTP app (docs/ARCHITECTURE.md, Access). One `onRequest` hook resolves the
 * bearer key to a principal on `req.principal`, decided per route by `config.access`, so a route added later is
 * secured unless it says otherwise:
 * - `public`: /healthz, /readyz, the OpenAPI document and the dashboard's static files (no data in them);
 * - `internal`: the speed instances' /internal/speed/* and /metrics: INTERNAL_TOKEN, or any admin key (API_TOKEN
 *   included) when INTERNAL_TOKEN is unset;
 * - `ingest`: the collector: admin and ingest keys (a reader's key answers 403);
 * - `api` (the default): the report API: admin and reader keys, then `config.scope` (see Scope).
 * Keys are API_TOKEN (one admin key) and the keys of the KeyRing (shared/access/key-ring.ts). A route is open while
 * none of its keys exist. Failed attempts are counted per client address (@fastify/rate-limit); past the limit
 * every secured request from that address answers 429, so a brute-force guess cannot succeed even when right.
 */
import crypto from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify'
import '@fastify/rate-limit'
import type { Config } from './config.ts'
import { Errors } from './errors.ts'
import type { KeyRing } from './access/key-ring.ts'
import { mayRead, type Principal } from './access/keys.ts'

export type Access = 'public' | 'api' | 'ingest' | 'internal'

/**
 * Which artist a request's id belongs to, for a route that reads one artist's numbers. A reader whose artists do not
 * include it gets `notFound` — the very error the handler gives an unknown id, so a key cannot tell the two apart.
 * `artistOf` answers undefined for an unknown id, and the handler then answers its own 404.
 */
export interface ScopeRule {
  artistOf(req: FastifyRequest): string | undefined
  notFound(req: FastifyRequest): Error
}

/**
 * A route's scope: a ScopeRule; `filtered` when the handler itself restricts its answer to `req.principal`
 * (search, trending); absent means admin keys only, so a report route added without a scope leaks nothing.
 */
export type Scope = ScopeRule | 'filtered'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which keys the route takes; absent means `api`. */
    access?: Access
    /** For `api` routes: what a scoped key may see; absent means admin only. */
    scope?: Scope
  }
  interface FastifyRequest {
    /** The caller; set on every non-public route (an admin `anonymous` one while the route needs no key). */
    principal: Principal | undefined
    /** For the audit log and the denied counter: the key's name, `none` (no key) or `invalid` (a wrong one). */
    keyName: string | undefined
    denied: boolean
  }
}

export const BEARER_SCHEME = 'bearer'

const ALL = 'all' as const
export const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', role: 'admin', artists: ALL })
const API_TOKEN: Principal = Object.freeze({ name: 'API_TOKEN', role: 'admin', artists: ALL })
const INTERNAL_TOKEN: Principal = Object.freeze({ name: 'INTERNAL_TOKEN', role: 'admin', artists: ALL })

/** The token a route of this access level requires, or undefined when it is open (keys aside). */
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
const same = (given: string, expected: Buffer | undefined): boolean =>
  expected !== undefined && crypto.timingSafeEqual(digest(given), expected)

/** The token of an `Authorization: Bearer <token>` header, any case of the scheme; undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  if (space < 0 || header.slice(0, space).toLowerCase() !== BEARER_SCHEME) return undefined
  return header.slice(space + 1).trim()
}

/** Refusal of a key that is not one for this route at all: a 401, like a wrong key. */
const UNKNOWN = 'unknown'

/** Whether a principal may take a route of this access and scope: undefined when it may, else UNKNOWN or a 403's reason. */
function refusal(
  p: Principal,
  access: Access,
  scope: Scope | undefined,
  internalTokenSet: boolean,
  is404: boolean,
): string | undefined {
  // INTERNAL_TOKEN opens the internal routes only; with it set, those routes take nothing else.
  if (access === 'internal')
    return p === INTERNAL_TOKEN
      ? undefined
      : internalTokenSet
        ? UNKNOWN
        : p.role === 'admin'
          ? undefined
          : 'read operator routes'
  if (p === INTERNAL_TOKEN) return UNKNOWN
  // An unknown path is the 404 handler's to answer, to any valid key.
  if (is404) return undefined
  if (access === 'ingest') return p.role === 'reader' ? 'post events (a reader key)' : undefined
  if (p.role === 'ingest') return 'read reports (an ingest key only posts events)'
  if (scope === undefined && p.role !== 'admin') return 'use this admin-only route'
  return undefined
}

/**
 * The access hooks of the whole app: onRequest resolves the key (401 PLAYCOUNT_UNAUTHORIZED with
 * `WWW-Authenticate: Bearer`, 403 PLAYCOUNT_FORBIDDEN, 429 PLAYCOUNT_RATE_LIMITED); preHandler applies a route's
 * ScopeRule after validation, so an id outside the scope answers exactly as an unknown id does, parameters included.
 * Registered after @fastify/rate-limit (`createRateLimit`).
 */
export function requireKeys(app: FastifyInstance, config: Readonly<Config>, ring: KeyRing | undefined): void {
  const api = config.http.apiToken === undefined ? undefined : digest(config.http.apiToken)
  const internal = config.http.internalToken === undefined ? undefined : digest(config.http.internalToken)
  const limit = app.createRateLimit({ max: config.access.failuresMax, timeWindow: config.access.failuresWindowMs })
  const needsKey = (access: Access): boolean =>
    access !== 'public' &&
    (api !== undefined || ring?.enabled === true || (access === 'internal' && internal !== undefined))
  const resolve = (given: string): Principal | undefined =>
    same(given, api) ? API_TOKEN : same(given, internal) ? INTERNAL_TOKEN : ring?.resolve(given)

  app.decorateRequest('principal', undefined)
  app.decorateRequest('keyName', undefined)
  app.decorateRequest('denied', false)
  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const access = accessOf(req.routeOptions.config)
    if (access === 'public') return done()
    // A CORS preflight never carries credentials (Fetch standard); @fastify/cors answers it without data.
    if (!needsKey(access) || (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined)) {
      req.principal = ANONYMOUS
      return done()
    }
    const given = bearerToken(req.headers.authorization)
    const p = given === undefined ? undefined : resolve(given)
    const why =
      p === undefined ? UNKNOWN : refusal(p, access, req.routeOptions.config.scope, internal !== undefined, req.is404)
    req.keyName = why === UNKNOWN ? (given === undefined ? 'none' : 'invalid') : p!.name
    // Peek first: an address over the limit is refused whether or not its key is right; only wrong keys count.
    limit(req, { increment: false })
      .then(async (status) => {
        if (!status.isAllowed && status.isExceeded) return rateLimited(reply, status.ttlInSeconds)
        if (why === UNKNOWN) {
          // Only a presented key is a guess; a request without one (a page's first call) costs the address nothing.
          const after = given === undefined ? undefined : await limit(req)
          if (after !== undefined && !after.isAllowed && after.isExceeded) return rateLimited(reply, after.ttlInSeconds)
          // RFC 6750 section 3: a request without credentials gets the bare challenge, a wrong key error="invalid_token".
          reply.header(
            'www-authenticate',
            given === undefined ? 'Bearer realm="playcount"' : 'Bearer realm="playcount", error="invalid_token"',
          )
          return new Errors.UNAUTHORIZED()
        }
        if (why !== undefined) return new Errors.FORBIDDEN(why)
        req.principal = p
        return undefined
      })
      .then((err) => {
        if (err !== undefined) req.denied = true
        done(err)
      }, done)
  })

  app.addHook('preHandler', (req: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const scope = req.routeOptions.config.scope
    const p = req.principal
    if (p === undefined || p.artists === ALL || scope === undefined || scope === 'filtered') return done()
    const artist = scope.artistOf(req)
    if (artist === undefined || mayRead(p, artist)) return done()
    req.denied = true
    done(scope.notFound(req))
  })
}

function rateLimited(reply: FastifyReply, seconds: number): Error {
  reply.header('retry-after', String(Math.max(1, seconds)))
  return new Errors.RATE_LIMITED(String(Math.max(1, seconds)))
}

/** GET /v1/me: the key's name, role and artists, so a client (the dashboard) can show what it may see. */
export function meRoute(app: FastifyInstance): void {
  app.get(
    '/v1/me',
    {
      config: { scope: 'filtered' },
      schema: {
        summary:
          'The calling key: name, role, label and the artists it may read (allArtists for admins and readers of all)',
        response: {
          200: {
            type: 'object',
            required: ['name', 'role', 'allArtists', 'artists'],
            properties: {
              name: { type: 'string' },
              role: { type: 'string', enum: ['reader', 'ingest', 'admin'] },
              label: { type: 'string' },
              allArtists: { type: 'boolean' },
              artists: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    async (req) => {
      const p = req.principal ?? ANONYMOUS
      return {
        name: p.name,
        role: p.role,
        ...(p.label === undefined ? {} : { label: p.label }),
        allArtists: p.artists === ALL,
        artists: p.artists === ALL ? [] : [...p.artists].sort(),
      }
    },
  )
}
