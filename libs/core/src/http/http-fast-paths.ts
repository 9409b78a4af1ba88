import type { FastifyInstance } from 'fastify';

/**
 * Hooks a process adds to its Fastify instance for measured speed (they live in @itn/fast-path,
 * behind FAST_PATHS). setupApp installs them, when the app provides them, before any route
 * exists, after the hooks that count, check and refuse requests; without them every request
 * takes Fastify's and Nest's plain path.
 */
export abstract class HttpFastPaths {
  abstract install(fastify: FastifyInstance): void;
}
