import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminKey } from '../support/credentials';
import { hasChromium, launchChromium } from '../support/chromium';
import { IdentityProvider, ssoEnv, startIdentityProvider } from '../support/identity-provider';
import { COMMITTED_MODELS, copyModels } from '../support/models';
import { startTestApp, TestApp } from '../support/test-app';

const ADMIN_SCOPES = [
  'models:read',
  'models:infer',
  'keys:manage',
  'clients:manage',
  'models:manage',
  'usage:admin',
  'audit:read',
];
const ADMIN = { id: 'u-ada', name: 'Ada Lovelace', email: 'ada@example.com', groups: ['ml-admins'] };
/** `UPDATE_SCREENSHOTS=1` saves the pages to docs/screenshots (README, "Console"). */
const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs', 'screenshots') : undefined;

/**
 * The admin console in a real Chromium against the real application (PostgreSQL when DATABASE_URL is set,
 * real ONNX Runtime sessions) and a real OpenID provider: sign-in, keys, models, usage, sign-out.
 */
describe.skipIf(!hasChromium)('Admin console (Chromium)', () => {
  let idp: IdentityProvider;
  let server: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminKey: string;
  /** Every state-changing request the console made to the platform, with its headers. */
  const changes: Request[] = [];

  beforeAll(async () => {
    idp = await startIdentityProvider();
    server = await startTestApp({
      ...ssoEnv(idp),
      SSO_ROLE_SCOPES: JSON.stringify({ 'ml-admins': ADMIN_SCOPES, viewers: ['models:read'] }),
      MODEL_REPOSITORY: copyModels(),
    });
    idp.allowRedirectUri(`${server.url}/auth/sso/callback`);
    adminKey = await createAdminKey(server);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(15_000);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    page.on('request', (request) => {
      if (request.url().startsWith(server.url) && request.method() !== 'GET') changes.push(request);
    });
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
  });

  const api = (path: string, key: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, { ...init, headers: { 'x-api-key': key, ...init.headers } });

  const shoot = async (name: string, target: Page = page) => {
    if (SCREENSHOTS) await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
  };

  it('should send a visitor without a session to sign in, and back to the page asked for', async () => {
    idp.signInNext(ADMIN);
    // Every URL the tab went through, redirects included.
    const visited: string[] = [];
    page.on('request', (request) => request.isNavigationRequest() && visited.push(request.url()));
    await page.goto(`${server.url}/console/api-keys`);
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/api-keys');
    expect(visited.some((url) => url.startsWith(`${server.url}/auth/sso/login?returnTo=%2Fconsole%2Fapi-keys`))).toBe(
      true,
    );
    expect(visited.some((url) => url.startsWith(idp.issuer))).toBe(true);
    await expect(page.getByText('Signed in as').textContent()).resolves.toContain('Ada Lovelace');
    await expect(page.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(true);
  });

  let keyId: string;
  let firstKey: string;

  it('should create an API key and show its secret once, with a copy button', async () => {
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill('console partner');
    await dialog.getByRole('checkbox', { name: 'models:read' }).check();
    await dialog.getByLabel('Requests per minute (optional)').fill('600');
    await shoot('console-create-key');
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const secretDialog = page.getByRole('dialog', { name: 'API key “console partner” created' });
    firstKey = await secretDialog.getByLabel('API key').inputValue();
    expect(firstKey).toMatch(/^mg_(live|test)_/);
    await secretDialog.getByRole('button', { name: 'Copy api key' }).click();
    await secretDialog.getByText('Copied to the clipboard.').waitFor();
    await expect(page.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(firstKey);
    await shoot('console-key-secret');
    await secretDialog.getByRole('button', { name: 'I have stored it' }).click();

    // The key works, with the scopes chosen...
    expect((await api('/v1/models', firstKey)).status).toBe(200);
    expect((await api('/v1/admin/api-keys', firstKey)).status).toBe(403);
    const row = page.locator('tr', { has: page.getByRole('rowheader', { name: 'console partner' }) });
    keyId = (await row.getAttribute('data-key-id'))!;
    // ...and its secret is nowhere on the page any more, nor after a reload.
    await expect(page.content()).resolves.not.toContain(firstKey);
    await page.reload();
    await page.getByRole('rowheader', { name: 'console partner' }).waitFor();
    await expect(page.content()).resolves.not.toContain(firstKey);
    await shoot('console-api-keys');
  });

  let secondKey: string;

  it('should rotate the key after confirmation, the old secret working through the grace period', async () => {
    await page.getByRole('button', { name: 'Rotate console partner' }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate “console partner”?' });
    await confirm.getByLabel('Grace period (seconds)').fill('120');
    await confirm.getByRole('button', { name: 'Rotate key' }).click();
    const secretDialog = page.getByRole('dialog', { name: 'API key “console partner” rotated' });
    secondKey = await secretDialog.getByLabel('API key').inputValue();
    expect(secondKey).not.toBe(firstKey);
    await secretDialog.getByRole('button', { name: 'I have stored it' }).click();
    expect((await api('/v1/models', secondKey)).status).toBe(200);
    expect((await api('/v1/models', firstKey)).status).toBe(200);
    const key = (await (await api(`/v1/admin/api-keys/${keyId}`, adminKey)).json()) as {
      previousKeyExpiresAt: string;
    };
    const grace = Date.parse(key.previousKeyExpiresAt) - Date.now();
    expect(grace).toBeGreaterThan(100_000);
    expect(grace).toBeLessThanOrEqual(120_000);
  });

  it('should revoke the key only once confirmed', async () => {
    await page.getByRole('button', { name: 'Revoke console partner' }).click();
    let confirm = page.getByRole('dialog', { name: 'Revoke “console partner”?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect((await api('/v1/models', secondKey)).status).toBe(200);

    await page.getByRole('button', { name: 'Revoke console partner' }).click();
    confirm = page.getByRole('dialog', { name: 'Revoke “console partner”?' });
    await confirm.getByRole('button', { name: 'Revoke key' }).click();
    await page.getByRole('status').filter({ hasText: 'Revoked API key console partner.' }).waitFor();
    const row = page.locator('tr', { has: page.getByRole('rowheader', { name: 'console partner' }) });
    await expect(row.locator('.badge').textContent()).resolves.toBe('revoked');
    expect((await api('/v1/models', secondKey)).status).toBe(401);
    expect((await api('/v1/models', firstKey)).status).toBe(401);
  });

  it('should create an OAuth client with its secret shown once, and rotate it', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'OAuth clients' }).click();
    await page.getByRole('button', { name: 'Create OAuth client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an OAuth client' });
    await dialog.getByLabel('Name').fill('batch scorer');
    await dialog.getByRole('button', { name: 'Create client' }).click();
    const secretDialog = page.getByRole('dialog', { name: 'OAuth client “batch scorer” created' });
    const secret = await secretDialog.getByLabel('Client secret').inputValue();
    const clientId = (await secretDialog.locator('p .mono').first().textContent())!;
    await secretDialog.getByRole('button', { name: 'I have stored it' }).click();

    const token = (secretValue: string) =>
      fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: secretValue,
        }),
      });
    expect((await token(secret)).status).toBe(200);

    await page.getByRole('button', { name: 'Rotate the secret of batch scorer' }).click();
    const confirm = page.getByRole('dialog', { name: 'Rotate the secret of “batch scorer”?' });
    await confirm.getByLabel('Grace period (seconds)').fill('0');
    await confirm.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByRole('dialog', { name: 'Secret of “batch scorer” rotated' });
    const newSecret = await rotated.getByLabel('Client secret').inputValue();
    await rotated.getByRole('button', { name: 'I have stored it' }).click();
    expect((await token(newSecret)).status).toBe(200);
    expect((await token(secret)).status).toBe(401);
    await shoot('console-oauth-clients');
  });

  it('should upload a model version with upload progress and show it READY', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Models' }).click();
    await page.locator('section[data-model="iris"]').waitFor();
    await page.getByRole('button', { name: 'Upload a version' }).click();
    const dialog = page.getByRole('dialog', { name: 'Upload a model version' });
    await dialog.getByLabel('Model name').fill('mlp-console');
    await dialog.getByLabel('Version').fill('1');
    // The 7 MB MLP: enough bytes for the upload to report progress before it completes.
    await dialog.getByLabel('ONNX file').setInputFiles(join(COMMITTED_MODELS, 'mlp', '1', 'model.onnx'));
    // Every value the progress bar shows, as a share of the whole.
    await page.evaluate(`
      window.progressSeen = [];
      new MutationObserver(() => {
        const bar = document.querySelector('dialog progress');
        if (bar) window.progressSeen.push(bar.value / bar.max);
      }).observe(document.body, { subtree: true, attributes: true, childList: true });
    `);
    // Throttled to 8 Mbit/s up, so that the upload takes long enough to report progress on the way.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 1_000_000,
    });
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.getByText('Uploaded and READY.').waitFor({ timeout: 60_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
    const seen = await page.evaluate<number[]>('window.progressSeen');
    expect(seen.at(-1)).toBe(1);
    expect(seen.some((share) => share > 0 && share < 1)).toBe(true);
    await dialog.getByRole('button', { name: 'Close' }).click();

    const version = page.locator('section[data-model="mlp-console"] tr[data-version="1"]');
    await expect(version.locator('[data-state]').getAttribute('data-state')).resolves.toBe('READY');
    const served = (await (await api('/v1/models/mlp-console', adminKey)).json()) as {
      versionDetails: { version: string; state: string }[];
    };
    expect(served.versionDetails).toEqual([expect.objectContaining({ version: '1', state: 'READY' })]);
    await shoot('console-models');
  });

  it('should unload and load a version after confirmation', async () => {
    const section = page.locator('section[data-model="mlp-console"]');
    await section.getByRole('button', { name: 'Unload mlp-console version 1' }).click();
    await page
      .getByRole('dialog', { name: 'Unload mlp-console version 1?' })
      .getByRole('button', { name: 'Unload version' })
      .click();
    await expect
      .poll(() => section.locator('tr[data-version="1"] [data-state]').getAttribute('data-state'))
      .toBe('UNAVAILABLE');
    await section.getByRole('button', { name: 'Load mlp-console version 1' }).click();
    await page
      .getByRole('dialog', { name: 'Load mlp-console version 1?' })
      .getByRole('button', { name: 'Load version' })
      .click();
    await expect
      .poll(() => section.locator('tr[data-version="1"] [data-state]').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('READY');
  });

  it('should point an alias at a version', async () => {
    const section = page.locator('section[data-model="mlp-console"]');
    await section.getByRole('textbox', { name: 'Alias', exact: true }).fill('stable');
    await section.getByRole('textbox', { name: 'Version, or split' }).fill('1');
    await section.getByRole('button', { name: 'Set alias' }).click();
    await page.getByRole('status').filter({ hasText: 'Alias stable of mlp-console now points to 1.' }).waitFor();
    await expect.poll(() => section.locator('.hint').first().textContent()).toContain('stable → version 1');
    const model = (await (await api('/v1/models/mlp-console', adminKey)).json()) as {
      aliases: Record<string, unknown>;
    };
    expect(model.aliases).toEqual({ stable: '1' });
  });

  it('should split the traffic of an alias between two versions, and show the weights', async () => {
    const section = page.locator('section[data-model="iris"]');
    await section.getByRole('textbox', { name: 'Alias', exact: true }).fill('rollout');
    await section.getByRole('textbox', { name: 'Version, or split' }).fill('1=90, 2=10');
    await section.getByRole('button', { name: 'Set alias' }).click();
    await expect.poll(() => section.locator('.hint').first().textContent()).toContain('rollout → v1 90% · v2 10%');
    const model = (await (await api('/v1/models/iris', adminKey)).json()) as {
      trafficSplits?: Record<string, unknown>;
    };
    expect(model.trafficSplits).toMatchObject({ rollout: { '1': 90, '2': 10 } });
  });

  it('should chart usage by model and status, and download the events as CSV', async () => {
    for (let i = 0; i < 5; i += 1) {
      const response = await api('/v1/models/iris/predict', adminKey, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
      });
      expect(response.status).toBe(200);
    }
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Usage' }).click();
    const iris = page.locator('tr[data-group="iris"] [data-column="requests"]');
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByRole('heading', { level: 1, name: 'Usage' }).waitFor();
          await page.locator('.charts, .empty').first().waitFor();
          return Number((await iris.count()) > 0 ? await iris.textContent() : 0);
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(5);
    await expect(page.locator('figure.chart .recharts-wrapper').count()).resolves.toBe(3);
    await expect(page.locator('figure.chart .recharts-area').count()).resolves.toBeGreaterThanOrEqual(2);
    await shoot('console-usage');
    await page.getByLabel('Group by').selectOption('status');
    await page.locator('tr[data-group="200"]').waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download events (CSV)' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toContain('model');
    expect(csv.match(/\biris\b/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('should show the live traffic per model on the overview, the chart moving under load', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    // Traffic for a while: a predict call to iris every 50 ms.
    let sending = true;
    const traffic = (async () => {
      let sent = 0;
      while (sending) {
        const response = await api('/v1/models/iris/predict', adminKey, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
        });
        expect(response.status).toBe(200);
        sent += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return sent;
    })();
    try {
      const requests = page.locator('tr[data-model="iris"] [data-column="requests"]');
      await requests.waitFor({ timeout: 20_000 });
      const line = page.locator('figure.chart', { hasText: 'Requests per second' }).locator('.recharts-line-curve');
      await expect.poll(() => line.count(), { timeout: 10_000 }).toBeGreaterThan(0);
      const before = { total: Number(await requests.textContent()), path: await line.first().getAttribute('d') };
      // The next seconds arrive: more requests counted, and the line redrawn.
      await expect
        .poll(async () => Number(await requests.textContent()), { timeout: 15_000 })
        .toBeGreaterThan(before.total);
      await expect.poll(() => line.first().getAttribute('d'), { timeout: 15_000 }).not.toBe(before.path);
      await shoot('console-overview');
    } finally {
      sending = false;
    }
    const sent = await traffic;
    expect(sent).toBeGreaterThan(10);
  });

  it('should find each change made in the console in the audit log, by action and as CSV', async () => {
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit log' }).click();
    await page.locator('tr[data-action]').first().waitFor();
    const actions = await page
      .locator('tr[data-action]')
      .evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: { action: string } }).dataset.action));
    for (const action of [
      'session.started',
      'api_key.created',
      'api_key.rotated',
      'api_key.revoked',
      'oauth_client.created',
      'oauth_client.secret_rotated',
      'model_version.uploaded',
      'model_version.unloaded',
      'model_version.loaded',
      'alias.updated',
    ]) {
      expect(actions, action).toContain(action);
    }
    const revoked = page.locator(`tr[data-action="api_key.revoked"][data-target-id="${keyId}"]`);
    await expect(revoked.textContent()).resolves.toContain('Ada Lovelace');
    await shoot('console-audit');

    await page.getByLabel('Action').fill('api_key.*');
    await page.getByLabel('Target id').fill(keyId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(() =>
        page
          .locator('tr[data-action]')
          .evaluateAll((rows) => rows.map((row) => (row as unknown as { dataset: { action: string } }).dataset.action)),
      )
      .toEqual(['api_key.revoked', 'api_key.rotated', 'api_key.created']);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv).toContain('api_key.created');
    expect(csv).toContain(keyId);
    expect(csv).not.toContain('oauth_client.created');
    expect(csv).not.toContain(firstKey);
    expect(csv).not.toContain(secondKey);
  });

  it('should send X-CSRF-Token with every state-changing request', async () => {
    const session = await page.evaluate<{ csrfToken: string }>(`fetch('/auth/session').then((r) => r.json())`);
    expect(changes.length).toBeGreaterThanOrEqual(8);
    for (const request of changes) {
      expect({ url: request.url(), token: request.headers()['x-csrf-token'] }).toEqual({
        url: request.url(),
        token: session.csrfToken,
      });
    }
  });

  it('should label every form control and keep focus in an open dialog', async () => {
    for (const path of ['/console/api-keys', '/console/models', '/console/usage']) {
      await page.goto(`${server.url}${path}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      const unlabelled = await page.evaluate<string[]>(`
        [...document.querySelectorAll('input, select, textarea')]
          .filter((element) => element.labels.length === 0 && !element.getAttribute('aria-label'))
          .map((element) => element.outerHTML)
      `);
      expect(unlabelled).toEqual([]);
      await expect(page.locator('main').count()).resolves.toBe(1);
      await expect(page.getByRole('navigation').count()).resolves.toBe(1);
    }
    await page.goto(`${server.url}/console/api-keys`);
    await page.getByRole('button', { name: 'Create API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    // (Run in the page: the test's TypeScript has no DOM types.)
    type Page = { document: { activeElement: unknown } };
    const focused = (target: Locator) =>
      target.evaluate((element) => element === (globalThis as unknown as Page).document.activeElement);
    await expect(focused(dialog.getByLabel('Name'))).resolves.toBe(true);
    // Tab cycles through the dialog (and the browser's own UI, where the page's focus is on <body>), never
    // reaching the page behind it.
    for (let i = 0; i < 20; i += 1) {
      await page.keyboard.press('Tab');
      const where = await dialog.evaluate((element) => {
        const active = (globalThis as unknown as { document: { activeElement: unknown; body: unknown } }).document;
        if ((element as unknown as { contains(node: unknown): boolean }).contains(active.activeElement))
          return 'dialog';
        return active.activeElement === active.body || active.activeElement === null ? 'browser' : 'page';
      });
      expect(where).not.toBe('page');
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expect(focused(page.getByRole('button', { name: 'Create API key' }))).resolves.toBe(true);
  });

  it('should fold the navigation behind a menu button at phone width', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${server.url}/console/models`);
    await phone.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    const nav = phone.getByRole('link', { name: 'API keys' });
    await expect(nav.isVisible()).resolves.toBe(false);
    await phone.locator('section[data-model="mlp-console"] tr[data-version="1"]').waitFor();
    // Nothing sticks out of the page sideways (wide tables scroll inside their own box).
    const overflowing = await phone.evaluate<string[]>(`
      [...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > document.documentElement.clientWidth + 1
          && !element.closest('.table-wrap'))
        .map((element) => element.tagName + '.' + element.className)
    `);
    expect(overflowing).toEqual([]);
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shoot('console-phone-models', phone);
    await phone.getByRole('button', { name: 'Menu' }).click();
    await expect(nav.isVisible()).resolves.toBe(true);
    await shoot('console-phone-menu', phone);
    await nav.click();
    await phone.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await expect(nav.isVisible()).resolves.toBe(false);
    await phone.close();
  });

  it('should show a user only the pages and actions their scopes allow', async () => {
    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    viewerContext.setDefaultTimeout(15_000);
    try {
      const viewer = await viewerContext.newPage();
      idp.signInNext({ id: 'u-val', name: 'Val Viewer', email: 'val@example.com', groups: ['viewers'] });
      await viewer.goto(`${server.url}/console/models`);
      await viewer.locator('section[data-model="iris"]').waitFor();
      const links = await viewer.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents();
      expect(links).toEqual(['Models']);
      await expect(viewer.getByRole('button', { name: 'Upload a version' }).count()).resolves.toBe(0);
      await expect(viewer.getByRole('button', { name: /^Unload / }).count()).resolves.toBe(0);
      await viewer.goto(`${server.url}/console/api-keys`);
      await viewer.getByText('Your session does not hold the scope this page needs (keys:manage).').waitFor();
      // The API refuses it as well, whatever the page shows.
      const status = await viewer.evaluate<number>(`fetch('/v1/admin/api-keys').then((r) => r.status)`);
      expect(status).toBe(403);
    } finally {
      await viewerContext.close();
    }
  });

  it('should sign out: the session ends and the console offers to sign in again', async () => {
    await page.goto(`${server.url}/console/models`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();
    await expect(page.getByRole('link', { name: 'Sign in' }).getAttribute('href')).resolves.toBe(
      '/auth/sso/login?returnTo=%2Fconsole',
    );
    const status = await page.evaluate<number>(`fetch('/auth/session').then((r) => r.status)`);
    expect(status).toBe(401);
  });
});
