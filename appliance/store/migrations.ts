/**
 * The store's schema history. Append only: a released migration is never
 * edited, a change is a new entry. `PRAGMA user_version` records how far a
 * store has come.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'appliance meta and event journal',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE events (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        at              TEXT NOT NULL,
        source          TEXT NOT NULL,
        kind            TEXT NOT NULL,
        severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
        message         TEXT NOT NULL,
        data            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
        idempotency_key TEXT UNIQUE
      ) STRICT;
      CREATE INDEX events_by_kind ON events (kind, id);
    `,
  },
  {
    version: 2,
    name: 'controller: identities, access, hosts, audit and usage',
    sql: `
      CREATE TABLE projects (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL UNIQUE,
        password_hash TEXT,
        disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at    TEXT NOT NULL
      ) STRICT;

      -- scope is a project id, or '*' for the whole cloud (role cloud-admin only).
      CREATE TABLE role_bindings (
        user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope      TEXT NOT NULL,
        role       TEXT NOT NULL CHECK (role IN ('cloud-admin', 'admin', 'member', 'reader')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (user_id, scope),
        CHECK ((scope = '*') = (role = 'cloud-admin'))
      ) STRICT;
      CREATE INDEX role_bindings_by_scope ON role_bindings (scope);

      -- Only a hash of each secret is kept; the secret is shown once.
      CREATE TABLE tokens (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL CHECK (kind IN ('access', 'refresh', 'api-key')),
        user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        scope       TEXT NOT NULL,
        roles       TEXT NOT NULL CHECK (json_valid(roles)),
        name        TEXT NOT NULL DEFAULT '',
        parent_id   TEXT,
        created_at  TEXT NOT NULL,
        expires_at  TEXT,
        revoked_at  TEXT
      ) STRICT;
      CREATE INDEX tokens_by_user ON tokens (user_id, kind);

      CREATE TABLE join_tokens (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        max_uses    INTEGER NOT NULL CHECK (max_uses >= 1),
        uses        INTEGER NOT NULL DEFAULT 0,
        created_by  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        revoked_at  TEXT
      ) STRICT;

      -- A host is its key: id is derived from public_key, the address is just a record about it.
      CREATE TABLE hosts (
        id                TEXT PRIMARY KEY,
        public_key        TEXT NOT NULL,
        name              TEXT NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('pending', 'active', 'suspect', 'offline', 'retired', 'rejected')),
        addresses         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(addresses)),
        labels            TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(labels)),
        traits            TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(traits)),
        inventory         TEXT CHECK (inventory IS NULL OR json_valid(inventory)),
        health            TEXT CHECK (health IS NULL OR json_valid(health)),
        credential_hash   TEXT,
        certificate       TEXT,
        cert_not_after    TEXT,
        join_token_id     TEXT,
        approved_by       TEXT,
        agent_version     TEXT NOT NULL DEFAULT '',
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        enrolled_at       TEXT,
        last_heartbeat_at TEXT
      ) STRICT;
      CREATE INDEX hosts_by_state ON hosts (state);
      -- Every agent bus call looks its host up by credential.
      CREATE UNIQUE INDEX hosts_by_credential ON hosts (credential_hash) WHERE credential_hash IS NOT NULL;

      -- Signatures of enrolment requests already seen, so a captured one cannot be replayed.
      CREATE TABLE enrolment_replays (
        signature_hash TEXT PRIMARY KEY,
        expires_at     TEXT NOT NULL
      ) STRICT;

      CREATE TABLE audit_log (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,
        actor      TEXT NOT NULL,
        actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'api-key', 'host', 'system', 'anonymous')),
        action     TEXT NOT NULL,
        target     TEXT NOT NULL DEFAULT '',
        project_id TEXT,
        source     TEXT NOT NULL DEFAULT '',
        outcome    TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
        detail     TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))
      ) STRICT;
      CREATE INDEX audit_by_project ON audit_log (project_id, id);
      CREATE INDEX audit_by_action ON audit_log (action, id);

      CREATE TABLE usage_events (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,
        project_id TEXT NOT NULL,
        kind       TEXT NOT NULL,
        quantity   REAL NOT NULL,
        unit       TEXT NOT NULL,
        subject    TEXT NOT NULL DEFAULT '',
        data       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
      ) STRICT;
      CREATE INDEX usage_by_project ON usage_events (project_id, id);
    `,
  },
  {
    version: 3,
    name: 'boot: leases',
    sql: `
      -- dnsmasq's lease database (it runs with leasefile-ro): one lease per address, as in dnsmasq.
      CREATE TABLE leases (
        ip         TEXT PRIMARY KEY,
        mac        TEXT NOT NULL,
        hostname   TEXT,
        client_id  TEXT,
        expires_at INTEGER NOT NULL CHECK (expires_at >= 0), -- epoch seconds; 0 = never
        interface  TEXT,
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX leases_by_mac ON leases (mac);
    `,
  },
  {
    version: 4,
    name: 'hosts: the inventory hash beside the inventory',
    // Compared with every heartbeat's hash; kept so reads need not hash the inventory again.
    // Hosts enrolled before this have '' and are asked for their inventory once.
    sql: `ALTER TABLE hosts ADD COLUMN inventory_hash TEXT NOT NULL DEFAULT '';`,
  },
  {
    version: 5,
    name: 'boot: BMC settings per host, for fencing',
    // The password is only ever stored sealed (AES-GCM under <data-dir>/secrets/bmc.key, the host id as context).
    sql: `
      CREATE TABLE boot_bmcs (
        host_id         TEXT PRIMARY KEY,
        driver          TEXT NOT NULL CHECK (driver IN ('ipmi', 'redfish')),
        address         TEXT NOT NULL,  -- ipmi: host name or IP; redfish: https base URL
        port            INTEGER CHECK (port IS NULL OR port BETWEEN 1 AND 65535),
        username        TEXT NOT NULL,
        sealed_password TEXT NOT NULL,
        cipher_suite    INTEGER CHECK (cipher_suite IS NULL OR cipher_suite BETWEEN 0 AND 17),
        system_id       TEXT,           -- redfish: the member of /redfish/v1/Systems
        tls_fingerprint TEXT,           -- redfish: SHA-256 of the BMC certificate, when pinned
        tls_ca_pem      TEXT,           -- redfish: the CA that issued the BMC certificate
        updated_at      TEXT NOT NULL,
        CHECK (driver = 'ipmi' OR system_id IS NOT NULL),
        CHECK (driver = 'ipmi' OR tls_fingerprint IS NOT NULL OR tls_ca_pem IS NOT NULL)
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'compute: flavors, images, key pairs, server groups, instances and their events, quotas',
    // Ids are lower-case UUIDs. extra_specs is a JSON object ("trait:gpu": "required").
    // An image row exists from the start of its upload; sha256 and size are known once it is active.
    // Instances keep the controller's view (state) apart from what their host last reported (observed_*).
    sql: `
      CREATE TABLE flavors (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        vcpus       INTEGER NOT NULL CHECK (vcpus >= 1),
        memory_mib  INTEGER NOT NULL CHECK (memory_mib >= 64),
        disk_gib    INTEGER NOT NULL CHECK (disk_gib >= 1),
        extra_specs TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(extra_specs)),
        public      INTEGER NOT NULL DEFAULT 1 CHECK (public IN (0, 1)),
        created_at  TEXT NOT NULL
      ) STRICT;

      CREATE TABLE images (
        id         TEXT PRIMARY KEY,
        project_id TEXT,  -- NULL: public
        name       TEXT NOT NULL,
        format     TEXT NOT NULL CHECK (format IN ('qcow2', 'raw')),
        sha256     TEXT NOT NULL DEFAULT '',
        size_bytes INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
        status     TEXT NOT NULL CHECK (status IN ('uploading', 'active')),
        created_at TEXT NOT NULL,
        CHECK (status = 'uploading' OR (length(sha256) = 64 AND size_bytes > 0))
      ) STRICT;
      CREATE INDEX images_by_project ON images (project_id);

      CREATE TABLE key_pairs (
        project_id  TEXT NOT NULL,
        name        TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (project_id, name)
      ) STRICT;

      CREATE TABLE server_groups (
        id         TEXT PRIMARY KEY,
        project_id TEXT NOT NULL,
        name       TEXT NOT NULL,
        policy     TEXT NOT NULL CHECK (policy IN ('affinity', 'anti-affinity')),
        created_at TEXT NOT NULL,
        UNIQUE (project_id, name)
      ) STRICT;

      CREATE TABLE instances (
        id                TEXT PRIMARY KEY,
        project_id        TEXT NOT NULL,
        name              TEXT NOT NULL,
        flavor_id         TEXT NOT NULL REFERENCES flavors (id),
        image_id          TEXT NOT NULL REFERENCES images (id),
        host_id           TEXT,
        power             TEXT NOT NULL CHECK (power IN ('running', 'stopped')),
        reboot_generation INTEGER NOT NULL DEFAULT 0 CHECK (reboot_generation >= 0),
        state             TEXT NOT NULL CHECK (state IN ('scheduling', 'building', 'running', 'stopped', 'error', 'deleting')),
        observed_state    TEXT CHECK (observed_state IS NULL OR observed_state IN ('building', 'running', 'stopped', 'error', 'missing')),
        error             TEXT,
        console_tail      TEXT,
        observed_at       TEXT,
        server_group_id   TEXT REFERENCES server_groups (id),
        key_name          TEXT,
        ssh_key           TEXT,  -- the key pair's public key when the instance was made
        user_data         TEXT,
        priority          INTEGER NOT NULL DEFAULT 0,
        placement         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(placement)),
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        UNIQUE (project_id, name)
      ) STRICT;
      CREATE INDEX instances_by_host ON instances (host_id);
      CREATE INDEX instances_by_image ON instances (image_id);

      CREATE TABLE instance_events (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id TEXT NOT NULL,
        at          TEXT NOT NULL,
        kind        TEXT NOT NULL,
        message     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX instance_events_by_instance ON instance_events (instance_id, id);

      -- A project without a row has the defaults in code (services/controller/compute).
      CREATE TABLE quotas (
        project_id TEXT PRIMARY KEY,
        instances  INTEGER NOT NULL CHECK (instances >= 0),
        vcpus      INTEGER NOT NULL CHECK (vcpus >= 0),
        memory_mib INTEGER NOT NULL CHECK (memory_mib >= 0),
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: 'compute: evacuation of instances off a failed host, one row per instance',
    // The state of an instance's evacuation survives a controller restart, so
    // a move is never made twice nor forgotten (services/controller/compute/evacuation).
    sql: `
      CREATE TABLE instance_evacuations (
        instance_id    TEXT PRIMARY KEY,
        failed_host_id TEXT NOT NULL,
        phase          TEXT NOT NULL CHECK (phase IN ('fencing', 'unfenced', 'fenced', 'evacuated', 'unplaceable', 'abandoned')),
        fence_attempts INTEGER NOT NULL DEFAULT 0 CHECK (fence_attempts >= 0),
        next_fence_at  TEXT,
        target_host_id TEXT,
        reason         TEXT,
        started_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX instance_evacuations_by_host ON instance_evacuations (failed_host_id, phase);
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** The migrations a store at `current` still needs, in order. Pure. */
export function pendingMigrations(current: number, all: readonly Migration[] = MIGRATIONS): Migration[] {
  return all.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
}
