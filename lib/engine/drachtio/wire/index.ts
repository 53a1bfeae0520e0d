/** The drachtio control channel (spec 1-5) and the S->A frame builders (6.5, 7, 9.2, 10). */
export { ControlServer, type ControlServerOptions } from './control-server.js';
export { RouteTable } from './route-table.js';
export { SocketAppConnection } from './app-connection.js';
export { FrameDecoder, FrameError, encode, encodeString, DEFAULT_MAX_FRAME_BYTES } from './frame-codec.js';
export * from './frames.js';
