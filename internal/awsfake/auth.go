package awsfake

import (
	"fmt"
	"strings"
)

// AuthProblem is what is wrong with a request's Authorization header; each protocol answers it with its
// own error code.
type AuthProblem int

// The problems CheckAuthorization finds.
const (
	AuthOK         AuthProblem = iota // a SigV4 header scoped to the fake's region and service
	AuthMissing                       // no header: the client has no credentials
	AuthIncomplete                    // not SigV4, or without a well-formed credential scope
	AuthWrongScope                    // signed for another region or service
)

// CheckAuthorization wants a SigV4 Authorization header h whose credential scope names service and, unless
// region is empty, region. It does not verify the signature (a fake has no secrets): it is there to catch a
// client built without credentials or for the wrong region or service. The message says what is wrong.
func CheckAuthorization(h, region, service string) (AuthProblem, string) {
	if h == "" {
		return AuthMissing, "the request has no Authorization header; the AWS SDK signs every request, so the client has no credentials configured"
	}
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return AuthIncomplete, fmt.Sprintf("Authorization header is not SigV4 (AWS4-HMAC-SHA256): %q...", Truncate(h, 24))
	}
	for field := range strings.SplitSeq(rest, ",") {
		cred, ok := strings.CutPrefix(strings.TrimSpace(field), "Credential=")
		if !ok {
			continue
		}
		// Credential=AKID/20240101/us-east-1/ecs/aws4_request
		parts := strings.Split(cred, "/")
		if len(parts) != 5 || parts[4] != "aws4_request" {
			return AuthIncomplete, fmt.Sprintf("malformed SigV4 credential scope %q, want AKID/date/region/service/aws4_request", cred)
		}
		switch {
		case region != "" && (parts[2] != region || parts[3] != service):
			return AuthWrongScope, fmt.Sprintf("request signed for region %q and service %q, this fake is %s in %q (set AWS_REGION or the fake's Options.Region)",
				parts[2], parts[3], service, region)
		case parts[3] != service:
			return AuthWrongScope, fmt.Sprintf("request signed for service %q, this fake is %q", parts[3], service)
		}
		return AuthOK, ""
	}
	return AuthIncomplete, "Authorization header has no Credential="
}
