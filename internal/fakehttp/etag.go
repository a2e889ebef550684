// Package fakehttp holds what the fake hosts (internal/fakegithub,
// internal/fakegitlab) answer alike: conditional GETs.
package fakehttp

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// ETag is the weak entity tag the fakes send with an answer's body.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + hex.EncodeToString(sum[:16]) + `"`
}

// ETagMatches reports whether an If-None-Match header holds etag (weakly
// compared, or "*").
func ETagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	weak := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, candidate := range strings.Split(header, ",") {
		if c := strings.TrimSpace(candidate); c == "*" || weak(c) == weak(etag) {
			return true
		}
	}
	return false
}
