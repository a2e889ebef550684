package bot

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadAll(t *testing.T) {
	body := strings.Repeat("x", 12<<10)
	tests := []struct {
		name   string
		length int64
	}{
		{name: "an announced length is read in one buffer of that size", length: int64(len(body))},
		{name: "an unknown length (chunked) is read whole", length: -1},
		{name: "a length past the limit is read as io.ReadAll does", length: 1 << 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(strings.NewReader(body), tt.length, 1<<20)
			if err != nil || string(got) != body {
				t.Fatalf("read %d bytes, %v; want %d", len(got), err, len(body))
			}
			if tt.length == int64(len(body)) && cap(got) > len(body)+1024 {
				t.Errorf("buffer of %d bytes for a %d-byte body", cap(got), len(body))
			}
		})
	}
	t.Run("a read error is returned", func(t *testing.T) {
		broken := io.MultiReader(strings.NewReader("abc"), errReader{})
		if _, err := readAll(broken, 10, 100); !errors.Is(err, errBroken) {
			t.Errorf("err = %v, want errBroken", err)
		}
	})
}

var errBroken = errors.New("connection reset")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }
