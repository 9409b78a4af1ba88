import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from './test-env';

export { CHROMIUM_PATH };

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Headless Chromium (the specs skip where it is missing: describeWithChromium). Playwright gives every
 * launch a fresh temporary profile (user data dir) and deletes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} (set CHROMIUM_PATH to use another binary)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** Polls `probe` until it returns a value other than undefined/false. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false>,
  describe: () => string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the element's text (trimmed) equals `expected`, or matches it when a RegExp. */
export async function waitForText(locator: Locator, expected: string | RegExp, timeoutMs = 10_000): Promise<string> {
  let last: string | null = null;
  return waitUntil(
    async () => {
      last = await locator.textContent({ timeout: 500 }).catch(() => null);
      if (last === null) return undefined;
      const text = last.trim();
      return (typeof expected === 'string' ? text === expected : expected.test(text)) ? text : undefined;
    },
    () => `${String(expected)} in ${String(locator)}; last text ${JSON.stringify(last)}`,
    timeoutMs,
  );
}

/** Waits until an attribute of the element has the given value. */
export async function waitForAttribute(locator: Locator, name: string, expected: string, timeoutMs = 10_000) {
  let last: string | null = null;
  await waitUntil(
    async () => {
      last = await locator.getAttribute(name, { timeout: 500 }).catch(() => null);
      return last === expected;
    },
    () => `${name}="${expected}" on ${String(locator)}; last ${JSON.stringify(last)}`,
    timeoutMs,
  );
}

/** Collects uncaught page errors and console errors, minus the ones a test provokes on purpose. */
export function watchConsole(page: Page, expected: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (!expected.some((pattern) => pattern.test(text))) problems.push(`console: ${text}`);
  });
  return problems;
}

/**
 * Holds the page's next WebSocket connections until `open()`, so a test can change things
 * while the page is disconnected. Connections made before `hold()` stay direct.
 */
export class WebSocketGate {
  private release: () => void = () => {};

  async hold(page: Page, url: RegExp): Promise<void> {
    const released = new Promise<void>((resolve) => (this.release = resolve));
    await page.routeWebSocket(url, async (route) => {
      await released;
      route.connectToServer();
    });
  }

  open(): void {
    this.release();
  }
}
