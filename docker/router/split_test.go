package router

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// splitRequests is how many requests measure one weight. At 10,000 the binomial standard deviation is at most
// 0.5 points, so the ±2 points the issue allows is four deviations: a failure means a wrong split, not bad luck.
const splitRequests = 10000

// TestCanarySplit sends 10,000 requests through a real nginx for each weight and checks that the share reaching the
// canary backend is within 2 points of CANARY_WEIGHT.
func TestCanarySplit(t *testing.T) {
	nginxPath(t)
	stable, canary := newBackend(t, "stable"), newBackend(t, "canary")
	for _, weight := range []string{"0", "10", "12.5", "50", "100"} {
		t.Run("weight "+weight, func(t *testing.T) {
			rt := startRouter(t, canaryEnv(stable, canary, weight))
			stableBefore, canaryBefore := stable.hits.Load(), canary.hits.Load()
			counts := hammer(t, rt.base+"/api/items", splitRequests, nil)

			if got := counts["stable"] + counts["canary"]; got != splitRequests {
				t.Fatalf("answers by backend: %v; want %d answers from stable or canary", counts, splitRequests)
			}
			// The backends' own counters must agree with what the client saw.
			if d := stable.hits.Load() - stableBefore; d != int64(counts["stable"]) {
				t.Errorf("stable backend counted %d requests, the client saw %d", d, counts["stable"])
			}
			if d := canary.hits.Load() - canaryBefore; d != int64(counts["canary"]) {
				t.Errorf("canary backend counted %d requests, the client saw %d", d, counts["canary"])
			}
			var want float64
			if _, err := fmt.Sscan(weight, &want); err != nil {
				t.Fatal(err)
			}
			got := 100 * float64(counts["canary"]) / splitRequests
			t.Logf("CANARY_WEIGHT=%s: %d requests, canary %d (%.2f%%), stable %d (%.2f%%)",
				weight, splitRequests, counts["canary"], got, counts["stable"], 100-got)
			if math.Abs(got-want) > 2 {
				t.Errorf("canary share %.2f%%, want %s%% ± 2 points", got, weight)
			}
			// 0 and 100 are exact: no request may leak to the side that has no weight.
			if (want == 0 || want == 100) && got != want {
				t.Errorf("canary share %.2f%%, want exactly %s%%", got, weight)
			}
		})
	}
}

// hammer sends n GET requests to url from a few concurrent keep-alive clients and counts the answers by the
// X-Backend header ("" for an answer from nginx itself).
func hammer(t *testing.T, url string, n int, header map[string]string) map[string]int {
	t.Helper()
	const workers = 8
	client := newClient("")
	defer client.CloseIdleConnections()
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		errs   []error
		wg     sync.WaitGroup
		next   = make(chan struct{})
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]int{}
			for range next {
				resp, err := send(client, http.MethodGet, url, header)
				if err == nil && resp.status != http.StatusOK {
					err = fmt.Errorf("GET %s: status %d: %s", url, resp.status, resp.body)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					continue
				}
				local[resp.header.Get("X-Backend")]++
			}
			mu.Lock()
			for k, v := range local {
				counts[k] += v
			}
			mu.Unlock()
		}()
	}
	for range n {
		next <- struct{}{}
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d requests failed; first: %v", len(errs), n, errs[0])
	}
	return counts
}

