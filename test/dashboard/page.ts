/**
 * A Chromium page for the dashboard tests that records dialogs, script errors and CSP violations,
 * and small probes of the page's state. Browser code is passed as text: the test project compiles
 * without the DOM library (it is Node code), so no DOM types leak into the other files.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';

export interface TestPage {
  context: BrowserContext;
  page: Page;
  /** Messages of alert/confirm/prompt dialogs that opened (and were dismissed). */
  dialogs: string[];
  /** Uncaught script errors and Content-Security-Policy violations. */
  problems: string[];
}

export async function openPage(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<TestPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const dialogs: string[] = [];
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  await page.goto(url);
  return { context, page, dialogs, problems };
}

/** Runs an expression in the page and returns its (JSON-able) value. */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/**
 * Waits until an expression is truthy in the page, polling from here: page.waitForFunction with
 * a string would `eval` inside the page, which the dashboard's CSP (rightly) forbids.
 */
export async function waitInPage(page: Page, expression: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await inPage<unknown>(page, `Boolean(${expression})`)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeout} ms waiting in the page for: ${expression}`);
}

/** The ids of the visible cards, in page order. */
export function visibleCards(page: Page): Promise<string[]> {
  return inPage(page, "[...document.querySelectorAll('#grid .card:not([hidden])')].map((c) => c.dataset.id)");
}

/** Each card's state class and badge text, by stream id. */
export function cardStates(page: Page): Promise<Record<string, { cls: string; badge: string }>> {
  return inPage(page, `Object.fromEntries([...document.querySelectorAll('#grid .card')].map((c) => [c.dataset.id, {
    cls: [...c.classList].find((n) => n.startsWith('state-')) ?? '',
    badge: c.querySelector('.badge')?.textContent ?? '',
  }]))`);
}

/** A computed style property of the first element matching `selector`. */
export function computed(page: Page, selector: string, property: string): Promise<string> {
  return inPage(page, `getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`);
}

/** True when the document is no wider than the viewport (no horizontal scrolling). */
export function fitsWidth(page: Page): Promise<{ scroll: number; viewport: number }> {
  return inPage(page, '({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth })');
}
