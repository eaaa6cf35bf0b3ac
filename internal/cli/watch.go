package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ANSI control sequences of the in-place redraw.
const (
	ansiHome        = "\x1b[H"  // cursor to the top left corner
	ansiClearScreen = "\x1b[2J" // erase the whole screen
	ansiClearLine   = "\x1b[K"  // erase from the cursor to the end of the line
	ansiClearBelow  = "\x1b[J"  // erase from the cursor to the end of the screen
)

// watchStatus writes a status snapshot now and then every interval of env's clock until ctx ends (Ctrl-C,
// SIGTERM), and then returns nil. A failed read is shown in its snapshot; only a failed write ends the watch.
// Each snapshot is one Write: redrawn in place on a terminal, appended otherwise (one line each with asJSON).
func watchStatus(ctx context.Context, env Env, src statusSource, interval time.Duration, asJSON bool) error {
	clk := env.clock()
	tick := clk.NewTicker(interval)
	defer tick.Stop()
	inPlace := !asJSON && env.terminal()
	for n := 0; ; n++ {
		now := clk.Now()
		rep, err := src.read(ctx, now)
		if ctx.Err() != nil {
			return nil // interrupted while reading: the error is ours, not AWS's
		}
		if err != nil {
			rep.Error = explainAWS(err).Error()
		}
		var b bytes.Buffer
		switch {
		case asJSON:
			if err := json.NewEncoder(&b).Encode(rep); err != nil {
				return fmt.Errorf("encoding the status: %w", err)
			}
		case inPlace:
			printStatus(&b, rep, now)
			fmt.Fprintf(&b, "\nrefreshing every %s; Ctrl-C to stop\n", interval)
		default:
			if n > 0 {
				b.WriteByte('\n')
			}
			printStatus(&b, rep, now)
		}
		out := b.Bytes()
		if inPlace {
			out = redraw(out, n == 0)
		}
		if _, err := env.Stdout.Write(out); err != nil {
			return fmt.Errorf("writing the status: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C():
		}
	}
}

// redraw returns frame drawn over the previous one: from the top left corner, each line erased to its end, then
// the rest of the screen erased, so a shorter frame leaves nothing behind. The first frame clears the screen.
func redraw(frame []byte, first bool) []byte {
	var b bytes.Buffer
	if first {
		b.WriteString(ansiClearScreen)
	}
	b.WriteString(ansiHome)
	b.Write(bytes.ReplaceAll(frame, []byte("\n"), []byte(ansiClearLine+"\n")))
	b.WriteString(ansiClearBelow)
	return b.Bytes()
}
