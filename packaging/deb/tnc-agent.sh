#!/bin/sh
# tnc-agent with the Node.js runtime the package carries (the distribution's may be older).
exec /usr/lib/tnc-agent/node /usr/lib/tnc-agent/bin/tnc-agent.js "$@"
