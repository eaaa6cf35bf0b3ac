// Package trace is the one file format of an offered load: CSV rows of `time,rps` under that header, the times
// all RFC 3339 or all seconds from the start. `fastscaler calibrate --export-trace` writes it (Writer) and
// `fastscaler simulate --trace` reads it (Read), so what one exports the other replays; files headed the older
// `seconds,rps`, or without a header, read the same.
package trace
