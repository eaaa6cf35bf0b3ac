package router

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current template and script")

// minimal is the smallest valid environment: only the stable upstream. Upstream names must resolve when nginx
// loads the config, so the tests use loopback addresses where ECS would use Service Connect names.
var minimal = env{"STABLE_UPSTREAM": "127.0.0.1:9001"}

// TestRenderAccepted renders environments an operator would use and checks that nginx accepts each result.
func TestRenderAccepted(t *testing.T) {
	nginxPath(t)
	canary := minimal.with("CANARY_UPSTREAM", "127.0.0.1:9002")
	tests := []struct {
		name string
		env  env
		want []string // lines the rendered config must contain
	}{
		{"defaults", minimal, []string{
			"worker_shutdown_timeout 25s;", "listen 8080 default_server backlog=4096;", "listen 8081 default_server;",
			"location = /nginx_status {", "allow 127.0.0.1/32;", "deny all;", "* stable;", "location / {",
		}},
		{"weight 0 with a canary upstream", canary.with("CANARY_WEIGHT", "0"), []string{"* stable;", "upstream canary {"}},
		{"weight 0.0", canary.with("CANARY_WEIGHT", "0.0"), []string{"* stable;"}},
		{"weight 10", canary.with("CANARY_WEIGHT", "10"), []string{"10% canary;", "* stable;"}},
		{"weight 12.5", canary.with("CANARY_WEIGHT", "12.5"), []string{"12.5% canary;"}},
		{"weight 0.1", canary.with("CANARY_WEIGHT", "0.1"), []string{"0.1% canary;"}},
		{"weight 007 is 7", canary.with("CANARY_WEIGHT", "007"), []string{"7% canary;"}},
		{"weight 99.9", canary.with("CANARY_WEIGHT", "99.9"), []string{"99.9% canary;"}},
		{"weight 100", canary.with("CANARY_WEIGHT", "100"), []string{"* canary;"}},
		{"weight 100.0", canary.with("CANARY_WEIGHT", "100.0"), []string{"* canary;"}},
		{"empty weight is the default 0", minimal.with("CANARY_WEIGHT", ""), []string{"* stable;"}},
		{"sticky cookie", canary.with("CANARY_WEIGHT", "25", "CANARY_STICKY", "cookie", "CANARY_COOKIE_NAME", "cnry",
			"CANARY_COOKIE_MAX_AGE", "3600"), []string{
			"split_clients $canary_key $canary_upstream {", "map $cookie_cnry $canary_key {",
			`"stable:" "cnry=$request_id; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax";`,
			"add_header Set-Cookie $canary_set_cookie always;",
		}},
		{"sticky header", canary.with("CANARY_WEIGHT", "25", "CANARY_STICKY", "header",
			"CANARY_STICKY_HEADER", "X-User-Id"), []string{"map $http_x_user_id $canary_key {"}},
		{"several servers per upstream", minimal.with("STABLE_UPSTREAM", "127.0.0.1:9001, localhost:9003 [::1]:9004"),
			[]string{"server 127.0.0.1:9001;", "server localhost:9003;", "server [::1]:9004;"}},
		{"routes", canary.with("ROUTES", "/api/=api,/auth/=localhost:9005 /static=localhost:9005"), []string{
			"location /api/ {", "location = /api {", "location /auth/ {", "location = /auth {", "location /static {",
			"set $fsc_upstream svc_localhost_9005;", "upstream svc_localhost_9005 {",
			`return 404 '{"error":"no route for this path"}\n';`,
		}},
		{"CORS list, subdomain wildcard and credentials", minimal.with(
			"CORS_ALLOWED_ORIGINS", "https://app.example.com, http://localhost:3000 https://*.tver.jp",
			"CORS_ALLOW_CREDENTIALS", "true", "CORS_EXPOSE_HEADERS", "X-Request-Id,ETag", "CORS_MAX_AGE", "7200",
			"CORS_ALLOWED_HEADERS", "*"), []string{
			`"https://app.example.com" $http_origin;`, `"http://localhost:3000" $http_origin;`,
			`"~*^https://[a-z0-9-]+(\.[a-z0-9-]+)*\.tver\.jp$" $http_origin;`, `default "X-Request-Id, ETag";`,
			`allow "7200";`, `allow "*";`, "add_header Vary Origin always;",
		}},
		{"CORS any origin", minimal.with("CORS_ALLOWED_ORIGINS", "*"), []string{`default "*";`}},
		{"status CIDRs, IPv4 and IPv6", minimal.with("STATUS_ALLOW_CIDRS", "10.0.0.0/16,172.31.0.0/16 fd00:ec2::/56 10.1.2.3"),
			[]string{"allow 10.0.0.0/16;", "allow 172.31.0.0/16;", "allow fd00:ec2::/56;", "allow 10.1.2.3;"}},
		{"empty status CIDRs deny everyone", minimal.with("STATUS_ALLOW_CIDRS", " "), []string{"stub_status;\n            deny all;"}},
		{"other ports and status path", minimal.with("LISTEN_PORT", "80", "STATUS_PORT", "9145", "STATUS_PATH", "/stub"),
			[]string{"listen 80 default_server", "listen 9145 default_server;", "location = /stub {"}},
		{"IPv6 listeners", minimal.with("LISTEN_IPV6", "on"),
			[]string{"listen [::]:8080 default_server backlog=4096;", "listen [::]:8081 default_server;"}},
		{"IPv6 off", minimal.with("LISTEN_IPV6", "off"), []string{"listen 8080 default_server backlog=4096;\n        server_name"}},
		{"one listen address", minimal.with("LISTEN_ADDRESS", "[::1]"), []string{"listen [::1]:8080 default_server"}},
		{"worker settings", minimal.with("WORKER_PROCESSES", "2", "WORKER_CONNECTIONS", "1024",
			"WORKER_SHUTDOWN_TIMEOUT", "110s"), []string{
			"worker_processes 2;", "worker_connections 1024;", "worker_rlimit_nofile 2112;", "worker_shutdown_timeout 110s;",
		}},
		{"proxy settings", minimal.with("PROXY_CONNECT_TIMEOUT", "500ms", "PROXY_READ_TIMEOUT", "2m",
			"CLIENT_MAX_BODY_SIZE", "1g", "UPSTREAM_KEEPALIVE", "8", "UPSTREAM_KEEPALIVE_TIMEOUT", "30s",
			"FORWARDED_PROTO", "https", "ERROR_LOG_LEVEL", "info"), []string{
			"proxy_connect_timeout 500ms;", "proxy_read_timeout 2m;", "client_max_body_size 1g;", "keepalive 8;",
			"keepalive_timeout 30s;", `proxy_set_header X-Forwarded-Proto "https";`, "error_log stderr info;",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := mustRender(t, tc.env)
			conf, err := os.ReadFile(r.conf)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range tc.want {
				if !strings.Contains(string(conf), line) {
					t.Errorf("rendered config lacks %q:\n%s", line, conf)
				}
			}
			if out, err := nginxTest(t, r); err != nil {
				t.Fatalf("nginx -t rejects the rendered config: %v\n%s\nconfig:\n%s", err, out, conf)
			}
		})
	}
}

