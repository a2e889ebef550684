package fakehttp

import "testing"

func TestETagMatches(t *testing.T) {
	etag := ETag([]byte(`{"a":1}`))
	for header, want := range map[string]bool{"": false, etag: true, `"x", ` + etag: true, "*": true, `W/"other"`: false,
		etag[2:]: true} {
		if got := ETagMatches(header, etag); got != want {
			t.Errorf("ETagMatches(%q) = %v, want %v", header, got, want)
		}
	}
	if ETag([]byte("a")) == ETag([]byte("b")) {
		t.Error("two bodies share an ETag")
	}
}
