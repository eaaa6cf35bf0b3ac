package awsfake_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	aas "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awsfake"
	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fakecw"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

// plumbing is what every fake gets from awsfake.Core.
type plumbing interface {
	http.Handler
	Start() (string, error)
	Close()
	FailNext(op, errorCode string, httpStatus, times int)
	SetThrottle(op string, fraction float64)
	SetLatency(d time.Duration)
	SetOpLatency(op string, d time.Duration)
	ClearFaults()
}

// served is a fake under test, with one operation to call through its real SDK client.
type served struct {
	fake  plumbing
	call  func(ctx context.Context, cfg aws.Config) error // calls op through the SDK client made from cfg
	codes func() []string                                 // the error code of every call recorded, "" for a success
}

// wireFake describes one fake for the tests that every fake must pass alike.
type wireFake struct {
	name     string
	op       string // the operation call makes
	other    string // another operation of the fake
	endpoint string // the variable that points LoadDefaultConfig's clients at the fake
	// FailNext codes: a throttle and a server error, which the SDK retries, and a client error, which it
	// does not and which comes back as the typed error clientTyped finds.
	throttle, server, client string
	clientTyped              func(error) bool
	new                      func() served
}

var fakes = []wireFake{
	{
		name: "fakeecs", op: "DescribeServices", other: "UpdateService", endpoint: "AWS_ENDPOINT_URL_ECS",
		throttle: "ThrottlingException", server: "ServerException", client: "AccessDeniedException",
		clientTyped: func(err error) bool { var e *ecstypes.AccessDeniedException; return errors.As(err, &e) },
		new: func() served {
			s := fakeecs.New(fakeecs.Options{})
			s.AddService("prod", "router", 2, nil)
			return served{s, func(ctx context.Context, cfg aws.Config) error {
				_, err := ecs.NewFromConfig(cfg).DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"router"}})
				return err
			}, func() (out []string) {
				for _, c := range s.Calls() {
					out = append(out, c.Err)
				}
				return out
			}}
		},
	},
	{
		name: "fakeaas", op: "DescribeScalableTargets", other: "RegisterScalableTarget", endpoint: "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
		throttle: "ThrottlingException", server: "InternalServiceException", client: "ConcurrentUpdateException",
		clientTyped: func(err error) bool { var e *aastypes.ConcurrentUpdateException; return errors.As(err, &e) },
		new: func() served {
			s := fakeaas.New(fakeaas.Options{})
			s.AddTarget("service/prod/router", 2, 10)
			return served{s, func(ctx context.Context, cfg aws.Config) error {
				_, err := aas.NewFromConfig(cfg).DescribeScalableTargets(ctx, &aas.DescribeScalableTargetsInput{ServiceNamespace: aastypes.ServiceNamespaceEcs})
				return err
			}, func() (out []string) {
				for _, c := range s.Calls() {
					out = append(out, c.Err)
				}
				return out
			}}
		},
	},
	{
		name: "fakecw", op: fakecw.OpPutMetricData, other: fakecw.OpGetMetricData, endpoint: "AWS_ENDPOINT_URL_CLOUDWATCH",
		throttle: "Throttling", server: "InternalServiceFault", client: "InvalidParameterValueException",
		clientTyped: func(err error) bool { var e *cwtypes.InvalidParameterValueException; return errors.As(err, &e) },
		new: func() served {
			s := fakecw.New(fakecw.Options{})
			return served{s, func(ctx context.Context, cfg aws.Config) error {
				_, err := cloudwatch.NewFromConfig(cfg).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
					Namespace: aws.String("App"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("m"), Value: aws.Float64(1)}},
				})
				return err
			}, func() (out []string) {
				for _, c := range s.Calls() {
					out = append(out, c.Code)
				}
				return out
			}}
		},
	},
}

// eachFake runs test in a subtest for every fake, started, with a client configuration for it.
func eachFake(t *testing.T, test func(t *testing.T, wf wireFake, f served, cfg aws.Config)) {
	for _, wf := range fakes {
		t.Run(wf.name, func(t *testing.T) {
			f := wf.new()
			test(t, wf, f, awstest.Config(awstest.Start(t, f.fake)))
		})
	}
}

