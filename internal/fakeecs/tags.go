package fakeecs

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ECS tag limits (TagResource API reference).
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// validateTag checks a tag the way ECS does, with a message naming the offending tag.
func validateTag(key, value string) error {
	if err := validateTagKey(key); err != nil {
		return err
	}
	if !utf8.ValidString(value) {
		return invalidParameter("value of tag %q is not valid UTF-8", key)
	}
	if n := utf8.RuneCountInString(value); n > maxTagValueLen {
		return invalidParameter("value of tag %q is %d characters long, at most %d are allowed", key, n, maxTagValueLen)
	}
	if r, ok := badTagRune(value); ok {
		return invalidParameter("value %q of tag %q contains %q; tags allow letters, digits, spaces and _ . : / = + - @",
			value, key, r)
	}
	if reservedTagPrefix(value) {
		return invalidParameter("value %q of tag %q starts with aws:, a prefix reserved for AWS use", value, key)
	}
	return nil
}

// validateTagKey checks a tag key (also the keys UntagResource removes).
func validateTagKey(key string) error {
	if !utf8.ValidString(key) {
		return invalidParameter("tag key %q is not valid UTF-8", key)
	}
	if n := utf8.RuneCountInString(key); n < 1 || n > maxTagKeyLen {
		return invalidParameter("tag key %q is %d characters long, it must have 1 to %d", key, n, maxTagKeyLen)
	}
	if r, ok := badTagRune(key); ok {
		return invalidParameter("tag key %q contains %q; tags allow letters, digits, spaces and _ . : / = + - @", key, r)
	}
	if reservedTagPrefix(key) {
		return invalidParameter("tag key %q starts with aws:, a prefix reserved for AWS use", key)
	}
	return nil
}

// badTagRune returns the first character ECS does not allow in a tag.
func badTagRune(s string) (rune, bool) {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Z, r) || strings.ContainsRune("_.:/=+-@", r) {
			continue
		}
		return r, true
	}
	return 0, false
}

// reservedTagPrefix reports an aws: prefix in any letter case, which ECS reserves for itself.
func reservedTagPrefix(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "aws:")
}
