export { identityErrors } from './errors.ts';
export { makeSelfSignedCertificate, readCertificateFacts, sha256Hex } from './https-certificate.ts';
export type { CertificateFacts, MakeCertificateOptions } from './https-certificate.ts';
export { base32, createNodeIdentity, loadNodeIdentity, nodeIdOf, shortNodeId, signWith, verifySignature } from './node-identity.ts';
export type { NodeIdentity } from './node-identity.ts';
export { caFingerprint, ClusterCa, ensureClusterCa, isIssuedBy, isSpkiPem, issueCertificate } from './certificate-authority.ts';
export type { CertificateUsage, ClusterCaPaths, IssueCertificateOptions } from './certificate-authority.ts';
