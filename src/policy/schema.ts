import type { Db } from '../db/engine';
import { migrateDb, type Migration } from '../db/migrate';

export class PolicyStoreError extends Error {
  override readonly name = 'PolicyStoreError';
}

// Our own schema, informed by strongSwan's src/libimcv/imv/tables.sql. Times are Unix seconds;
// recommendations and evaluations are the IF-IMV numbers (src/tnccs/types.ts).
const V1_CORE = `
CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE devices (
  id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE, product INTEGER REFERENCES products(id),
  trusted INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '');
CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, parent INTEGER REFERENCES groups(id));
CREATE TABLE groups_members (
  group_id INTEGER NOT NULL REFERENCES groups(id), device_id INTEGER NOT NULL REFERENCES devices(id),
  PRIMARY KEY (device_id, group_id));
CREATE TABLE groups_product_defaults (
  group_id INTEGER NOT NULL REFERENCES groups(id), product_id INTEGER NOT NULL REFERENCES products(id),
  PRIMARY KEY (product_id, group_id));
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY, time INTEGER NOT NULL, connection INTEGER NOT NULL, identity TEXT,
  device INTEGER REFERENCES devices(id), product INTEGER REFERENCES products(id), rec INTEGER NOT NULL DEFAULT 3);
CREATE INDEX sessions_device ON sessions(device, time);
CREATE TABLE directories (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE files (
  id INTEGER PRIMARY KEY, dir INTEGER NOT NULL REFERENCES directories(id), name TEXT NOT NULL, UNIQUE (dir, name));
CREATE TABLE policies (
  id INTEGER PRIMARY KEY, type INTEGER NOT NULL, name TEXT NOT NULL UNIQUE, argument TEXT NOT NULL DEFAULT '',
  rec_fail INTEGER NOT NULL DEFAULT 1, rec_noresult INTEGER NOT NULL DEFAULT 3,
  file INTEGER REFERENCES files(id), dir INTEGER REFERENCES directories(id));
CREATE TABLE enforcements (
  id INTEGER PRIMARY KEY, policy INTEGER NOT NULL REFERENCES policies(id), group_id INTEGER NOT NULL REFERENCES groups(id),
  rec_fail INTEGER, rec_noresult INTEGER, max_age INTEGER NOT NULL DEFAULT 0, UNIQUE (group_id, policy));
CREATE TABLE workitems (
  id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions(id),
  enforcement INTEGER NOT NULL REFERENCES enforcements(id), type INTEGER NOT NULL,
  arg_str TEXT NOT NULL DEFAULT '', arg_int INTEGER NOT NULL DEFAULT 0,
  rec_fail INTEGER NOT NULL, rec_noresult INTEGER NOT NULL, rec_final INTEGER, result TEXT);
CREATE INDEX workitems_session ON workitems(session, type);
CREATE TABLE results (
  id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions(id), policy INTEGER NOT NULL REFERENCES policies(id),
  rec INTEGER NOT NULL, result TEXT NOT NULL DEFAULT '');
CREATE INDEX results_policy ON results(policy, rec, session);
CREATE INDEX results_session ON results(session);
INSERT INTO groups (name) VALUES ('Default');
`;

// Tables the package, SWIMA and attestation IMVs fill; indexed on what they look up.
const V1_EVIDENCE = `
CREATE TABLE packages (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, blocklisted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE versions (
  id INTEGER PRIMARY KEY, product INTEGER NOT NULL REFERENCES products(id), package INTEGER NOT NULL REFERENCES packages(id),
  release TEXT NOT NULL, security INTEGER NOT NULL DEFAULT 0, blocklisted INTEGER NOT NULL DEFAULT 0, time INTEGER NOT NULL,
  UNIQUE (product, package, release));
CREATE TABLE sw_events (
  id INTEGER PRIMARY KEY, device INTEGER NOT NULL REFERENCES devices(id), epoch INTEGER NOT NULL, eid INTEGER NOT NULL,
  timestamp TEXT NOT NULL, UNIQUE (device, epoch, eid));
CREATE INDEX sw_events_device_latest ON sw_events(device, id);
-- algo = PTS measurement algorithm bit (32768 SHA-1, 16384 SHA-256, 8192 SHA-384, 4096 SHA-512)
CREATE TABLE file_hashes (
  id INTEGER PRIMARY KEY, file INTEGER NOT NULL REFERENCES files(id), product INTEGER NOT NULL REFERENCES products(id),
  algo INTEGER NOT NULL, hash BLOB NOT NULL);
-- strongSwan's tables.sql has no index for the IMA lookup (pts_database.c); this is that lookup's key.
CREATE UNIQUE INDEX file_hashes_lookup ON file_hashes(product, file, algo, hash);
CREATE TABLE components (
  id INTEGER PRIMARY KEY, vendor_id INTEGER NOT NULL, name INTEGER NOT NULL, qualifier INTEGER NOT NULL,
  label TEXT NOT NULL, UNIQUE (vendor_id, name, qualifier));
-- strongSwan's data.sql: ITA-HSR (36906) functional components; the label is the TPMRA argument letter
INSERT INTO components (vendor_id, name, qualifier, label) VALUES
  (36906, 1, 33, 'G'), (36906, 2, 33, 'T'), (36906, 3, 33, 'B'), (36906, 3, 34, 'I');
CREATE TABLE component_hashes (
  device INTEGER NOT NULL REFERENCES devices(id), component INTEGER NOT NULL REFERENCES components(id),
  seq_no INTEGER NOT NULL, pcr INTEGER NOT NULL, algo INTEGER NOT NULL, hash BLOB NOT NULL,
  PRIMARY KEY (device, component, algo, seq_no));
`;

