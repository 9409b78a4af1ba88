/**
 * Child process of bench/run.mjs: a bare node:http server that answers every request with the
 * bytes and headers the service answered for GET /api/inventory/{id} (and its 304 when
 * If-None-Match carries the ETag): the floor a Node process can reach for the same response.
 * Receives {ok: {status, headers, body (base64)}, notModified: {status, headers}, etag} over
 * IPC, answers {port}.
 */
import http from 'node:http';

process.once('message', (/** @type {any} */ spec) => {
  const okBody = Buffer.from(spec.ok.body, 'base64');
  const okHeaders = { ...spec.ok.headers, 'content-length': String(okBody.length) };
  const nmHeaders = spec.notModified.headers;
  const server = http.createServer((req, res) => {
    if (req.headers['if-none-match'] === spec.etag) {
      res.writeHead(spec.notModified.status, nmHeaders);
      res.end();
    } else {
      res.writeHead(spec.ok.status, okHeaders);
      res.end(okBody);
    }
  });
  server.keepAliveTimeout = 72_000;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: /** @type {import('node:net').AddressInfo} */ (server.address()).port });
  });
});

process.on('disconnect', () => process.exit(0));
