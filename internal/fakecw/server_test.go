package fakecw

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/google/go-cmp/cmp"
)

func TestFailNext(t *testing.T) {
	type queued struct {
		op, code      string
		status, times int
	}
	tests := []struct {
		name      string
		fail      []queued
		wantCode  string // ErrorCode of the final error; "" when the call finally succeeds
		typed     any    // typed error errors.As must find, if any
		wantCalls []string
		wantLeft  int // datums stored
	}{
		{
			name:      "throttling is retried",
			fail:      []queued{{OpPutMetricData, "Throttling", 400, 2}},
			wantCalls: []string{"Throttling", "Throttling", ""},
			wantLeft:  1,
		},
		{
			name:      "throttling beyond the retry budget",
			fail:      []queued{{OpPutMetricData, "Throttling", 0, 3}},
			wantCode:  "Throttling",
			wantCalls: []string{"Throttling", "Throttling", "Throttling"},
		},
		{
			name:      "internal fault is retried",
			fail:      []queued{{OpPutMetricData, "InternalServiceFault", 0, 1}},
			wantCalls: []string{"InternalServiceFault", ""},
			wantLeft:  1,
		},
		{
			name:      "client error is not retried",
			fail:      []queued{{OpPutMetricData, "InvalidParameterValue", 0, 5}},
			wantCode:  "InvalidParameterValue",
			typed:     new(*types.InvalidParameterValueException),
			wantCalls: []string{"InvalidParameterValueException"},
		},
		{
			name:      "typed fault after retries",
			fail:      []queued{{"", "InternalServiceFault", 503, 3}},
			wantCode:  "InternalServiceError",
			typed:     new(*types.InternalServiceFault),
			wantCalls: []string{"InternalServiceFault", "InternalServiceFault", "InternalServiceFault"},
		},
		{
			name:      "other operation untouched",
			fail:      []queued{{OpGetMetricData, "Throttling", 400, 1}},
			wantCalls: []string{""},
			wantLeft:  1,
		},
		{
			name:      "queued in order, unknown code verbatim",
			fail:      []queued{{"", "RequestLimitExceeded", 0, 1}, {OpPutMetricData, "Throttling", 0, 1}},
			wantCalls: []string{"RequestLimitExceeded", "Throttling", ""},
			wantLeft:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := startFake(t, Options{Now: fixedClock(testNow)}, viaBaseEndpoint)
			for _, f := range tt.fail {
				s.FailNext(f.op, f.code, f.status, f.times)
			}
			_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{
				Namespace: aws.String("App"), MetricData: []types.MetricDatum{valueDatum("m", 1, testNow)},
			})
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("PutMetricData: %v", err)
				}
			} else {
				checkAPIError(t, err, tt.wantCode, "injected by FailNext")
				if tt.typed != nil && !errors.As(err, tt.typed) {
					t.Errorf("errors.As(%T) failed for %v", tt.typed, err)
				}
			}
			var codes []string
			for _, call := range s.Calls() {
				if call.Op != OpPutMetricData || call.Datums != 1 || !call.Time.Equal(testNow) {
					t.Errorf("call = %+v, want a PutMetricData of 1 datum at %v", call, testNow)
				}
				codes = append(codes, call.Code)
			}
			if diff := cmp.Diff(tt.wantCalls, codes); diff != "" {
				t.Errorf("call codes (-want +got):\n%s", diff)
			}
			if got := len(s.Datums()); got != tt.wantLeft {
				t.Errorf("stored %d datums, want %d", got, tt.wantLeft)
			}
		})
	}
}

func TestFailNextStatus(t *testing.T) {
	s, c := startFake(t, Options{}, viaBaseEndpoint)
	s.FailNext(OpGetMetricData, "InvalidNextToken", 0, 1)
	_, err := c.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(testNow.Add(-time.Hour)), EndTime: aws.Time(testNow),
		MetricDataQueries: []types.MetricDataQuery{statQuery("q", "App", "m", 60, "Sum")},
	})
	var typed *types.InvalidNextToken
	if !errors.As(err, &typed) {
		t.Fatalf("error = %v, want *types.InvalidNextToken", err)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Errorf("HTTP status of %v is not 400", err)
	}
}

func TestUnsupportedOperationThroughSDK(t *testing.T) {
	_, c := startFake(t, Options{}, viaEnv)
	_, err := c.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{})
	checkAPIError(t, err, "UnknownOperationException", "ListMetrics", "not supported by fakecw")
	var generic *smithy.GenericAPIError
	if !errors.As(err, &generic) {
		t.Errorf("error = %T, want *smithy.GenericAPIError", err)
	}
}

// rawRequest is a hand-built request for the protocol checks the SDK never gets wrong.
type rawRequest struct {
	method, path string
	header       map[string]string
	body         []byte
}

func goodHeaders() map[string]string {
	return map[string]string{
		"Authorization":   "AWS4-HMAC-SHA256 Credential=AKID/20250310/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00",
		"Smithy-Protocol": "rpc-v2-cbor",
		"Content-Type":    "application/cbor",
	}
}

