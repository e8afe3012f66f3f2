// Loads every codec family so the registries are complete. Import this (not single families)
// wherever bytes of any kind may arrive.
import './pa-tnc/ietf';
import './pa-tnc/ita';
import './pa-tnc/tcg/seg';
import './pa-tnc/tcg/pts';
import './pa-tnc/swima';
import './pa-tnc/tnc-agent';
import './pb-tnc';
import './pt-tls';
