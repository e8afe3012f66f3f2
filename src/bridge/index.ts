export { startBridgeServer, DEFAULT_BRIDGE_SOCKET, type BridgeServer, type BridgeServerOptions } from './server';
