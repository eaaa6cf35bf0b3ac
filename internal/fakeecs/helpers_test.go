package fakeecs_test

import (
	"errors"
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

const (
	region    = "us-east-1"
	account   = "123456789012"
	arnPrefix = "arn:aws:ecs:" + region + ":" + account + ":"
)

// t0 is a whole second, so that epoch-second timestamps survive the wire exactly.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a manually stepped clock for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// start serves s on loopback for the duration of the test.
func start(t *testing.T, s *fakeecs.Server) string {
	t.Helper()
	url, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	return url
}

// newClient returns the real SDK client aimed at url, with the standard retryer minus its jittered sleeps so
// that retry tests stay fast.
func newClient(url string) *ecs.Client {
	return ecs.New(ecs.Options{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKEECS", "fake-secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

// cmpSDK compares SDK types: their unexported serde markers are ignored, and nil equals empty, because the
// SDK decodes absent lists as empty ones.
var cmpSDK = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && !token.IsExported(sf.Name())
	}, cmp.Ignore()),
	cmpopts.EquateEmpty(),
}

// wantAPIError fails unless err is the typed ECS error E and its message contains substr.
func wantAPIError[E error](t *testing.T, err error, substr string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("error = %v, want %T", err, target)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("error = %q, want it to mention %q", err, substr)
	}
}

// wantMatch fails unless s matches the regular expression.
func wantMatch(t *testing.T, what, s, expr string) {
	t.Helper()
	if !regexp.MustCompile(expr).MatchString(s) {
		t.Errorf("%s = %q, want a match for %s", what, s, expr)
	}
}

// wantPanic fails unless f panics with a message containing substr.
func wantPanic(t *testing.T, substr string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want one mentioning %q", substr)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, substr) {
			t.Errorf("panic %q, want it to mention %q", msg, substr)
		}
	}()
	f()
}

// addressOf gives each service its own /24 and every task n the host n+1, so tests can predict addresses.
func addressOf(service string, n int) string {
	switch service {
	case "api6":
		return fmt.Sprintf("fd00:6::%x", n+1)
	case "dual":
		return fmt.Sprintf("10.2.0.%d,fd00:2::%x", n+1, n+1)
	default:
		return fmt.Sprintf("10.1.0.%d", n+1)
	}
}

func ptr[T any](v T) *T { return &v }
