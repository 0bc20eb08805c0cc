import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IS_PUBLIC, REQUIRED_SCOPES } from '../../src/identity/access.decorators';
import { startTestApp, TestApp } from '../support/test-app';

interface Route {
  name: string;
  isPublic: boolean;
  scopes: string[];
}

/** Every route handler of every controller the application mounts, with what it declares. */
function controllerRoutes(server: TestApp): Route[] {
  const routes: Route[] = [];
  for (const module of server.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new () => object) | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const key of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[key];
        if (key === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const read = <T>(name: string): T | undefined =>
          (Reflect.getMetadata(name, handler) as T | undefined) ??
          (Reflect.getMetadata(name, controller) as T | undefined);
        routes.push({
          name: `${controller.name}.${key} (${method})`,
          isPublic: read<boolean>(IS_PUBLIC) ?? false,
          scopes: read<string[]>(REQUIRED_SCOPES) ?? [],
        });
      }
    }
  }
  return routes;
}

/**
 * Deny by default, checked two ways: every controller route declares `@Public()` or `@Scopes(...)`,
 * and every operation the OpenAPI document lists (the plain Fastify inference routes too) refuses a
 * caller without credentials unless it is one of the few open ones.
 */
describe('Route access', () => {
  let server: TestApp;
  let operations: [string, string, boolean, string | undefined][];

  beforeAll(async () => {
    server = await startTestApp();
    const document = (await (await fetch(`${server.url}/docs/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { security?: unknown[]; requestBody?: { content: Record<string, unknown> } }>
      >;
    };
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(
        ([method, operation]) =>
          [
            method.toUpperCase(),
            path,
            (operation.security?.length ?? 0) === 0,
            Object.keys(operation.requestBody?.content ?? {})[0],
          ] as [string, string, boolean, string | undefined],
      ),
    );
  });

  afterAll(async () => {
    await server.close();
  });

  it('should find the controllers’ routes', () => {
    expect(controllerRoutes(server).length).toBeGreaterThan(30);
  });

  it('should have every controller route declare @Public() or @Scopes(...)', () => {
    const undeclared = controllerRoutes(server).filter((route) => !route.isPublic && route.scopes.length === 0);
    expect(undeclared.map((route) => route.name)).toEqual([]);
    const both = controllerRoutes(server).filter((route) => route.isPublic && route.scopes.length > 0);
    expect(both.map((route) => route.name)).toEqual([]);
  });

  /**
   * The routes docs/API.md names as open (introspection and revocation take the client's own credentials;
   * SSO sign-in is how a browser gets a session).
   */
  const OPEN =
    /^(\/health\/|\/v2$|\/v2\/health\/|\/\.well-known\/|\/oauth\/(token|introspect|revoke)$|\/auth\/sso\/(login|callback)$)/;

  it('should refuse a caller without credentials on every secured operation, and only on those', async () => {
    expect(operations.length).toBeGreaterThan(40);
    for (const [method, template, open, type] of operations) {
      const path = template.replace(/\{[^}]+\}/g, 'x');
      expect(open, `${method} ${template}: documented as open`).toBe(OPEN.test(template));
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: type ? { 'content-type': type } : {},
        body: type ? (type === 'application/json' ? '{}' : 'x') : undefined,
      });
      if (open) expect(response.status, `${method} ${template}`).not.toBe(401);
      else {
        expect(response.status, `${method} ${template}`).toBe(401);
        expect(response.headers.get('www-authenticate'), `${method} ${template}`).toMatch(/^Bearer realm="modelgate"/);
      }
    }
  });
});
