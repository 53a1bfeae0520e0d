/** Reading app SIP text and the header rules applied to it (spec 6.3, 6.4). */
export { parseAppSipText, type AppSipMessage } from './app-message.js';
export {
  applyHeaderRules,
  appHeaderName,
  contentTypeFor,
  findAppHeader,
  rewriteLocalhost,
  type HeaderRulesContext,
} from './header-rules.js';
