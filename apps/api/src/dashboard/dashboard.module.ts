import fastifyStatic from '@fastify/static';
import { Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The page may hold tokens, so it gets a strict policy: its own scripts and styles only,
 * API and socket on the same origin, no framing.
 */
const PAGE_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) void reply.header(name, value);
}

/**
 * apps/api/public, seen from this file: beside `src` when running from source, or from the
 * mirrored tree under `dist/` after a build (tsc does not copy assets).
 */
export function findPublicDir(): string | undefined {
  const candidates = [
    join(__dirname, '..', '..', 'public'),
    join(__dirname, '..', '..', '..', '..', '..', 'apps', 'api', 'public'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** The browser bundles of socket.io-client (its package exports only the Node entry points). */
export function findSocketIoClientDir(): string | undefined {
  try {
    const dir = join(dirname(require.resolve('socket.io-client/package.json')), 'dist');
    return existsSync(join(dir, 'socket.io.esm.min.js')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the station dashboard at `/` and the Socket.IO browser client under
 * `/vendor/socket.io/`. Routes are registered per file (`wildcard: false`), so every other
 * path still reaches the API's JSON 404.
 */
@Injectable()
export class DashboardAssets implements OnModuleInit {
  private readonly logger = new Logger('Dashboard');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    const publicDir = findPublicDir();
    const clientDir = findSocketIoClientDir();
    if (!publicDir || !clientDir) {
      this.logger.warn(
        `The dashboard is not served: ${publicDir ? 'socket.io-client is not installed' : 'apps/api/public is missing'}`,
      );
      return;
    }
    await fastify.register(fastifyStatic, {
      root: publicDir,
      prefix: '/',
      index: 'index.html',
      decorateReply: false,
      wildcard: false,
      setHeaders: setSecurityHeaders,
    });
    await fastify.register(fastifyStatic, {
      root: clientDir,
      prefix: '/vendor/socket.io/',
      index: false,
      decorateReply: false,
      wildcard: false,
      globIgnore: ['socket.io.js*', 'socket.io.min.js*', 'socket.io.msgpack.min.js*'],
      setHeaders: setSecurityHeaders,
    });
  }
}

@Module({ providers: [DashboardAssets] })
export class DashboardModule {}
