// Loads every codec family so the registries are complete. Import this (not single families)
// wherever bytes of any kind may arrive.
import './pa-tnc/ietf';
import './pa-tnc/tcg/pts';
import './pa-tnc/swima';
import './pb-tnc';
