import { defineErrors } from '../errors/index.ts';

export const identityErrors = defineErrors('IDENTITY', {
  UNREADABLE: { status: 500, exit: 1, message: 'Cannot read the appliance identity {path}: {reason}; restore it from a backup (a new key makes a new node)' },
  CERT_UNREADABLE: { status: 500, exit: 1, message: 'Cannot read the HTTPS certificate {path}: {reason}; fix http.tls_cert/http.tls_key or delete the files under tls/ and run `alliance init` to make new ones' },
  CA_UNREADABLE: { status: 500, exit: 1, message: 'Cannot use the cluster CA {path}: {reason}; restore tls/cluster-ca.crt and tls/cluster-ca.key from a backup (a new CA means every host must enrol again)' },
  KEY_UNSUPPORTED: { status: 400, exit: 1, message: 'Cannot issue a certificate for this key: {reason}; send an ECDSA P-256 public key as SPKI PEM' },
});
