/** Public API of the SIP message model. */
export type * from './types.js';
export { SipMessage, SipRequest, SipResponse, type AnySipMessage } from './message.js';
export { parseMessage, DEFAULT_MAX_HEADERS, type ParseOptions } from './parser.js';
export { serializeMessage, messageToString } from './serializer.js';
export { createResponse, createAckForNonSuccess, createCancel, type ResponseOptions } from './response-factory.js';
export { reasonPhrase } from './status-reasons.js';
export { generateBranch, generateTag, generateCallId, BRANCH_COOKIE } from './ids.js';
export { parseUri, tryParseUri, formatUri, unescapeUriComponent } from './uri.js';
export { parseNameAddr, tryParseNameAddr, formatNameAddr } from './name-addr.js';
export { parseVia, tryParseVia, formatVia } from './via.js';
export { tryParseCSeq, formatCSeq, MAX_CSEQ } from './cseq.js';
export { parseHeaderParams, formatParams } from './params.js';
export { headerKey, canonicalName, knownHeaderName, expandCompact, isListHeader, isSingletonHeader } from './header-names.js';
export { splitCommaList, quote, unquote } from './lexical.js';
export {
  checkUriScheme,
  checkRequire,
  checkProxyRequire,
  checkMaxForwards,
  checkContentType,
  checkAcceptsSdp,
  checkRegisterAor,
  DEFAULT_URI_SCHEMES,
  type CheckFailure,
} from './request-checks.js';
