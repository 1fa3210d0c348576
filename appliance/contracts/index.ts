// Message contracts shared by services (controller, agent, boot, console) and
// the CLI: schemas and pure helpers only, no I/O.
export { canonicalJson, inventoryHash } from './inventory-hash.ts';
export { HOST_STATES, HostHealthSchema, HostLabelsSchema, HostSchema, HostStateSchema, InventorySchema } from './host.ts';
export type { Host, HostHealth, HostState, Inventory } from './host.ts';
export { DesiredParams, DesiredResult, HeartbeatParams, HeartbeatResult, HOST_METHODS, InventoryParams, InventoryResult } from './host-methods.ts';
export {
  controllerProofPayload,
  ENROLMENT_CLOCK_SKEW_MS,
  ENROLMENT_PATH,
  EnrolmentAnswer,
  EnrolmentRequest,
  enrolmentPayload,
  formatJoinCode,
  joinHmac,
  joinSecretKey,
  parseJoinCode,
} from './enrolment.ts';
export {
  domainNameOf,
  IMAGE_CHUNK_BYTES,
  IMAGE_FORMATS,
  ImageChunkParams,
  ImageChunkResult,
  ImageRefSchema,
  INSTANCE_NAME_PATTERN,
  INSTANCE_OBSERVED_STATES,
  INSTANCE_POWER,
  instanceIdOfDomain,
  isInstanceId,
  InstanceMetadataSchema,
  InstanceReportSchema,
  InstancesReportParams,
  InstancesReportResult,
  InstanceSpecSchema,
  UUID_PATTERN,
} from './compute.ts';
export type { ImageFormat, ImageRef, InstanceMetadata, InstanceObservedState, InstancePower, InstanceReport, InstanceSpec } from './compute.ts';
export {
  CONSOLE_JOIN_CODE_DEFAULTS,
  CONSOLE_METHODS,
  CONSOLE_PENDING_LIMIT,
  ConsoleJoinCodeSchema,
  ConsoleOverviewParams,
  ConsoleOverviewResult,
  ConsolePendingHostSchema,
  FirstAdminParams,
  FirstAdminResult,
  HostDecideParams,
  HostDecideResult,
  JoinCodeRotateParams,
  JoinCodeRotateResult,
} from './console-methods.ts';
export type { ConsoleJoinCode, ConsolePendingHost } from './console-methods.ts';
export { INSTALL_ANSWERS_VERSION, INSTALL_FILES, INSTALL_LABELS, InstallAnswersSchema, InstallNetworkDhcpSchema, InstallNetworkStaticSchema } from './install-answers.ts';
export type { InstallAnswers, InstallNetwork } from './install-answers.ts';
export {
  broadcastOf,
  checkDnsServers,
  checkGateway,
  checkHostName,
  checkNtpServers,
  checkStaticAddress,
  hostNameProblem,
  ipv4ToNumber,
  isIPv4,
  MAX_DNS_SERVERS,
  MAX_HOSTNAME,
  MAX_NTP_SERVERS,
  networkOf,
  normaliseMac,
  notHostReason,
  numberToIPv4,
  prefixMask,
  quoteTyped,
  splitList,
  validateNetwork,
  validateSystem,
} from './management-settings.ts';
export type { Checked, Cidr, ManagementNetwork, NetworkForm, SystemForm, SystemSettings } from './management-settings.ts';
export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, passwordProblem, USER_NAME_PATTERN, USER_NAME_RULE } from './user-rules.ts';
