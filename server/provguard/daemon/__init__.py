"""A resident provguard that answers agents' guard and hook calls over a Unix-domain socket.

An agent waits for every `provguard guard` and `provguard hook` call, and most of such a call's time is the
interpreter starting and importing the analysis core. A daemon that already holds both answers in about a
millisecond; the calling process then only forwards its stdin, environment and working folder and writes
back what it is told. Whatever goes wrong on that path, the call is judged in-process as before. For
`provguard serve` the daemon is a fork server: a child that already holds the language server serves the
session on the caller's own standard streams (fork.py, session.py).

The client side (`client`, `session`, `wire`, `place`, `peer`, `spawn`) imports only what the interpreter has
loaded at start-up plus `_socket` (and `_signal`): that is the whole point of it.
"""