// TestRenderRefused checks that invalid settings stop the container: the script exits non-zero before nginx would
// start, names the variable and the bad value, and leaves no nginx.conf behind.
func TestRenderRefused(t *testing.T) {
	canary := minimal.with("CANARY_UPSTREAM", "127.0.0.1:9002")
	cors := minimal.with("CORS_ALLOWED_ORIGINS", "*")
	type refusal struct {
		name string
		env  env
		want []string // substrings of the script's message
	}
	tests := []refusal{
		{"weight above 100", canary.with("CANARY_WEIGHT", "101"), []string{`CANARY_WEIGHT="101" is invalid`, "0 to 100"}},
		{"weight without a canary upstream", minimal.with("CANARY_WEIGHT", "5"),
			[]string{"CANARY_UPSTREAM is not set", `CANARY_WEIGHT="5"`}},
		{"no stable upstream", env{}, []string{"STABLE_UPSTREAM is not set"}},
		{"header mode without a header", canary.with("CANARY_STICKY", "header"), []string{`CANARY_STICKY_HEADER="" is invalid`}},
		{"duplicate route", minimal.with("ROUTES", "/a/=api /a/=api"), []string{"prefix /a/ is listed twice"}},
		{"route on healthz", minimal.with("ROUTES", "/healthz=api"), []string{"/healthz is reserved"}},
		{"no routes", minimal.with("ROUTES", " , "), []string{"want at least one PREFIX=TARGET"}},
		{"any origin with credentials", cors.with("CORS_ALLOW_CREDENTIALS", "true"),
			[]string{`CORS_ALLOWED_ORIGINS="*" with CORS_ALLOW_CREDENTIALS=true is refused`}},
		{"bad method", cors.with("CORS_ALLOWED_METHODS", `GET "X"`), []string{`CORS_ALLOWED_METHODS entry ""X"" is invalid`}},
		{"every problem at once", env{"CANARY_WEIGHT": "200", "STATUS_ALLOW_CIDRS": "x", "ROUTES": "/=nowhere"}, []string{
			`CANARY_WEIGHT="200" is invalid`, `STATUS_ALLOW_CIDRS entry "x" is invalid`, "STABLE_UPSTREAM is not set",
			`ROUTES entry "/=nowhere" is invalid`, "4 invalid setting(s); not starting nginx",
		}},
	}
	// Values a variable refuses, each set alone over base; the message names the variable and the value (or, in a
	// list, the entry).
	const (
		badValue = `%s="%s" is invalid`
		badEntry = `%s entry "%s" is invalid`
	)
	for _, r := range []struct {
		base    env
		name    string
		message string
		values  []string
	}{
		{canary, "CANARY_WEIGHT", badValue, []string{"100.1", "-1", "10.25", "10%", "ten", "1e2", " 10", "10.", "0.5.1", "10\n20"}},
		{canary, "CANARY_STICKY", badValue, []string{"ip"}},
		{canary.with("CANARY_STICKY", "cookie"), "CANARY_COOKIE_NAME", badValue, []string{"a-b"}},
		{minimal, "STABLE_UPSTREAM", badEntry, []string{"api", "api:70000", "api:80;}"}},
		{minimal, "STATUS_ALLOW_CIDRS", badEntry, []string{"10.0.0.0/33", "10.0.0.256", "all"}},
		{minimal, "STATUS_PORT", badValue, []string{"8080"}},
		{minimal, "LISTEN_PORT", badValue, []string{"0"}},
		{minimal, "STATUS_PATH", badValue, []string{"status", "/healthz"}},
		{minimal, "ROUTES", badEntry, []string{"/api/", "api=api", "/a/=canary"}},
		{minimal, "CORS_ALLOWED_ORIGINS", badEntry, []string{"example.com", "https://example.com/"}},
		{cors, "CORS_ALLOW_CREDENTIALS", badValue, []string{"yes"}},
		{cors, "CORS_ALLOWED_HEADERS", badEntry, []string{"X;Y"}},
		{cors, "CORS_MAX_AGE", badValue, []string{"1d"}},
		{minimal, "PROXY_READ_TIMEOUT", badValue, []string{"soon"}},
		{minimal, "CLIENT_MAX_BODY_SIZE", badValue, []string{"10MB"}},
		{minimal, "WORKER_PROCESSES", badValue, []string{"0"}},
		{minimal, "ERROR_LOG_LEVEL", badValue, []string{"verbose"}},
		{minimal, "FORWARDED_PROTO", badValue, []string{"ftp"}},
		{minimal, "LISTEN_IPV6", badValue, []string{"yes"}},
	} {
		for _, v := range r.values {
			tests = append(tests, refusal{fmt.Sprintf("%s=%q", r.name, v), r.base.with(r.name, v),
				[]string{fmt.Sprintf(r.message, r.name, v)}})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := render(t, tc.env)
			if r.err == nil {
				conf, _ := os.ReadFile(r.conf)
				t.Fatalf("the script accepted the environment; it rendered:\n%s", conf)
			}
			if !isExitError(r.err) {
				t.Fatalf("running the script: %v", r.err)
			}
			for _, s := range tc.want {
				if !strings.Contains(r.output, s) {
					t.Errorf("message lacks %q; got:\n%s", s, r.output)
				}
			}
			if !strings.Contains(r.output, "not starting nginx") {
				t.Errorf("message does not say nginx is not started; got:\n%s", r.output)
			}
			if _, err := os.Stat(r.conf); !os.IsNotExist(err) {
				t.Errorf("a refused environment left %s behind (stat: %v)", r.conf, err)
			}
		})
	}
}

