package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseTargets(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  string
	}{
		{name: "one URL", in: "http://127.0.0.1:8080/webhooks/github", want: []string{"http://127.0.0.1:8080/webhooks/github"}},
		{name: "a list with spaces and a trailing comma", in: "http://127.0.0.1:1/w, http://127.0.0.1:2/w,",
			want: []string{"http://127.0.0.1:1/w", "http://127.0.0.1:2/w"}},
		{name: "a URL without a scheme is refused", in: "127.0.0.1:8080/webhooks/github", err: "is not an http(s) URL"},
		{name: "an empty list is refused", in: " , ", err: "no URL given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTargets(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.urls, " ") != strings.Join(tt.want, " ") {
				t.Errorf("urls = %q, want %q", got.urls, tt.want)
			}
		})
	}
}

func TestTargetsTakeTurns(t *testing.T) {
	to, err := parseTargets("http://a/,http://b/,http://c/")
	if err != nil {
		t.Fatal(err)
	}
	var firsts []string
	for range 4 {
		firsts = append(firsts, to.order()[0])
	}
	if got := strings.Join(firsts, " "); got != "http://a/ http://b/ http://c/ http://a/" {
		t.Errorf("first targets in turn = %s", got)
	}
	if got := strings.Join(to.order(), " "); got != "http://b/ http://c/ http://a/" {
		t.Errorf("order after a = %s, want the others after the one in turn", got)
	}
}

// Deliveries are spread over every server, and a server that refuses
// connections does not cost a delivery: it goes to the next server.
func TestLoadgenSpreadsDeliveriesAndSkipsARefusingServer(t *testing.T) {
	var counts [2]atomic.Int64
	var servers []string
	for i := range counts {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			counts[i].Add(1)
			w.WriteHeader(http.StatusAccepted)
		}))
		defer srv.Close()
		servers = append(servers, srv.URL)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String() + "/webhooks/github"
	ln.Close() // nothing listens there now: connections are refused
	var out bytes.Buffer
	list := servers[0] + "," + down + "," + servers[1]
	if err := run([]string{"-url", list, "-secret", "s", "-n", "60", "-rate", "0", "-concurrency", "4"}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	a, b := counts[0].Load(), counts[1].Load()
	if a+b != 60 || a < 20 || b < 20 {
		t.Errorf("servers received %d and %d deliveries, want 60 spread over both", a, b)
	}
	if !strings.Contains(out.String(), "statuses 202:60") {
		t.Errorf("report: %s", out.String())
	}
}
