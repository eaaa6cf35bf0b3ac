// Package awstest builds real AWS SDK clients for tests against the wire fakes (fakeecs, fakeaas, fakecw)
// and moto, and holds the assertions their tests share.
package awstest

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Region is the region of Config's clients, and the fakes' default one.
const Region = "us-east-1"

// Config is the configuration of an SDK client for the endpoint url, e.g. ecs.NewFromConfig(awstest.Config(url)):
// us-east-1, static credentials, nothing read from the machine, and the standard retryer without its
// jittered sleeps, so that retry tests take no wall-clock time while going through the SDK's real retry
// decisions.
func Config(url string) aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "test-secret", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.Backoff = noBackoff{} })
		},
	}
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// CmpSDK compares SDK types: their unexported serde markers are ignored, and nil equals empty, because the
// SDK decodes absent lists as empty ones.
var CmpSDK = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && !token.IsExported(sf.Name())
	}, cmp.Ignore()),
	cmpopts.EquateEmpty(),
}

// WantAPIError fails unless err is the typed SDK error E and its message contains substr.
func WantAPIError[E error](t *testing.T, err error, substr string) {
	t.Helper()
	var target E
	if !errors.As(err, &target) {
		t.Fatalf("error = %v, want %T", err, target)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("error = %q, want it to mention %q", err, substr)
	}
}

// WantMatch fails unless s matches the regular expression expr; what names s in the message.
func WantMatch(t *testing.T, what, s, expr string) {
	t.Helper()
	if !regexp.MustCompile(expr).MatchString(s) {
		t.Errorf("%s = %q, want a match for %s", what, s, expr)
	}
}

// WantPanic fails unless f panics with a message containing substr.
func WantPanic(t *testing.T, substr string, f func()) {
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

// Raw is a hand-built awsJson1_1 request, for what the SDK cannot send: broken envelopes and bodies.
type Raw struct {
	Method, Target, ContentType, Auth, Body string
}

// Do sends r to url, bypassing the SDK, and returns the status, the decoded JSON body and the headers.
func Do(t *testing.T, url string, r Raw) (int, map[string]any, http.Header) {
	t.Helper()
	if r.Method == "" {
		r.Method = http.MethodPost
	}
	req, err := http.NewRequest(r.Method, url+"/", strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"X-Amz-Target": r.Target, "Content-Type": r.ContentType, "Authorization": r.Auth} {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("response %q is not a JSON object: %v", raw, err)
	}
	return resp.StatusCode, body, resp.Header
}

// Auth is a SigV4 Authorization header scoped to region and service, as the SDK signs; the fakes do not
// check the signature itself.
func Auth(region, service string) string {
	return "AWS4-HMAC-SHA256 Credential=AKIDTEST/20250301/" + region + "/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
}

// IsolateEnv points the SDK's default configuration chain (config.LoadDefaultConfig) away from the machine
// for the rest of the test: static credentials, us-east-1, no shared config files, no IMDS, no endpoint
// overrides; then it sets extra, e.g. {"AWS_ENDPOINT_URL_ECS": url}.
func IsolateEnv(t *testing.T, extra map[string]string) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "absent")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":                         "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":                     "test-secret",
		"AWS_SESSION_TOKEN":                         "",
		"AWS_REGION":                                Region,
		"AWS_PROFILE":                               "",
		"AWS_EC2_METADATA_DISABLED":                 "true",
		"AWS_CONFIG_FILE":                           none,
		"AWS_SHARED_CREDENTIALS_FILE":               none,
		"AWS_ENDPOINT_URL":                          "",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS":       "",
		"AWS_ENDPOINT_URL_ECS":                      "",
		"AWS_ENDPOINT_URL_CLOUDWATCH":               "",
		"AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING": "",
	} {
		t.Setenv(k, v)
	}
	for k, v := range extra {
		t.Setenv(k, v)
	}
}

// WantJSONError sends r to url and fails unless the answer is an awsJson1_1 error with the given status and
// __type, whose message mentions msg.
func WantJSONError(t *testing.T, url string, r Raw, status int, typ, msg string) {
	t.Helper()
	got, body, header := Do(t, url, r)
	if got != status || body["__type"] != typ {
		t.Errorf("got %d %v, want %d %s", got, body["__type"], status, typ)
	}
	if m, _ := body["message"].(string); !strings.Contains(m, msg) {
		t.Errorf("message %q, want it to mention %q", m, msg)
	}
	if ct := header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("Content-Type %q, want application/x-amz-json-1.1", ct)
	}
}

// Start serves fake on loopback for the rest of the test (or benchmark run) t and returns its base URL.
func Start(t interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}, fake interface {
	Start() (string, error)
	Close()
}) string {
	t.Helper()
	url, err := fake.Start()
	if err != nil {
		t.Fatal(fmt.Errorf("starting %T: %w", fake, err))
	}
	t.Cleanup(fake.Close)
	return url
}

// Concurrently runs every worker for rounds rounds (i counting from 0), all at once, and reports their
// errors; run with -race it checks a fake's locking.
func Concurrently(t *testing.T, rounds int, workers ...func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(workers)*rounds)
	for _, f := range workers {
		wg.Go(func() {
			for i := range rounds {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
}

// JSONService is an awsJson1_1 service as a test hand-builds requests to it: its X-Amz-Target prefix and its
// SigV4 service name, e.g. {"AmazonEC2ContainerServiceV20141113.", "ecs"}.
type JSONService struct{ TargetPrefix, SigningName string }

// Raw is a request for op with body as the SDK would send it: POST, the target, the content type and a
// SigV4 Authorization for Region.
func (svc JSONService) Raw(op, body string) Raw {
	return Raw{Target: svc.TargetPrefix + op, ContentType: "application/x-amz-json-1.1", Auth: Auth(Region, svc.SigningName), Body: body}
}

// Post sends op with body to url (Raw) and returns the decoded response; it fails unless the status is 200
// and the response has a request ID.
func (svc JSONService) Post(t *testing.T, url, op, body string) map[string]any {
	t.Helper()
	status, out, header := Do(t, url, svc.Raw(op, body))
	if status != http.StatusOK {
		t.Fatalf("%s: status %d, body %v", op, status, out)
	}
	if header.Get("X-Amzn-Requestid") == "" {
		t.Errorf("%s: no x-amzn-RequestId header", op)
	}
	return out
}

// ErrorCase is a hand-built request and the awsJson1_1 error it must get.
type ErrorCase struct {
	Name         string
	Req          Raw
	Status       int
	Type, Substr string // the __type, and what the message must mention
}

// WantJSONErrors sends every case to url, each in a subtest (WantJSONError).
func WantJSONErrors(t *testing.T, url string, cases []ErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) { WantJSONError(t, url, tc.Req, tc.Status, tc.Type, tc.Substr) })
	}
}
