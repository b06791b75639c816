"""What every channel simulator shares: the simulated clock, the state store with its lock, events, RNG streams
and persistence, injected faults, rate limits (token buckets), the /_sim/ control API base and process control
(run a simulator as a server or a subprocess). A channel package (``sandbox/amazon``, a future ``sandbox/ebay``)
adds its own state, API families and control routes on top. Like the simulators, this package never imports
product code."""
