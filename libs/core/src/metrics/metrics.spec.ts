import type { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment';
import { MetricsRegistry, MetricsServer } from './metrics';

describe(MetricsServer.name, () => {
  const servers: MetricsServer[] = [];
  const start = async (settings: Pick<Environment, 'METRICS_PORT' | 'METRICS_HOST'>) => {
    const config = { get: (key: keyof typeof settings) => settings[key] } as unknown as ConfigService<
      Environment,
      true
    >;
    const sut = new MetricsServer(new MetricsRegistry(), config);
    servers.push(sut);
    await sut.onApplicationBootstrap();
    return sut;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.onApplicationShutdown()));
  });

  it('serves the registry on its own port, on the address it is given', async () => {
    const sut = await start({ METRICS_PORT: 0, METRICS_HOST: '127.0.0.1' });
    expect(sut.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${sut.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('serves nothing when off', async () => {
    expect((await start({ METRICS_PORT: 'off', METRICS_HOST: '127.0.0.1' })).url).toBeUndefined();
  });

  it('names the variable when its port is taken', async () => {
    const first = await start({ METRICS_PORT: 0, METRICS_HOST: '127.0.0.1' });
    const port = Number(new URL(first.url!).port);
    await expect(start({ METRICS_PORT: port, METRICS_HOST: '127.0.0.1' })).rejects.toThrow(
      `METRICS_PORT ${port} on 127.0.0.1 is in use`,
    );
  });
});
