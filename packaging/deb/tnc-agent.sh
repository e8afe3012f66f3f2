#!/bin/sh
# tnc-agent with the Node.js runtime the package carries (the distribution's may be older), and
# V8 flags measured here (npm run bench -- --deb):
# - the server (--server-mode) runs --max-semi-space-size=2: a smaller young generation, so
#   short-lived message buffers are collected sooner; its peak RSS over 50,000 IMA entries falls by
#   a third (232 -> 143 MiB) and its CPU too, at the same handshakes/s; it keeps V8's helper
#   threads, whose concurrent collection serves many clients at once;
# - every other command (the daemon that strongSwan's imc-*.so talk to among them) runs
#   --single-threaded: a handshake is short, and without the helper threads costs less CPU in the
#   same wall time (a seed-size attest: 0.42 -> 0.35 s).
case " $* " in
  *" --server-mode "*) exec /usr/lib/tnc-agent/node --max-semi-space-size=2 /usr/lib/tnc-agent/bin/tnc-agent.js "$@" ;;
esac
exec /usr/lib/tnc-agent/node --single-threaded /usr/lib/tnc-agent/bin/tnc-agent.js "$@"
