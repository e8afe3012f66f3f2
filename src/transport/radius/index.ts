export { startRadiusServer, type RadiusServer, type RadiusServerOptions, type RadiusStats } from './server';
export { PtEapChannel, PT_EAP_MAX_BATCH } from './pt-eap-channel';
