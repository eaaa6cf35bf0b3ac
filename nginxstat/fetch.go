package nginxstat

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// Fetch gets and parses one stub_status page. It honours ctx (deadline and cancellation), reads at most
// MaxBodyBytes, and treats any status other than 200 as an error.
func Fetch(ctx context.Context, client *http.Client, url string) (Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Stats{}, fmt.Errorf("building request for %s: %w", url, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Stats{}, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer func() {
		// Drain a little so the keep-alive connection can be reused; stop at the limit.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBodyBytes))
		_ = resp.Body.Close()
	}()
	if resp.StatusCode != http.StatusOK {
		return Stats{}, fmt.Errorf("fetching %s: HTTP status %d", url, resp.StatusCode)
	}
	s, err := Parse(resp.Body)
	if err != nil {
		return Stats{}, fmt.Errorf("parsing %s: %w", url, err)
	}
	return s, nil
}