// TestRenderGolden pins the full rendered config of a representative environment, so a review sees what a change
// to the template or the script does to nginx.conf. Regenerate with: go test ./docker/router -run Golden -update
func TestRenderGolden(t *testing.T) {
	r := mustRender(t, env{
		"STABLE_UPSTREAM":        "api:8080",
		"CANARY_UPSTREAM":        "canary-api:8080",
		"CANARY_WEIGHT":          "12.5",
		"CANARY_STICKY":          "cookie",
		"ROUTES":                 "/api/=api /auth/=auth:8080",
		"CORS_ALLOWED_ORIGINS":   "https://tver.jp https://*.tver.jp",
		"CORS_ALLOW_CREDENTIALS": "true",
		"CORS_EXPOSE_HEADERS":    "X-Request-Id",
		"STATUS_ALLOW_CIDRS":     "10.0.0.0/16",
		"FORWARDED_PROTO":        "https",
		"WORKER_PROCESSES":       "1",
		"LISTEN_IPV6":            "on",
	})
	conf, err := os.ReadFile(r.conf)
	if err != nil {
		t.Fatal(err)
	}
	// The runtime directory is a temp dir here and /tmp/nginx in the image.
	got := strings.ReplaceAll(string(conf), filepath.Join(r.dir, "run"), "/tmp/nginx")
	golden := filepath.Join("testdata", "full.conf.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("rendered config differs from %s (-want +got); if the change is intended, run with -update:\n%s", golden, diff)
	}
}

// TestScriptShape checks what the image relies on in both scripts: executable (the Dockerfile also sets the mode,
// but a checkout must run them as they are), POSIX sh, and stopping at the first failing command.
func TestScriptShape(t *testing.T) {
	for _, name := range []string{renderScript, entrypointScript} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable (mode %v)", name, info.Mode())
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(src), "#!/bin/sh\n") {
			t.Errorf("%s must start with #!/bin/sh (the image's /bin/sh is dash)", name)
		}
		if !strings.Contains(string(src), "\nset -eu\n") {
			t.Errorf("%s must run with set -eu", name)
		}
	}
}

// TestREADME checks that docker/README.md documents every variable render.sh reads, so the table cannot silently
// fall behind the script.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	vars := scriptDefaults(t)
	if len(vars) < 20 {
		t.Fatalf("found only %d variables with defaults in %s; the pattern no longer matches the script", len(vars), renderScript)
	}
	var missing []string
	for v := range vars {
		if !strings.Contains(string(readme), "| `"+v+"` |") {
			missing = append(missing, v)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("docker/README.md has no table row for %v", missing)
	}
}
