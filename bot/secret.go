package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Secret is a credential: webhook secrets, tokens, signing secrets. It
// prints as *** through fmt, zerolog and JSON, so it cannot reach a log by
// accident; Reveal returns the value for the one place that uses it.
type Secret string

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalText keeps secrets out of JSON and zerolog output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// SignsSHA256 says whether header — "sha256=" and the hex HMAC-SHA256 of
// body under the secret, as GitHub's X-Hub-Signature-256 and Jira's
// X-Hub-Signature carry it — signs body. It compares in constant time, and
// an empty secret signs nothing.
func (s Secret) SignsSHA256(header string, body []byte) bool {
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok || s == "" {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(s))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
