package bot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestSignsSHA256(t *testing.T) {
	body := []byte(`{"action":"opened"}`)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write(body)
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	for _, tt := range []struct {
		name   string
		secret Secret
		header string
		body   []byte
		want   bool
	}{
		{"signed", "s3cret", good, body, true},
		{"another secret", "guess", good, body, false},
		{"another body", "s3cret", good, []byte(`{"action":"closed"}`), false},
		{"no sha256= prefix", "s3cret", good[len("sha256="):], body, false},
		{"sha1", "s3cret", "sha1=" + good[len("sha256="):], body, false},
		{"not hex", "s3cret", "sha256=zz", body, false},
		{"empty header", "s3cret", "", body, false},
		{"no secret signs nothing", "", "sha256=" + hex.EncodeToString(hmac.New(sha256.New, nil).Sum(nil)), nil, false},
	} {
		if got := tt.secret.SignsSHA256(tt.header, tt.body); got != tt.want {
			t.Errorf("%s: SignsSHA256 = %v, want %v", tt.name, got, tt.want)
		}
	}
}
