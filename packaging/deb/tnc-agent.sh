#!/bin/sh
# tnc-agent with the Node.js runtime the package carries (the distribution's may be older).
# The agent's commands (the daemon that strongSwan's imc-*.so talk to among them) run V8 without
# its helper threads (--single-threaded): a handshake is short, and so costs less CPU in the same
# wall time (a seed-size attest here: 0.42 -> 0.35 s). The server keeps them: its concurrent
# garbage collection serves many clients at once.
case " $* " in
  *" --server-mode "*) exec /usr/lib/tnc-agent/node /usr/lib/tnc-agent/bin/tnc-agent.js "$@" ;;
esac
exec /usr/lib/tnc-agent/node --single-threaded /usr/lib/tnc-agent/bin/tnc-agent.js "$@"
