import { join, resolve } from 'node:path';

/** Where everything lives under one data directory. */
export interface DataDirLayout {
  readonly root: string;
  readonly storeFile: string;
  readonly identityKey: string;
  readonly identityPub: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly busCert: string;
  readonly busKey: string;
  /** The cluster CA that signs host and controller bus certificates (made once, never replaced). */
  readonly clusterCaCert: string;
  readonly clusterCaKey: string;
  /** The controller's bus certificate for controller.listen, issued by the cluster CA. */
  readonly controllerCert: string;
  readonly controllerKey: string;
  readonly metricsToken: string;
  readonly runDir: string;
  readonly lockFile: string;
  readonly pidFile: string;
  readonly controlSocket: string;
  readonly busSocket: string;
  readonly eventsSocket: string;
}

export function dataDirLayout(dir: string): DataDirLayout {
  const root = resolve(dir);
  return {
    root,
    storeFile: join(root, 'store', 'alliance.db'),
    identityKey: join(root, 'identity', 'node.key'),
    identityPub: join(root, 'identity', 'node.pub'),
    tlsCert: join(root, 'tls', 'https.crt'),
    tlsKey: join(root, 'tls', 'https.key'),
    busCert: join(root, 'tls', 'bus.crt'),
    busKey: join(root, 'tls', 'bus.key'),
    clusterCaCert: join(root, 'tls', 'cluster-ca.crt'),
    clusterCaKey: join(root, 'tls', 'cluster-ca.key'),
    controllerCert: join(root, 'tls', 'controller.crt'),
    controllerKey: join(root, 'tls', 'controller.key'),
    metricsToken: join(root, 'secrets', 'metrics.token'),
    runDir: join(root, 'run'),
    lockFile: join(root, 'run', 'alliance.lock'),
    pidFile: join(root, 'run', 'alliance.pid'),
    controlSocket: join(root, 'run', 'control.sock'),
    busSocket: join(root, 'run', 'bus.sock'),
    eventsSocket: join(root, 'run', 'events.sock'),
  };
}
