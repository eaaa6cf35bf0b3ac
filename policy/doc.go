// Package policy makes fastscaler's scaling decisions. It is pure: Decide takes the configuration, this tick's
// load and service states, the previous State and the time, and returns a Decision and the next State. It imports
// no AWS SDK, no logger and never reads the wall clock, so the daemon, the tests and the simulator all run the very
// same decisions.
//
// The modes, per tick:
//
//	start ─▶ warmup ──first valid data──▶ steady ◀─────────────────────────────┐
//	                                        │ short ≥ SurgeRatio × baseline    │ ScaleInCooldown since the
//	                                        │ and short ≥ SurgeMinRPS          │ last scale-out or floor end
//	                                        ▼                                  │
//	                                      surge ──condition false for────▶ cooldown
//	                                      sized for the load  SurgeHold    no scale-in
//	                                      LeadTime ahead
//
//	any mode, no valid data this tick ─▶ nodata: hold every count (a pre-scale floor may still raise one)
//
// Scale-out happens at once in every mode. Scale-in happens only in steady mode, only when at least MinCoverage of
// the router tasks reported this tick, only after the windows have filled since start, only to the highest
// recommendation seen over the Stabilization window, and by at most ScaleInStep of the fleet per ScaleInInterval.
package policy
