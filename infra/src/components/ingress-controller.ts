/**
 * ingress-nginx behind an AWS Network Load Balancer. TLS terminates at the
 * NLB with an ACM certificate; only port 443 is exposed when a certificate is
 * given (production requires one). The API's NetworkPolicy admits traffic
 * from this controller's namespace only.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

export const INGRESS_NGINX_CHART_VERSION = '4.13.3';

export interface IngressControllerArgs {
  readonly namespace: string;
  readonly className: string;
  /** ACM certificate ARN for TLS at the load balancer; without it (dev only) the controller serves plain HTTP. */
  readonly certificateArn?: string;
  readonly replicas: number;
}

/** Helm values for the chart; a plain function so the TLS rules are testable. */
export function ingressNginxValues(args: IngressControllerArgs): Record<string, unknown> {
  const tls = args.certificateArn !== undefined;
  return {
    controller: {
      replicaCount: args.replicas,
      ingressClassResource: { name: args.className, enabled: true, default: false },
      ingressClass: args.className,
      config: { 'server-tokens': 'false', 'use-forwarded-headers': 'false' },
      service: {
        enableHttp: !tls,
        enableHttps: tls,
        // TLS is terminated at the NLB; it forwards plain HTTP to the controller.
        targetPorts: { http: 'http', https: 'http' },
        annotations: {
          'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
          ...(tls
            ? {
                'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': args.certificateArn,
                'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': 'https',
                'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'tcp',
                'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
              }
            : {}),
        },
      },
      podDisruptionBudget: { enabled: args.replicas > 1, maxUnavailable: 1 },
      resources: { requests: { cpu: '100m', memory: '128Mi' } },
    },
  };
}

export class IngressController extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly className: pulumi.Output<string>;

  constructor(name: string, args: IngressControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super('gatehouse:network:IngressController', name, {}, opts);
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: 'ingress-nginx',
        chart: 'ingress-nginx',
        version: INGRESS_NGINX_CHART_VERSION,
        repositoryOpts: { repo: 'https://kubernetes.github.io/ingress-nginx' },
        namespace: args.namespace,
        createNamespace: true,
        atomic: true,
        values: ingressNginxValues(args),
      },
      { parent: this },
    );
    // Resolves once the release exists, so dependants wait for the controller.
    this.namespace = release.name.apply(() => args.namespace);
    this.className = pulumi.output(args.className);
    this.registerOutputs({ namespace: this.namespace, className: this.className });
  }
}