func TestFailNext(t *testing.T) {
	for _, wf := range fakes {
		tests := []struct {
			name          string
			op, code      string
			status, times int
			wantErr       func(*testing.T, error) // nil: the SDK retries its way to success
			want          []string                // the error code of every attempt recorded
		}{
			{name: "throttling is retried by the SDK", op: wf.op, code: wf.throttle, status: 400, times: 2,
				want: []string{wf.throttle, wf.throttle, ""}},
			{name: "a server error is retried, with the code's usual status", op: wf.op, code: wf.server, times: 1,
				want: []string{wf.server, ""}},
			{name: "a client error is not retried", op: "", code: wf.client, status: 400, times: 1,
				wantErr: func(t *testing.T, err error) {
					if !wf.clientTyped(err) || !strings.Contains(err.Error(), "injected by FailNext") {
						t.Errorf("error = %v, want the typed %s injected by FailNext", err, wf.client)
					}
				},
				want: []string{wf.client}},
			{name: "throttling beyond the retry budget surfaces", op: wf.op, code: wf.throttle, status: 400, times: 3,
				wantErr: func(t *testing.T, err error) {
					var maxed *retry.MaxAttemptsError
					var apiErr smithy.APIError
					if !errors.As(err, &maxed) || !errors.As(err, &apiErr) || apiErr.ErrorCode() != wf.throttle {
						t.Errorf("error = %v, want %s after the SDK's maximum attempts", err, wf.throttle)
					}
				},
				want: []string{wf.throttle, wf.throttle, wf.throttle}},
			{name: "another operation's failure does not apply", op: wf.other, code: wf.server, status: 500, times: 1,
				want: []string{""}},
		}
		for _, tc := range tests {
			t.Run(wf.name+"/"+tc.name, func(t *testing.T) {
				f := wf.new()
				cfg := awstest.Config(awstest.Start(t, f.fake))
				f.fake.FailNext(tc.op, tc.code, tc.status, tc.times)
				err := f.call(context.Background(), cfg)
				switch {
				case tc.wantErr == nil && err != nil:
					t.Fatalf("call failed after retries: %v", err)
				case tc.wantErr != nil && err == nil:
					t.Fatalf("call succeeded, want an error")
				case tc.wantErr != nil:
					tc.wantErr(t, err)
				}
				if diff := cmp.Diff(tc.want, f.codes()); diff != "" {
					t.Errorf("attempts (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestClearFaults(t *testing.T) {
	eachFake(t, func(t *testing.T, wf wireFake, f served, cfg aws.Config) {
		f.fake.FailNext(wf.op, wf.client, 400, 1000)
		f.fake.SetThrottle(wf.op, 1)
		if err := f.call(context.Background(), cfg); err == nil {
			t.Fatal("call succeeded with a fault queued")
		}
		f.fake.ClearFaults()
		if err := f.call(context.Background(), cfg); err != nil {
			t.Fatalf("call after ClearFaults: %v", err)
		}
	})
}

func TestThrottle(t *testing.T) {
	eachFake(t, func(t *testing.T, wf wireFake, f served, cfg aws.Config) {
		cfg.RetryMaxAttempts = 1
		cfg.Retryer = nil // one attempt per call: the pattern shows in the calls
		f.fake.SetThrottle(wf.op, 0.5)
		for range 4 {
			err := f.call(context.Background(), cfg)
			var apiErr smithy.APIError
			if err != nil && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != wf.throttle || !strings.Contains(apiErr.ErrorMessage(), "Rate exceeded")) {
				t.Errorf("throttled call: %v, want %s Rate exceeded", err, wf.throttle)
			}
		}
		if diff := cmp.Diff([]string{"", wf.throttle, "", wf.throttle}, f.codes()); diff != "" {
			t.Errorf("calls under SetThrottle(0.5) (-want +got):\n%s", diff)
		}
	})
}

func TestLatency(t *testing.T) {
	eachFake(t, func(t *testing.T, wf wireFake, f served, cfg aws.Config) {
		for _, set := range []func(){
			func() { f.fake.SetLatency(time.Hour) },
			func() { f.fake.SetLatency(0); f.fake.SetOpLatency(wf.op, time.Hour) },
		} {
			set()
			// The client gives up long before the hour is over; the fake neither answers nor records the call.
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			err := f.call(ctx, cfg)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("call under an hour of latency: %v, want the context deadline", err)
			}
		}
		f.fake.SetOpLatency(wf.op, 0)
		if err := f.call(context.Background(), cfg); err != nil {
			t.Fatalf("call without latency: %v", err)
		}
		if diff := cmp.Diff([]string{""}, f.codes()); diff != "" {
			t.Errorf("recorded (-want +got):\n%s; want only the call that was not abandoned", diff)
		}
	})
}

func TestStartAndClose(t *testing.T) {
	for _, wf := range fakes {
		t.Run(wf.name, func(t *testing.T) {
			closed := wf.new().fake
			closed.Close() // before Start: nothing to do, but a closed fake stays closed
			if _, err := closed.Start(); err == nil || !strings.Contains(err.Error(), wf.name+": starting server: already closed") {
				t.Errorf("Start after Close: %v, want already closed", err)
			}

			f := wf.new()
			url, err := f.fake.Start()
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if !strings.HasPrefix(url, "http://127.0.0.1:") {
				t.Errorf("url = %q, want a 127.0.0.1 address", url)
			}
			if _, err := f.fake.Start(); err == nil || !strings.Contains(err.Error(), "already started") {
				t.Errorf("second Start: %v, want already started", err)
			}
			if err := f.call(context.Background(), awstest.Config(url)); err != nil {
				t.Fatalf("call: %v", err)
			}
			f.fake.Close()
			f.fake.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := f.call(ctx, awstest.Config(url)); err == nil {
				t.Errorf("call after Close succeeded, want a connection error")
			}
		})
	}
}

// The daemon and the CLI build their clients with config.LoadDefaultConfig and find the fakes through
// AWS_ENDPOINT_URL_<SERVICE ID> (upper-cased, spaces to underscores), so that path is tested end to end.
func TestEndpointFromEnvironment(t *testing.T) {
	for _, wf := range fakes {
		t.Run(wf.name, func(t *testing.T) {
			f := wf.new()
			url, err := f.fake.Start()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(f.fake.Close)
			awstest.IsolateEnv(t, map[string]string{wf.endpoint: url})
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatalf("LoadDefaultConfig: %v", err)
			}
			if err := f.call(context.Background(), cfg); err != nil {
				t.Fatalf("call through %s: %v", wf.endpoint, err)
			}
			if diff := cmp.Diff([]string{""}, f.codes()); diff != "" {
				t.Errorf("recorded (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetUpMistakesPanic(t *testing.T) {
	for _, wf := range fakes {
		tests := []struct {
			name, want string
			f          func(p plumbing)
		}{
			{"FailNext typo", wf.op + "s", func(p plumbing) { p.FailNext(wf.op+"s", wf.throttle, 400, 1) }},
			{"FailNext status", "4xx/5xx", func(p plumbing) { p.FailNext(wf.op, wf.throttle, 200, 1) }},
			{"FailNext times", "times", func(p plumbing) { p.FailNext(wf.op, wf.throttle, 400, 0) }},
			{"FailNext code", "error code", func(p plumbing) { p.FailNext(wf.op, "", 400, 1) }},
			{"SetOpLatency typo", wf.op + "s", func(p plumbing) { p.SetOpLatency(wf.op+"s", time.Second) }},
			{"SetThrottle typo", wf.op + "s", func(p plumbing) { p.SetThrottle(wf.op+"s", 0.5) }},
			{"SetThrottle over 1", "[0, 1]", func(p plumbing) { p.SetThrottle(wf.op, 1.5) }},
			{"SetThrottle negative", "[0, 1]", func(p plumbing) { p.SetThrottle(wf.op, -0.1) }},
		}
		for _, tc := range tests {
			t.Run(wf.name+"/"+tc.name, func(t *testing.T) {
				awstest.WantPanic(t, tc.want, func() { tc.f(wf.new().fake) })
			})
		}
	}
}

// jsonFake is a fake that speaks awsJson1_1, with a well-formed request to it.
type jsonFake struct {
	name, target, signingName, op, body string
	new                                 func() (http.Handler, func() []string) // the fake and its recorded calls, "op error"
	in                                  func(region, account string)           // makes a fake for region and account
}

var jsonFakes = []jsonFake{
	{"fakeecs", "AmazonEC2ContainerServiceV20141113.", "ecs", "ListTasks", `{"cluster":"prod"}`,
		func() (http.Handler, func() []string) {
			s := fakeecs.New(fakeecs.Options{})
			s.AddService("prod", "router", 1, nil)
			return s, func() (out []string) {
				for _, c := range s.Calls() {
					out = append(out, strings.TrimSpace(c.Op+" "+c.Err))
				}
				return out
			}
		},
		func(region, account string) { fakeecs.New(fakeecs.Options{Region: region, Account: account}) }},
	{"fakeaas", "AnyScaleFrontendService.", "application-autoscaling", "DescribeScalableTargets", `{"ServiceNamespace":"ecs"}`,
		func() (http.Handler, func() []string) {
			s := fakeaas.New(fakeaas.Options{})
			return s, func() (out []string) {
				for _, c := range s.Calls() {
					out = append(out, strings.TrimSpace(c.Op+" "+c.Err))
				}
				return out
			}
		},
		func(region, account string) { fakeaas.New(fakeaas.Options{Region: region, Account: account}) }},
}

// TestAccountMistakesPanic: every awsJson1_1 fake refuses a region or an account that cannot be.
func TestAccountMistakesPanic(t *testing.T) {
	for _, jf := range jsonFakes {
		t.Run(jf.name, func(t *testing.T) {
			awstest.WantPanic(t, jf.name+`.New: Region "moon" is not a region name`, func() { jf.in("moon", "") })
			awstest.WantPanic(t, jf.name+`.New: Account "42" is not a 12-digit account ID`, func() { jf.in("", "42") })
			awstest.WantPanic(t, `Region "moon" is not a region name like us-east-1; Account "42"`, func() { jf.in("moon", "42") })
		})
	}
}

// TestJSONEnvelope sends what the SDK never does, to every awsJson1_1 fake.
func TestJSONEnvelope(t *testing.T) {
	for _, jf := range jsonFakes {
		t.Run(jf.name, func(t *testing.T) {
			h, calls := jf.new()
			srv := httptest.NewServer(h) // binds 127.0.0.1
			t.Cleanup(srv.Close)
			good := awstest.Auth(awstest.Region, jf.signingName)
			ok := awstest.Raw{Target: jf.target + jf.op, ContentType: awsfake.JSONContentType, Auth: good, Body: jf.body}
			with := func(f func(*awstest.Raw)) awstest.Raw { r := ok; f(&r); return r }
			tests := []struct {
				name       string
				req        awstest.Raw
				wantStatus int
				wantType   string
				wantMsg    string
				wantCall   string
			}{
				{"GET", with(func(r *awstest.Raw) { r.Method = http.MethodGet }), 405, "UnknownOperationException", "POST", "UnknownOperationException"},
				{"no target", with(func(r *awstest.Raw) { r.Target = "" }), 400, "UnknownOperationException", "X-Amz-Target", "UnknownOperationException"},
				{"another service's target", with(func(r *awstest.Raw) { r.Target = "DynamoDB_20120810.GetItem" }), 400, "UnknownOperationException", "DynamoDB_20120810.GetItem", "UnknownOperationException"},
				{"unsupported operation", with(func(r *awstest.Raw) { r.Target = jf.target + "CreateThing" }), 400, "UnknownOperationException", `"CreateThing" is not implemented`, "CreateThing UnknownOperationException"},
				{"plain JSON content type", with(func(r *awstest.Raw) { r.ContentType = "application/json" }), 400, "SerializationException", "Content-Type", jf.op + " SerializationException"},
				{"no Authorization", with(func(r *awstest.Raw) { r.Auth = "" }), 400, "MissingAuthenticationTokenException", "no credentials", jf.op + " MissingAuthenticationTokenException"},
				{"not SigV4", with(func(r *awstest.Raw) { r.Auth = "Bearer abc" }), 400, "IncompleteSignatureException", "SigV4", jf.op + " IncompleteSignatureException"},
				{"no credential scope", with(func(r *awstest.Raw) { r.Auth = "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00" }), 400, "IncompleteSignatureException", "Credential=", jf.op + " IncompleteSignatureException"},
				{"malformed credential scope", with(func(r *awstest.Raw) { r.Auth = "AWS4-HMAC-SHA256 Credential=AKID/us-east-1" }), 400, "IncompleteSignatureException", "malformed", jf.op + " IncompleteSignatureException"},
				{"signed for another region", with(func(r *awstest.Raw) { r.Auth = awstest.Auth("eu-west-1", jf.signingName) }), 400, "InvalidSignatureException", `"eu-west-1"`, jf.op + " InvalidSignatureException"},
				{"signed for another service", with(func(r *awstest.Raw) { r.Auth = awstest.Auth(awstest.Region, "s3") }), 400, "InvalidSignatureException", `"s3"`, jf.op + " InvalidSignatureException"},
				{"broken JSON", with(func(r *awstest.Raw) { r.Body = `{"x":` }), 400, "SerializationException", jf.op + " request body", jf.op + " SerializationException"},
				{"body over 1 MiB", with(func(r *awstest.Raw) { r.Body = `{"x":"` + strings.Repeat("x", 1<<20) + `"}` }), 400, "SerializationException", "too large", jf.op + " SerializationException"},
				{"well-formed", ok, 200, "", "", jf.op},
			}
			var want []string
			for _, tc := range tests {
				want = append(want, tc.wantCall)
				status, body, header := awstest.Do(t, srv.URL, tc.req)
				if status != tc.wantStatus || body["__type"] != nil && body["__type"] != tc.wantType {
					t.Errorf("%s: got %d %v, want %d %s", tc.name, status, body["__type"], tc.wantStatus, tc.wantType)
				}
				if msg, _ := body["message"].(string); !strings.Contains(msg, tc.wantMsg) {
					t.Errorf("%s: message %q, want it to mention %q", tc.name, msg, tc.wantMsg)
				}
				if got := header.Get("Content-Type"); got != awsfake.JSONContentType {
					t.Errorf("%s: Content-Type %q, want %q", tc.name, got, awsfake.JSONContentType)
				}
				if header.Get("X-Amzn-Requestid") == "" {
					t.Errorf("%s: no x-amzn-RequestId header", tc.name)
				}
			}
			// Rejected calls are recorded with their error, under the operation the target named.
			if diff := cmp.Diff(want, calls()); diff != "" {
				t.Errorf("recorded calls (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDeepCopy: a copy shares nothing a caller could change the original through, at any depth.
func TestDeepCopy(t *testing.T) {
	type inner struct {
		Names []string
		N     *int
	}
	type entry struct {
		awsfake.Head
		Tags   map[string]string
		Counts []int
		Max    *int
		Nested []inner
		ByKey  map[string]*inner
		Pair   [2][]int
		Empty  []string
		None   *int
	}
	n := 3
	orig := entry{
		Head: awsfake.Head{Op: "UpdateService", Time: time.Unix(1, 0)}, Tags: map[string]string{"a": "1"},
		Counts: []int{1, 2}, Max: &n, Nested: []inner{{Names: []string{"x"}, N: &n}},
		ByKey: map[string]*inner{"k": {Names: []string{"y"}}}, Pair: [2][]int{{1}, {2}}, Empty: []string{},
	}
	want := entry{
		Head: awsfake.Head{Op: "UpdateService", Time: time.Unix(1, 0)}, Tags: map[string]string{"a": "1"},
		Counts: []int{1, 2}, Max: ptr(3), Nested: []inner{{Names: []string{"x"}, N: ptr(3)}},
		ByKey: map[string]*inner{"k": {Names: []string{"y"}}}, Pair: [2][]int{{1}, {2}}, Empty: []string{},
	}
	c := awsfake.DeepCopy(orig)
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatalf("copy (-want +got):\n%s", diff)
	}
	if c.Empty == nil || c.None != nil {
		t.Errorf("copy turned an empty slice into nil or a nil pointer into a value: %#v, %v", c.Empty, c.None)
	}
	c.Op, c.Tags["a"], c.Counts[0], *c.Max = "x", "x", 9, 9
	c.Nested[0].Names[0], *c.Nested[0].N, c.ByKey["k"].Names[0], c.Pair[1][0] = "x", 9, "x", 9
	if diff := cmp.Diff(want, orig); diff != "" {
		t.Errorf("changing the copy changed the original (-want +got):\n%s", diff)
	}
}

// TestCallsAreCopies: what Calls returns cannot change the fake's log.
func TestCallsAreCopies(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 1, nil)
	c := ecs.NewFromConfig(awstest.Config(awstest.Start(t, s)))
	if _, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"router"}}); err != nil {
		t.Fatal(err)
	}
	s.Calls()[0].Services[0] = "changed"
	if got := s.Calls()[0].Services; len(got) != 1 || got[0] != "router" {
		t.Errorf("Calls()[0].Services = %q after changing an earlier copy, want [router]", got)
	}
}

// TestNewJSONWantsHead: a call log type without a Head is a mistake in the fake, caught at once.
func TestNewJSONWantsHead(t *testing.T) {
	type call struct{ Op string }
	awstest.WantPanic(t, "does not embed awsfake.Head", func() {
		awsfake.NewJSON(awsfake.JSONSetup[struct{}, call]{Protocol: awsfake.Protocol{Name: "fakex"}})
	})
	type pointerCall struct{ *awsfake.Head } // nothing would fill it: the first call would dereference nil
	awstest.WantPanic(t, "does not embed awsfake.Head", func() {
		awsfake.NewJSON(awsfake.JSONSetup[struct{}, pointerCall]{Protocol: awsfake.Protocol{Name: "fakex"}})
	})
}

func ptr[T any](v T) *T { return &v }

type testCall struct{ awsfake.Head }

// Request types for TestOps: one named after its operation, one not.
type (
	listThingsRequest struct{ N int }
	listThings        struct{}
)

func (*listThingsRequest) Record(*testCall)                                {}
func (*listThingsRequest) Run(struct{}, time.Time, *testCall) (any, error) { return nil, nil }
func (*listThings) Record(*testCall)                                       {}
func (*listThings) Run(struct{}, time.Time, *testCall) (any, error)        { return nil, nil }

// TestOps: an operation is registered under the name its request type spells, and each call gets a fresh
// request to decode into.
func TestOps(t *testing.T) {
	ops := awsfake.Ops[struct{}, testCall](new(listThingsRequest))
	newReq, ok := ops["ListThings"]
	if !ok || len(ops) != 1 {
		t.Fatalf("Ops registered %v, want ListThings only", slices.Sorted(maps.Keys(ops)))
	}
	a, b := newReq().(*listThingsRequest), newReq().(*listThingsRequest)
	if a == b || a.N != 0 {
		t.Errorf("the constructor returned %p and %p (N %d), want two fresh requests", a, b, a.N)
	}
	awstest.WantPanic(t, "not a pointer to a type named <operation>Request", func() {
		awsfake.Ops[struct{}, testCall](new(listThings))
	})
}
