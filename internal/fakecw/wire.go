package fakecw

import (
	"fmt"
	"math"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// object is a decoded CBOR map (a Smithy structure) together with its parameter path, so that every
// decoding or validation error names the culprit the way CloudWatch does: MetricData.member.3.Value.
type object struct {
	path string
	m    cbor.Map
}

// decodeBody decodes a request body into its top-level structure. An empty body is an empty structure,
// as RPC v2 CBOR allows for inputs with no members set.
func decodeBody(body []byte) (obj object, err error) {
	if len(body) == 0 {
		return object{m: cbor.Map{}}, nil
	}
	// smithy-go documents its CBOR decoder as meant for the SDK's own use; a malformed body must still
	// come back as a client error, never take the test binary down.
	defer func() {
		if r := recover(); r != nil {
			obj, err = object{}, newError(errSerialization, "request body is not valid CBOR: %v", r)
		}
	}()
	v, err := cbor.Decode(body)
	if err != nil {
		return object{}, newError(errSerialization, "request body is not valid CBOR: %v", err)
	}
	m, ok := v.(cbor.Map)
	if !ok {
		return object{}, newError(errSerialization, "request body must be a CBOR map, got %s", cborKind(v))
	}
	return object{m: m}, nil
}

// member returns the path of a member of o.
func (o object) member(name string) string {
	if o.path == "" {
		return name
	}
	return o.path + "." + name
}

// get returns a member's value; null and undefined count as absent, as the SDK's own deserializer treats them.
func (o object) get(name string) (cbor.Value, bool) {
	v, ok := o.m[name]
	if !ok {
		return nil, false
	}
	switch v.(type) {
	case *cbor.Nil, *cbor.Undefined:
		return nil, false
	}
	return v, true
}

func (o object) typeError(name, want string, v cbor.Value) *apiError {
	return newError(errSerialization, "parameter %s must be a %s, got %s", o.member(name), want, cborKind(v))
}

// read reads an optional member with conv, whose error means the value is not of the type want names.
func read[T any](o object, name, want string, conv func(cbor.Value) (T, error)) (T, bool, error) {
	var zero T
	v, ok := o.get(name)
	if !ok {
		return zero, false, nil
	}
	x, err := conv(v)
	if err != nil {
		return zero, false, o.typeError(name, want, v)
	}
	return x, true, nil
}

// as is read's conversion to a CBOR type: the value must be a T.
func as[T cbor.Value](v cbor.Value) (T, error) {
	x, ok := v.(T)
	if !ok {
		return x, fmt.Errorf("%s, not %T", cborKind(v), x)
	}
	return x, nil
}

// need reads a required member with get, one of object's readers (object.string, ...); an absent one is
// a MissingParameter error.
func need[T any](o object, name string, get func(object, string) (T, bool, error)) (T, error) {
	v, ok, err := get(o, name)
	if err == nil && !ok {
		err = missing(o.member(name))
	}
	return v, err
}

// reads keeps the first error of a run of member reads, so that a parse reads straight and checks the
// error once: after a failure, the reads that follow do nothing and return zero values.
type reads struct{ err error }

// required is need through r.
func required[T any](r *reads, o object, name string, get func(object, string) (T, bool, error)) T {
	var v T
	if r.err == nil {
		v, r.err = need(o, name, get)
	}
	return v
}

// optional reads an optional member with get, one of object's readers, through r; ok reports whether it was
// there.
func optional[T any](r *reads, o object, name string, get func(object, string) (T, bool, error)) (v T, ok bool) {
	if r.err == nil {
		v, ok, r.err = get(o, name)
	}
	return v, ok
}

func (o object) string(name string) (string, bool, error) {
	s, ok, err := read(o, name, "string", as[cbor.String])
	return string(s), ok, err
}

func (o object) bool(name string) (bool, bool, error) {
	b, ok, err := read(o, name, "boolean", as[cbor.Bool])
	return bool(b), ok, err
}

func (o object) float(name string) (float64, bool, error) {
	return read(o, name, "number", cbor.AsFloat64)
}

func (o object) int(name string) (int64, bool, error) { return read(o, name, "integer", cbor.AsInt64) }

func (o object) list(name string) (cbor.List, bool, error) {
	return read(o, name, "list", as[cbor.List])
}

func (o object) object(name string) (object, bool, error) {
	m, ok, err := read(o, name, "structure", as[cbor.Map])
	return object{path: o.member(name), m: m}, ok, err
}

// time reads a CBOR tag 1 epoch timestamp. Fractional seconds are rounded to the millisecond, the
// precision the SDK sends, rather than truncated, so 1.123 s does not come back as 1.122 s.
func (o object) time(name string) (time.Time, bool, error) {
	v, ok := o.get(name)
	if !ok {
		return time.Time{}, false, nil
	}
	tag, ok := v.(*cbor.Tag)
	if !ok || tag.ID != 1 {
		return time.Time{}, false, o.typeError(name, "timestamp (CBOR tag 1)", v)
	}
	switch n := tag.Value.(type) {
	case cbor.Float64, cbor.Float32:
		f, _ := cbor.AsFloat64(n)
		ms := math.Round(f * 1e3)
		if math.IsNaN(ms) || math.IsInf(ms, 0) || math.Abs(ms) > math.MaxInt64/2 {
			return time.Time{}, false, invalidValue(o.member(name), f, "It is not a representable epoch time.")
		}
		return time.UnixMilli(int64(ms)).UTC(), true, nil
	case cbor.Uint, cbor.NegInt:
		secs, err := cbor.AsInt64(n)
		if err != nil || secs > math.MaxInt64/1000 || secs < math.MinInt64/1000 {
			return time.Time{}, false, invalidValue(o.member(name), n, "It is not a representable epoch time.")
		}
		return time.Unix(secs, 0).UTC(), true, nil
	default:
		return time.Time{}, false, o.typeError(name, "timestamp (CBOR tag 1 around a number)", tag.Value)
	}
}

// listObject returns the i-th (0-based) element of a list member as a structure, named in CloudWatch's
// 1-based query style: Dimensions.member.1.
func (o object) listObject(name string, l cbor.List, i int) (object, error) {
	path := fmt.Sprintf("%s.member.%d", o.member(name), i+1)
	m, ok := l[i].(cbor.Map)
	if !ok {
		return object{}, newError(errSerialization, "parameter %s must be a structure, got %s", path, cborKind(l[i]))
	}
	return object{path: path, m: m}, nil
}

// floats reads a list of numbers.
func (o object) floats(name string) ([]float64, bool, error) {
	l, ok, err := o.list(name)
	if !ok || err != nil {
		return nil, ok, err
	}
	out := make([]float64, len(l))
	for i, v := range l {
		f, err := cbor.AsFloat64(v)
		if err != nil {
			return nil, false, newError(errSerialization, "parameter %s.member.%d must be a number, got %s",
				o.member(name), i+1, cborKind(v))
		}
		out[i] = f
	}
	return out, true, nil
}

// cborKind names a CBOR value's type for error messages.
func cborKind(v cbor.Value) string {
	switch v.(type) {
	case cbor.Uint, cbor.NegInt:
		return "integer"
	case cbor.Float32, cbor.Float64:
		return "float"
	case cbor.String:
		return "text string"
	case cbor.Slice:
		return "byte string"
	case cbor.List:
		return "list"
	case cbor.Map:
		return "map"
	case *cbor.Tag:
		return "tag"
	case cbor.Bool:
		return "boolean"
	case *cbor.Nil, *cbor.Undefined:
		return "null"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// epoch encodes t the way the SDK's serializer does: tag 1 around float64 epoch seconds.
func epoch(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1e3)}
}
