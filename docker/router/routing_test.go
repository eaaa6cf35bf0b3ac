package router

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// TestRouting checks path-prefix routing, what the API receives (URI, Host, forwarding headers, request id),
// the router's own answers (/healthz, 404 for unrouted paths) and keepalive to the upstreams.
func TestRouting(t *testing.T) {
	nginxPath(t)
	stable, canary := newBackend(t, "stable"), newBackend(t, "canary")
	auth, v2 := newBackend(t, "auth"), newBackend(t, "v2")
	rt := startRouter(t, canaryEnv(stable, canary, "0",
		"ROUTES", "/api/=api, /auth/="+auth.addr()+" /api/v2/="+v2.addr(),
		"FORWARDED_PROTO", "https"))
	client := newClient("")

	tests := []struct {
		path        string
		wantStatus  int
		wantBackend string // "" when nginx answers itself
		wantBody    string // checked when wantBackend is ""
	}{
		{"/api/users?id=7&x=a%20b", http.StatusOK, "stable", ""},
		{"/api/", http.StatusOK, "stable", ""},
		{"/api/v2/items", http.StatusOK, "v2", ""},
		{"/api/v2", http.StatusOK, "v2", ""}, // a prefix ending in / takes the path without it, no 301
		{"/api", http.StatusOK, "stable", ""},
		{"/api?q=1", http.StatusOK, "stable", ""},
		{"/auth/login", http.StatusOK, "auth", ""},
		{"/apix", http.StatusNotFound, "", `{"error":"no route for this path"}` + "\n"},
		{"/", http.StatusNotFound, "", `{"error":"no route for this path"}` + "\n"},
		{"/healthz", http.StatusOK, "", "ok\n"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			r := do(t, client, http.MethodGet, rt.base+tc.path, map[string]string{"Host": "api.example.test"})
			if r.status != tc.wantStatus {
				t.Fatalf("status %d, want %d; body %q", r.status, tc.wantStatus, r.body)
			}
			if got := r.header.Get("X-Backend"); got != tc.wantBackend {
				t.Fatalf("answered by %q, want %q", got, tc.wantBackend)
			}
			if tc.wantBackend == "" {
				if r.body != tc.wantBody {
					t.Errorf("body %q, want %q", r.body, tc.wantBody)
				}
				return
			}
			got := r.seenBy(t)
			if !hex32.MatchString(got.XRequestID) {
				t.Errorf("X-Request-Id %q, want nginx's 32 hex digits", got.XRequestID)
			}
			got.XRequestID = ""
			want := seen{
				Backend:        tc.wantBackend,
				URI:            tc.path, // passed on unchanged, query string included
				Host:           "api.example.test",
				XForwardedFor:  "127.0.0.1",
				XForwardedProt: "https",
				Proto:          "HTTP/1.1",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("what the backend received (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("client request id and forwarded-for are kept", func(t *testing.T) {
		r := do(t, client, http.MethodGet, rt.base+"/api/x", map[string]string{
			"X-Request-Id": "abc-123", "X-Forwarded-For": "203.0.113.9",
		})
		got := r.seenBy(t)
		if got.XRequestID != "abc-123" || got.XForwardedFor != "203.0.113.9, 127.0.0.1" {
			t.Errorf("backend got X-Request-Id %q and X-Forwarded-For %q, want abc-123 and 203.0.113.9, 127.0.0.1",
				got.XRequestID, got.XForwardedFor)
		}
	})

	t.Run("upstream connections are reused", func(t *testing.T) {
		before, hitsBefore := stable.conns.Load(), stable.hits.Load()
		for range 200 {
			do(t, client, http.MethodGet, rt.base+"/api/keepalive", nil)
		}
		opened, served := stable.conns.Load()-before, stable.hits.Load()-hitsBefore
		t.Logf("200 sequential requests: stable served %d over %d new upstream connections", served, opened)
		if served != 200 || opened > 10 {
			t.Errorf("stable served %d requests over %d new connections; want 200 over a few kept-alive ones",
				served, opened)
		}
	})
}

// TestCORS checks preflights and simple requests against an allow list with a subdomain wildcard and credentials,
// and that the API's own CORS header never reaches the browser.
func TestCORS(t *testing.T) {
	nginxPath(t)
	stable := newBackend(t, "stable")
	rt := startRouter(t, env{
		"STABLE_UPSTREAM":        stable.addr(),
		"CORS_ALLOWED_ORIGINS":   "https://app.example.com, https://*.tver.jp",
		"CORS_ALLOW_CREDENTIALS": "true",
		"CORS_EXPOSE_HEADERS":    "X-Request-Id",
		"CORS_ALLOWED_HEADERS":   "Authorization, Content-Type, X-Client",
		"CORS_MAX_AGE":           "900",
	})
	client := newClient("")
	preflight := func(origin string) map[string]string {
		return map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type",
		}
	}
	allowedSimple := func(origin string) map[string][]string {
		return map[string][]string{
			"Vary":                             {"Origin"},
			"Access-Control-Allow-Origin":      {origin},
			"Access-Control-Allow-Credentials": {"true"},
			"Access-Control-Expose-Headers":    {"X-Request-Id"},
		}
	}
	allowedPreflight := func(origin string) map[string][]string { // a simple request's headers, and the preflight's own
		h := allowedSimple(origin)
		h["Access-Control-Allow-Methods"] = []string{"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"}
		h["Access-Control-Allow-Headers"] = []string{"Authorization, Content-Type, X-Client"}
		h["Access-Control-Max-Age"] = []string{"900"}
		return h
	}
	refused := map[string][]string{"Vary": {"Origin"}}

	tests := []struct {
		name        string
		method      string
		path        string
		header      map[string]string
		wantStatus  int
		wantBackend bool // whether the API sees the request
		wantCORS    map[string][]string
	}{
		{"preflight from a listed origin", http.MethodOptions, "/api/x", preflight("https://app.example.com"),
			http.StatusNoContent, false, allowedPreflight("https://app.example.com")},
		{"preflight from a subdomain", http.MethodOptions, "/api/x", preflight("https://www.tver.jp"),
			http.StatusNoContent, false, allowedPreflight("https://www.tver.jp")},
		{"preflight from a deeper subdomain", http.MethodOptions, "/api/x", preflight("https://a.b.tver.jp"),
			http.StatusNoContent, false, allowedPreflight("https://a.b.tver.jp")},
		{"preflight from an unlisted origin", http.MethodOptions, "/api/x", preflight("https://evil.example"),
			http.StatusForbidden, false, refused},
		{"preflight from a look-alike domain", http.MethodOptions, "/api/x", preflight("https://tver.jp.evil.example"),
			http.StatusForbidden, false, refused},
		{"preflight from a suffix look-alike", http.MethodOptions, "/api/x", preflight("https://evil-tver.jp"),
			http.StatusForbidden, false, refused},
		{"preflight over the wrong scheme", http.MethodOptions, "/api/x", preflight("http://www.tver.jp"),
			http.StatusForbidden, false, refused},
		{"simple request from a listed origin", http.MethodGet, "/api/x", map[string]string{"Origin": "https://app.example.com"},
			http.StatusOK, true, allowedSimple("https://app.example.com")},
		{"error answer from a listed origin", http.MethodGet, "/api/x?status=500", map[string]string{"Origin": "https://m.tver.jp"},
			http.StatusInternalServerError, true, allowedSimple("https://m.tver.jp")},
		{"simple request from an unlisted origin", http.MethodGet, "/api/x", map[string]string{"Origin": "https://evil.example"},
			http.StatusOK, true, refused},
		{"request without Origin", http.MethodGet, "/api/x", nil, http.StatusOK, true, refused},
		{"OPTIONS that is not a preflight", http.MethodOptions, "/api/x", map[string]string{"Origin": "https://app.example.com"},
			http.StatusOK, true, allowedSimple("https://app.example.com")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits := stable.hits.Load()
			r := do(t, client, tc.method, rt.base+tc.path, tc.header)
			if r.status != tc.wantStatus {
				t.Errorf("status %d, want %d", r.status, tc.wantStatus)
			}
			if got := stable.hits.Load() > hits; got != tc.wantBackend {
				t.Errorf("request reached the API: %v, want %v", got, tc.wantBackend)
			}
			if diff := cmp.Diff(tc.wantCORS, corsHeaders(r.header)); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("any origin", func(t *testing.T) {
		rt := startRouter(t, env{"STABLE_UPSTREAM": stable.addr(), "CORS_ALLOWED_ORIGINS": "*"})
		r := do(t, client, http.MethodOptions, rt.base+"/x", preflight("https://anywhere.example"))
		want := map[string][]string{
			"Vary":                         {"Origin"},
			"Access-Control-Allow-Origin":  {"*"},
			"Access-Control-Allow-Methods": {"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
			"Access-Control-Allow-Headers": {"Authorization, Content-Type"},
			"Access-Control-Max-Age":       {"600"},
		}
		if r.status != http.StatusNoContent {
			t.Errorf("preflight status %d, want 204", r.status)
		}
		if diff := cmp.Diff(want, corsHeaders(r.header)); diff != "" {
			t.Errorf("CORS headers (-want +got):\n%s", diff)
		}
	})

	t.Run("CORS off leaves the API's headers alone", func(t *testing.T) {
		rt := startRouter(t, env{"STABLE_UPSTREAM": stable.addr()})
		r := do(t, client, http.MethodOptions, rt.base+"/x", preflight("https://app.example.com"))
		want := map[string][]string{"Access-Control-Allow-Origin": {"*"}} // the test backend's own header
		if r.status != http.StatusOK || r.header.Get("X-Backend") != "stable" {
			t.Errorf("preflight answered %d by %q, want 200 from the API", r.status, r.header.Get("X-Backend"))
		}
		if diff := cmp.Diff(want, corsHeaders(r.header)); diff != "" {
			t.Errorf("CORS headers (-want +got):\n%s", diff)
		}
	})
}

// TestStatusAccess checks that stub_status is served on the status port only, and only to STATUS_ALLOW_CIDRS:
// 127.0.0.1 is allowed, a client dialling from 127.0.0.2 is refused with 403.
func TestStatusAccess(t *testing.T) {
	nginxPath(t)
	stable := newBackend(t, "stable")
	rt := startRouter(t, env{"STABLE_UPSTREAM": stable.addr(), "STATUS_ALLOW_CIDRS": "127.0.0.1/32"})
	status := "http://" + rt.statusAddr

	r := do(t, newClient("127.0.0.1"), http.MethodGet, status+"/nginx_status", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.body, "Active connections:") {
		t.Errorf("from 127.0.0.1: status %d, body %q; want 200 and a stub_status page", r.status, r.body)
	}
	r = do(t, newClient("127.0.0.2"), http.MethodGet, status+"/nginx_status", nil)
	if r.status != http.StatusForbidden || strings.Contains(r.body, "Active connections") {
		t.Errorf("from 127.0.0.2: status %d, body %q; want 403 without the page", r.status, r.body)
	}
	r = do(t, newClient("127.0.0.1"), http.MethodGet, status+"/other", nil)
	if r.status != http.StatusNotFound {
		t.Errorf("other path on the status port: status %d, want 404", r.status)
	}
	// On the traffic port the path is just another request for the API, never the status page.
	r = do(t, newClient("127.0.0.1"), http.MethodGet, rt.base+"/nginx_status", nil)
	if strings.Contains(r.body, "Active connections") || r.header.Get("X-Backend") != "stable" {
		t.Errorf("traffic port /nginx_status: status %d from %q, body %q; want the API's answer",
			r.status, r.header.Get("X-Backend"), r.body)
	}
}

// TestAccessLog checks that every access log line is a JSON object carrying the fields that replace the ALB logs,
// and that health checks and stub_status polls are not logged.
func TestAccessLog(t *testing.T) {
	nginxPath(t)
	stable, canary := newBackend(t, "stable"), newBackend(t, "canary")
	rt := startRouter(t, canaryEnv(stable, canary, "50"))
	client := newClient("")
	do(t, client, http.MethodGet, rt.base+"/healthz", nil) // not logged
	do(t, client, http.MethodGet, "http://"+rt.statusAddr+"/nginx_status", nil)
	const split = 40
	for range split {
		do(t, client, http.MethodGet, rt.base+"/api/items?page=2", map[string]string{
			"User-Agent": `test "agent"`, "Referer": "https://app.example.com/",
		})
	}
	do(t, client, http.MethodPost, rt.base+"/nowhere", nil)
	lines := rt.logLines(t, split+1)
	if len(lines) != split+1 {
		t.Fatalf("access log has %d lines, want %d (health checks and status polls are not logged):\n%s",
			len(lines), split+1, strings.Join(lines, "\n"))
	}

	type entry struct {
		Time                 string   `json:"time"`
		Msec                 float64  `json:"msec"`
		RequestID            string   `json:"request_id"`
		RemoteAddr           string   `json:"remote_addr"`
		Method               string   `json:"method"`
		Host                 string   `json:"host"`
		URI                  string   `json:"uri"`
		Protocol             string   `json:"protocol"`
		Status               int      `json:"status"`
		RequestLength        int      `json:"request_length"`
		BytesSent            int      `json:"bytes_sent"`
		BodyBytesSent        int      `json:"body_bytes_sent"`
		RequestTime          *float64 `json:"request_time"`
		Upstream             string   `json:"upstream"`
		UpstreamAddr         string   `json:"upstream_addr"`
		UpstreamStatus       string   `json:"upstream_status"`
		UpstreamConnectTime  string   `json:"upstream_connect_time"`
		UpstreamHeaderTime   string   `json:"upstream_header_time"`
		UpstreamResponseTime string   `json:"upstream_response_time"`
		Referer              string   `json:"referer"`
		UserAgent            string   `json:"user_agent"`
	}
	upstreams := map[string]int{}
	for i, line := range lines {
		var e entry
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i, err, line)
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %d has a field of the wrong type: %v\n%s", i, err, line)
		}
		if e.Time == "" || e.Msec == 0 || e.RequestTime == nil || !hex32.MatchString(e.RequestID) ||
			e.RemoteAddr != "127.0.0.1" || e.Protocol != "HTTP/1.1" || e.RequestLength == 0 || e.BytesSent == 0 {
			t.Errorf("line %d lacks a basic field: %s", i, line)
		}
		if i < split {
			upstreams[e.Upstream]++
			wantAddr := map[string]string{"stable": stable.addr(), "canary": canary.addr()}[e.Upstream]
			if e.Method != "GET" || e.URI != "/api/items?page=2" || e.Status != 200 || e.BodyBytesSent == 0 ||
				e.UpstreamAddr != wantAddr || e.UpstreamStatus != "200" || e.UpstreamResponseTime == "" ||
				e.UpstreamConnectTime == "" || e.UpstreamHeaderTime == "" ||
				e.UserAgent != `test "agent"` || e.Referer != "https://app.example.com/" {
				t.Errorf("line %d does not describe the proxied request: %s", i, line)
			}
		} else if e.Method != "POST" || e.Status != 404 || e.Upstream != "" || e.UpstreamAddr != "" {
			t.Errorf("last line does not describe the router's own 404: %s", line)
		}
	}
	if upstreams["stable"]+upstreams["canary"] != split || upstreams["stable"] == 0 || upstreams["canary"] == 0 {
		t.Errorf("upstream field over %d split requests: %v; want both stable and canary", split, upstreams)
	}
	if !strings.Contains(rt.stdout.String(), `"user_agent":"test \"agent\""`) {
		t.Errorf("quotes in a header are not JSON-escaped in the log")
	}
}
