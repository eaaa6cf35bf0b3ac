package autoscaler

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// ParseLogLevel parses debug, info, warn or error.
func ParseLogLevel(s string) (zapcore.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return zapcore.DebugLevel, nil
	case "info", "":
		return zapcore.InfoLevel, nil
	case "warn", "warning":
		return zapcore.WarnLevel, nil
	case "error":
		return zapcore.ErrorLevel, nil
	}
	return zapcore.InfoLevel, fmt.Errorf("%q is not one of debug, info, warn, error", s)
}

// NewLogger returns a JSON logger at the given level writing to stderr, with RFC 3339 timestamps.
func NewLogger(level string) (*zap.Logger, error) {
	lvl, err := ParseLogLevel(level)
	if err != nil {
		return nil, err
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.EncoderConfig.TimeKey = "time"
	cfg.EncoderConfig.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	cfg.EncoderConfig.EncodeDuration = zapcore.StringDurationEncoder
	cfg.Sampling = nil // every scaling decision must be logged; per-target noise is rate-limited by us
	return cfg.Build()
}

// warnEvery is how often, at most, a limiter logs the warning of one key.
const warnEvery = 30 * time.Second

// limiter logs a message at most once per warnEvery per key; it is safe for concurrent use.
type limiter struct {
	log  *zap.Logger
	mu   sync.Mutex
	last map[string]time.Time
}

func (w *limiter) allow(key string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if last, ok := w.last[key]; ok && now.Sub(last) < warnEvery && !now.Before(last) {
		return false
	}
	w.last[key] = now
	for k, at := range w.last {
		if now.Sub(at) > 10*warnEvery {
			delete(w.last, k)
		}
	}
	return true
}

func (w *limiter) warn(key string, now time.Time, msg string, fields ...zap.Field) {
	if w.allow(key, now) {
		w.log.Warn(msg, fields...)
	}
}

func (w *limiter) error(key string, now time.Time, msg string, fields ...zap.Field) {
	if w.allow(key, now) {
		w.log.Error(msg, fields...)
	}
}
