import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed JSON body, or undefined when there is none. */
  body: unknown;
}

export interface SendOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is, as application/json (for malformed bodies). */
  rawJson?: string;
  headers?: Record<string, string>;
}

let lastAddress = 9;

/**
 * An HTTP client that connects from a loopback address of its own (127.0.0.10, .11, ...), so
 * that the service sees it as a caller of its own address. The path is sent as given, without
 * any encoding, so that malformed URLs reach the service as they are.
 */
export class AddressClient {
  readonly address = `127.0.0.${++lastAddress}`;
  private readonly agent = new http.Agent({ keepAlive: true, localAddress: this.address });
  private readonly base: URL;

  constructor(baseUrl: string) {
    this.base = new URL(baseUrl);
  }

  send(method: string, path: string, options: SendOptions = {}): Promise<RawResponse> {
    const payload = options.json !== undefined ? JSON.stringify(options.json) : options.rawJson;
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  get(path: string, options?: SendOptions): Promise<RawResponse> {
    return this.send('GET', path, options);
  }

  post(path: string, options?: SendOptions): Promise<RawResponse> {
    return this.send('POST', path, options);
  }

  close(): void {
    this.agent.destroy();
  }
}
