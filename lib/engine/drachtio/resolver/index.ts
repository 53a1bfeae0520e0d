/** RFC 3263 next-hop resolution and RFC 2782 SRV ordering. */
export { DnsResolver, defaultPort, type DnsResolverOptions } from './dns-resolver.js';
export { systemDnsLookups, type DnsLookups, type NaptrRecord, type SrvRecord } from './dns-lookups.js';
export { StaticLookups, type StaticRecords } from './static-lookups.js';
export { CachingLookups, type CacheOptions } from './caching-lookups.js';
export { orderSrv, type RandomSource, type SrvLike } from '../../../common/srv-order.js';
export { isIpLiteral, stripBrackets } from './ip-literal.js';
