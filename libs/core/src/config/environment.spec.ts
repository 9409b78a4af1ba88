import { ConfigurationError, DEV_JWT_SECRET, validateEnvironment } from './environment';

describe(validateEnvironment.name, () => {
  it('gives working defaults for an empty environment', () => {
    const env = validateEnvironment({});
    expect(env).toMatchObject({
      PORT: 3000,
      WORKER_MODE: 'embedded',
      FAST_PATHS: 'on',
      SEED_DEMO: true,
      JWT_SECRET: DEV_JWT_SECRET,
    });
    expect(env.CORS_ORIGINS).toEqual(['http://localhost:3000']);
  });

  it('converts numbers, booleans and lists from strings', () => {
    const env = validateEnvironment({
      PORT: '8080',
      SEED_DEMO: 'false',
      CORS_ORIGINS: 'https://a.test, https://b.test',
      SIM_TIME_SCALE: '1e6',
    });
    expect(env).toMatchObject({ PORT: 8080, SEED_DEMO: false, SIM_TIME_SCALE: 1e6 });
    expect(env.CORS_ORIGINS).toEqual(['https://a.test', 'https://b.test']);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['WORKER_MODE', 'sometimes'],
    ['FAST_PATHS', 'yes'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['SEED_DEMO', 'maybe'],
    ['JWT_SECRET', 'short'],
    ['SIM_TIME_SCALE', '-1'],
  ])('refuses a bad %s and names it', (name, value) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(ConfigurationError);
    expect(() => validateEnvironment({ [name]: value })).toThrow(new RegExp(name));
  });

  it('refuses development secrets in production and does not seed there by default', () => {
    expect(() => validateEnvironment({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET.*\n.*ADMIN_PASSWORD/s);
    const env = validateEnvironment({
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      ADMIN_PASSWORD: 'a-real-password',
      DATABASE_URL: 'postgres://db.internal/itn',
      REDIS_URL: 'redis://cache.internal',
    });
    expect(env.SEED_DEMO).toBe(false);
  });

  it('requires DATABASE_URL and REDIS_URL in production: no embedded PostgreSQL there', () => {
    const secrets = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), ADMIN_PASSWORD: 'a-real-password' };
    expect(() => validateEnvironment(secrets)).toThrow(/DATABASE_URL: required in production/);
    expect(() => validateEnvironment(secrets)).toThrow(/REDIS_URL: required in production/);
    const withoutRedis = { ...secrets, DATABASE_URL: 'postgres://db.internal/itn', QUEUE_BACKEND: 'postgres' };
    expect(validateEnvironment(withoutRedis).QUEUE_BACKEND).toBe('postgres');
  });

  it('accepts only the known queue backends and rate-limit stores', () => {
    expect(() => validateEnvironment({ QUEUE_BACKEND: 'kafka' })).toThrow(/QUEUE_BACKEND/);
    expect(() => validateEnvironment({ RATE_LIMIT_STORE: 'disk' })).toThrow(/RATE_LIMIT_STORE/);
  });

  it('treats empty strings as unset', () => {
    expect(validateEnvironment({ PORT: '' }).PORT).toBe(3000);
  });
});
