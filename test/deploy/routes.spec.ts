import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestApp, TestApp } from '../support/test-app';
import { execForm, parseDockerfile } from './dockerfile';
import { Container, PodTemplate, ROOT } from './manifests';

/**
 * The HTTP paths the deployment relies on, read from the sources (kubernetes.spec.ts checks that the
 * rendered base and overlay keep them): the probes, the metrics scrape and the image's HEALTHCHECK.
 */
function deploymentPaths(): string[] {
  const read = (file: string): unknown => parse(readFileSync(join(ROOT, 'deploy/kubernetes/base', file), 'utf8'));
  const deployment = read('deployment.yaml') as { spec: { template: PodTemplate } };
  const container: Container = deployment.spec.template.spec.containers[0];
  const monitor = read('servicemonitor.yaml') as { spec: { endpoints: { path: string }[] } };
  const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).stages;
  const healthcheck = execForm(
    stages[stages.length - 1].instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK')?.raw ?? '',
  );
  return [
    container.startupProbe!.httpGet!.path!,
    container.readinessProbe!.httpGet!.path!,
    container.livenessProbe!.httpGet!.path!,
    ...monitor.spec.endpoints.map((endpoint) => endpoint.path),
    ...(healthcheck?.join(' ').match(/\/health\/\w+/g) ?? []),
  ];
}

describe('Deployment paths against the application', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('should answer 200 on every path the probes, the ServiceMonitor and the image HEALTHCHECK use', async () => {
    const paths = [...new Set(deploymentPaths())].sort();
    expect(paths).toEqual(['/health/live', '/health/ready', '/metrics']);
    for (const path of paths) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.status, path).toBe(200);
    }
    // A path that is no route answers 404: the 200s above come from the routes.
    expect((await fetch(`${app.url}/health/nope`)).status).toBe(404);
  });
});
