#!/usr/bin/env bash
# Builds the one native helper (native/sockopt: IP_TOS for DSCP marking of SIP signalling, which Node cannot set).
# Optional: without a C compiler the node still runs and sends signalling unmarked (it logs that at start).
set -u
cd "$(dirname "$0")/.."
if [ -f native/sockopt/build/Release/sockopt.node ] && [ native/sockopt/build/Release/sockopt.node -nt native/sockopt/sockopt.c ]; then
  exit 0
fi
if npx --no-install node-gyp rebuild -C native/sockopt >native/sockopt/build.log 2>&1 \
  || node "$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js" rebuild -C native/sockopt >>native/sockopt/build.log 2>&1; then
  exit 0
fi
echo "sipedge: native/sockopt not built (needs python3, make, g++): SIP signalling will not be DSCP-marked; see native/sockopt/build.log" >&2
exit 0