// SWIMA IMV (src/policy/swima.ts): the device's inventory as of (epoch, last EID), and the
// software records of each reported event (sw_events holds one row per EID; an EID may carry several records).
const V2_SWIMA = `
CREATE TABLE sw_state (
  device INTEGER PRIMARY KEY REFERENCES devices(id), epoch INTEGER NOT NULL, last_eid INTEGER NOT NULL, time INTEGER NOT NULL);
CREATE TABLE sw_inventory (
  device INTEGER NOT NULL REFERENCES devices(id), sw_id TEXT NOT NULL, source INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (device, sw_id));
CREATE TABLE sw_event_records (
  id INTEGER PRIMARY KEY, device INTEGER NOT NULL REFERENCES devices(id), epoch INTEGER NOT NULL, eid INTEGER NOT NULL,
  action INTEGER NOT NULL, sw_id TEXT NOT NULL);
CREATE INDEX sw_event_records_device ON sw_event_records(device, epoch, eid);
`;

// What the lab dashboard shows beside the policy tables: each PB-TNC handshake (transport, peer
// identity, start and end in milliseconds, merged verdict and reasons as JSON), each IMV's verdict in it,
// the policy sessions it ran, and the IMA file results of an attestation that were not ok.
const V3_HANDSHAKES = `
CREATE TABLE handshakes (
  id INTEGER PRIMARY KEY, connection INTEGER NOT NULL, transport TEXT NOT NULL, identity TEXT,
  started_ms INTEGER NOT NULL, ended_ms INTEGER, rec INTEGER, evaluation INTEGER, reasons TEXT NOT NULL DEFAULT '[]');
CREATE INDEX handshakes_started ON handshakes(started_ms);
CREATE TABLE handshake_imvs (
  handshake INTEGER NOT NULL REFERENCES handshakes(id), imv_id INTEGER NOT NULL, imv TEXT NOT NULL,
  rec INTEGER NOT NULL, evaluation INTEGER NOT NULL, reason TEXT, PRIMARY KEY (handshake, imv_id));
ALTER TABLE sessions ADD COLUMN handshake INTEGER REFERENCES handshakes(id);
CREATE INDEX sessions_handshake ON sessions(handshake);
CREATE TABLE ima_results (
  id INTEGER PRIMARY KEY, session INTEGER NOT NULL REFERENCES sessions(id), path TEXT NOT NULL,
  verdict TEXT NOT NULL, algorithm TEXT, measurement BLOB);
CREATE INDEX ima_results_session ON ima_results(session);
`;

// The Attestation IMV's reference lookup (attestation.ts referenceHashes) reads only indexes: on
// PostgreSQL an index must hold the id it joins on (SQLite's indexes hold the rowid anyway).
const V4_LOOKUP_INDEXES = `
CREATE UNIQUE INDEX directories_path_id ON directories(path, id);
CREATE UNIQUE INDEX files_dir_name_id ON files(dir, name, id);
`;

// The IMA signing keys the Attestation IMV checks ima-sig signatures with (src/policy/ima-keys.ts):
// the key id as signatures name it (signature_v2_hdr keyid, hex), the public key (DER
// SubjectPublicKeyInfo, unique), and the certificate it came in (DER) with its subject and expiry.
const V5_IMA_KEYS = `
CREATE TABLE ima_keys (
  id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, spki BLOB NOT NULL UNIQUE, certificate BLOB, subject TEXT,
  not_after TEXT, source TEXT NOT NULL, added INTEGER NOT NULL);
CREATE INDEX ima_keys_key_id ON ima_keys(key_id);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'policy core and evidence tables', sql: V1_CORE + V1_EVIDENCE },
  { version: 2, description: 'SWIMA inventory and event records per device', sql: V2_SWIMA },
  {
    version: 3,
    description: 'handshakes, per-IMV verdicts and IMA file results for the dashboard',
    sql: V3_HANDSHAKES,
  },
  { version: 4, description: 'covering indexes for index-only reference hash lookups', sql: V4_LOOKUP_INDEXES },
  { version: 5, description: 'IMA signing keys', sql: V5_IMA_KEYS },
];

/** Brings the policy database to the newest schema on either engine (src/db/migrate.ts); returns the version. */
export const migrate = (db: Db, migrations: readonly Migration[] = MIGRATIONS, now?: number): Promise<number> =>
  migrateDb(db, migrations, { what: 'policy database', now, tooNew: (m) => new PolicyStoreError(m) });
