package awsfake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Error is an error a fake answers with: the service's error code, the HTTP status and a message.
type Error struct {
	Code   string
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// ClientError returns an Error with HTTP status 400 and a formatted message.
func ClientError(code, format string, args ...any) *Error {
	return &Error{Code: code, Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// Epoch is a timestamp that marshals as fractional epoch seconds with millisecond precision, as the JSON
// protocols send them.
type Epoch time.Time

// MarshalJSON writes the time as a JSON number of seconds since the Unix epoch.
func (e Epoch) MarshalJSON() ([]byte, error) {
	ms := time.Time(e).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// HexID derives a stable hexadecimal identifier of the given length (at most 64) from a kind and a seed, so
// that IDs look like AWS's but stay reproducible from one test run to the next.
func HexID(kind, seed string, length int) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + seed))
	return hex.EncodeToString(sum[:])[:length]
}

// UUID is a stable identifier in the 8-4-4-4-12 form of a UUID, derived like HexID.
func UUID(kind, seed string) string {
	h := HexID(kind, seed, 32)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// EncodeCursor returns an opaque pagination token for the position seq, bound to prefix (the fake and,
// where tokens must not cross operations, the operation). Paging by a sequence number rather than by
// offset keeps pages consistent while items come and go between calls.
func EncodeCursor(prefix string, seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + strconv.FormatUint(seq, 10)))
}

// DecodeCursor reads a token EncodeCursor made with the same prefix; the empty token is the start, 0.
// false means the token is not one of these, which the fake answers with its invalid-token error.
func DecodeCursor(prefix, tok string) (uint64, bool) {
	if tok == "" {
		return 0, true
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), prefix)
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(rest, 10, 64)
	return seq, err == nil
}

// Page returns the items whose cursor is past after, at most size of them and in their order, and the cursor
// of the page's last item when more follow, 0 when this is the last page (cursors count from 1).
func Page[T any](items []T, after uint64, size int, cursor func(T) uint64) (page []T, next uint64) {
	for _, it := range items {
		if cursor(it) <= after {
			continue
		}
		if len(page) == size {
			return page, after
		}
		page = append(page, it)
		after = cursor(it)
	}
	return page, 0
}

// Truncate cuts s to at most n bytes, to quote untrusted input in a message.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// PartitionOf is the ARN partition of a region: aws, aws-cn or aws-us-gov.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// The region and account a fake answers for when its options name none.
const (
	DefaultRegion  = "us-east-1"
	DefaultAccount = "123456789012"
)

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	accountRE = regexp.MustCompile(`^\d{12}$`)
)

// ResolveAccount fills in the default region and account for empty ones and returns what is wrong with them,
// for the fake's New to report.
func ResolveAccount(region, account *string) []string {
	if *region == "" {
		*region = DefaultRegion
	}
	if *account == "" {
		*account = DefaultAccount
	}
	var problems []string
	if !regionRE.MatchString(*region) {
		problems = append(problems, fmt.Sprintf("Region %q is not a region name like us-east-1", *region))
	}
	if !accountRE.MatchString(*account) {
		problems = append(problems, fmt.Sprintf("Account %q is not a 12-digit account ID", *account))
	}
	return problems
}
