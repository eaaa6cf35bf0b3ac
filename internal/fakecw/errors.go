package fakecw

import (
	"fmt"
	"net/http"
	"strings"
)

// shapeNamespace prefixes modelled error shapes in __type, as the service does; the SDK strips it.
const shapeNamespace = "com.amazonaws.cloudwatch#"

// errorKind describes how one CloudWatch error travels on the wire.
type errorKind struct {
	shape     string // Smithy shape name, sent in __type; "" for errors the model does not declare
	queryCode string // legacy awsQuery code, sent in X-Amzn-Query-Error and returned by ErrorCode()
	status    int
	// messageMember is the shape's message member when it is not the usual "message"; the SDK only
	// fills the typed error's Message from the member its schema declares.
	messageMember string
}

// The errors PutMetricData and GetMetricData declare in the CloudWatch model.
var (
	errInvalidParameterValue       = errorKind{shape: "InvalidParameterValueException", queryCode: "InvalidParameterValue", status: http.StatusBadRequest}
	errMissingParameter            = errorKind{shape: "MissingRequiredParameterException", queryCode: "MissingParameter", status: http.StatusBadRequest}
	errInvalidParameterCombination = errorKind{shape: "InvalidParameterCombinationException", queryCode: "InvalidParameterCombination", status: http.StatusBadRequest}
	errInvalidNextToken            = errorKind{shape: "InvalidNextToken", queryCode: "InvalidNextToken", status: http.StatusBadRequest}
	errInternalServiceFault        = errorKind{shape: "InternalServiceFault", queryCode: "InternalServiceError", status: http.StatusInternalServerError, messageMember: "Message"}

	// Protocol-level errors: not in the CloudWatch model, so the SDK surfaces them as
	// *smithy.GenericAPIError carrying the query code.
	errThrottling            = errorKind{queryCode: "Throttling", status: http.StatusBadRequest}
	errSerialization         = errorKind{queryCode: "SerializationException", status: http.StatusBadRequest}
	errUnknownOperation      = errorKind{queryCode: "UnknownOperationException", status: http.StatusNotFound}
	errMethodNotAllowed      = errorKind{queryCode: "MethodNotAllowed", status: http.StatusMethodNotAllowed}
	errUnsupportedMediaType  = errorKind{queryCode: "UnsupportedMediaTypeException", status: http.StatusUnsupportedMediaType}
	errMissingAuthentication = errorKind{queryCode: "MissingAuthenticationToken", status: http.StatusForbidden}
	errIncompleteSignature   = errorKind{queryCode: "IncompleteSignature", status: http.StatusForbidden}
	errRequestTooLarge       = errorKind{queryCode: "RequestEntityTooLarge", status: http.StatusRequestEntityTooLarge}
)

// knownErrors lets FailNext take either the shape name or the query code of a CloudWatch error.
var knownErrors = []errorKind{
	errInvalidParameterValue, errMissingParameter, errInvalidParameterCombination, errInvalidNextToken,
	errInternalServiceFault, errThrottling,
}

// lookupErrorKind resolves a FailNext code. Codes the fake does not know are sent verbatim, so a test can
// still simulate any error the SDK's retryer classifies by code (ThrottlingException, RequestLimitExceeded...).
func lookupErrorKind(code string) errorKind {
	for _, k := range knownErrors {
		if code == k.shape || code == k.queryCode {
			return k
		}
	}
	return errorKind{queryCode: code, status: http.StatusBadRequest}
}

// apiError is an error response the handler sends.
type apiError struct {
	kind    errorKind
	status  int // overrides kind.status when non-zero
	message string
}

func (e *apiError) Error() string { return e.code() + ": " + e.message }

func (e *apiError) code() string {
	if e.kind.shape != "" {
		return e.kind.shape
	}
	return e.kind.queryCode
}

func (e *apiError) httpStatus() int {
	if e.status != 0 {
		return e.status
	}
	return e.kind.status
}

// typeField is the body's __type: the fully qualified shape for modelled errors, the bare code otherwise.
func (e *apiError) typeField() string {
	if e.kind.shape != "" {
		return shapeNamespace + e.kind.shape
	}
	return e.kind.queryCode
}

// queryErrorHeader is the X-Amzn-Query-Error value, "Code;Sender" or "Code;Receiver".
func (e *apiError) queryErrorHeader() string {
	fault := "Sender"
	if e.httpStatus() >= http.StatusInternalServerError {
		fault = "Receiver"
	}
	return e.kind.queryCode + ";" + fault
}

func newError(kind errorKind, format string, args ...any) *apiError {
	return &apiError{kind: kind, message: fmt.Sprintf(format, args...)}
}

// invalidValue is CloudWatch's usual wording for a rejected parameter value, with the reason appended.
func invalidValue(param string, value any, reason string) *apiError {
	v := fmt.Sprint(value)
	if len(v) > 64 {
		v = v[:64] + "..."
	}
	msg := fmt.Sprintf("The value %s for parameter %s is invalid.", v, param)
	if reason != "" {
		msg += " " + strings.TrimSpace(reason)
	}
	return newError(errInvalidParameterValue, "%s", msg)
}

func missing(param string) *apiError {
	return newError(errMissingParameter, "The parameter %s is required.", param)
}
