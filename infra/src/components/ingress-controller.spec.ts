import { beforeAll, describe, expect, it } from 'vitest';
import { type ProviderPayload, type ResourceRecorder, installPulumiMocks, valueOf } from '../testing/pulumi-mocks.js';

type Module = typeof import('./ingress-controller.js');

const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/abc';

describe('IngressController', () => {
  let recorder: ResourceRecorder;
  let mod: Module;

  beforeAll(async () => {
    recorder = installPulumiMocks();
    mod = await import('./ingress-controller.js');
    const sut = new mod.IngressController('ingress', { namespace: 'ingress-nginx', className: 'nginx', certificateArn, replicas: 2 });
    await valueOf(sut.namespace);
    await recorder.settled();
  });

  it('installs a pinned ingress-nginx chart into its own namespace', () => {
    const release = recorder.one('kubernetes:helm.sh/v3:Release').inputs;
    expect(release).toMatchObject({ chart: 'ingress-nginx', version: mod.INGRESS_NGINX_CHART_VERSION, namespace: 'ingress-nginx' });
  });

  it('serves only HTTPS, terminated at the NLB with the ACM certificate, when a certificate is given', () => {
    const service = (mod.ingressNginxValues({ namespace: 'n', className: 'nginx', certificateArn, replicas: 2 }) as ProviderPayload).controller.service;
    expect(service.enableHttp).toBe(false);
    expect(service.annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toBe(certificateArn);
  });

  it('falls back to plain HTTP without a certificate (development only; production requires one)', () => {
    const service = (mod.ingressNginxValues({ namespace: 'n', className: 'nginx', replicas: 1 }) as ProviderPayload).controller.service;
    expect(service.enableHttp).toBe(true);
    expect(service.annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toBeUndefined();
  });
});