// TestStickyCookie checks CANARY_STICKY=cookie: a new client gets a cookie with its first answer, and with it every
// later request lands on the same side; across many clients both sides are used.
func TestStickyCookie(t *testing.T) {
	nginxPath(t)
	stable, canary := newBackend(t, "stable"), newBackend(t, "canary")
	rt := startRouter(t, canaryEnv(stable, canary, "50",
		"CANARY_STICKY", "cookie",
		"CANARY_COOKIE_MAX_AGE", "3600",
		"ROUTES", "/api/=api /auth/="+stable.addr()))
	client := newClient("")
	const clients, repeats = 100, 20
	sides := map[string]int{}
	for i := range clients {
		first := do(t, client, http.MethodGet, rt.base+"/api/me", nil)
		cookie := first.header.Get("Set-Cookie")
		name, rest, _ := strings.Cut(cookie, "=")
		value, attrs, _ := strings.Cut(rest, ";")
		if name != "fastscaler_canary" || len(value) != 32 {
			t.Fatalf("client %d: first answer's Set-Cookie is %q, want fastscaler_canary=<32 hex digits>; ...", i, cookie)
		}
		if want := " Path=/; Max-Age=3600; HttpOnly; SameSite=Lax"; attrs != want {
			t.Errorf("cookie attributes %q, want %q", attrs, want)
		}
		side := first.header.Get("X-Backend")
		sides[side]++
		for range repeats {
			r := do(t, client, http.MethodGet, rt.base+"/api/me", map[string]string{"Cookie": "fastscaler_canary=" + value})
			if got := r.header.Get("X-Backend"); got != side {
				t.Fatalf("client %d with cookie %s: answered by %s, first by %s", i, value, got, side)
			}
			if sc := r.header.Get("Set-Cookie"); sc != "" {
				t.Fatalf("a client that has the cookie got another Set-Cookie: %q", sc)
			}
		}
	}
	t.Logf("%d cookie clients: %v", clients, sides)
	if sides["stable"] == 0 || sides["canary"] == 0 {
		t.Errorf("at weight 50 the %d clients all landed on one side: %v", clients, sides)
	}
	// Routes outside the split and the health check do not hand out the cookie.
	for _, path := range []string{"/auth/login", "/healthz"} {
		if sc := do(t, client, http.MethodGet, rt.base+path, nil).header.Get("Set-Cookie"); sc != "" {
			t.Errorf("GET %s set a canary cookie: %q", path, sc)
		}
	}
}

// TestStickyHeader checks CANARY_STICKY=header: requests with the same header value land on the same side, and
// raising the weight moves users from stable to canary only, never back.
func TestStickyHeader(t *testing.T) {
	nginxPath(t)
	stable, canary := newBackend(t, "stable"), newBackend(t, "canary")
	base := env{
		"STABLE_UPSTREAM":      stable.addr(),
		"CANARY_UPSTREAM":      canary.addr(),
		"CANARY_STICKY":        "header",
		"CANARY_STICKY_HEADER": "X-User-Id",
	}
	const users, repeats = 200, 10
	sidesAt := func(weight string) map[string]string {
		rt := startRouter(t, base.with("CANARY_WEIGHT", weight))
		client := newClient("")
		defer client.CloseIdleConnections()
		out := map[string]string{}
		for i := range users {
			user := fmt.Sprintf("user-%d", i)
			for j := range repeats {
				got := do(t, client, http.MethodGet, rt.base+"/x", map[string]string{"X-User-Id": user}).header.Get("X-Backend")
				if j == 0 {
					out[user] = got
				} else if got != out[user] {
					t.Fatalf("weight %s: %s answered by %s, earlier by %s", weight, user, got, out[user])
				}
			}
		}
		rt.stop(t, syscall.SIGTERM)
		return out
	}
	at10, at50 := sidesAt("10"), sidesAt("50")
	count := func(m map[string]string) map[string]int {
		c := map[string]int{}
		for _, side := range m {
			c[side]++
		}
		return c
	}
	t.Logf("%d users by side: weight 10 %v, weight 50 %v", users, count(at10), count(at50))
	for _, user := range slices.Sorted(maps.Keys(at10)) {
		if at10[user] == "canary" && at50[user] != "canary" {
			t.Errorf("%s was on the canary at weight 10 but on %s at weight 50", user, at50[user])
		}
	}
	if c := count(at50); c["stable"] == 0 || c["canary"] == 0 {
		t.Errorf("at weight 50 the %d users all landed on one side: %v", users, c)
	}
	// Without the header a request is assigned at random: over 200 requests at weight 50 both sides appear.
	rt := startRouter(t, base.with("CANARY_WEIGHT", "50"))
	if c := hammer(t, rt.base+"/x", 200, nil); c["stable"] == 0 || c["canary"] == 0 {
		t.Errorf("requests without X-User-Id all landed on one side: %v", c)
	}
}
