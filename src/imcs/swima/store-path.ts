/** Where the SWIMA event store lives unless configured (a module of its own: naming it loads no SQLite). */
export const DEFAULT_STORE_PATH = '/var/lib/tnc-agent/swima.db';