func TestProtocolErrors(t *testing.T) {
	putPath := pathPrefix + OpPutMetricData
	validBody := cbor.Encode(cbor.Map{
		"Namespace":  cbor.String("App"),
		"MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("m"), "Value": cbor.Float64(1)}},
	})
	headers := func(edit func(h map[string]string)) map[string]string {
		h := goodHeaders()
		edit(h)
		return h
	}
	tests := []struct {
		name       string
		req        rawRequest
		wantStatus int
		wantType   string
		wantMsg    string
	}{
		{"no authorization", rawRequest{"POST", putPath, headers(func(h map[string]string) { delete(h, "Authorization") }), validBody}, 403, "MissingAuthenticationToken", "no Authorization header"},
		{"other signing scheme", rawRequest{"POST", putPath, headers(func(h map[string]string) { h["Authorization"] = "Bearer abc" }), validBody}, 403, "IncompleteSignature", "AWS4-HMAC-SHA256"},
		{"signed for another service", rawRequest{"POST", putPath, headers(func(h map[string]string) {
			h["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKID/20250310/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=00"
		}), validBody}, 403, "IncompleteSignature", `"ecs"`},
		{"GET", rawRequest{"GET", putPath, goodHeaders(), nil}, 405, "MethodNotAllowed", "GET"},
		{"unknown operation", rawRequest{"POST", pathPrefix + "PutMetricAlarm", goodHeaders(), validBody}, 404, "UnknownOperationException", "PutMetricAlarm is not supported by fakecw"},
		{"awsQuery request", rawRequest{"POST", "/", headers(func(h map[string]string) { h["Content-Type"] = "application/x-www-form-urlencoded" }), []byte("Action=PutMetricData&Version=2010-08-01")}, 404, "UnknownOperationException", "awsQuery"},
		{"no smithy-protocol", rawRequest{"POST", putPath, headers(func(h map[string]string) { delete(h, "Smithy-Protocol") }), validBody}, 400, "SerializationException", "Smithy-Protocol"},
		{"JSON body", rawRequest{"POST", putPath, headers(func(h map[string]string) { h["Content-Type"] = "application/json" }), []byte(`{}`)}, 415, "UnsupportedMediaTypeException", "application/cbor"},
		{"deflate body", rawRequest{"POST", putPath, headers(func(h map[string]string) { h["Content-Encoding"] = "deflate" }), validBody}, 415, "UnsupportedMediaTypeException", "deflate"},
		{"bad gzip", rawRequest{"POST", putPath, headers(func(h map[string]string) { h["Content-Encoding"] = "gzip" }), validBody}, 400, "SerializationException", "gzip"},
		{"too large", rawRequest{"POST", putPath, goodHeaders(), make([]byte, maxRequestBytes+1)}, 413, "RequestEntityTooLarge", "1048576"},
		{"truncated CBOR", rawRequest{"POST", putPath, goodHeaders(), validBody[:len(validBody)-3]}, 400, "SerializationException", "not valid CBOR"},
		{"CBOR list body", rawRequest{"POST", putPath, goodHeaders(), cbor.Encode(cbor.List{})}, 400, "SerializationException", "must be a CBOR map"},
		{"namespace of the wrong type", rawRequest{"POST", putPath, goodHeaders(), cbor.Encode(cbor.Map{"Namespace": cbor.Uint(7)})}, 400, "SerializationException", "parameter Namespace must be a string, got integer"},
		{"timestamp of the wrong type", rawRequest{"POST", putPath, goodHeaders(), cbor.Encode(cbor.Map{
			"Namespace":  cbor.String("App"),
			"MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("m"), "Value": cbor.Float64(1), "Timestamp": cbor.String("2025-03-10")}},
		})}, 400, "SerializationException", "MetricData.member.1.Timestamp must be a timestamp"},
		{"value of the wrong type", rawRequest{"POST", putPath, goodHeaders(), cbor.Encode(cbor.Map{
			"Namespace":  cbor.String("App"),
			"MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("m"), "Value": cbor.String("1")}},
		})}, 400, "SerializationException", "parameter MetricData.member.1.Value must be a number, got text string"},
		{"counts of the wrong type", rawRequest{"POST", putPath, goodHeaders(), cbor.Encode(cbor.Map{
			"Namespace":  cbor.String("App"),
			"MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("m"), "Values": cbor.List{cbor.Float64(1)}, "Counts": cbor.Uint(1)}},
		})}, 400, "SerializationException", "parameter MetricData.member.1.Counts must be a list, got integer"},
		{"statistics of the wrong type", rawRequest{"POST", putPath, goodHeaders(), cbor.Encode(cbor.Map{
			"Namespace":  cbor.String("App"),
			"MetricData": cbor.List{cbor.Map{"MetricName": cbor.String("m"), "StatisticValues": cbor.List{}}},
		})}, 400, "SerializationException", "parameter MetricData.member.1.StatisticValues must be a structure, got list"},
		{"empty body", rawRequest{"POST", putPath, goodHeaders(), nil}, 400, "com.amazonaws.cloudwatch#MissingRequiredParameterException", "The parameter Namespace is required."},
	}
	awsEnv(t)
	s := New(Options{Now: fixedClock(testNow)})
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.req.method, url+tt.req.path, bytes.NewReader(tt.req.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.req.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Smithy-Protocol"); got != "rpc-v2-cbor" {
				t.Errorf("Smithy-Protocol response header = %q", got)
			}
			v, err := cbor.Decode(body)
			if err != nil {
				t.Fatalf("error body is not CBOR: %v (% x)", err, body)
			}
			m, _ := v.(cbor.Map)
			if got, _ := m["__type"].(cbor.String); string(got) != tt.wantType {
				t.Errorf("__type = %q, want %q", got, tt.wantType)
			}
			if got, _ := m["message"].(cbor.String); !strings.Contains(string(got), tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", got, tt.wantMsg)
			}
		})
	}
	if got := len(s.Datums()); got != 0 {
		t.Errorf("malformed requests stored %d datums", got)
	}
}
