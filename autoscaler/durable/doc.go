// Package durable is the codec of the state fastscaler keeps in ECS service tags: pre-scale floors, pauses, the
// daemon's last changes and its record of the Application Auto Scaling MinCapacity it raised. Decode reads a
// service's tags into a State; the intent-level operations (SetFloor, EndFloor, Pause, Resume, RecordChange,
// RecordAASMove, ...) return the Edit that makes them, which the caller applies through a Tagger. No other package
// spells a tag key. The key names and value formats are a wire format: running clusters hold them.
package durable
